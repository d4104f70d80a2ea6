const { Cart } = require('../src/cart');
const { CouponExpiredError } = require('../src/errors');

describe('Cart', () => {
  let cart;

  beforeEach(() => {
    cart = new Cart({ currency: 'EUR' });
    cart.add({ sku: 'TSHIRT-M', price: 20, qty: 2 });
    cart.add({ sku: 'MUG', price: 10, qty: 1 });
  });

  it('sums line items', () => {
    expect(cart.subtotal()).toBe(50);
    expect(cart.items).toHaveLength(2);
  });

  it('applies a percentage coupon', () => {
    cart.applyCoupon({ code: 'SPRING10', percent: 10, expiresAt: '2999-01-01' });
    expect(cart.total()).toBe(45);
    expect(cart.discount).toBe(5);
  });

  it('rejects an expired coupon', () => {
    const coupon = { code: 'OLD', percent: 50, expiresAt: '2000-01-01' };
    expect(() => cart.applyCoupon(coupon)).toThrow(CouponExpiredError);
    expect(cart.discount).toBe(0);
  });

  it('removes an item', () => {
    cart.remove('MUG');
    expect(cart.subtotal()).toBe(40);
  });
});
