"""Money arithmetic in integer minor units."""

from __future__ import annotations

from dataclasses import dataclass

ROUNDING_UNIT = 5


@dataclass(frozen=True)
class Money:
    cents: int
    currency: str

    def __add__(self, other: Money) -> Money:
        self._check_currency(other)
        return Money(self.cents + other.cents, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check_currency(other)
        return Money(self.cents - other.cents, self.currency)

    def _check_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def rounded(self) -> Money:
        remainder = self.cents % ROUNDING_UNIT
        if remainder * 2 >= ROUNDING_UNIT:
            return Money(self.cents - remainder + ROUNDING_UNIT, self.currency)
        return Money(self.cents - remainder, self.currency)

    def __str__(self) -> str:
        return f"{self.cents / 100:.2f} {self.currency}"

    @staticmethod
    def split_evenly(total_cents: int, parts: int) -> list[int]:
        if parts <= 0:
            raise ValueError("parts must be positive")
        base, remainder = divmod(total_cents, parts)
        shares = []
        for index in range(parts):
            shares.append(base + 1 if index < remainder else base)
        return shares
