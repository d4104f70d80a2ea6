"""Stock reservation service for the warehouse."""

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

LOW_STOCK_THRESHOLD = 10


class InventoryError(Exception):
    pass


@dataclass
class StockItem:
    sku: str
    on_hand: int
    reserved: int = 0
    damaged: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved - self.damaged


class InventoryService:
    def __init__(self, items: dict[str, StockItem]) -> None:
        self.items = items

    def item(self, sku: str) -> StockItem:
        try:
            return self.items[sku]
        except KeyError:
            raise InventoryError(f"unknown sku {sku}") from None

    def reserve(self, order_id: str, sku: str, quantity: int) -> None:
        item = self.item(sku)
        if quantity <= 0 or item.available < quantity:
            raise InventoryError(f"only {item.available} of {sku} available")
        item.reserved += quantity
        log.info("reserved %d x %s for order %s", quantity, sku, order_id)

    def release(self, sku: str, quantity: int) -> None:
        item = self.item(sku)
        if quantity > item.reserved:
            quantity = item.reserved
        item.reserved -= quantity

    def receive(self, sku: str, quantity: int) -> None:
        item = self.item(sku)
        item.on_hand += quantity - item.damaged
        item.damaged = 0

    def low_stock(self) -> list[str]:
        result = []
        for sku, item in self.items.items():
            if item.available <= LOW_STOCK_THRESHOLD:
                result.append(sku)
        return result
