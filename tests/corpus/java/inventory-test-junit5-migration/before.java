package com.acme.inventory;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class InventoryServiceTest {

    private final InMemoryStockRepository stock = new InMemoryStockRepository();
    private final InventoryService service = new InventoryService(stock, new RecordingEventPublisher());

    @Test
    public void reserveDecrementsStock() {
        stock.put("sku-1", 10);

        boolean reserved = service.reserve("sku-1", 3);

        int remaining = stock.quantityOf("sku-1");
        assertTrue(reserved);
        assertEquals(7, remaining);
    }

    @Test
    public void reserveFailsWhenStockIsShort() {
        stock.put("sku-2", 1);

        boolean reserved = service.reserve("sku-2", 5);

        int remaining = stock.quantityOf("sku-2");
        assertFalse(reserved);
        assertEquals(1, remaining);
    }

    @Test
    public void releaseRestoresStock() {
        stock.put("sku-3", 4);
        service.reserve("sku-3", 4);

        service.release("sku-3", 3);

        int remaining = stock.quantityOf("sku-3");
        assertEquals(4, remaining);
    }
}
