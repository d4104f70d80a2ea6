import logging
import random
import time
from typing import Callable, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BASE_DELAY = 0.5


def backoff_delay(attempt: int) -> float:
    return BASE_DELAY * (2 ** attempt) + random.uniform(0, BASE_DELAY)


def retry(func: Callable[[], T], retry_on: tuple[type[Exception], ...] = (ConnectionError,)) -> T:
    for attempt in range(MAX_ATTEMPTS):
        try:
            return func()
        except retry_on as exc:
            if attempt == MAX_ATTEMPTS - 1:
                raise
            delay = backoff_delay(attempt)
            log.warning("attempt %d failed (%s), retrying in %.1fs", attempt + 1, exc, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")
