"""Deterministic guards shared by the backends: the environment a command gets, and what it enforces.

Precedence, lowest to highest:

1. the environment is cleared; PATH, HOME and TMPDIR get fixed sandbox values;
2. the task's contract (``CommandSpec.env``: passed-through, set and secret variables, already
   resolved by the caller) overrides those defaults;
3. the deterministic guards override the contract: TZ, LC_ALL, LANG, PYTHONHASHSEED and the
   faketime variables always win, so a task cannot switch off what its spec asked for. The
   guard directory is prepended to a contract PYTHONPATH, the faketime library to LD_PRELOAD.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import importlib.resources
import os
import posixpath
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tidegate.sandbox import egress
from tidegate.sandbox.backend import CommandSpec, GuardStatus, GuardUnavailable

SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SANDBOX_HOME = "/tmp"  # noqa: S108  (the sandbox's private tmpfs, not the host's /tmp)
SANDBOX_TMPDIR = "/tmp"  # noqa: S108
SITE_DIR = "/run/tidegate/site"
"""Where backends mount the injected guard files (sitecustomize, forwarder), read-only."""
NET_DIR = "/run/tidegate/net"
"""Where backends mount the egress proxy's unix sockets, read-only, inside the sandbox."""
FORWARDER_FILE = "tidegate_forwarder.py"  # prefixed: SITE_DIR may be on the task's PYTHONPATH
EGRESS_CONFIG = "tidegate_egress.conf"
HOSTS_FILE = "hosts"

FAKETIME_GLOBS = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/*/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
    "/usr/local/lib/faketime/libfaketime.so.1",
)


def refuse(guard: str, why: str, hint: str | None = None) -> GuardUnavailable:
    """Return the GuardUnavailable naming ``guard`` and why (the run must not start)."""
    return GuardUnavailable(f"guard {guard!r} cannot be enforced: {why}", guard=guard, hint=hint)


def find_faketime() -> str | None:
    """Return the path of libfaketime.so.1 on this machine, or None."""
    for pattern in FAKETIME_GLOBS:
        for match in sorted(glob.glob(pattern)):
            if Path(match).is_file():
                return match
    return None


def faketime_value(clock: str, epoch: int) -> str:
    """Return libfaketime's FAKETIME for ``clock`` at ``epoch``.

    libfaketime reads an absolute "YYYY-MM-DD HH:MM:SS" as a clock frozen at that instant and
    "@YYYY-MM-DD HH:MM:SS" as a clock that starts there and runs (each process starts at the
    epoch when it loads the library). The time is read in UTC: the guard sets TZ separately.
    """
    stamp = datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    if clock == "frozen":
        return stamp
    if clock == "start-at":
        return "@" + stamp
    raise ValueError(f"no faketime value for clock {clock!r}")


def sitecustomize_source(seed: int) -> str:
    """Return the sitecustomize.py that seeds ``random`` now and numpy.random when imported."""
    return f'''"""Injected by tidegate: seed the random number generators before the task's code runs."""
import random as _random
import sys as _sys

_SEED = {seed:d}
_random.seed(_SEED)


class _SeedNumpy:
    """Seed numpy.random right after it is first imported (numpy itself stays lazy)."""

    def find_spec(self, name, path=None, target=None):
        if name != "numpy.random":
            return None
        _sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            module.seed(_SEED)

        spec.loader.exec_module = exec_module
        return spec


_sys.meta_path.insert(0, _SeedNumpy())
'''


@dataclass(frozen=True)
class GuardedEnvironment:
    """The environment of one command, the files the backend must provide, and the guard record."""

    env: dict[str, str]
    statuses: list[GuardStatus]
    site_files: dict[str, str] = field(default_factory=dict)  # name -> content, under SITE_DIR


def build_environment(
    command: CommandSpec, faketime_lib: str | None, site_dir: str = SITE_DIR
) -> GuardedEnvironment:
    """Return the cleared-then-guarded environment of ``command``; GuardUnavailable if it cannot be."""
    guards = command.guards
    env: dict[str, str] = {"PATH": SANDBOX_PATH, "HOME": SANDBOX_HOME, "TMPDIR": SANDBOX_TMPDIR}
    env.update(command.env)
    statuses = [
        GuardStatus(
            "environment",
            True,
            f"cleared; {len(command.env)} contract variable(s) plus PATH, HOME, TMPDIR",
        )
    ]
    env["TZ"] = guards.tz
    statuses.append(GuardStatus("tz", True, f"TZ={guards.tz}"))
    env["LC_ALL"] = env["LANG"] = guards.locale
    statuses.append(GuardStatus("locale", True, f"LC_ALL=LANG={guards.locale}"))
    site_files: dict[str, str] = {}
    if guards.seed is not None:
        env["PYTHONHASHSEED"] = str(guards.seed)
        # Perl's hash order is the other common runtime with a seed variable (hex digits).
        env["PERL_HASH_SEED"] = f"{guards.seed:x}"
        env["PERL_PERTURB_KEYS"] = "0"
        env["PYTHONPATH"] = _prepend(site_dir, command.env.get("PYTHONPATH"))
        site_files["sitecustomize.py"] = sitecustomize_source(guards.seed)
        statuses.append(
            GuardStatus(
                "seed",
                True,
                f"PYTHONHASHSEED={guards.seed}; sitecustomize seeds random and numpy.random; "
                "PERL_HASH_SEED; other runtimes and /dev/urandom are not seeded",
            )
        )
    else:
        statuses.append(GuardStatus("seed", False, "not requested: hash and RNG seeds are random"))
    statuses.append(_clock(env, command, faketime_lib))
    return GuardedEnvironment(env=env, statuses=statuses, site_files=site_files)


def _clock(env: dict[str, str], command: CommandSpec, faketime_lib: str | None) -> GuardStatus:
    """Set the faketime variables for a frozen or start-at clock; return the clock's status."""
    guards = command.guards
    if guards.clock == "real":
        return GuardStatus("clock", False, "not requested: the real clock")
    if guards.clock not in {"frozen", "start-at"}:
        raise refuse("clock", f"unknown clock mode {guards.clock!r}")
    if guards.epoch is None:
        raise refuse("clock", f"clock {guards.clock!r} needs an epoch")
    if faketime_lib is None:
        raise refuse(
            "clock",
            "libfaketime.so.1 is not installed",
            hint="apt-get install faketime (libfaketime)",
        )
    env["FAKETIME"] = faketime_value(guards.clock, guards.epoch)
    # The monotonic clock stays real so that timeouts and sleeps inside the task still work.
    env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
    env["LD_PRELOAD"] = _prepend(faketime_lib, command.env.get("LD_PRELOAD"), sep=" ")
    return GuardStatus(
        "clock",
        True,
        f"libfaketime FAKETIME={env['FAKETIME']!r} (monotonic real); "
        "static binaries (e.g. Go) and raw syscalls see the real clock",
    )


def _prepend(first: str, rest: str | None, sep: str = ":") -> str:
    return f"{first}{sep}{rest}" if rest else first


def check_cwd(cwd: str) -> None:
    """Refuse (guard ``filesystem``) a working directory that is absolute or leaves the workspace."""
    normal = posixpath.normpath(cwd)
    if posixpath.isabs(normal) or normal == ".." or normal.startswith("../"):
        raise refuse("filesystem", f"cwd {cwd!r} is outside the workspace")


@contextlib.contextmanager
def site_dir(files: dict[str, str]) -> Iterator[str | None]:
    """Write the injected guard files to a private host directory for a read-only bind (or None)."""
    if not files:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="tidegate-site-") as directory:
        for name, content in files.items():
            path = Path(directory, name)
            path.write_text(content)
            path.chmod(0o644)  # readable by the sandbox's user, whoever that is
        os.chmod(directory, 0o755)  # noqa: S103  (readable inside; the bind is read-only)
        yield directory


@functools.cache
def forwarder_source() -> str:
    """Return the in-sandbox forwarder's source, read once (every allow-list command mounts it)."""
    return importlib.resources.files("tidegate.sandbox").joinpath("forwarder.py").read_text()


@dataclass(frozen=True)
class EgressSetup:
    """How a backend forwards an allow-list: the routes, the interpreter, the files to mount."""

    plan: egress.EgressPlan
    python: str  # the sandbox's python3, which runs the forwarder
    site_files: dict[str, str]  # name -> content, under SITE_DIR
    status: str  # the network guard's record

    def launcher(self, argv: Sequence[str]) -> list[str]:
        """Return ``argv`` started through the forwarder (it execs ``argv`` in its place)."""
        forwarder = posixpath.join(SITE_DIR, FORWARDER_FILE)
        config = posixpath.join(SITE_DIR, EGRESS_CONFIG)
        return [self.python, "-I", "-S", forwarder, config, "--", *argv]


def egress_setup(allow: Sequence[tuple[str, int]], python: str, *, hosts_file: bool) -> EgressSetup:
    """Return the forwarding of ``allow`` (with a hosts file to mount when ``hosts_file``);
    GuardUnavailable naming the entry that cannot be enforced."""
    try:
        plan = egress.plan(allow)
    except egress.AllowListError as exc:
        raise refuse("network", str(exc), hint="fix network.allow in the task spec") from exc
    files = {
        FORWARDER_FILE: forwarder_source(),
        EGRESS_CONFIG: egress.forwarder_config(plan, NET_DIR),
    }
    if hosts_file:
        files[HOSTS_FILE] = egress.hosts_file(plan)
    status = (
        f"allow-list, loopback only: {egress.describe(plan)}; each relayed by tidegate's proxy "
        "to that host:port and nowhere else; allowed names resolve through /etc/hosts, no other "
        "name resolves (attempts elsewhere fail inside and are not recorded)"
    )
    return EgressSetup(plan, python, files, status)
