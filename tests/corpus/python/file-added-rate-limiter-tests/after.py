"""Tests for the token-bucket rate limiter."""

import pytest

from api.ratelimit import Decision, RateLimiter, TokenBucket, rate_limit_headers


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


def test_bucket_allows_up_to_capacity(clock):
    bucket = TokenBucket(rate=1.0, capacity=3, clock=clock)
    decisions = [bucket.take() for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]


def test_bucket_refills_over_time(clock):
    bucket = TokenBucket(rate=2.0, capacity=2, clock=clock)
    bucket.take(2)
    assert not bucket.take().allowed
    clock.advance(0.5)
    assert bucket.take().allowed


def test_retry_after_reflects_missing_tokens(clock):
    bucket = TokenBucket(rate=0.5, capacity=1, clock=clock)
    bucket.take()
    decision = bucket.take()
    assert decision.retry_after == pytest.approx(2.0)


def test_limiter_keeps_one_bucket_per_key():
    limiter = RateLimiter(rate=1.0, capacity=1)
    assert limiter.bucket_for("a") is limiter.bucket_for("a")
    assert limiter.bucket_for("a") is not limiter.bucket_for("b")


@pytest.mark.parametrize(("decision", "retry_after"), [
    (Decision(True, 4, 0.0), None),
    (Decision(False, 0, 1.6), "2"),
])
def test_rate_limit_headers(decision, retry_after):
    headers = rate_limit_headers(decision)
    assert headers["X-RateLimit-Remaining"] == str(decision.remaining)
    assert headers.get("Retry-After") == retry_after
