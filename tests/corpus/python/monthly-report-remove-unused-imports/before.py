"""Monthly revenue report."""

import csv
import io
import os
import sys
from collections import defaultdict
from datetime import date
from typing import Dict, Iterable, List

from reports.models import Invoice


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def revenue_by_month(invoices: Iterable[Invoice]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for invoice in invoices:
        if invoice.status != "paid":
            continue
        totals[month_key(invoice.paid_on)] += invoice.amount_cents
    return dict(sorted(totals.items()))


def render_csv(totals: dict[str, int]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["month", "revenue"])
    for month, cents in totals.items():
        writer.writerow([month, f"{cents / 100:.2f}"])
    return buffer.getvalue()


def top_months(totals: dict[str, int], n: int = 3) -> list[tuple[str, int]]:
    return sorted(totals.items(), key=lambda item: item[1], reverse=True)[:n]
