"""Thread-safe in-memory TTL cache."""

import threading
import time
from typing import Any, Hashable

DEFAULT_TTL = 300


class TTLCache:
    def __init__(self, ttl: float = DEFAULT_TTL, maxsize: int = 1024) -> None:
        self.ttl = ttl
        self.maxsize = maxsize
        self._data: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.RLock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return default
            expires_at, value = entry
            if expires_at < time.monotonic():
                self._data.pop(key, None)
                return default
            return value

    def set(self, key: Hashable, value: Any, ttl: float | None = None) -> None:
        with self._lock:
            if len(self._data) >= self.maxsize:
                self._evict()
            self._data[key] = (time.monotonic() + (ttl or self.ttl), value)

    def _evict(self) -> None:
        now = time.monotonic()
        for key, (expires_at, _) in list(self._data.items()):
            if expires_at < now:
                del self._data[key]
        if len(self._data) >= self.maxsize:
            oldest = min(self._data, key=lambda k: self._data[k][0])
            del self._data[oldest]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)
