"""Replay benchmark: time to replay a recorded 10-step run under bwrap, next to the run itself.

Figures (medians of several repetitions; nothing here asserts a time):

1. the original ``run_task`` of a 10-step task (5 x ``true``, 5 x a small ``python3 -c``
   print) on a small generated git repository, into a fresh SQLite ledger;
2. ``replay_run`` of that run: read its entries back, rebuild the spec, rerun it, compare,
   append ``run.replayed``; the difference is what replay adds over a plain run.

    .venv/bin/python bench/replay_bench.py [--reps N] [--out bench/results/replay_bench.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tidegate._time import utc_now
from tidegate.ledger.keys import generate_key
from tidegate.ledger.log import Ledger
from tidegate.ledger.store import LedgerStore, sqlite_url
from tidegate.sandbox.replay import replay_run
from tidegate.sandbox.run import run_task
from tidegate.sandbox.spec import parse_task

STEPS = 10


def make_repo(root: Path) -> None:
    """Create a small git repository (20 files, one commit)."""
    root.mkdir(parents=True)
    for index in range(20):
        (root / f"mod{index:02d}.py").write_text(f"VALUE = {index}\n")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.com",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.com",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)


def task(repo: Path) -> bytes:
    """Return the 10-step task spec (JSON) the benchmark runs."""
    steps = [
        {"name": f"step{i}", "run": ["true"] if i % 2 == 0 else ["python3", "-c", f"print({i})"]}
        for i in range(STEPS)
    ]
    document = {
        "id": "replay-bench",
        "repository": {"path": str(repo)},
        "steps": steps,
        "determinism": {"clock": "frozen", "epoch": "2030-01-01T00:00:00Z", "seed": 1},
    }
    return json.dumps(document).encode()


def main() -> None:
    """Run the benchmark, print the figures and write them as JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench/results/replay_bench.json"))
    args = parser.parse_args()
    report: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "kernel": platform.release(),
            "cpus": os.cpu_count(),
        },
        "steps": STEPS,
    }
    backend_type: Any = None
    try:
        from tidegate.sandbox.bwrap import BwrapBackend  # noqa: PLC0415  (optional backend)

        backend_type = BwrapBackend
    except ImportError as exc:
        report["skipped"] = f"bwrap backend not importable: {exc}"
    if shutil.which("bwrap") is None:
        report["skipped"] = "bwrap is not installed"
    if "skipped" not in report:
        with tempfile.TemporaryDirectory() as tmp:
            report.update(bench(Path(tmp), args.reps, backend_type))
    if "skipped" in report:
        print(f"skipped: {report['skipped']}")
    else:
        print(
            f"{STEPS}-step task under bwrap: original run median {report['run_median_s']:.3f} s; "
            f"replay median {report['replay_median_s']:.3f} s "
            f"(x{report['ratio']}; identical in {report['identical']}/{args.reps})"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


def bench(tmp: Path, reps: int, backend_type: Any) -> dict[str, Any]:
    """Time ``reps`` original runs and ``reps`` replays of the first one."""
    repo = tmp / "repo"
    make_repo(repo)
    store = LedgerStore(sqlite_url(tmp / "ledger.db"))
    store.create("bench.example/log", utc_now())
    ledger = Ledger(store, origin="bench.example/log", signer=generate_key(), actor="bench")
    spec = parse_task(task(repo), "bench.json", repo)
    runs: list[float] = []
    first_id = ""
    for _ in range(reps):
        started = time.perf_counter()
        result = run_task(spec, ledger, backend_type(), host_env={})
        runs.append(time.perf_counter() - started)
        if result.status != "ok":
            return {"skipped": f"the run ended {result.status}: {result.error}"}
        first_id = first_id or result.run_id
    replays: list[float] = []
    identical = 0
    for _ in range(reps):
        started = time.perf_counter()
        replayed = replay_run(ledger, first_id, lambda name, s: backend_type(), host_env={})
        replays.append(time.perf_counter() - started)
        identical += replayed.identical
    store.close()
    run_median, replay_median = statistics.median(runs), statistics.median(replays)
    return {
        "run_median_s": round(run_median, 4),
        "run_s": [round(t, 4) for t in runs],
        "replay_median_s": round(replay_median, 4),
        "replay_s": [round(t, 4) for t in replays],
        "replay_overhead_s": round(replay_median - run_median, 4),
        "ratio": round(replay_median / run_median, 2) if run_median else None,
        "identical": identical,
        "reps": reps,
    }


if __name__ == "__main__":
    main()
