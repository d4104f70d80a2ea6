"""Enumerations shared by the billing models and API."""

from enum import Enum


class Currency(str, Enum):
    EUR = "eur"
    USD = "usd"
    GBP = "gbp"

    @property
    def minor_units(self) -> int:
        return 2


class Status(str, Enum):
    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


class PaymentMethod(str, Enum):
    CARD = "card"
    SEPA_DEBIT = "sepa_debit"
    BANK_TRANSFER = "bank_transfer"

    def is_instant(self) -> bool:
        return self is PaymentMethod.CARD


def parse_currency(value: str) -> Currency:
    try:
        return Currency(value.lower())
    except ValueError:
        raise ValueError(f"unsupported currency {value!r}") from None
