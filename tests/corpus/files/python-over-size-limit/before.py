import csv
import io
from datetime import date

from app.db import session
from app.models import Order


def monthly_report(year: int, month: int) -> str:
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    orders = (
        session.query(Order)
        .filter(Order.created_at >= start, Order.created_at < end)
        .order_by(Order.created_at)
        .all()
    )
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["id", "customer", "total", "status"])
    for order in orders:
        if order.status == "cancelled":
            continue
        writer.writerow([order.id, order.customer_email, f"{order.total:.2f}", order.status])
    return buf.getvalue()
