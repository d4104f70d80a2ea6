"""Refund handling for the billing service."""

from dataclasses import dataclass
from decimal import Decimal

from billing.gateway import PaymentGateway
from billing.models import Charge


class RefundError(Exception):
    """Raised when a refund cannot be issued."""


class RefundWindowExpired(RefundError):
    """The charge is older than the refund window."""


@dataclass
class RefundResult:
    refund_id: str
    amount: Decimal
    partial: bool


class RefundService:
    def __init__(self, gateway: PaymentGateway, window_days: int = 30) -> None:
        self.gateway = gateway
        self.window_days = window_days

    def remaining(self, charge: Charge) -> Decimal:
        return charge.amount - charge.refunded

    def refund(self, charge: Charge, amount: Decimal | None = None) -> RefundResult:
        if charge.age_days > self.window_days:
            raise ValueError(f"charge {charge.id} is older than {self.window_days} days")
        if amount is None:
            amount = charge.amount - charge.refunded
        if amount > charge.amount - charge.refunded:
            raise RefundError(f"cannot refund {amount} of charge {charge.id}")
        refund_id = self.gateway.refund(charge.id, amount)
        charge.refunded += amount
        return RefundResult(refund_id=refund_id, amount=amount, partial=amount < charge.amount)

    def refund_all(self, charges: list[Charge]) -> list[RefundResult]:
        results = []
        for charge in charges:
            if charge.refunded < charge.amount:
                results.append(self.refund(charge))
        return results
