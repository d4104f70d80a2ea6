"""Asyncio job worker pulling tasks from a Redis list."""

import asyncio
import json
import logging
import time

from jobs.queue import RedisQueue

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.5
ERROR_BACKOFF = 5.0


class Worker:
    def __init__(self, queue: RedisQueue, handlers: dict, concurrency: int = 4) -> None:
        self.queue = queue
        self.handlers = handlers
        self.concurrency = concurrency
        self._stopping = False
        self._started_at = time.monotonic()

    async def poll(self) -> dict | None:
        while not self._stopping:
            raw = await self.queue.pop()
            if raw is not None:
                return json.loads(raw)
            time.sleep(POLL_INTERVAL)
        return None

    async def handle(self, job: dict) -> None:
        handler = self.handlers.get(job["type"])
        if handler is None:
            log.error("no handler for job type %s", job["type"])
            return
        try:
            await handler(job["payload"])
        except Exception:
            log.exception("job %s failed", job["id"])
            time.sleep(ERROR_BACKOFF)
            await self.queue.retry(job)

    async def run_forever(self) -> None:
        log.info("worker started with concurrency=%d", self.concurrency)
        while not self._stopping:
            job = await self.poll()
            if job is None:
                break
            await self.handle(job)
            time.sleep(0)

    def stop(self) -> None:
        self._stopping = True
        log.info("worker stopping after %.0fs", time.monotonic() - self._started_at)


def main(queue_url: str) -> None:
    worker = Worker(RedisQueue(queue_url), handlers={})
    asyncio.run(worker.run_forever())
