import { useMemo } from 'react';
import { formatMoney } from '../lib/money';
import type { Order } from '../types';

const FREE_SHIPPING_MIN = 75;

interface OrderSummaryProps {
  order: Order;
  currency: string;
}

export function OrderSummary({ order, currency }: OrderSummaryProps) {
  const subtotal = order.lines.reduce((sum, line) => sum + line.unitPrice * line.quantity, 0);

  let shippingLabel: string;
  if (subtotal >= FREE_SHIPPING_MIN) {
    shippingLabel = 'Free shipping';
  } else {
    shippingLabel = 'Standard delivery';
  }

  const badge = subtotal >= 250 ? 'Big spender' : null;
  const total = useMemo(() => subtotal - order.discount, [subtotal, order.discount]);

  return (
    <section className="order-summary">
      <dl>
        <dt>Subtotal</dt>
        <dd>{formatMoney(subtotal, currency)}</dd>
        <dt>Shipping</dt>
        <dd>{shippingLabel}</dd>
        <dt>Total</dt>
        <dd>{formatMoney(total, currency)}</dd>
      </dl>
      {badge ? <span className="badge">{badge}</span> : null}
    </section>
  );
}
