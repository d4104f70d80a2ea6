"""Order model of the shop app."""

from decimal import Decimal

from django.db import models
from django.utils import timezone


class Order(models.Model):
    STATUS_CHOICES = [
        ("draft", "Draft"),
        ("placed", "Placed"),
        ("paid", "Paid"),
        ("shipped", "Shipped"),
        ("cancelled", "Cancelled"),
    ]

    number = models.CharField(max_length=20, unique=True)
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=20, choices=STATUS_CHOICES, default="draft")
    shipping_name = models.CharField(max_length=200, blank=True)
    shipping_street = models.CharField(max_length=200, blank=True)
    shipping_city = models.CharField(max_length=100, blank=True)
    shipping_country = models.CharField(max_length=2, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Order {self.number} ({self.status})"

    @property
    def total(self) -> Decimal:
        total = Decimal("0")
        for line in self.lines.all():
            total += line.subtotal
        return total

    @property
    def can_cancel(self) -> bool:
        return self.status in ("draft", "placed")

    def shipping_address(self) -> dict:
        return {
            "name": self.shipping_name,
            "street": self.shipping_street,
            "city": self.shipping_city,
            "country": self.shipping_country,
        }

    def mark_paid(self) -> None:
        self.status = "paid"
        self.paid_at = timezone.now()
        self.save(update_fields=["status", "paid_at"])
