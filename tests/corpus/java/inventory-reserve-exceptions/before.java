package com.acme.inventory;

import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

@Service
public class InventoryService {

    private static final Logger log = LoggerFactory.getLogger(InventoryService.class);

    private final StockRepository stockRepository;
    private final EventPublisher events;

    public InventoryService(StockRepository stockRepository, EventPublisher events) {
        this.stockRepository = stockRepository;
        this.events = events;
    }

    public int available(String sku) {
        return stockRepository.quantityOf(sku);
    }

    public boolean reserve(String sku, int quantity) {
        if (quantity <= 0) {
            throw new IllegalArgumentException("quantity must be positive: " + quantity);
        }
        boolean reserved;
        try {
            stockRepository.decrement(sku, quantity);
            reserved = true;
        } catch (IllegalStateException e) {
            reserved = false;
        } catch (UnsupportedOperationException e) {
            reserved = false;
        }
        events.publish(new StockReservationAttempted(sku, quantity, reserved));
        return reserved;
    }

    public void release(String sku, int quantity) {
        stockRepository.increment(sku, quantity);
        log.debug("released {} x {}", quantity, sku);
    }

    public Map<String, Integer> snapshot() {
        return stockRepository.all();
    }
}
