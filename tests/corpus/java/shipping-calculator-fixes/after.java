package com.acme.shipping;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

import org.springframework.stereotype.Service;

@Service
public class ShippingCalculator {

    private static final BigDecimal BASE_FEE = new BigDecimal("4.90");
    private static final BigDecimal RATE_PER_KG = new BigDecimal("1.15");
    private static final BigDecimal HEAVY_THRESHOLD_KG = new BigDecimal("20");
    private static final BigDecimal HEAVY_SURCHARGE = new BigDecimal("12.00");

    private final ZoneTable zones;

    public ShippingCalculator(ZoneTable zones) {
        this.zones = zones;
    }

    /**
     * Quotes the shipping cost of a shipment: a base fee plus a per-kilogram
     * rate for every parcel, with a surcharge for heavy parcels.
     */
    public BigDecimal quote(Shipment shipment) {
        List<Parcel> parcels = shipment.parcels();
        BigDecimal total = BASE_FEE;
        for (int i = 0; i < parcels.size(); i++) {
            Parcel parcel = parcels.get(i);
            BigDecimal fee = RATE_PER_KG.multiply(parcel.weightKg());
            if (parcel.weightKg().compareTo(HEAVY_THRESHOLD_KG) >= 0) {
                fee = fee.add(HEAVY_SURCHARGE);
            }
            total = total.add(fee);
        }
        return total.setScale(2, RoundingMode.HALF_UP);
    }

    /**
     * Converts a quote into the destination zone's currency.
     */
    public BigDecimal quoteInZoneCurrency(Shipment shipment) {
        BigDecimal rate = zones.exchangeRate(shipment.destinationZone());
        return quote(shipment).multiply(rate).setScale(2, RoundingMode.HALF_EVEN);
    }
}
