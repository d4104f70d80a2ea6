from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class LineItem:
    description: str
    quantity: int
    unit_price: Decimal


def render_invoice(number: str, items: list[LineItem]) -> str:
    lines = [f"Invoice {number}", ""]
    grand_total = Decimal("0")
    for item in items:
        amount = item.unit_price * item.quantity
        grand_total += amount
        lines.append(f"{item.description:<30} {item.quantity:>4} x {item.unit_price:>8} = {amount:>10}")
    lines.append("")
    lines.append(f"{'Total':<30} {grand_total:>27}")
    return "\n".join(lines)
