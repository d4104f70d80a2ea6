"""Consumes job messages from the broker and dispatches them to handlers."""

import json
import logging
from typing import Any, Callable

from jobs.broker import Channel

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]


class UnknownJobType(Exception):
    pass


class JobConsumer:
    def __init__(self, channel: Channel, queue: str) -> None:
        self.channel = channel
        self.queue = queue
        self.handlers: dict[str, Handler] = {}

    def register(self, job_type: str, handler: Handler) -> None:
        self.handlers[job_type] = handler

    def dispatch(self, message: dict[str, Any]) -> None:
        handler = self.handlers.get(message["type"])
        if handler is None:
            raise UnknownJobType(message["type"])
        handler(message)

    def on_message(self, delivery_tag: int, body: bytes) -> None:
        message = json.loads(body)
        log.debug("received job %s of type %s", message["id"], message["type"])
        try:
            self.dispatch(message)
        except UnknownJobType:
            log.error("dropping job %s: unknown type", message["id"])
            self.channel.reject(delivery_tag, requeue=False)
            return
        self.channel.ack(delivery_tag)

    def start(self) -> None:
        self.channel.basic_qos(prefetch_count=10)
        self.channel.consume(self.queue, self.on_message)
        log.info("consuming from %s", self.queue)
