"""What every sandbox backend offers: run one command in a workspace under the task's guards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tidegate.errors import TidegateError


class GuardUnavailable(TidegateError):
    """A requested guard cannot be enforced by this backend here: the run is refused."""

    exit_code = 1

    def __init__(self, message: str, *, guard: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.guard = guard


@dataclass(frozen=True)
class Limits:
    """Resource limits of one command (None: not limited)."""

    wall_seconds: float | None = None
    cpu_seconds: int | None = None
    memory_mb: int | None = None
    processes: int | None = None
    output_bytes: int = 1 << 20


@dataclass(frozen=True)
class Guards:
    """The deterministic and isolation guards a task asks for."""

    network: str = "none"  # none | allow
    allow: tuple[tuple[str, int], ...] = ()  # host:port pairs when network is allow
    clock: str = "real"  # frozen | start-at | real
    epoch: int | None = None  # seconds since 1970 for frozen / start-at
    seed: int | None = None
    tz: str = "UTC"
    locale: str = "C.UTF-8"


@dataclass(frozen=True)
class CommandSpec:
    """One command to run: argv, its directory inside the workspace, its whole environment."""

    argv: tuple[str, ...]
    cwd: str = "."
    env: Mapping[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    guards: Guards = field(default_factory=Guards)
    trace_file: Path | None = None
    """Host path for an strace log of the files the command opens (None: not traced); the log
    starts with the backend's launchers (CommandResult.launcher_execs successful execves)
    before the command's own execve. A backend that cannot trace refuses the ``trace`` guard."""


@dataclass(frozen=True)
class GuardStatus:
    """Whether one guard is enforced, and how (or why not)."""

    guard: str  # e.g. network, clock, seed, filesystem, pids, memory, seccomp
    enforced: bool
    how: str


@dataclass(frozen=True)
class NetworkUse:
    """What one allowed destination saw during a command (through tidegate's egress proxy)."""

    destination: str  # host:port as allowed
    address: str  # the sandbox loopback address:port standing for it
    connections: int
    bytes_out: int  # from the sandbox
    bytes_in: int
    errors: tuple[str, ...] = ()  # failed connects, resets, connections over the cap


@dataclass(frozen=True)
class CommandResult:
    """What a command did: exit, status, duration, outputs (capped) and guard violations."""

    status: str  # ok | failed | timeout | killed | oom
    exit_code: int | None
    duration_ms: float
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    violations: Sequence[tuple[str, str]] = ()  # (guard, detail)
    network: tuple[NetworkUse, ...] = ()  # per allowed destination, when network is allow
    launcher_execs: int = 1
    """Successful execves before the command's own in a trace log (bwrap, then a forwarder)."""


class Backend(Protocol):
    """A sandbox backend (bwrap, docker)."""

    name: str

    def guards(self, command: CommandSpec) -> list[GuardStatus]:
        """Return how each guard ``command`` needs would be enforced; raise GuardUnavailable
        naming the guard and why when one cannot be (the run must not start)."""
        ...

    def run(self, workspace: Path, command: CommandSpec) -> CommandResult:
        """Run ``command`` with ``workspace`` as the only writable directory; never raise for
        what the command does (timeouts, kills, exits are results)."""
        ...

    def versions(self) -> dict[str, str]:
        """Return the versions of the tools this backend runs on (recorded as provenance)."""
        ...
