"""Docker backend benchmark: per-command overhead of ``true`` in a container next to direct.

Figures are medians of several repetitions (nothing here asserts a time; a missed target is
reported, never raised). Needs a docker engine and the image of sandbox/image/build.sh, named
by TIDEGATE_DOCKER_IMAGE or --image (scripts/with-docker.sh sets it).

    .venv/bin/python bench/docker_bench.py [--reps N] [--image REF] [--out bench/results/docker_bench.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tidegate.sandbox.backend import CommandSpec, Limits
from tidegate.sandbox.docker import DockerBackend

DOCKER_TARGET_MS = 300.0


def median_ms(action: object, reps: int) -> tuple[float, list[float]]:
    """Return the median and all timings of ``action()`` in milliseconds."""
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), times


def main() -> int:
    """Measure and print the figures; write them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--image", default=os.environ.get("TIDEGATE_DOCKER_IMAGE"))
    parser.add_argument(
        "--out", default=str(Path(__file__).parent / "results" / "docker_bench.json")
    )
    args = parser.parse_args()
    if not args.image:
        print("no image: pass --image or set TIDEGATE_DOCKER_IMAGE", file=sys.stderr)
        return 2
    backend = DockerBackend(args.image)
    command = CommandSpec(argv=("true",), limits=Limits(wall_seconds=60))
    with tempfile.TemporaryDirectory() as directory:
        workspace = Path(directory)
        backend.run(workspace, command)  # warm up: client, image inspection, page cache
        direct, _ = median_ms(lambda: subprocess.run(["true"], check=True), args.reps)
        docker, samples = median_ms(lambda: backend.run(workspace, command), args.reps)
    overhead = docker - direct
    figures = {
        "reps": args.reps,
        "direct_true_ms": round(direct, 2),
        "docker_true_ms": round(docker, 2),
        "docker_overhead_ms": round(overhead, 2),
        "docker_min_ms": round(min(samples), 2),
        "docker_max_ms": round(max(samples), 2),
        "target_ms": DOCKER_TARGET_MS,
        "met": overhead <= DOCKER_TARGET_MS,
        "versions": backend.versions(),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
    }
    print(f"direct true: {direct:.2f} ms (median of {args.reps})")
    print(
        f"docker true: {docker:.2f} ms, overhead {overhead:.2f} ms "
        f"(target <= {DOCKER_TARGET_MS:.0f} ms: {'met' if figures['met'] else 'MISSED'})"
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
