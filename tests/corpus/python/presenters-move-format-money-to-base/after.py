"""Presentation helpers for order pages and e-mails."""

from decimal import ROUND_HALF_UP, Decimal

from shop.models import Order


class MoneyFormatter:
    symbols = {"EUR": "\u20ac", "USD": "$", "GBP": "\u00a3"}

    def __init__(self, currency: str, locale: str = "en") -> None:
        self.currency = currency
        self.locale = locale

    def currency_symbol(self) -> str:
        return self.symbols.get(self.currency, self.currency + " ")

    def format_money(self, cents: int) -> str:
        amount = (Decimal(cents) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        text = f"{amount:,.2f}"
        if self.locale == "fr":
            text = text.replace(",", " ").replace(".", ",")
        return f"{self.currency_symbol()}{text}"


class OrderPresenter(MoneyFormatter):
    def __init__(self, order: Order, locale: str = "en") -> None:
        super().__init__(order.currency, locale)
        self.order = order

    def lines(self) -> list[dict[str, str]]:
        rows = []
        for line in self.order.lines:
            rows.append({
                "name": line.product_name,
                "quantity": str(line.quantity),
                "total": self.format_money(line.total_cents),
            })
        return rows

    def summary(self) -> dict[str, str]:
        return {
            "subtotal": self.format_money(self.order.subtotal_cents),
            "shipping": self.format_money(self.order.shipping_cents),
            "total": self.format_money(self.order.total_cents),
        }
