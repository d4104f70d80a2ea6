"""Ledger throughput and latency benchmark: appends, verify, proofs, storage.

Prints figures side by side with the issue's targets and writes them as JSON. Nothing here
asserts a time: a missed target is reported, never raised.

    .venv/bin/python bench/ledger_bench.py [--quick] [--out bench/results/ledger.json]
    scripts/with-postgres.sh .venv/bin/python bench/ledger_bench.py   # adds PostgreSQL

See bench/README.md for what each figure measures.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import math
import os
import platform
import random
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tidegate._time import utc_now
from tidegate.ledger.keys import SigningKey, generate_key
from tidegate.ledger.log import AppendRequest, Ledger
from tidegate.ledger.merkle import verify_consistency, verify_inclusion
from tidegate.ledger.store import FORMAT_VERSION, LedgerStore, sqlite_url
from tidegate.ledger.trust import TrustedKey, TrustPolicy
from tidegate.ledger.verify import verify_ledger

PG_URL_ENV = "TIDEGATE_TEST_PG_URL"
ORIGIN = "bench.tidegate.dev/log"
KIND = "note"
BODY_BYTES = 100
REPO = Path(__file__).resolve().parents[1]
LEDGER_TABLES = ("meta", "entry", "tree_node", "blob", "checkpoint")


# --- sizes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """How much work each benchmark does."""

    reps: int
    single_appends: int  # timed appends per repetition
    batch_entries: dict[int, int]  # batch size -> timed entries per repetition
    verify_size: int  # entries in the ledger verify runs on
    proof_sizes: tuple[int, ...]  # ledger sizes for inclusion proofs; the last one also consistency
    proof_samples: int  # timed proofs per ledger size
    pg_bytes_size: int  # entries in the PostgreSQL ledger measured for bytes per entry
    build_batch: int = 1000  # append_batch size used to build the big ledgers
    baseline_commits: int = 1000
    mode: str = "full"


FULL = Plan(
    reps=5,
    single_appends=1000,
    batch_entries={100: 10_000, 1000: 20_000},
    verify_size=100_000,
    proof_sizes=(100_000, 1_000_000),
    proof_samples=2000,
    pg_bytes_size=100_000,
)
QUICK = Plan(
    reps=3,
    single_appends=200,
    batch_entries={100: 2000, 1000: 3000},
    verify_size=10_000,
    proof_sizes=(10_000, 50_000),
    proof_samples=300,
    pg_bytes_size=10_000,
    baseline_commits=200,
    mode="quick",
)


# --- targets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A goal from the issue: ``op`` is '>=' (rates) or '<=' (latencies)."""

    op: str
    value: float
    text: str

    def met(self, measured: float) -> bool:
        return measured >= self.value if self.op == ">=" else measured <= self.value

    def as_json(self) -> dict[str, Any]:
        return {"op": self.op, "value": self.value, "text": self.text}


SINGLE_TARGET = Target(">=", 2000, ">= 2,000/s (SQLite)")
BATCH_TARGET = Target(">=", 10_000, ">= 10,000/s")
VERIFY_TARGET = Target(">=", 15_000, ">= 15,000/s on 2 cores")
INCLUSION_TARGET = Target("<=", 2.0, "<= 2 ms at 10^6")


# --- figures -------------------------------------------------------------------------------


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Figure:
    """One measured figure: samples (one per repetition, or one per call for latencies)."""

    name: str
    label: str
    backend: str
    unit: str
    samples: list[float]
    target: Target | None = None
    params: dict[str, Any] = field(default_factory=dict)
    higher_is_better: bool = True

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def meets_target(self) -> bool | None:
        return None if self.target is None else self.target.met(self.median)

    def as_json(self) -> dict[str, Any]:
        s = self.samples
        data: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "backend": self.backend,
            "unit": self.unit,
            "median": self.median,
            "min": min(s),
            "max": max(s),
            "mean": statistics.fmean(s),
            "stdev": statistics.stdev(s) if len(s) > 1 else 0.0,
            "repetitions": len(s),
            "target": self.target.as_json() if self.target else None,
            "meets_target": self.meets_target,
            "params": self.params,
        }
        if len(s) >= 20:
            data["p99"] = percentile(s, 99)
        if len(s) <= 50:
            data["samples"] = s
        return data


def fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def loadavg() -> float | None:
    """The 1-minute load average: other work on the machine skews every figure."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def page_cache_mib() -> float | None:
    """The OS page cache size: when it is small, proofs on a big ledger read from disk."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("Cached:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


# --- ledgers -------------------------------------------------------------------------------


@dataclass
class BenchLedger:
    """A fresh ledger (as tests/conftest.py's create_ledger builds it) and its trust policy."""

    url: str
    key: SigningKey | None  # None for a reused (read-only) cached ledger
    trust: TrustPolicy
    ledger: Ledger

    @property
    def store(self) -> LedgerStore:
        return self.ledger.store


def create_ledger(url: str, key: SigningKey | None = None) -> BenchLedger:
    key = key or generate_key()
    store = LedgerStore(url)
    store.create(ORIGIN, utc_now())
    trust = TrustPolicy(ORIGIN, (TrustedKey(key.public_key, "2000-01-01T00:00:00.000Z"),))
    return BenchLedger(url, key, trust, Ledger(store, origin=ORIGIN, signer=key, actor="bench"))


def note_body(i: int) -> dict[str, str]:
    """A ``note`` body whose canonical JSON is BODY_BYTES bytes."""
    prefix = f"deploy {i:08d} rolled back by on-call after error-rate alert; "
    width = BODY_BYTES - len('{"message":""}')
    return {"message": (prefix + "x" * width)[:width]}


def requests(start: int, count: int) -> list[AppendRequest]:
    return [AppendRequest(KIND, note_body(i)) for i in range(start, start + count)]


class SQLiteBackend:
    name = "sqlite"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._n = 0

    def new_url(self, label: str) -> str:
        self._n += 1
        return sqlite_url(self.root / f"{label}-{self._n}.db")

    def drop(self, url: str) -> None:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        pass


class PostgresBackend:
    name = "postgresql"

    def __init__(self, server_url: str) -> None:
        self._psycopg = importlib.import_module("psycopg")
        self.server_url = server_url
        self.admin_url = server_url.replace("postgresql+psycopg://", "postgresql://")
        self._databases: list[str] = []

    def admin(self) -> Any:
        return self._psycopg.connect(self.admin_url, autocommit=True)

    def version(self) -> str:
        with self.admin() as conn:
            return str(conn.execute("SHOW server_version").fetchone()[0])

    def settings(self) -> dict[str, str]:
        names = (
            "fsync",
            "synchronous_commit",
            "wal_sync_method",
            "shared_buffers",
            "full_page_writes",
        )
        with self.admin() as conn:
            return {n: str(conn.execute(f"SHOW {n}").fetchone()[0]) for n in names}

    def new_url(self, label: str) -> str:
        name = f"bench_{label.replace('-', '_')}_{secrets.token_hex(4)}"
        with self.admin() as conn:
            conn.execute(f"CREATE DATABASE {name}")
        self._databases.append(name)
        return self.server_url.rsplit("/", 1)[0] + "/" + name

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self.admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if name in self._databases:
            self._databases.remove(name)

    def close(self) -> None:
        for name in list(self._databases):
            self.drop(f"x/{name}")


Backend = SQLiteBackend | PostgresBackend


@contextmanager
def fresh_ledger(backend: Backend, label: str) -> Iterator[BenchLedger]:
    url = backend.new_url(label)
    bench = create_ledger(url)
    try:
        yield bench
    finally:
        bench.store.close()
        backend.drop(url)


def build_ledger(url: str, size: int, batch: int, what: str) -> tuple[BenchLedger, float]:
    """Create a ledger of ``size`` entries with append_batch, then sign a checkpoint."""
    bench = create_ledger(url)
    start = time.perf_counter()
    last_report = start
    done = 0
    while done < size:
        count = min(batch, size - done)
        bench.ledger.append_batch(requests(done, count))
        done += count
        now = time.perf_counter()
        if now - last_report > 15:
            log(f"  building {what}: {done:,}/{size:,} ({done / (now - start):,.0f}/s)")
            last_report = now
    elapsed = time.perf_counter() - start
    bench.ledger.checkpoint()
    log(f"  built {what}: {size:,} entries in {elapsed:.1f} s ({size / elapsed:,.0f}/s)")
    return bench, elapsed


def big_ledger(
    lite: SQLiteBackend, cache: Path | None, size: int, batch: int
) -> tuple[BenchLedger, float | None]:
    """A SQLite ledger of ``size`` entries: built in the run's temp dir, or kept in ``cache``.

    A cached ledger is reused when its entry count matches; it is opened read-only (the
    signing key is not kept), which verify and proofs do not need. Returns the build time.
    """
    if cache is None:
        return build_ledger(lite.new_url(f"big{size}"), size, batch, f"{size:,}")
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"ledger-v{FORMAT_VERSION}-{size}.db"
    sidecar = path.with_suffix(".json")
    url = sqlite_url(path)
    if path.exists() and sidecar.exists():
        store = LedgerStore(url)
        if store.size() == size:
            public_key = bytes.fromhex(json.loads(sidecar.read_text())["public_key"])
            trust = TrustPolicy(ORIGIN, (TrustedKey(public_key, "2000-01-01T00:00:00.000Z"),))
            log(f"  reusing {path}")
            ledger = Ledger(store, origin=ORIGIN, signer=None, actor="bench")
            return BenchLedger(url, None, trust, ledger), None
        store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    bench, elapsed = build_ledger(url, size, batch, f"{size:,} (kept in {cache})")
    sidecar.write_text(json.dumps({"public_key": bench.trust.keys[0].public_key.hex()}) + "\n")
    return bench, elapsed


# --- benchmarks ----------------------------------------------------------------------------


def timed_rate(run: Callable[[], int]) -> float:
    """Run ``run`` (which returns how many items it did) and return items per second."""
    gc.collect()
    start = time.perf_counter()
    count = run()
    return count / (time.perf_counter() - start)


def bench_single(backend: Backend, plan: Plan) -> Figure:
    samples = []
    for rep in range(plan.reps):
        with fresh_ledger(backend, "single") as bench:
            for request in requests(0, 20):  # warm-up: pool, statement cache, tree cache
                bench.ledger.append(request)
            batch = requests(20, plan.single_appends)

            def run(ledger: Ledger = bench.ledger, batch: list[AppendRequest] = batch) -> int:
                for request in batch:
                    ledger.append(request)
                return len(batch)

            samples.append(timed_rate(run))
        log(f"  {backend.name} single append rep {rep + 1}/{plan.reps}: {samples[-1]:,.0f}/s")
    target = SINGLE_TARGET if backend.name == "sqlite" else None
    return Figure(
        "append.single",
        "durable single append",
        backend.name,
        "entries/s",
        samples,
        target,
        {"appends_per_rep": plan.single_appends, "body_bytes": BODY_BYTES},
    )


def bench_batched(backend: Backend, plan: Plan, batch_size: int) -> Figure:
    entries = plan.batch_entries[batch_size]
    samples = []
    for rep in range(plan.reps):
        with fresh_ledger(backend, f"batch{batch_size}") as bench:
            bench.ledger.append_batch(requests(0, batch_size))  # warm-up
            batches = [
                requests(batch_size * (i + 1), batch_size) for i in range(entries // batch_size)
            ]

            def run(
                ledger: Ledger = bench.ledger, batches: list[list[AppendRequest]] = batches
            ) -> int:
                for batch in batches:
                    ledger.append_batch(batch)
                return sum(len(b) for b in batches)

            samples.append(timed_rate(run))
        rate = samples[-1]
        log(f"  {backend.name} append_batch({batch_size}) rep {rep + 1}/{plan.reps}: {rate:,.0f}/s")
    return Figure(
        f"append.batch{batch_size}",
        f"batched append, {batch_size}/batch",
        backend.name,
        "entries/s",
        samples,
        BATCH_TARGET,
        {"batch_size": batch_size, "entries_per_rep": entries, "body_bytes": BODY_BYTES},
    )


def bench_verify(bench: BenchLedger, size: int, plan: Plan, workers: int) -> Figure:
    samples = []
    for rep in range(plan.reps):
        store = LedgerStore(bench.url)
        try:
            gc.collect()
            start = time.perf_counter()
            report = verify_ledger(store, bench.trust, workers=workers)
            elapsed = time.perf_counter() - start
        finally:
            store.close()
        if not report.ok or report.size != size or report.signatures_checked != size:
            raise SystemExit(f"verify of the benchmark ledger failed: {report.as_json()}")
        samples.append(size / elapsed)
        log(f"  verify workers={workers} rep {rep + 1}/{plan.reps}: {samples[-1]:,.0f} entries/s")
    return Figure(
        f"verify.workers{workers}",
        f"verify_ledger, workers={workers}",
        "sqlite",
        "entries/s",
        samples,
        VERIFY_TARGET if workers == 2 else None,
        {"ledger_entries": size, "workers": workers, "signatures": True},
    )


def bench_inclusion(
    bench: BenchLedger, size: int, samples_wanted: int, target: Target | None
) -> Figure:
    ledger = bench.ledger
    rng = random.Random(size)
    seqs = [rng.randrange(size) for _ in range(samples_wanted)]
    root = ledger.root_at(size)
    for seq in seqs[:10]:  # the proofs are right (checked outside the timing)
        entry = bench.store.entry(seq)
        assert entry is not None
        verify_inclusion(entry.leaf_hash, seq, size, ledger.inclusion_proof(seq, size), root)
    for seq in seqs[:50]:  # warm-up
        ledger.inclusion_proof(seq, size)
    gc.collect()
    times = []
    for seq in seqs:
        start = time.perf_counter_ns()
        ledger.inclusion_proof(seq, size)
        times.append((time.perf_counter_ns() - start) / 1e6)
    fig = Figure(
        f"inclusion_proof.{size}",
        f"inclusion proof at {size:,}",
        "sqlite",
        "ms",
        times,
        target,
        {"ledger_entries": size, "random_seqs": samples_wanted},
        higher_is_better=False,
    )
    p99 = percentile(times, 99)
    log(f"  inclusion proof at {size:,}: median {fig.median:.3f} ms, p99 {p99:.3f} ms")
    return fig


def bench_consistency(bench: BenchLedger, size: int, samples_wanted: int) -> Figure:
    ledger = bench.ledger
    rng = random.Random(size + 1)
    olds = [rng.randrange(1, size) for _ in range(samples_wanted)]
    new_root = ledger.root_at(size)
    for old in olds[:5]:
        verify_consistency(
            old, size, ledger.root_at(old), new_root, ledger.consistency_proof(old, size)
        )
    for old in olds[:50]:
        ledger.consistency_proof(old, size)
    gc.collect()
    times = []
    for old in olds:
        start = time.perf_counter_ns()
        ledger.consistency_proof(old, size)
        times.append((time.perf_counter_ns() - start) / 1e6)
    fig = Figure(
        f"consistency_proof.{size}",
        f"consistency proof to {size:,}",
        "sqlite",
        "ms",
        times,
        None,
        {"ledger_entries": size, "random_old_sizes": samples_wanted},
        higher_is_better=False,
    )
    p99 = percentile(times, 99)
    log(f"  consistency proof at {size:,}: median {fig.median:.3f} ms, p99 {p99:.3f} ms")
    return fig


def sqlite_bytes(bench: BenchLedger, size: int) -> Figure:
    """Database file size per entry, after folding the WAL back into the file."""
    bench.store.close()
    path = bench.url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tables: dict[str, int] = {}
        try:
            rows = conn.execute(
                "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
            ).fetchall()
            tables = {str(name): int(total) for name, total in rows}
        except sqlite3.OperationalError:
            pass  # this SQLite was built without dbstat
        envelope = float(conn.execute("SELECT AVG(LENGTH(envelope)) FROM entry").fetchone()[0])
        nodes = conn.execute("SELECT COUNT(*) FROM tree_node").fetchone()[0]
    finally:
        conn.close()
    file_bytes = os.path.getsize(path) + sum(
        os.path.getsize(path + s) for s in ("-wal", "-shm") if os.path.exists(path + s)
    )
    params = {
        "ledger_entries": size,
        "file_bytes": file_bytes,
        "avg_envelope_bytes": round(envelope, 1),
        "tree_nodes": nodes,
        "bytes_by_table_or_index": tables,
    }
    log(f"  sqlite bytes/entry at {size:,}: {file_bytes / size:,.1f} (envelope {envelope:.0f})")
    return Figure(
        f"bytes_per_entry.{size}",
        f"bytes/entry at {size:,}",
        "sqlite",
        "bytes",
        [file_bytes / size],
        None,
        params,
    )


def postgres_bytes(backend: PostgresBackend, plan: Plan) -> Figure:
    size = plan.pg_bytes_size
    url = backend.new_url("bytes")
    bench, _ = build_ledger(url, size, plan.build_batch, f"PostgreSQL ledger of {size:,}")
    try:
        with bench.store.engine.connect() as conn:
            conn.exec_driver_sql("CHECKPOINT")
            tables = {
                t: int(conn.exec_driver_sql(f"SELECT pg_total_relation_size('{t}')").scalar_one())
                for t in LEDGER_TABLES
            }
            envelope = conn.exec_driver_sql(
                "SELECT AVG(octet_length(envelope)) FROM entry"
            ).scalar_one()
            database = int(
                conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
            )
    finally:
        bench.store.close()
        backend.drop(url)
    total = sum(tables.values())
    log(f"  postgresql bytes/entry at {size:,}: {total / size:,.1f}")
    return Figure(
        f"bytes_per_entry.{size}",
        f"bytes/entry at {size:,}",
        "postgresql",
        "bytes",
        [total / size],
        None,
        {
            "ledger_entries": size,
            "pg_total_relation_size_sum": total,
            "by_table": tables,
            "database_bytes": database,
            "avg_envelope_bytes": round(float(envelope), 1),
        },
    )


def baseline_sqlite(root: Path, plan: Plan) -> Figure:
    """Raw sqlite3 commits with the store's pragmas: the disk's ceiling for durable appends."""
    samples = []
    row = os.urandom(700)
    for rep in range(plan.reps):
        path = root / f"baseline-{rep}.db"
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, envelope BLOB NOT NULL)")

        def run(conn: sqlite3.Connection = conn) -> int:
            for i in range(plan.baseline_commits):
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO t VALUES (?, ?)", (i, row))
                conn.execute("COMMIT")
            return plan.baseline_commits

        samples.append(timed_rate(run))
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    log(f"  sqlite raw commit baseline: {statistics.median(samples):,.0f}/s")
    return Figure(
        "baseline.raw_commit",
        "raw driver commit (1 row)",
        "sqlite",
        "commits/s",
        samples,
        None,
        {"note": "sqlite3 module, WAL, synchronous=FULL, BEGIN IMMEDIATE; no tidegate code"},
    )


def baseline_postgres(backend: PostgresBackend, plan: Plan) -> Figure:
    samples = []
    row = os.urandom(700)
    url = backend.new_url("baseline")
    try:
        admin = url.replace("postgresql+psycopg://", "postgresql://")
        with backend._psycopg.connect(admin) as conn:
            conn.execute("CREATE TABLE t (seq BIGINT PRIMARY KEY, envelope BYTEA NOT NULL)")
            conn.commit()
            for rep in range(plan.reps):

                def run(conn: Any = conn, rep: int = rep) -> int:
                    for i in range(plan.baseline_commits):
                        conn.execute("INSERT INTO t VALUES (%s, %s)", (rep * 10**6 + i, row))
                        conn.commit()
                    return plan.baseline_commits

                samples.append(timed_rate(run))
    finally:
        backend.drop(url)
    log(f"  postgresql raw commit baseline: {statistics.median(samples):,.0f}/s")
    return Figure(
        "baseline.raw_commit",
        "raw driver commit (1 row)",
        "postgresql",
        "commits/s",
        samples,
        None,
        {"note": "psycopg, one INSERT + COMMIT on one open connection; no tidegate code"},
    )


# --- machine -------------------------------------------------------------------------------


def machine_info(pg: PostgresBackend | None) -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(dist: str) -> str | None:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    info: dict[str, Any] = {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "sqlite_version": sqlite3.sqlite_version,
        "postgres_version": pg.version() if pg else None,
        "postgres_settings": pg.settings() if pg else None,
        "packages": {
            d: version(d)
            for d in ("tidegate", "sqlalchemy", "psycopg", "pynacl", "cryptography", "jsonschema")
        },
        "ledger_format_version": FORMAT_VERSION,
    }
    try:
        env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # never rewrite the index
        git: dict[str, Any] = {"cwd": REPO, "capture_output": True, "text": True, "env": env}
        head = subprocess.run(["git", "rev-parse", "HEAD"], check=False, **git)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], check=False, **git)
        info["git_commit"] = head.stdout.strip() or None
        info["src_modified"] = bool(dirty.stdout.strip())
    except OSError:
        info["git_commit"] = None
    return info


# --- report --------------------------------------------------------------------------------


def status(fig: Figure | None) -> str:
    if fig is None or fig.meets_target is None:
        return ""
    return "ok" if fig.meets_target else "MISS"


def cell(fig: Figure | None) -> str:
    if fig is None:
        return "-"
    return f"{fmt(fig.median)} [{fmt(min(fig.samples))}-{fmt(max(fig.samples))}]"


def print_report(
    figures: list[Figure], plan: Plan, info: dict[str, Any], pg_note: str | None
) -> None:
    by = {(f.name, f.backend): f for f in figures}
    out = print
    out()
    out(f"tidegate ledger benchmark  ({plan.mode} run)")
    out(
        f"  {info['cpu_model']}, {info['cores']} cores, Python {info['python']}, "
        f"SQLite {info['sqlite_version']}, PostgreSQL {info['postgres_version'] or '-'}"
    )
    if pg_note:
        out(f"  {pg_note}")
    cached = info.get("page_cache_mib", {})
    if cached:
        out("  OS page cache, MiB: " + ", ".join(f"{k} {v:,.0f}" for k, v in cached.items() if v))
    load = info.get("load_average_1min", {})
    out(
        "  1-min load average: "
        + ", ".join(f"{k} {v:.2f}" for k, v in load.items() if v is not None)
    )
    out()
    out(f"Appends, entries/s: median [min-max] of {plan.reps} repetitions")
    out(f"  {'':28}{'SQLite':>26}{'PostgreSQL':>26}   target")
    rows = [("append.single", "durable single append", SINGLE_TARGET)]
    rows += [
        (f"append.batch{b}", f"append_batch, {b}/batch", BATCH_TARGET) for b in plan.batch_entries
    ]
    rows.append(("baseline.raw_commit", "raw driver commit/s (ref.)", None))
    for name, label, target in rows:
        lite, pg = by.get((name, "sqlite")), by.get((name, "postgresql"))
        marks = " ".join(
            m for m in (status(lite), status(pg) if name != "append.single" else "") if m
        )
        goal = target.text if target else ""
        out(f"  {label:28}{cell(lite):>26}{cell(pg):>26}   {goal}  {marks}".rstrip())
    out()
    w1, w2 = by.get(("verify.workers1", "sqlite")), by.get(("verify.workers2", "sqlite"))
    if w1 or w2:
        size = (w1 or w2).params["ledger_entries"]  # type: ignore[union-attr]
        out(f"verify_ledger on {size:,} SQLite entries (signatures included), entries/s")
        out(f"  workers=1  {cell(w1):>26}")
        out(f"  workers=2  {cell(w2):>26}   {VERIFY_TARGET.text}  {status(w2)}")
        if w1 and w2:
            out(f"  speed-up workers=2 / workers=1: {w2.median / w1.median:.2f}x")
        out()
    proofs = [f for f in figures if f.name.startswith(("inclusion_proof", "consistency_proof"))]
    if proofs:
        out("Proof generation on SQLite, ms per proof (random positions)")
        out(f"  {'':30}{'median':>9}{'p99':>9}{'min':>9}{'max':>9}{'n':>7}")
        for f in proofs:
            p99 = percentile(f.samples, 99)
            low, high = min(f.samples), max(f.samples)
            line = f"  {f.label:30}{f.median:9.3f}{p99:9.3f}{low:9.3f}{high:9.3f}{len(f.samples):7}"
            out(f"{line}   {f.target.text if f.target else ''}  {status(f)}".rstrip())
        out()
    sizes = [f for f in figures if f.name.startswith("bytes_per_entry")]
    if sizes:
        out(f"Storage per entry ({BODY_BYTES}-byte note body)")
        for f in sizes:
            env = f.params.get("avg_envelope_bytes")
            out(
                f"  {f.backend:11} {f.label:24}{f.median:9,.0f} bytes   (envelope {env:,.0f} bytes)"
            )
        out()
    builds = [f for f in figures if f.name.startswith("build")]
    for f in builds:
        size, batch = f.params["ledger_entries"], f.params["batch_size"]
        out(f"  (built {size:,} entries with append_batch({batch}) at {fmt(f.median)}/s)")


# --- main ----------------------------------------------------------------------------------


SECTIONS = ("baseline", "appends", "verify", "proofs", "bytes")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, 3 repetitions (a smoke run, < 1 min)"
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "ledger.json")
    parser.add_argument("--reps", type=int, help="repetitions per figure (default 5, quick 3)")
    parser.add_argument("--only", help=f"comma-separated sections to run: {','.join(SECTIONS)}")
    parser.add_argument(
        "--no-postgres", action="store_true", help=f"skip PostgreSQL even if {PG_URL_ENV} is set"
    )
    parser.add_argument(
        "--tmp-dir", type=Path, help="where the temporary ledgers go (default: system temp)"
    )
    parser.add_argument(
        "--ledger-cache",
        type=Path,
        help="keep the big SQLite ledgers (verify, proofs) in DIR and reuse them in later runs",
    )
    args = parser.parse_args(argv)

    plan = QUICK if args.quick else FULL
    if args.reps:
        plan = Plan(**{**plan.__dict__, "reps": args.reps})
    sections = set(args.only.split(",")) if args.only else set(SECTIONS)
    unknown = sections - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")

    pg_url = os.environ.get(PG_URL_ENV)
    pg: PostgresBackend | None = None
    if args.no_postgres:
        pg_note = "PostgreSQL skipped (--no-postgres)"
    elif not pg_url:
        pg_note = (
            f"PostgreSQL skipped: {PG_URL_ENV} is unset (run through scripts/with-postgres.sh)"
        )
    else:
        pg, pg_note = PostgresBackend(pg_url), None
    if pg_note:
        log(pg_note)

    started = time.time()
    root = Path(tempfile.mkdtemp(prefix="tidegate-bench-", dir=args.tmp_dir))
    lite = SQLiteBackend(root)
    figures: list[Figure] = []
    loads: dict[str, float | None] = {"start": loadavg()}
    cache: dict[str, float | None] = {"start": page_cache_mib()}
    if (loads["start"] or 0) > 0.5:
        log(f"warning: load average is {loads['start']:.2f}: other work will skew the figures")
    try:
        info = machine_info(pg)
        backends: list[Backend] = [lite, *([pg] if pg else [])]
        if "baseline" in sections:
            log("[baseline] raw driver commits")
            figures.append(baseline_sqlite(root, plan))
            if pg:
                figures.append(baseline_postgres(pg, plan))
        loads["before_appends"] = loadavg()
        if "appends" in sections:
            for backend in backends:
                log(f"[appends] {backend.name}")
                figures.append(bench_single(backend, plan))
                for batch_size in plan.batch_entries:
                    figures.append(bench_batched(backend, plan, batch_size))
        if sections & {"verify", "proofs", "bytes"}:
            big: list[tuple[int, BenchLedger]] = []
            sizes = sorted(
                {*plan.proof_sizes, plan.verify_size}
                if sections & {"verify"}
                else set(plan.proof_sizes)
            )
            for size in sizes:
                log(f"[build] SQLite ledger of {size:,} entries")
                bench, elapsed = big_ledger(lite, args.ledger_cache, size, plan.build_batch)
                if elapsed is not None:
                    figures.append(
                        Figure(
                            f"build.{size}",
                            f"build {size:,}",
                            "sqlite",
                            "entries/s",
                            [size / elapsed],
                            None,
                            {"ledger_entries": size, "batch_size": plan.build_batch},
                        )
                    )
                big.append((size, bench))
            ledgers = dict(big)
            loads["before_verify"] = loadavg()
            if "verify" in sections:
                log(f"[verify] {plan.verify_size:,} entries")
                for workers in (1, 2):
                    figures.append(
                        bench_verify(ledgers[plan.verify_size], plan.verify_size, plan, workers)
                    )
            loads["before_proofs"] = loadavg()
            cache["before_proofs"] = page_cache_mib()
            if "proofs" in sections:
                log("[proofs]")
                for size in plan.proof_sizes:
                    target = INCLUSION_TARGET if size == 10**6 else None
                    figures.append(bench_inclusion(ledgers[size], size, plan.proof_samples, target))
                top = plan.proof_sizes[-1]
                figures.append(bench_consistency(ledgers[top], top, plan.proof_samples))
            if "bytes" in sections:
                log("[bytes]")
                for size, bench in big:
                    figures.append(sqlite_bytes(bench, size))
                if pg:
                    figures.append(postgres_bytes(pg, plan))
            for _, bench in big:
                bench.store.close()
    finally:
        if pg:
            pg.close()
        shutil.rmtree(root, ignore_errors=True)
    loads["end"] = loadavg()
    cache["end"] = page_cache_mib()
    info["load_average_1min"] = loads
    info["page_cache_mib"] = cache

    print_report(figures, plan, info, pg_note)
    result = {
        "benchmark": "tidegate-ledger",
        "schema_version": 1,
        "mode": plan.mode,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(time.time() - started, 1),
        "machine": info,
        "postgres": {"measured": pg is not None, "note": pg_note},
        "plan": {
            **plan.__dict__,
            "batch_entries": {str(k): v for k, v in plan.batch_entries.items()},
        },
        "body": {"kind": KIND, "canonical_bytes": BODY_BYTES, "example": note_body(0)},
        "figures": [f.as_json() for f in figures],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out} ({time.time() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
