"""Token-bucket rate limiting for API keys."""

import threading
import time
from dataclasses import dataclass


@dataclass
class Decision:
    allowed: bool
    remaining: int
    retry_after: float


class TokenBucket:
    """Refills `rate` tokens per second up to `capacity`."""

    def __init__(self, rate: float, capacity: int, clock=time.monotonic) -> None:
        self.rate = rate
        self.capacity = capacity
        self.clock = clock
        self.tokens = float(capacity)
        self.updated = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def take(self, cost: int = 1) -> Decision:
        with self._lock:
            self._refill()
            if self.tokens >= cost:
                self.tokens -= cost
                return Decision(True, int(self.tokens), 0.0)
            missing = cost - self.tokens
            return Decision(False, 0, missing / self.rate)


class RateLimiter:
    """One token bucket per API key."""

    def __init__(self, rate: float, capacity: int) -> None:
        self.rate = rate
        self.capacity = capacity
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket_for(self, key: str) -> TokenBucket:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = TokenBucket(self.rate, self.capacity)
                self._buckets[key] = bucket
            return bucket

    def check(self, key: str, cost: int = 1) -> Decision:
        return self.bucket_for(key).take(cost)


def rate_limit_headers(decision: Decision) -> dict[str, str]:
    headers = {"X-RateLimit-Remaining": str(decision.remaining)}
    if not decision.allowed:
        headers["Retry-After"] = str(max(1, round(decision.retry_after)))
    return headers
