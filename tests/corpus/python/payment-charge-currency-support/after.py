"""Payment service: charges customers through the configured gateway."""

import logging
import uuid

from payments.gateway import GatewayClient, GatewayError
from payments.models import Payment, PaymentStatus
from payments.repository import PaymentRepository

logger = logging.getLogger(__name__)

MIN_CHARGE_CENTS = 50
SUPPORTED_CURRENCIES = ("usd", "eur", "gbp")


class PaymentError(Exception):
    """Base class for payment failures."""


class ChargeDeclined(PaymentError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"charge declined: {reason}")
        self.reason = reason


class UnsupportedCurrency(PaymentError):
    """The gateway account cannot settle this currency."""


class PaymentService:
    def __init__(self, gateway: GatewayClient, repository: PaymentRepository) -> None:
        self.gateway = gateway
        self.repository = repository

    def charge(
        self,
        customer_id: str,
        amount_cents: int,
        description: str = "",
        currency: str = "usd",
    ) -> Payment:
        if amount_cents < MIN_CHARGE_CENTS:
            raise PaymentError(f"amount below minimum: {amount_cents}")
        if currency not in SUPPORTED_CURRENCIES:
            raise UnsupportedCurrency(currency)
        idempotency_key = uuid.uuid4().hex
        try:
            result = self.gateway.create_charge(
                customer=customer_id,
                amount=amount_cents,
                currency=currency,
                description=description,
                idempotency_key=idempotency_key,
            )
        except GatewayError as exc:
            logger.warning("gateway error for %s: %s", customer_id, exc)
            raise ChargeDeclined(exc.message) from exc
        payment = Payment(
            id=result["id"],
            customer_id=customer_id,
            amount_cents=amount_cents,
            status=PaymentStatus.SUCCEEDED,
        )
        self.repository.add(payment)
        return payment

    def refund(self, payment: Payment) -> None:
        self.gateway.refund(payment.id)
        payment.status = PaymentStatus.REFUNDED
        self.repository.update(payment)
