import { Cart, PricingContext, Tier } from './pricing.types';

const TIERS: Tier[] = [
  { name: 'bronze', minSubtotal: 0, percent: 0 },
  { name: 'silver', minSubtotal: 100, percent: 5 },
  { name: 'gold', minSubtotal: 500, percent: 10 },
];

export class PricingService {
  quote(cart: Cart, _context: PricingContext): number {
    const subtotal = this.subtotal(cart);
    const discount = this.computeDiscount(subtotal, this.tierFor(subtotal));
    return Math.max(0, subtotal - discount);
  }

  subtotal(cart: Cart): number {
    let sum = 0;
    for (const line of cart.lines) {
      sum += line.unitPrice * line.quantity;
    }
    return sum;
  }

  private tierFor(subtotal: number): Tier {
    let tier = TIERS[0];
    for (let i = 1; i < TIERS.length; i++) {
      if (subtotal >= TIERS[i].minSubtotal) {
        tier = TIERS[i];
      }
    }
    return tier;
  }

  public computeDiscount(subtotal: number, tier: Pick<Tier, 'percent'>): number {
    return Math.round((subtotal * tier.percent) / 100);
  }
}
