"""Evidence bundle benchmark: `ledger export` and bundle verification beside `verify_ledger`.

Measures entries/s and peak memory (ru_maxrss of a fresh child process per run, which also
reports its RSS right after imports) of verify_ledger, export_bundle and verify_bundle on a
SQLite ledger (100,000 entries; --quick 10,000), and of export and bundle verification on a
ledger ten times smaller, to show that memory does not grow with the ledger. Prints a table and
writes JSON. Nothing here asserts a time.

    .venv/bin/python bench/export_bench.py [--quick] [--size N] [--out bench/results/export.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tidegate._time import utc_now
from tidegate.ledger.bundle import verify_bundle
from tidegate.ledger.export import Selection, export_bundle
from tidegate.ledger.keys import generate_key
from tidegate.ledger.log import AppendRequest, Ledger
from tidegate.ledger.store import LedgerStore, sqlite_url
from tidegate.ledger.trust import TrustedKey, TrustPolicy, load_trust
from tidegate.ledger.verify import verify_ledger

ORIGIN = "bench.tidegate.dev/log"
REPO = Path(__file__).resolve().parents[1]
BODY_BYTES = 100
BLOB_EVERY = 100
"""Every hundredth entry carries a 1 KiB blob (every tenth of them shared with the previous)."""


def note_body(i: int) -> dict[str, Any]:
    """A note body whose canonical JSON is about BODY_BYTES bytes; every 10th names a run."""
    prefix = f"deploy {i:08d} rolled back by on-call after error-rate alert; "
    body: dict[str, Any] = {"message": (prefix + "x" * BODY_BYTES)[: BODY_BYTES - 14]}
    if i % 10 == 0:
        body["run_id"] = f"run-{i // 10_000}"
    return body


def build(directory: Path, size: int) -> tuple[str, Path, float]:
    """Build a ledger of ``size`` entries with append_batch(1000) and a checkpoint."""
    directory.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    url = sqlite_url(directory / "ledger.db")
    store = LedgerStore(url)
    store.create(ORIGIN, utc_now())
    trust = TrustPolicy(ORIGIN, (TrustedKey(key.public_key, "2000-01-01T00:00:00.000Z"),))
    trust_path = directory / "trust.json"
    trust_path.write_text(trust.to_json())
    ledger = Ledger(store, origin=ORIGIN, signer=key, actor="bench")
    start = time.perf_counter()
    for first in range(0, size, 1000):
        requests = []
        for i in range(first, min(size, first + 1000)):
            blobs = {}
            if i % BLOB_EVERY == 0:
                blobs = {"log.txt": f"log {i // (10 * BLOB_EVERY)}\n".encode().ljust(1024, b".")}
            requests.append(AppendRequest("note", note_body(i), blobs=blobs))
        ledger.append_batch(requests)
    ledger.checkpoint()
    elapsed = time.perf_counter() - start
    store.close()
    (directory / "size").write_text(str(size))
    return url, trust_path, elapsed


def cached_or_built(cache: Path | None, work: Path, size: int) -> tuple[str, Path, float | None]:
    """Reuse a ledger of this size from ``cache``, or build one (there, or in ``work``)."""
    directory = (cache or work) / f"ledger-{size}"
    if cache is not None and (directory / "size").is_file():
        if (directory / "size").read_text() == str(size):
            return sqlite_url(directory / "ledger.db"), directory / "trust.json", None
        shutil.rmtree(directory)
    log(f"building a ledger of {size:,} entries...")
    url, trust, elapsed = build(directory, size)
    return url, trust, elapsed


# --- one measured run per child process -------------------------------------------------------


def child(mode: str, args: Sequence[str]) -> None:
    """Run one operation and print what it took as JSON (this is the measured process)."""
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = None if args[-1] == "-" else int(args[-1])
    trust = load_trust(Path(args[1]))
    start = time.perf_counter()
    if mode == "verify":
        store = LedgerStore(args[0])
        report = verify_ledger(store, trust, workers=workers)
        ok, entries = report.ok, report.size
        store.close()
    elif mode == "export":
        store = LedgerStore(args[0])
        ledger = Ledger(store, origin=ORIGIN, signer=None, actor="bench")
        selection = Selection(run_id=args[3]) if args[3] != "-" else Selection()
        result = export_bundle(ledger, trust, Path(args[2]), selection=selection)
        ok, entries = True, result.size
        store.close()
    else:
        bundle_report = verify_bundle(Path(args[0]), trust, workers=workers)
        ok, entries = bundle_report.ok, bundle_report.entries_checked
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "mode": mode,
                "ok": ok,
                "entries": entries,
                "seconds": seconds,
                "baseline_rss_mib": baseline / 1024,
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "workers_peak_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                / 1024,
            }
        )
    )


def measure(mode: str, *args: str) -> dict[str, Any]:
    """Run ``mode`` in a fresh process; return its figures."""
    result = subprocess.run(
        [sys.executable, __file__, "--child", mode, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{result.stderr}")
    figures: dict[str, Any] = json.loads(result.stdout)
    figures["entries_per_s"] = figures["entries"] / figures["seconds"]
    if not figures["ok"]:
        log(f"warning: {mode} reported a failure")
    return figures


def disk_usage(directory: Path) -> tuple[int, int]:
    """Return (files, bytes) under ``directory``."""
    files = total = 0
    for root, _, names in os.walk(directory):
        for name in names:
            files += 1
            total += os.stat(os.path.join(root, name)).st_size
    return files, total


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    """Where the figures were taken."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # never rewrite the index
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, env=env, check=False
    )
    return {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git_commit": head.stdout.strip() or None,
        "load_average_1min": os.getloadavg()[0],
    }


def run(size: int, small: int, work: Path, cache: Path | None, workers: str) -> dict[str, Any]:
    """Measure everything; return the JSON document."""
    results: dict[str, Any] = {"machine": machine(), "sizes": {"main": size, "small": small}}
    figures: list[dict[str, Any]] = []
    for n in (size, small):
        url, trust, built = cached_or_built(cache, work, n)
        if built is not None:
            results.setdefault("build_entries_per_s", {})[str(n)] = n / built
        if n == size:
            log(f"verify_ledger on {n:,} entries...")
            figures.append(
                {"name": "verify_ledger", "size": n, **measure("verify", url, str(trust), workers)}
            )
        bundle = work / f"bundle-{n}"
        shutil.rmtree(bundle, ignore_errors=True)
        log(f"export_bundle of {n:,} entries...")
        figures.append(
            {
                "name": "export",
                "size": n,
                **measure("export", url, str(trust), str(bundle), "-", "-"),
            }
        )
        files, total = disk_usage(bundle)
        figures[-1].update(bundle_files=files, bundle_mib=total / 2**20)
        log(f"verify_bundle of {n:,} entries...")
        figures.append(
            {
                "name": "verify_bundle",
                "size": n,
                **measure("bundle", str(bundle), str(trust), workers),
            }
        )
        if n == size:
            selected = work / f"bundle-{n}-run"
            shutil.rmtree(selected, ignore_errors=True)
            log(f"export_bundle --run of {n:,} entries (a tenth of them selected)...")
            figures.append(
                {
                    "name": "export --run",
                    "size": n,
                    **measure("export", url, str(trust), str(selected), "run-0", "-"),
                }
            )
            shutil.rmtree(selected, ignore_errors=True)
        shutil.rmtree(bundle, ignore_errors=True)
    results["figures"] = figures
    results["machine"]["load_average_1min_after"] = os.getloadavg()[0]
    return results


def report(results: dict[str, Any]) -> None:
    """Print the figures as a table."""
    info = results["machine"]
    print(
        f"\nevidence bundle benchmark: {info['cpu_model']}, {info['cores']} cores, Python "
        f"{info['python']}, load {info['load_average_1min']:.2f} -> "
        f"{info['load_average_1min_after']:.2f}"
    )
    print(
        f"{'operation':<16}{'entries':>10}{'entries/s':>12}{'seconds':>10}{'peak RSS MiB':>14}"
        f"{'(at start)':>12}{'workers MiB':>13}  bundle"
    )
    for f in results["figures"]:
        bundle = (
            f"{f['bundle_files']:,} files, {f['bundle_mib']:,.0f} MiB"
            if "bundle_files" in f
            else ""
        )
        print(
            f"{f['name']:<16}{f['size']:>10,}{f['entries_per_s']:>12,.0f}{f['seconds']:>10.1f}"
            f"{f['peak_rss_mib']:>14.0f}{f['baseline_rss_mib']:>12.0f}"
            f"{f['workers_peak_rss_mib']:>13.0f}  {bundle}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 entries (a smoke run)")
    parser.add_argument("--size", type=int, help="entries in the main ledger (default 100,000)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "export.json")
    parser.add_argument("--tmp-dir", type=Path, help="where ledgers and bundles are written")
    parser.add_argument("--ledger-cache", type=Path, help="keep and reuse built ledgers here")
    parser.add_argument("--workers", default="-", help="verification processes (default: cores)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1:])
        return 0
    size = args.size or (10_000 if args.quick else 100_000)
    with tempfile.TemporaryDirectory(prefix="export-bench-", dir=args.tmp_dir) as tmp:
        results = run(size, max(1, size // 10), Path(tmp), args.ledger_cache, args.workers)
    results["mode"] = "quick" if args.quick else "full"
    report(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
