import { fireEvent, render, screen } from '@testing-library/react';
import { ProductCard } from './ProductCard';

const product = {
  id: 'p-1',
  name: 'Trail Running Shoe',
  priceCents: 12900,
  currency: 'EUR',
  inStock: true,
};

describe('ProductCard', () => {
  it('renders the name and price', () => {
    render(<ProductCard product={product} onAdd={jest.fn()} />);
    expect(screen.getByText('Trail Running Shoe')).toBeInTheDocument();
    expect(screen.getByText('€129.00')).toBeInTheDocument();
  });

  it('calls onAdd once with the product id', () => {
    const onAdd = jest.fn();
    render(<ProductCard product={product} onAdd={onAdd} />);
    fireEvent.click(screen.getByRole('button', { name: /add to cart/i }));
    expect(onAdd).toHaveBeenCalledWith('p-1');
    expect(onAdd).toHaveBeenCalledTimes(1);
  });

  it('disables the button when out of stock', () => {
    render(<ProductCard product={{ ...product, inStock: false }} onAdd={jest.fn()} />);
    expect(screen.getByRole('button', { name: /sold out/i })).toBeDisabled();
  });
});
