"""Customer notifications for order events."""

import logging

from shop.mail import Mailer
from shop.models import Order
from shop.templates import render

log = logging.getLogger(__name__)


class OrderNotifier:
    def __init__(self, mailer: Mailer, sender: str = "orders@example.com") -> None:
        self.mailer = mailer
        self.sender = sender

    def _message(self, template: str, order: Order) -> dict[str, str]:
        subject, body = render(template, {"order": order})
        return {"from": self.sender, "subject": subject, "body": body}

    def order_confirmed(self, order: Order) -> None:
        message = self._message("order_confirmed", order)
        self.mailer.send(order.customer_email, message)
        log.info("confirmation sent for order %s", order.number)

    def order_shipped(self, order: Order, tracking_url: str) -> None:
        message = self._message("order_shipped", order)
        message["body"] += f"\n\nTrack your parcel: {tracking_url}"
        self.mailer.send(order.customer_email, message)
        log.info("shipping notice sent for order %s", order.number)

    def order_cancelled(self, order: Order, reason: str) -> None:
        message = self._message("order_cancelled", order)
        message["body"] += f"\n\nReason: {reason}"
        self.mailer.send(order.customer_email, message)
