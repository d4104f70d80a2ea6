import { memo } from 'react';
import type { Invoice } from './types';

interface InvoiceRowProps {
  invoice: Invoice;
  locale: string;
  onOpen: (id: string) => void;
}

function formatPrice(amountCents: number, currency: string, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amountCents / 100);
}

function computeTax(amountCents: number, ratePercent: number): number {
  return Math.round((amountCents * ratePercent) / 100);
}

function daysOverdue(dueDate: string, now: Date): number {
  const diff = now.getTime() - new Date(dueDate).getTime();
  return Math.max(0, Math.floor(diff / 86_400_000));
}

function InvoiceRowComponent({ invoice, locale, onOpen }: InvoiceRowProps) {
  const tax = computeTax(invoice.amountCents, invoice.taxRate);
  const net = formatPrice(invoice.amountCents, invoice.currency, locale);
  const gross = formatPrice(invoice.amountCents + tax, invoice.currency, locale);
  const overdue = invoice.status === 'open' ? daysOverdue(invoice.dueDate, new Date()) : 0;

  return (
    <tr className={overdue > 0 ? 'invoice-row overdue' : 'invoice-row'} onClick={() => onOpen(invoice.id)}>
      <td>{invoice.number}</td>
      <td>{invoice.customerName}</td>
      <td className="num">{net}</td>
      <td className="num">{gross}</td>
      <td>{overdue > 0 ? `${overdue} days overdue` : invoice.status}</td>
    </tr>
  );
}

export const InvoiceRow = memo(InvoiceRowComponent);
