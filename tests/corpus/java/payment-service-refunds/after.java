package com.acme.billing.payment;

import java.math.BigDecimal;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class PaymentService extends AbstractPaymentService implements PaymentOperations, RefundOperations {

    private static final Logger log = LoggerFactory.getLogger(PaymentService.class);
    private static final BigDecimal MAX_CAPTURE_AMOUNT = new BigDecimal("25000.00");

    private final PaymentGateway gateway;
    private final PaymentRepository payments;

    public PaymentService(PaymentGateway gateway, PaymentRepository payments) {
        this.gateway = gateway;
        this.payments = payments;
    }

    @Override
    public Payment authorize(String orderId, BigDecimal amount) {
        Objects.requireNonNull(orderId, "orderId");
        Payment payment = gateway.authorize(orderId, amount);
        payments.save(payment);
        log.info("authorized {} for order {}", amount, orderId);
        return payment;
    }

    @Override
    @Transactional
    public Payment capture(String paymentId, BigDecimal amount) {
        if (amount.compareTo(MAX_CAPTURE_AMOUNT) > 0) {
            throw new CaptureLimitExceededException(paymentId, amount);
        }
        Payment payment = payments.get(paymentId);
        payment.markCaptured(gateway.capture(payment.reference(), amount));
        return payments.save(payment);
    }

    /**
     * Refunds a captured payment in full. Part of {@link RefundOperations}.
     */
    @Override
    public Payment refund(String paymentId) {
        Payment payment = payments.get(paymentId);
        payment.markRefunded(gateway.refund(payment.reference()));
        return payments.save(payment);
    }
}
