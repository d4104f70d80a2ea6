"""Sandbox benchmark: workspace snapshot time and per-command backend overhead.

Figures (medians of several repetitions; nothing here asserts a time, a missed target is
reported, never raised):

1. ``snapshot()`` of a generated 10,000-file workspace (100 directories x 100 files of
   0.5-8 KiB, fixed seed), every file hashed (target: <= 1 s); plus ``diff_snapshots`` and
   ``build_patch`` after 100 files were edited;
2. per-command overhead of ``true``: direct ``subprocess.run`` next to ``BwrapBackend.run``
   when it is importable and works here (target: bwrap <= 10 ms over direct).

    .venv/bin/python bench/sandbox_bench.py [--quick] [--reps N] [--out bench/results/sandbox_bench.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tidegate.sandbox.backend import CommandSpec
from tidegate.sandbox.snapshot import build_patch, diff_snapshots, snapshot

SNAPSHOT_TARGET_S = 1.0
BWRAP_TARGET_MS = 10.0


def make_workspace(root: Path, files: int, seed: int = 7) -> int:
    """Write ``files`` files under ``root`` (100 per directory); return the total bytes."""
    rng = random.Random(seed)
    total = 0
    for index in range(files):
        directory = root / f"pkg{index // 100:03d}"
        directory.mkdir(exist_ok=True)
        size = rng.randint(512, 8192)
        (directory / f"mod{index % 100:03d}.py").write_bytes(
            rng.randbytes(size // 2).hex().encode()[:size]
        )
        total += size
    return total


def median_time(action: Any, reps: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def bench_snapshot(files: int, reps: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "work"
        root.mkdir()
        total = make_workspace(root, files)
        before_copy = Path(tmp) / "before"
        shutil.copytree(root, before_copy)
        first_started = time.perf_counter()
        before = snapshot(root)
        first = time.perf_counter() - first_started
        median, times = median_time(lambda: snapshot(root), reps)
        edited = sorted(before)[:: max(1, files // 100)]
        for path in edited:
            with open(root / path, "ab") as handle:
                handle.write(b"\nedited\n")
        after = snapshot(root)
        started = time.perf_counter()
        changes = diff_snapshots(before, after)
        patch = build_patch(before_copy, before, root, after, changes)
        patch_s = time.perf_counter() - started
        return {
            "files": files,
            "bytes": total,
            "first_s": round(first, 4),
            "median_s": round(median, 4),
            "runs_s": [round(t, 4) for t in times],
            "target_s": SNAPSHOT_TARGET_S,
            "meets_target": median <= SNAPSHOT_TARGET_S,
            "diff_and_patch_s": round(patch_s, 4),
            "edited_files": len(changes.modified),
            "patch_bytes": len(patch.text),
        }


def bench_overhead(reps: int) -> dict[str, Any]:
    direct, _ = median_time(lambda: subprocess.run(["true"], check=True), reps)
    result: dict[str, Any] = {"command": "true", "direct_ms": round(direct * 1000, 3)}
    try:
        from tidegate.sandbox.bwrap import BwrapBackend  # noqa: PLC0415  (optional backend)
    except ImportError as exc:
        result["bwrap"] = {"skipped": f"not importable: {exc}"}
        return result
    backend = BwrapBackend()
    command = CommandSpec(argv=("true",))
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        try:
            backend.guards(command)
            warm = backend.run(workspace, command)
        except Exception as exc:  # the figure is optional where bwrap cannot run
            result["bwrap"] = {"skipped": f"{type(exc).__name__}: {exc}"}
            return result
        if warm.status != "ok":
            result["bwrap"] = {"skipped": f"`true` ended {warm.status}: {warm.stderr[-300:]!r}"}
            return result
        median, times = median_time(lambda: backend.run(workspace, command), reps)
    overhead = (median - direct) * 1000
    result["bwrap"] = {
        "median_ms": round(median * 1000, 3),
        "overhead_ms": round(overhead, 3),
        "ratio": round(median / direct, 2) if direct else None,
        "runs_ms": [round(t * 1000, 3) for t in times],
        "target_overhead_ms": BWRAP_TARGET_MS,
        "meets_target": overhead <= BWRAP_TARGET_MS,
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=Path("bench/results/sandbox_bench.json"))
    args = parser.parse_args()
    reps = args.reps or (3 if args.quick else 7)
    snap = bench_snapshot(args.files, reps)
    overhead = bench_overhead(reps * 5)
    report = {
        "machine": {
            "python": platform.python_version(),
            "kernel": platform.release(),
            "cpus": os.cpu_count(),
        },
        "snapshot": snap,
        "command_overhead": overhead,
    }
    print(
        f"snapshot of {snap['files']} files ({snap['bytes'] / 1e6:.1f} MB): median "
        f"{snap['median_s']:.3f} s (first {snap['first_s']:.3f} s; target <= {SNAPSHOT_TARGET_S} s: "
        f"{'met' if snap['meets_target'] else 'MISSED'}); diff + patch of "
        f"{snap['edited_files']} edits: {snap['diff_and_patch_s']:.3f} s"
    )
    print(f"`true` direct: {overhead['direct_ms']:.2f} ms")
    bwrap = overhead["bwrap"]
    if "skipped" in bwrap:
        print(f"`true` under bwrap: skipped ({bwrap['skipped']})")
    else:
        print(
            f"`true` under bwrap: {bwrap['median_ms']:.2f} ms, overhead {bwrap['overhead_ms']:.2f} ms "
            f"(x{bwrap['ratio']}; target <= {BWRAP_TARGET_MS} ms: "
            f"{'met' if bwrap['meets_target'] else 'MISSED'})"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
