"""Where the time goes: cProfile of single appends, batched appends and verify.

    .venv/bin/python bench/profile_ledger.py [--backend sqlite|postgresql] [--top 25]
    scripts/with-postgres.sh .venv/bin/python bench/profile_ledger.py --backend postgresql

For each workload it prints the wall time without the profiler, self time grouped by layer
(commit, driver, SQLAlchemy, JSON Schema, libsodium, ...) and the top functions, and saves the
raw profile to bench/results/profile-<workload>.prof (open it with ``python -m pstats`` or
snakeviz). cProfile inflates pure-Python code more than C calls: read the groups as shares.
verify with workers=2 profiles only the parent process (reading, the chain, the tree check);
the workers' share is the ``lock acquire`` wait.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger_bench import (
    PG_URL_ENV,
    BenchLedger,
    PostgresBackend,
    SQLiteBackend,
    build_ledger,
    create_ledger,
    requests,
)

from tidegate.ledger.store import LedgerStore
from tidegate.ledger.verify import verify_ledger

RESULTS = Path(__file__).resolve().parent / "results"

GROUPS: list[tuple[str, Callable[[str, str], bool]]] = [
    (
        "commit (fsync)",
        lambda f, n: "commit" in n and ("sqlite3" in n or "psycopg" in f or "pq" in n),
    ),
    ("wait for workers", lambda f, n: "acquire" in n and "lock" in n),
    ("libsodium (sign/verify)", lambda f, n: "_sodium" in n),
    ("sqlite3 driver (C)", lambda f, n: "sqlite3" in n),
    ("psycopg", lambda f, n: "psycopg" in f or "psycopg" in n),
    ("SQLAlchemy", lambda f, n: "sqlalchemy" in f),
    ("jsonschema", lambda f, n: "jsonschema" in f or "referencing" in f),
    ("json (stdlib)", lambda f, n: "/json/" in f or "json" in n),
    ("hashlib / base64", lambda f, n: "_hashlib" in n or "binascii" in n or "base64" in f),
    (
        "pickle / multiprocessing",
        lambda f, n: "multiprocessing" in f or "concurrent" in f or "pickle" in n,
    ),
    ("tidegate", lambda f, n: "/tidegate/" in f),
]


def group_of(filename: str, name: str) -> str:
    for label, test in GROUPS:
        if test(filename, name):
            return label
    return "other (stdlib, builtins)"


def report(title: str, profile: cProfile.Profile, wall: float, items: int, top: int) -> None:
    stats = pstats.Stats(profile)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    groups: dict[str, float] = defaultdict(float)
    tidegate: dict[str, float] = defaultdict(float)
    for (filename, line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        group = group_of(filename, name)
        groups[group] += tottime
        if group == "tidegate":
            tidegate[f"{filename.split('/tidegate/')[-1]}:{line}({name})"] += tottime
    print(f"\n=== {title}")
    per = wall / items * 1e6
    print(f"wall time without profiler: {wall:.3f} s for {items:,} entries = {per:,.1f} us/entry")
    print(f"profiled self time: {total:.3f} s; by layer (share of profiled time, us/entry):")
    for group, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {group:28}{100 * seconds / total:6.1f}%  {seconds / items * 1e6:9.1f}")
    print("  tidegate functions by self time:")
    for func, seconds in sorted(tidegate.items(), key=lambda kv: -kv[1])[:8]:
        print(f"    {func:60}{seconds / items * 1e6:9.1f} us/entry")
    print(f"top {top} functions by cumulative time:")
    stats.sort_stats("cumulative").print_stats(top)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"profile-{title.split(maxsplit=1)[0]}.prof"
    stats.dump_stats(path)
    print(f"raw profile: {path}")


def run_twice(
    make: Callable[[], tuple[Callable[[], int], Callable[[], None]]],
) -> tuple[float, cProfile.Profile, int]:
    """Time one run plainly, then profile a second identical run (each on its own fixture)."""
    run, done = make()
    start = time.perf_counter()
    items = run()
    wall = time.perf_counter() - start
    done()
    run, done = make()
    profile = cProfile.Profile()
    profile.enable()
    run()
    profile.disable()
    done()
    return wall, profile, items


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--single", type=int, default=1000, help="single appends to profile")
    parser.add_argument(
        "--batches", type=int, default=20, help="append_batch(1000) calls to profile"
    )
    parser.add_argument("--verify-size", type=int, default=50_000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--only", help="comma-separated: single,batch,verify")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else {"single", "batch", "verify"}

    root = Path(tempfile.mkdtemp(prefix="tidegate-profile-"))
    backend: SQLiteBackend | PostgresBackend
    if args.backend == "postgresql":
        url = os.environ.get(PG_URL_ENV)
        if not url:
            raise SystemExit(f"{PG_URL_ENV} is unset: run through scripts/with-postgres.sh")
        backend = PostgresBackend(url)
    else:
        backend = SQLiteBackend(root)
    try:

        def fixture(label: str) -> tuple[BenchLedger, Callable[[], None]]:
            url = backend.new_url(label)
            bench = create_ledger(url)

            def done() -> None:
                bench.store.close()
                backend.drop(url)

            return bench, done

        if "single" in only:

            def make_single() -> tuple[Callable[[], int], Callable[[], None]]:
                bench, done = fixture("psingle")
                for r in requests(0, 20):
                    bench.ledger.append(r)
                batch = requests(20, args.single)

                def run() -> int:
                    for r in batch:
                        bench.ledger.append(r)
                    return len(batch)

                return run, done

            wall, prof, n = run_twice(make_single)
            report(f"single-append ({args.backend})", prof, wall, n, args.top)

        if "batch" in only:

            def make_batch() -> tuple[Callable[[], int], Callable[[], None]]:
                bench, done = fixture("pbatch")
                bench.ledger.append_batch(requests(0, 1000))
                batches = [requests(1000 * (i + 1), 1000) for i in range(args.batches)]

                def run() -> int:
                    for b in batches:
                        bench.ledger.append_batch(b)
                    return 1000 * len(batches)

                return run, done

            wall, prof, n = run_twice(make_batch)
            report(f"batch-append-1000 ({args.backend})", prof, wall, n, args.top)

        if "verify" in only:
            lite = SQLiteBackend(root)
            bench, _ = build_ledger(
                lite.new_url("pverify"), args.verify_size, 1000, f"{args.verify_size:,}"
            )
            for workers in (1, 2):

                def make_verify(
                    workers: int = workers,
                ) -> tuple[Callable[[], int], Callable[[], None]]:
                    store = LedgerStore(bench.url)

                    def run() -> int:
                        result = verify_ledger(store, bench.trust, workers=workers)
                        assert result.ok, result.as_json()
                        return result.size

                    return run, store.close

                wall, prof, n = run_twice(make_verify)
                report(f"verify-workers{workers} (sqlite)", prof, wall, n, args.top)
            bench.store.close()
    finally:
        backend.close()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
