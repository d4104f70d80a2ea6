package com.acme.checkout.pricing;

import java.math.BigDecimal;
import java.util.List;

import org.springframework.stereotype.Service;

@Service
public class PricingService {

    private static final BigDecimal VIP_FACTOR = new BigDecimal("0.95");

    private final TaxTable taxes;

    public PricingService(TaxTable taxes) {
        this.taxes = taxes;
    }

    /**
     * Prices a cart: VIP discount first, then the coupons, never below zero.
     */
    public BigDecimal price(Cart cart, List<Coupon> coupons) {
        BigDecimal total = cart.subtotal();
        if (cart.customer().isVip()) {
            total = total.multiply(VIP_FACTOR);
        }
        for (Coupon coupon : coupons) {
            if (coupon.isExpired()) {
                throw new ExpiredCouponException(coupon.code());
            }
            total = total.subtract(coupon.amount());
        }
        return total.max(BigDecimal.ZERO);
    }

    /**
     * Adds the tax of the cart's destination country to a net price.
     */
    public BigDecimal withTax(Cart cart, BigDecimal net) {
        BigDecimal rate = taxes.rateFor(cart.country());
        return net.add(net.multiply(rate));
    }

    /**
     * Line totals of the cart, in cart order.
     */
    public List<BigDecimal> lineTotals(Cart cart) {
        return cart.lines().stream()
                .map(line -> line.unitPrice().multiply(BigDecimal.valueOf(line.quantity())))
                .toList();
    }
}
