"""The two consoles: stdout carries the payload, stderr everything else."""

from __future__ import annotations

import os
import sys

from rich.console import Console

from tidegate.errors import UsageError

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def is_interactive() -> bool:
    """Return whether stderr is a terminal (progress bars are shown only then)."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def emit(text: str) -> None:
    """Write payload text to stdout exactly, with no markup processing."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def emit_bytes(data: bytes) -> None:
    """Write payload bytes to stdout exactly."""
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def say(text: str) -> None:
    """Write a status line to stderr."""
    stderr.print(text, markup=False)


def read_input(path: str, what: str, limit: int) -> bytes:
    """Read a file named on the command line (``-`` is stdin), refusing more than ``limit`` bytes."""
    if path == "-":
        data = sys.stdin.buffer.read(limit + 1)
        source = "stdin"
    else:
        try:
            with open(path, "rb") as handle:
                data = handle.read(limit + 1)
        except OSError as exc:
            raise UsageError(f"{what} {path}: {exc.strerror}") from exc
        source = path
    if len(data) > limit:
        raise UsageError(f"{what} {source} is larger than {limit} bytes")
    return data
