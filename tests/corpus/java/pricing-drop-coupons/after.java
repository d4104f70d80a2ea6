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
     * Prices a cart: the subtotal with the VIP discount, never below zero.
     * Coupons are now applied by the promotions service.
     */
    public BigDecimal price(Cart cart) {
        BigDecimal total = cart.subtotal();
        if (cart.customer().isVip()) {
            total = total.multiply(VIP_FACTOR);
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
