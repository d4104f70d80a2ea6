export type CurrencyCode = 'EUR' | 'USD' | 'GBP' | 'JPY';

const ZERO_DECIMAL: ReadonlySet<CurrencyCode> = new Set<CurrencyCode>(['JPY']);

export function minorUnitFactor(currency: CurrencyCode): number {
  return ZERO_DECIMAL.has(currency) ? 1 : 100;
}

export function toCents(amount: number, currency: CurrencyCode): number {
  const factor = minorUnitFactor(currency);
  return Math.round(amount * factor);
}

export function fromCents(cents: number, currency: CurrencyCode): number {
  return cents / minorUnitFactor(currency);
}

export function formatAmount(cents: number, currency: CurrencyCode, locale = 'en-GB'): string {
  const formatter = new Intl.NumberFormat(locale, { style: 'currency', currency });
  return formatter.format(fromCents(cents, currency));
}

export function sumAmounts(values: readonly number[]): number {
  let total = 0;
  for (const value of values) {
    total += value;
  }
  return total;
}
