"""Reads event files dropped by the collectors and loads them into the warehouse."""

import json
import logging
from pathlib import Path

from pipeline.warehouse import Warehouse

logger = logging.getLogger(__name__)


class EventIngestor:
    """Loads newline-delimited JSON event files from an inbox directory."""

    def __init__(self, warehouse: Warehouse, inbox: Path) -> None:
        self.warehouse = warehouse
        self.inbox = inbox
        self.skipped = 0

    def parse_line(self, line: str) -> dict:
        try:
            event = json.loads(line)
        except ValueError:
            logger.warning("skipping malformed event: %r", line[:80])
            self.skipped += 1
            return {}
        return event

    def load_file(self, path: Path) -> int:
        loaded = 0
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                event = self.parse_line(line)
                if not event:
                    continue
                try:
                    self.warehouse.insert("events", event)
                except KeyError:
                    continue
                loaded += 1
        return loaded

    def run(self) -> int:
        total = 0
        for path in sorted(self.inbox.glob("*.jsonl")):
            total += self.load_file(path)
            path.rename(path.with_suffix(".done"))
        logger.info("ingested %d events, skipped %d", total, self.skipped)
        return total
