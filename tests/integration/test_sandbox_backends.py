"""The shared backend suite: every test runs against real bubblewrap AND a real docker engine.

Escapes fail, limits hold, clocks are frozen, seeded runs repeat, for both backends alike; the
few tests that probe one backend's own mechanism (bwrap's hide list, cgroup probing) say so.
A backend that is not installed skips, unless its TIDEGATE_REQUIRE_* variable is set, which
CI does (scripts/test.sh): then it fails.
"""

from __future__ import annotations

import ast
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tidegate.sandbox.backend import (
    Backend,
    CommandResult,
    CommandSpec,
    Guards,
    GuardUnavailable,
    Limits,
)
from tidegate.sandbox.bwrap import BwrapBackend
from tidegate.sandbox.doctor import loopback_echo_server

EPOCH = 1767225600  # 2026-01-01T00:00:00Z


def only(backend: Backend, name: str, why: str) -> None:
    """Skip a test that probes one backend's own mechanism."""
    if backend.name != name:
        pytest.skip(f"{name} only: {why}")


def run(
    backend: Backend,
    workspace: Path,
    code: str,
    *,
    limits: Limits | None = None,
    guards: Guards | None = None,
    env: dict[str, str] | None = None,
) -> CommandResult:
    """Run a Python snippet in the sandbox (the system python3, found through the fixed PATH)."""
    command = CommandSpec(
        argv=("python3", "-c", code),
        env=env or {},
        limits=limits or Limits(wall_seconds=60),
        guards=guards or Guards(),
    )
    return backend.run(workspace, command)


def sh(
    backend: Backend,
    workspace: Path,
    script: str,
    *,
    guards: Guards | None = None,
    env: dict[str, str] | None = None,
) -> CommandResult:
    """Run a shell script in the sandbox."""
    command = CommandSpec(
        argv=("sh", "-c", script),
        env=env or {},
        limits=Limits(wall_seconds=60),
        guards=guards or Guards(),
    )
    return backend.run(workspace, command)


# ---- escapes -------------------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP port listening on the host's loopback, outside the sandbox."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def test_loopback_port_opened_outside_is_unreachable(
    backend: Backend, workspace: Path, listener: int
) -> None:
    code = f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {listener}), timeout=5)
    print("connected")
except OSError as exc:
    print("blocked", type(exc).__name__, exc.errno)
"""
    result = run(backend, workspace, code)
    assert result.stdout.decode().startswith("blocked PermissionError 1"), result
    # The host's listening socket is not even visible: the network namespace is empty.
    probe = f"print(any(':{listener:04X} ' in l for l in open('/proc/net/tcp')))"
    assert run(backend, workspace, probe).stdout == b"False\n"


def test_name_resolution_fails(backend: Backend, workspace: Path) -> None:
    code = """
import socket
try:
    print(socket.getaddrinfo("example.com", 443))
except OSError as exc:
    print("blocked", type(exc).__name__)
"""
    result = run(backend, workspace, code)
    assert result.stdout.startswith(b"blocked"), result


def test_writes_outside_the_workspace_fail_or_stay_private(
    backend: Backend, workspace: Path
) -> None:
    marker = f"tidegate-{uuid.uuid4().hex}"
    script = (
        f"echo x > /etc/{marker} || echo etc-ro; echo x > /{marker} || echo root-ro; "
        f"echo x > /usr/{marker} || echo usr-ro; echo x > /tmp/{marker} && echo tmp-ok; "
        "echo inside > /workspace/out.txt"
    )
    result = sh(backend, workspace, script)
    assert result.stdout.split() == [b"etc-ro", b"root-ro", b"usr-ro", b"tmp-ok"], result
    assert not Path("/etc", marker).exists()
    assert not Path("/tmp", marker).exists()  # the sandbox's /tmp is a private tmpfs
    assert (workspace / "out.txt").read_text() == "inside\n"


def test_host_environment_does_not_leak(
    backend: Backend, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIDEGATE_TEST_HOST_SECRET", "hunter2")
    result = sh(
        backend,
        workspace,
        "env; cat /etc/shadow 2>/dev/null || echo shadow-hidden",
        env={"CONTRACT_VAR": "yes"},
    )
    out = result.stdout.decode()
    assert "hunter2" not in out
    assert "TIDEGATE_TEST_HOST_SECRET" not in out
    assert "CONTRACT_VAR=yes" in out
    assert "shadow-hidden" in out


def test_bwrap_hides_host_secret_paths(
    backend: Backend, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    only(backend, "bwrap", "a container sees the image, not the host's root")
    # Outside /tmp (private in the sandbox anyway) and outside the checkout (a CI clone may
    # live under /tmp), so only the hide list can cover it.
    secret_dir = Path("/opt") / f"tidegate-test-{uuid.uuid4().hex[:8]}" / ".tidegate"
    secret_dir.mkdir(parents=True)
    (secret_dir / "key").write_text("private key material")
    script = f"cat {secret_dir}/key 2>/dev/null || echo key-hidden; ls -A /root /run"
    try:
        result = sh(BwrapBackend(hide=[secret_dir]), workspace, script)
        unhidden = sh(BwrapBackend(hide=[]), workspace, f"cat {secret_dir}/key")
    finally:
        shutil.rmtree(secret_dir.parent)
    out = result.stdout.decode()
    assert "key-hidden" in out
    assert out.split("/root:")[1].split() == ["/run:"]  # both empty: no docker.sock either
    assert unhidden.stdout == b"private key material"  # the hide list is what protects it


def test_host_processes_are_invisible(backend: Backend, workspace: Path) -> None:
    code = "import os; print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))"
    pids = ast.literal_eval(run(backend, workspace, code).stdout.decode())
    assert len(pids) <= 3, pids  # bwrap's init, python (and nothing of the host)
    assert len([p for p in os.listdir("/proc") if p.isdigit()]) > len(pids)


def test_ptrace_is_denied(backend: Backend, workspace: Path) -> None:
    code = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
print(libc.ptrace(0, 0, None, None), ctypes.get_errno())
"""
    assert run(backend, workspace, code).stdout == b"-1 1\n"  # PTRACE_TRACEME -> EPERM
    if shutil.which("strace") is None or backend.name != "bwrap":
        return  # the docker image carries no strace; the syscall check above is the guard
    result = sh(backend, workspace, "strace -o /dev/null true")
    assert result.status == "failed"
    assert b"Operation not permitted" in result.stderr


def test_new_namespaces_are_denied(backend: Backend, workspace: Path) -> None:
    code = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
print(libc.unshare(0x10000000), ctypes.get_errno())
"""
    assert run(backend, workspace, code).stdout == b"-1 1\n"  # CLONE_NEWUSER -> EPERM


def test_fork_bomb_is_contained_by_the_pids_limit(backend: Backend, workspace: Path) -> None:
    code = """
import os, signal
children = 0
while True:
    try:
        pid = os.fork()
    except BlockingIOError:
        break
    if pid == 0:
        signal.pause()
        os._exit(0)
    children += 1
print(children, flush=True)
"""
    result = run(backend, workspace, code, limits=Limits(wall_seconds=60, processes=20))
    assert result.status == "ok", result
    assert 0 < int(result.stdout) < 20
    if backend.name == "bwrap":  # docker's container cgroup (and its pids.events) is gone at exit
        assert any(guard == "processes" for guard, _ in result.violations)


def test_memory_over_the_limit_is_oom_killed(backend: Backend, workspace: Path) -> None:
    code = """
chunks = []
for _ in range(100):
    chunks.append(b"x" * (16 << 20))
print("survived")
"""
    result = run(backend, workspace, code, limits=Limits(wall_seconds=60, memory_mb=64))
    assert result.status == "oom", result
    assert b"survived" not in result.stdout
    assert any(guard == "memory" for guard, _ in result.violations)


def test_cpu_limit_kills_a_busy_loop(backend: Backend, workspace: Path) -> None:
    result = run(
        backend, workspace, "while True: pass", limits=Limits(wall_seconds=60, cpu_seconds=1)
    )
    assert result.status == "killed", result
    assert any(guard == "cpu" for guard, _ in result.violations)


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path("/proc", entry, "cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                found.append(int(entry))
    return found


def test_wall_time_kills_the_whole_tree(backend: Backend, workspace: Path) -> None:
    marker = f"tidegate-marker-{uuid.uuid4().hex}"
    # A child that ignores SIGTERM and a grandchild sleeping far past the limit.
    code = f"""
import signal, subprocess, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
subprocess.Popen(["sh", "-c", "sleep 1000; : {marker}"])
print("ready", flush=True)
signal.pause()
"""
    result = run(backend, workspace, code, limits=Limits(wall_seconds=3))
    assert result.status == "timeout", result
    assert result.exit_code is None
    assert result.stdout == b"ready\n"
    assert [guard for guard, _ in result.violations] == ["wall_time"]
    assert _processes_with(marker) == []


def test_output_over_the_limit_is_truncated_and_flagged(backend: Backend, workspace: Path) -> None:
    code = "import sys; sys.stdout.write('o' * 100000); sys.stderr.write('e' * 10)"
    result = run(backend, workspace, code, limits=Limits(wall_seconds=60, output_bytes=1000))
    assert result.status == "ok"
    assert result.stdout == b"o" * 1000
    assert result.stdout_truncated
    assert result.stderr == b"e" * 10
    assert not result.stderr_truncated
    assert ("output", "stdout over 1000 bytes: truncated") in result.violations


# ---- network allow-list --------------------------------------------------------------------


@pytest.fixture
def echo_server() -> Iterator[int]:
    """A host loopback port that echoes what each connection sends, until it half-closes."""
    with loopback_echo_server() as port:
        yield port


ALLOW_PROBE = """
import socket

def attempt(label, make):
    try:
        make()
        print(label, "open")
    except OSError as exc:
        print(label, "shut", type(exc).__name__)

with socket.create_connection(("127.0.0.1", {allowed}), timeout=10) as conn:
    conn.sendall(b"hello tidegate")
    conn.shutdown(socket.SHUT_WR)
    print("echo", conn.recv(100).decode())
attempt("other-port", lambda: socket.create_connection(("127.0.0.1", {other}), timeout=5))
attempt("public-ip", lambda: socket.create_connection(("192.0.2.1", 443), timeout=5))
attempt("resolve", lambda: socket.getaddrinfo("example.com", 443))
attempt("netlink", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0))
attempt("packet", lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0))
"""


def test_allow_list_reaches_the_allowed_port_and_nothing_else(
    backend: Backend, workspace: Path, echo_server: int, listener: int
) -> None:
    """Only the allowed host:port answers; another host port, other hosts, DNS, raw sockets fail."""
    guards = Guards(network="allow", allow=(("127.0.0.1", echo_server),))
    code = ALLOW_PROBE.format(allowed=echo_server, other=listener)
    result = run(backend, workspace, code, guards=guards)
    assert result.status == "ok", result
    lines = result.stdout.decode().splitlines()
    assert lines[0] == "echo hello tidegate"
    assert lines[1] == "other-port shut ConnectionRefusedError"  # listening outside: not routed
    assert lines[2].startswith("public-ip shut")
    assert lines[3].startswith("resolve shut")
    assert lines[4:] == ["netlink shut PermissionError", "packet shut PermissionError"]
    (use,) = result.network
    assert use.destination == f"127.0.0.1:{echo_server}"
    assert (use.connections, use.bytes_out, use.bytes_in) == (1, 14, 14)
    assert use.errors == ()


def test_allow_list_names_resolve_to_their_route_only(backend: Backend, workspace: Path) -> None:
    """An allowed name resolves inside to its loopback route; the host proxy, not the sandbox,
    resolves it for real, and a failure there is recorded against the destination."""
    name = f"tidegate-{uuid.uuid4().hex[:8]}.invalid"  # never resolves on the host either
    guards = Guards(network="allow", allow=((name, 8443), ("localhost", 9)))
    code = f"""
import socket
print(sorted({{a[4][0] for a in socket.getaddrinfo("{name}", 8443, socket.AF_INET)}}))
with socket.create_connection(("{name}", 8443), timeout=10) as conn:
    print("closed" if conn.recv(10) == b"" else "data")
try:
    socket.getaddrinfo("other-{name}", 8443)
    print("resolved")
except OSError:
    print("unresolved")
"""
    result = run(backend, workspace, code, guards=guards)
    assert result.status == "ok", result
    assert result.stdout.decode().splitlines() == ["['127.0.0.2']", "closed", "unresolved"]
    named, local = result.network
    assert (named.destination, named.address, named.connections) == (
        f"{name}:8443",
        "127.0.0.2:8443",
        1,
    )
    assert len(named.errors) == 1 and named.errors[0].startswith(f"connect to {name}:8443")
    assert (local.address, local.connections) == ("127.0.0.1:9", 0)


def test_allow_list_below_port_1024_leaves_the_task_no_capability(
    backend: Backend, workspace: Path
) -> None:
    """The forwarder may listen on port 443 of the sandbox's loopback; the task holds nothing."""
    guards = Guards(network="allow", allow=(("localhost", 443),))
    code = """
import socket
print([l.split()[1] for l in open("/proc/self/status") if l.startswith("Cap")])
probe = socket.socket()
try:
    probe.connect(("127.0.0.1", 443))
    print("forwarder listening")
except OSError as exc:
    print("nothing on 443", exc)
try:
    socket.create_connection(("::1", 443), timeout=5).close()
    print("forwarder listening on ::1")
except OSError as exc:
    print("no IPv6 here" if exc.errno in (99, 97) else f"refused on ::1: {exc}")
"""
    result = run(backend, workspace, code, guards=guards)
    assert result.status == "ok", result
    caps, listening, v6 = result.stdout.decode().splitlines()
    assert caps == str(["0000000000000000"] * 5)
    assert listening == "forwarder listening"
    assert v6 in {"forwarder listening on ::1", "no IPv6 here"}  # never refused on ::1


def test_allow_list_forwarder_is_not_the_task_s_child(backend: Backend, workspace: Path) -> None:
    """The forwarder is detached: the task has no child it did not start, and exit codes pass
    through."""
    guards = Guards(network="allow", allow=(("127.0.0.1", 9),))
    code = """
import os, sys
try:
    os.wait()
    print("a child")
except ChildProcessError:
    print("no child")
sys.exit(3)
"""
    result = run(backend, workspace, code, guards=guards)
    assert (result.status, result.exit_code, result.stdout) == ("failed", 3, b"no child\n")
    missing = CommandSpec(argv=("no-such-tool-xyz",), limits=Limits(wall_seconds=30), guards=guards)
    result = backend.run(workspace, missing)
    assert result.exit_code == 127
    assert b"no-such-tool-xyz" in result.stderr


@pytest.mark.parametrize("processes", [3, 4])
def test_allow_list_forwarder_that_cannot_fork_is_a_network_violation(
    backend: Backend, workspace: Path, processes: int
) -> None:
    """Under a processes limit too tight for the relay (first fork or second), the command
    does not run and the run says why, as a network violation, not as the task's failure."""
    only(backend, "bwrap", "counts bwrap's own two processes, which docker does not have")
    command = CommandSpec(
        argv=("sh", "-c", "echo ran"),
        limits=Limits(wall_seconds=30, processes=processes),
        guards=Guards(network="allow", allow=(("127.0.0.1", 9),)),
    )
    try:
        result = backend.run(workspace, command)
    except GuardUnavailable as exc:
        pytest.skip(f"no processes limit here: {exc}")
    assert (result.status, result.exit_code, result.stdout) == ("failed", 126, b"")
    network = [detail for guard, detail in result.violations if guard == "network"]
    assert len(network) == 1
    assert network[0].startswith("the allow-list forwarder failed, the command did not run")
    assert "processes limit" in network[0]


# ---- refusals ------------------------------------------------------------------------------


def test_network_allow_list_entry_that_cannot_be_forwarded_is_refused(backend: Backend) -> None:
    """An IP outside loopback has no route from the sandbox: refused, naming the entry."""
    guards = Guards(network="allow", allow=(("10.1.2.3", 443),))
    with pytest.raises(GuardUnavailable, match=r"'network'.*10\.1\.2\.3:443") as caught:
        backend.guards(CommandSpec(argv=("true",), guards=guards))
    assert caught.value.guard == "network"


def test_cwd_outside_the_workspace_is_refused(backend: Backend) -> None:
    with pytest.raises(GuardUnavailable, match="outside the workspace"):
        backend.guards(CommandSpec(argv=("true",), cwd="../.."))


def test_guards_report_what_is_enforced(backend: Backend) -> None:
    limits = Limits(wall_seconds=5, memory_mb=64, processes=10, cpu_seconds=5)
    guards = Guards(clock="frozen", epoch=EPOCH, seed=1)
    statuses = {
        s.guard: s for s in backend.guards(CommandSpec(("true",), limits=limits, guards=guards))
    }
    expected = {
        "environment",
        "tz",
        "locale",
        "seed",
        "clock",
        "capabilities",
        "filesystem",
        "network",
        "seccomp",
        "wall_time",
        "cpu",
        "memory",
        "processes",
        "output",
    }
    own = {"bwrap": {"namespaces"}, "docker": {"namespaces", "image"}}[backend.name]
    assert set(statuses) == expected | own
    assert all(s.enforced for s in statuses.values())


# ---- determinism ---------------------------------------------------------------------------


def test_frozen_clock_prints_the_epoch(backend: Backend, workspace: Path) -> None:
    guards = Guards(clock="frozen", epoch=EPOCH)
    result = sh(
        backend, workspace, "date +%s; python3 -c 'import time; print(time.time())'", guards=guards
    )
    assert result.stdout.split() == [str(EPOCH).encode(), f"{EPOCH}.0".encode()]


def test_start_at_clock_starts_at_the_epoch_and_runs(backend: Backend, workspace: Path) -> None:
    code = """
import time
first = time.time()
deadline = time.monotonic() + 30
while time.time() == first and time.monotonic() < deadline:
    pass
print(first, time.time())
"""
    result = run(backend, workspace, code, guards=Guards(clock="start-at", epoch=EPOCH))
    first, later = (float(v) for v in result.stdout.split())
    assert EPOCH <= first < EPOCH + 60
    assert later > first


def test_real_clock_is_untouched(backend: Backend, workspace: Path) -> None:
    result = run(backend, workspace, "import time; print(int(time.time()))")
    assert abs(int(result.stdout) - int(__import__("time").time())) < 600


RANDOM_TASK = """
import random
print([random.random() for _ in range(3)])
print({"alpha", "beta", "gamma", "delta", "epsilon"})
"""


def test_same_seed_gives_identical_output(backend: Backend, workspace: Path) -> None:
    first = run(backend, workspace, RANDOM_TASK, guards=Guards(seed=11))
    second = run(backend, workspace, RANDOM_TASK, guards=Guards(seed=11))
    assert first.status == "ok", first
    assert first.stdout == second.stdout
    other = run(backend, workspace, RANDOM_TASK, guards=Guards(seed=12))
    assert other.stdout != first.stdout


def test_urandom_is_not_seeded(backend: Backend, workspace: Path) -> None:
    code = "import os; print(os.urandom(16).hex())"
    first = run(backend, workspace, code, guards=Guards(seed=11))
    second = run(backend, workspace, code, guards=Guards(seed=11))
    assert first.stdout != second.stdout
