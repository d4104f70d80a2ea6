"""Small HTTP client used by the catalogue sync jobs."""

from __future__ import annotations

import logging
import time
from typing import Any

import requests

logger = logging.getLogger(__name__)

RETRY_STATUSES = (502, 503, 504)


class HttpClient:
    """Thin wrapper around a requests session with retries on gateway errors."""

    def __init__(self, base_url: str, max_retries: int = 3, backoff: float = 0.5) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.backoff = backoff
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "shopkit-sync/1.4"

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def fetch(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        timeout: float | None = 30,
    ) -> requests.Response:
        url = self._url(path)
        attempt = 0
        while True:
            response = self.session.get(url, params=params, timeout=timeout)
            if response.status_code not in RETRY_STATUSES or attempt >= self.max_retries:
                return response
            attempt += 1
            delay = self.backoff * (2 ** (attempt - 1))
            logger.warning("GET %s returned %s, retrying in %.1fs", url, response.status_code, delay)
            time.sleep(delay)

    def fetch_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = self.fetch(path, params=params)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
