"""Shared fixtures: fresh ledgers on real SQLite and on the real PostgreSQL of the test setup."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ["RUST_BACKTRACE"] = "0"

from tidegate._time import utc_now
from tidegate.ledger.keys import SigningKey, generate_key
from tidegate.ledger.log import Ledger
from tidegate.ledger.store import LedgerStore, sqlite_url
from tidegate.ledger.trust import TrustedKey, TrustPolicy

PG_URL_ENV = "TIDEGATE_TEST_PG_URL"
REQUIRE_PG_ENV = "TIDEGATE_REQUIRE_PG"


def postgres_server_url() -> str | None:
    """Return the URL of the test PostgreSQL server, or skip (fail when it is required)."""
    url = os.environ.get(PG_URL_ENV)
    if url:
        return url
    if os.environ.get(REQUIRE_PG_ENV):
        pytest.fail(
            f"{REQUIRE_PG_ENV} is set but {PG_URL_ENV} is not: the PostgreSQL server did not start"
        )
    pytest.skip(
        f"no PostgreSQL server: run through scripts/test.sh, which starts one and sets {PG_URL_ENV}"
    )
    return None


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """Create a fresh database on the test server; yield its SQLAlchemy URL; drop it after."""
    import psycopg

    server = postgres_server_url()
    assert server is not None
    name = f"t_{secrets.token_hex(6)}"
    admin = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgres"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database on each real backend."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "ledger.db")
    return str(request.getfixturevalue("postgres_database"))


@dataclass
class LedgerFixture:
    """A fresh ledger with its signing key and trust policy."""

    url: str
    key: SigningKey
    trust: TrustPolicy
    ledger: Ledger

    @property
    def store(self) -> LedgerStore:
        """The ledger's store."""
        return self.ledger.store


def create_ledger(
    url: str, key: SigningKey | None = None, origin: str = "test.example/log"
) -> LedgerFixture:
    """Create a ledger at ``url`` signed by ``key`` (a new one by default)."""
    key = key or generate_key()
    now = utc_now()
    store = LedgerStore(url)
    store.create(origin, now)
    trust = TrustPolicy(origin, (TrustedKey(key.public_key, "2000-01-01T00:00:00.000Z"),))
    return LedgerFixture(url, key, trust, Ledger(store, origin=origin, signer=key, actor="tester"))


@pytest.fixture
def fresh_ledger(ledger_url: str) -> Iterator[LedgerFixture]:
    """A new, empty ledger on each backend."""
    fixture = create_ledger(ledger_url)
    yield fixture
    fixture.store.close()
