package com.acme.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

class OrderServiceTest {

    private final InMemoryOrderRepository repository = new InMemoryOrderRepository();
    private final FakePayments payments = new FakePayments();
    private final OrderService service =
            new OrderService(repository, payments, new FixedClock(Instant.parse("2024-03-01T10:00:00Z")));

    @Test
    void placeOrderComputesTotal() {
        Order order = service.place("c-1", List.of(new Line("sku-1", 2, new BigDecimal("9.99"))));

        BigDecimal total = order.total();
        assertEquals(new BigDecimal("19.98"), total);
    }

    @Test
    void placeOrderRejectsEmptyCart() {
        List<Line> empty = List.of();

        assertThrows(EmptyCartException.class, () -> service.place("c-1", empty));
    }

    @Test
    void cancelRefundsCapturedPayment() {
        Order order = service.place("c-2", List.of(new Line("sku-2", 1, new BigDecimal("5.00"))));
        service.cancel(order.id());

        int refunds = payments.refundCount();
        assertEquals(1, refunds);
    }

    @Test
    void ordersExpireAfterThirtyMinutes() {
        Order order = service.place("c-3", List.of(new Line("sku-3", 1, new BigDecimal("1.00"))));
        service.expireStale(Instant.parse("2024-03-01T10:31:00Z"));

        OrderStatus status = repository.statusOf(order.id());
        assertEquals(OrderStatus.EXPIRED, status);
    }
}
