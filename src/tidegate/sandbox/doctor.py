"""`tidegate doctor`: probe which sandbox backends and guards work on this machine."""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tidegate.errors import TidegateError
from tidegate.sandbox import bwrap as bwrap_backend
from tidegate.sandbox import guards, seccomp
from tidegate.sandbox.backend import Backend, CommandSpec, Guards, GuardUnavailable, Limits

DOCKER_SOCKET = "/var/run/docker.sock"
OPTIONAL_GUARDS = frozenset({"allow-list"})
"""Rows that do not decide whether a backend is usable: only tasks with network allow need them."""
_PROBE_SECONDS = 10.0
_EPOCH = 1767225600  # 2026-01-01T00:00:00Z


@dataclass(frozen=True)
class DoctorRow:
    """One probe: which backend, which guard, whether it works here, and what was seen."""

    backend: str
    guard: str
    ok: bool
    detail: str


def doctor_report(image: str | None = None) -> list[DoctorRow]:
    """Run every probe and return its rows (bwrap first, then docker; ``image`` for docker)."""
    rows = _bwrap_rows()
    rows.append(_docker_row())
    if rows[-1].ok:
        rows += _docker_image_rows(image)
    return rows


def usable_backends(rows: list[DoctorRow]) -> list[str]:
    """Return the backends whose every probed guard works here (OPTIONAL_GUARDS aside)."""
    names = dict.fromkeys(row.backend for row in rows)
    return [
        name
        for name in names
        if all(r.ok for r in rows if r.backend == name and r.guard not in OPTIONAL_GUARDS)
    ]


def to_json(rows: list[DoctorRow]) -> dict[str, Any]:
    """Return the report as a JSON document (rows plus the usable backends)."""
    return {
        "backends": usable_backends(rows),
        "checks": [
            {"backend": r.backend, "guard": r.guard, "ok": r.ok, "detail": r.detail} for r in rows
        ],
    }


def render(rows: list[DoctorRow]) -> str:
    """Return the rows as an aligned plain-text table."""
    backend_width = max((len(r.backend) for r in rows), default=7)
    guard_width = max((len(r.guard) for r in rows), default=5)
    lines = [
        f"{r.backend:<{backend_width}}  {r.guard:<{guard_width}}  "
        f"{'ok ' if r.ok else 'NO '}  {r.detail}"
        for r in rows
    ]
    return "\n".join(lines)


def _run(argv: list[str], env: dict[str, str] | None = None, **kwargs: Any) -> tuple[int, str]:
    """Run a probe command; return its exit code and its output (stdout, then stderr)."""
    try:
        done = subprocess.run(
            argv, capture_output=True, timeout=_PROBE_SECONDS, env=env, check=False, **kwargs
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return -1, str(exc)
    text = (done.stdout + done.stderr).decode("utf-8", "replace").strip()
    return done.returncode, text


def _bwrap_rows() -> list[DoctorRow]:
    """Probe bwrap's namespaces, libfaketime, seccomp and the cgroup v1 controllers."""
    rows: list[DoctorRow] = []
    binary = shutil.which("bwrap")
    if binary is None:
        rows.append(DoctorRow("bwrap", "namespaces", False, "bwrap is not installed"))
    else:
        argv = [binary, "--unshare-user", "--unshare-pid", "--unshare-net"]
        code, text = _run([*argv, "--ro-bind", "/", "/", "--proc", "/proc", "true"])
        rows.append(
            DoctorRow(
                "bwrap",
                "namespaces",
                code == 0,
                f"{binary}: user+pid+net namespaces work" if code == 0 else f"bwrap failed: {text}",
            )
        )
    library = guards.find_faketime()
    if library is None:
        rows.append(DoctorRow("bwrap", "clock", False, "libfaketime.so.1 is not installed"))
    else:
        frozen = guards.faketime_value("frozen", _EPOCH)
        env = {"PATH": "/usr/bin:/bin", "LD_PRELOAD": library, "FAKETIME": frozen, "TZ": "UTC"}
        code, text = _run(["date", "+%s"], env=env)
        works = code == 0 and text == str(_EPOCH)
        detail = f"{library}: date printed {text!r}" + ("" if works else f", wanted {_EPOCH}")
        rows.append(DoctorRow("bwrap", "clock", works, detail))
    ok, detail = seccomp.available()
    if ok and binary is not None:
        fd = seccomp.filter_fd("none")
        try:
            code, text = _run(
                [binary, "--ro-bind", "/", "/", "--seccomp", str(fd), "true"], pass_fds=(fd,)
            )
        finally:
            os.close(fd)
        ok = code == 0
        detail = detail + ("; loaded by bwrap" if ok else f"; bwrap could not load it: {text}")
    rows.append(DoctorRow("bwrap", "seccomp", ok, detail))
    for controller, guard, fallback in (
        ("memory", "memory", "RLIMIT_AS fallback (address space per process)"),
        ("pids", "processes", "RLIMIT_NPROC fallback (per uid; refused for root)"),
    ):
        ok, detail = bwrap_backend.probe_cgroup(controller)
        rows.append(DoctorRow("bwrap", guard, ok, detail if ok else f"{detail}; {fallback}"))
    rows.append(
        DoctorRow(
            "bwrap",
            "network",
            binary is not None,
            "mode none: empty network namespace (loopback only)",
        )
    )
    if binary is not None:
        python = next((p for p in bwrap_backend.SANDBOX_PYTHONS if Path(p).is_file()), "python3")
        rows.append(_allow_list_row(bwrap_backend.BwrapBackend(), python))
    return rows


def _allow_list_row(backend: Backend, python: str) -> DoctorRow:
    """Run a command allowed to reach one loopback port of this host and nothing else: the
    row is ok when its round trip through the egress proxy works and another port stays shut."""
    with contextlib.ExitStack() as stack:
        allowed = stack.enter_context(loopback_echo_server())
        closed = stack.enter_context(loopback_echo_server())
        code = (
            "import socket\n"
            f"s = socket.create_connection(('127.0.0.1', {allowed}), timeout=5)\n"
            "s.sendall(b'ping'); s.shutdown(socket.SHUT_WR); print(s.recv(16).decode())\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {closed}), timeout=5); print('open')\n"
            "except OSError:\n"
            "    print('shut')\n"
        )
        command = CommandSpec(
            (python, "-c", code),
            limits=Limits(wall_seconds=_PROBE_SECONDS),
            guards=Guards(network="allow", allow=(("127.0.0.1", allowed),)),
        )
        try:
            backend.guards(command)
            workspace = stack.enter_context(tempfile.TemporaryDirectory(prefix="tidegate-doctor-"))
            result = backend.run(Path(workspace), command)
        except TidegateError as exc:  # refused, or the proxy or engine failed: not usable
            return DoctorRow(backend.name, "allow-list", False, exc.message)
    seen = result.stdout.decode("utf-8", "replace").split()
    works = result.status == "ok" and seen == ["ping", "shut"]
    detail = (
        f"host:port allow-list enforced: the allowed port answered through the egress proxy "
        f"and another stayed shut ({result.duration_ms:.0f} ms)"
        if works
        else f"allow-list probe failed: {result.status}, printed {seen!r}, "
        + result.stderr.decode("utf-8", "replace").strip()[-300:]
    )
    return DoctorRow(backend.name, "allow-list", works, detail)


@contextlib.contextmanager
def loopback_echo_server() -> Iterator[int]:
    """Yield a port on this host's loopback that echoes each connection until it half-closes
    (connections one after the other); closed on exit."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # shut down: the caller is done
            with conn, contextlib.suppress(OSError):
                while chunk := conn.recv(65536):
                    conn.sendall(chunk)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes an accept() still waiting
        listener.close()
        thread.join(_PROBE_SECONDS)


def _docker_row() -> DoctorRow:
    """Probe the docker engine through the docker SDK, when the SDK is installed."""
    try:
        docker: Any = importlib.import_module("docker")  # optional: only the probe needs it
    except ImportError:
        return DoctorRow("docker", "engine", False, "docker SDK not installed")
    # The engine the backend would use: DOCKER_HOST when set, else the default socket.
    where = os.environ.get("DOCKER_HOST") or f"unix://{DOCKER_SOCKET}"
    try:
        client = docker.from_env(timeout=5)
        client.ping()
        version = client.version().get("Version", "?")
    except Exception as exc:  # any SDK or socket failure means "not reachable"
        return DoctorRow("docker", "engine", False, f"{where} not reachable: {exc}")
    return DoctorRow("docker", "engine", True, f"engine {version} at {where}")


def _docker_image_rows(image: str | None) -> list[DoctorRow]:
    """Ask the docker backend how it would guard a frozen, seeded, limited command in ``image``."""
    if not image:
        return [
            DoctorRow(
                "docker",
                "image",
                False,
                "no image to probe: pass --image NAME@sha256:... (or set TIDEGATE_DOCKER_IMAGE)",
            )
        ]
    try:
        from tidegate.sandbox import docker as docker_backend  # noqa: PLC0415  (needs the SDK)
    except ImportError as exc:
        return [DoctorRow("docker", "backend", False, f"not available: {exc}")]
    command = CommandSpec(
        ("true",),
        limits=Limits(wall_seconds=_PROBE_SECONDS, memory_mb=64, processes=64, cpu_seconds=5),
        guards=Guards(clock="frozen", epoch=_EPOCH, seed=1),
    )
    backend = docker_backend.DockerBackend(image=image)
    try:
        statuses = backend.guards(command)
    except GuardUnavailable as exc:
        return [DoctorRow("docker", exc.guard, False, exc.message)]
    rows = [DoctorRow("docker", s.guard, True, s.how) for s in statuses if s.enforced]
    with tempfile.TemporaryDirectory(prefix="tidegate-doctor-") as workspace:
        result = backend.run(Path(workspace), command)
    detail = f"`true` ran in {result.duration_ms:.0f} ms"
    rows.append(DoctorRow("docker", "run", result.status == "ok", f"{detail}: {result.status}"))
    rows.append(_allow_list_row(backend, "python3"))
    return rows
