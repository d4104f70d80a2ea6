const currencyFormatters = new Map<string, Intl.NumberFormat>();

export function formatPrice(cents: number, currency = "EUR", locale = "de-DE"): string {
  const key = `${locale}:${currency}`;
  let formatter = currencyFormatters.get(key);
  if (!formatter) {
    formatter = new Intl.NumberFormat(locale, { style: "currency", currency });
    currencyFormatters.set(key, formatter);
  }
  return formatter.format(cents / 100);
}

export function formatQuantity(quantity: number, unit: string): string {
  return quantity === 1 ? `1 ${unit}` : `${quantity} ${unit}s`;
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) {
    return text;
  }
  return text.slice(0, Math.max(0, max - 1)) + "\u2026";
}
