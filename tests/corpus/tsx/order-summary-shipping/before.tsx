import { useMemo } from 'react';
import { formatMoney } from '../lib/money';
import type { Order } from '../types';

const FREE_SHIPPING_MIN = 50;

interface OrderSummaryProps {
  order: Order;
  currency: string;
}

export function OrderSummary({ order, currency }: OrderSummaryProps) {
  let subtotal = 0;
  for (const line of order.lines) {
    subtotal += line.unitPrice * line.quantity;
  }

  let shippingLabel: string;
  if (subtotal >= FREE_SHIPPING_MIN) {
    shippingLabel = 'Free shipping';
  } else if (order.express) {
    shippingLabel = 'Express delivery';
  } else {
    shippingLabel = 'Standard delivery';
  }

  const badge = subtotal > 200 ? 'Big spender' : null;
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
