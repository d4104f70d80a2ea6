"""The relay loop shared by the sandbox's forwarder and the host proxy, and the forwarder launcher.

Relays run in a thread between real sockets (unix socket pairs and loopback TCP); the launcher
runs as the sandbox runs it, ``python3 -I -S forwarder.py CONFIG -- ARGV``, in a subprocess.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tidegate.sandbox import forwarder
from tidegate.sandbox.forwarder import (
    BUFFER_LIMIT,
    CHUNK,
    Relay,
    Traffic,
    capabilities,
    parse_config,
)

FORWARDER = Path(forwarder.__file__).resolve()
TIMEOUT = 10.0  # for every blocking read and join: only reached when something is wrong

Pair = tuple[socket.socket, socket.socket]


def unix_pair() -> Pair:
    """Return two connected unix stream sockets."""
    one, two = socket.socketpair()
    return one, two


def tcp_pair() -> Pair:
    """Return two connected TCP sockets on 127.0.0.1."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname(), timeout=TIMEOUT)
        accepted, _ = server.accept()
    client.settimeout(None)
    return client, accepted


class Relayed:
    """A relay thread carrying one connection: ``inner`` end <-> relay <-> ``outer`` end."""

    def __init__(self, make_pair: Callable[[], Pair]) -> None:
        self.relay = Relay()
        self.traffic = Traffic()
        self.inner, relay_inner = make_pair()  # the sandbox's end (bytes_out flow from it)
        relay_outer, self.outer = make_pair()  # the destination's end
        self.relay_sockets = (relay_inner, relay_outer)
        for sock in (self.inner, self.outer):
            sock.settimeout(TIMEOUT)
        self.thread = threading.Thread(target=self.relay.run, daemon=True)
        self.thread.start()
        self.relay.submit(relay_inner, relay_outer, self.traffic)

    def stop(self) -> None:
        """Stop the relay and wait for its loop to return."""
        self.relay.stop()
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive(), "Relay.run did not return after stop()"

    def close(self) -> None:
        """Stop (if still running) and close the test's ends."""
        if self.thread.is_alive():
            self.stop()
        self.inner.close()
        self.outer.close()


@pytest.fixture(params=["unix", "tcp"])
def relayed(request: pytest.FixtureRequest) -> Iterator[Relayed]:
    """A running relay carrying one connection made of socket pairs or loopback TCP."""
    link = Relayed(unix_pair if request.param == "unix" else tcp_pair)
    try:
        yield link
    finally:
        link.close()


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    """Read exactly ``size`` bytes (EOF before is a failure)."""
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(min(CHUNK * 4, size - len(data)))
        assert chunk, f"EOF after {len(data)} of {size} bytes"
        data += chunk
    return bytes(data)


def recv_all(sock: socket.socket) -> bytes:
    """Read until EOF."""
    data = bytearray()
    while chunk := sock.recv(CHUNK * 4):
        data += chunk
    return bytes(data)


def round_trip(link: Relayed, message: bytes) -> None:
    """Send ``message`` inner -> outer and back, checking both arrive intact."""
    link.inner.sendall(message)
    assert recv_exactly(link.outer, len(message)) == message
    link.outer.sendall(message[::-1])
    assert recv_exactly(link.inner, len(message)) == message[::-1]


# -- Relay -----------------------------------------------------------------------------------


def test_bytes_relayed_both_ways(relayed: Relayed) -> None:
    """Bytes written on either end arrive unchanged, in order, on the other."""
    relayed.inner.sendall(b"hello from the sandbox")
    assert recv_exactly(relayed.outer, 22) == b"hello from the sandbox"
    relayed.outer.sendall(b"reply")
    assert recv_exactly(relayed.inner, 5) == b"reply"
    for size in (1, 1000, CHUNK - 1, CHUNK, CHUNK + 1):
        round_trip(relayed, os.urandom(size))


def test_large_transfer_both_ways_at_once(relayed: Relayed) -> None:
    """5 MB each way at the same time (beyond BUFFER_LIMIT) arrive exactly, sha256-checked."""
    size = 5 * 1024 * 1024
    assert size > 4 * BUFFER_LIMIT
    outbound, inbound = os.urandom(size), os.urandom(size)
    received: dict[str, str] = {}

    def send(sock: socket.socket, data: bytes) -> None:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)

    def receive(sock: socket.socket, name: str) -> None:
        received[name] = hashlib.sha256(recv_all(sock)).hexdigest()

    threads = [
        threading.Thread(target=send, args=(relayed.inner, outbound)),
        threading.Thread(target=send, args=(relayed.outer, inbound)),
        threading.Thread(target=receive, args=(relayed.outer, "outbound")),
        threading.Thread(target=receive, args=(relayed.inner, "inbound")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive(), "transfer did not finish"
    assert received == {
        "outbound": hashlib.sha256(outbound).hexdigest(),
        "inbound": hashlib.sha256(inbound).hexdigest(),
    }
    relayed.stop()
    assert relayed.traffic.bytes_out == size
    assert relayed.traffic.bytes_in == size
    assert relayed.traffic.errors == []


def test_reading_pauses_while_the_peer_does_not_drain(relayed: Relayed) -> None:
    """A writer to an end that never reads is held back: the relay buffers a bounded amount."""
    ceiling = 64 * 1024 * 1024
    block = os.urandom(CHUNK)
    sent = bytearray()
    relayed.inner.settimeout(1.0)  # a send blocked this long means the relay stopped reading
    with contextlib.suppress(TimeoutError):
        while len(sent) < ceiling:
            count = relayed.inner.send(block)
            sent += block[:count]
    relayed.inner.settimeout(TIMEOUT)
    buffers = sum(
        sock.getsockopt(socket.SOL_SOCKET, option)
        for sock in (relayed.inner, *relayed.relay_sockets, relayed.outer)
        for option in (socket.SO_SNDBUF, socket.SO_RCVBUF)
    )
    assert len(sent) < ceiling, "the relay kept reading although nothing was drained"
    assert len(sent) <= BUFFER_LIMIT + CHUNK + buffers
    # once drained, everything sent arrives intact
    assert recv_exactly(relayed.outer, len(sent)) == bytes(sent)


def test_half_close_passed_on(relayed: Relayed) -> None:
    """A shutdown(SHUT_WR) on one end is an EOF on the other; the reverse direction still works."""
    relayed.inner.sendall(b"request")
    relayed.inner.shutdown(socket.SHUT_WR)
    assert recv_all(relayed.outer) == b"request"  # reads up to the passed-on EOF
    relayed.outer.sendall(b"response after the request's EOF")
    assert recv_exactly(relayed.inner, 32) == b"response after the request's EOF"
    relayed.outer.sendall(b"more")
    relayed.outer.shutdown(socket.SHUT_WR)
    assert recv_all(relayed.inner) == b"more"


def test_half_close_from_the_destination_side(relayed: Relayed) -> None:
    """The destination's half-close reaches the sandbox, which may still send."""
    relayed.outer.sendall(b"banner")
    relayed.outer.shutdown(socket.SHUT_WR)
    assert recv_all(relayed.inner) == b"banner"
    relayed.inner.sendall(b"still talking")
    assert recv_exactly(relayed.outer, 13) == b"still talking"


def test_finished_link_is_closed_and_forgotten(relayed: Relayed) -> None:
    """Once both directions ended, the relay closes the link's sockets and drops it."""
    round_trip(relayed, b"x")
    relayed.inner.shutdown(socket.SHUT_WR)
    assert recv_all(relayed.outer) == b""
    relayed.outer.shutdown(socket.SHUT_WR)
    assert recv_all(relayed.inner) == b""
    # The loop is single-threaded: once a later link carried bytes, the first one's close is done.
    probe_inner, relay_inner = unix_pair()
    relay_outer, probe_outer = unix_pair()
    with probe_inner, probe_outer:
        probe_inner.settimeout(TIMEOUT)
        probe_outer.settimeout(TIMEOUT)
        relayed.relay.submit(relay_inner, relay_outer, Traffic())
        probe_inner.sendall(b"probe")
        assert recv_exactly(probe_outer, 5) == b"probe"
        assert len(relayed.relay.links) == 1
        assert all(sock.fileno() == -1 for sock in relayed.relay_sockets)


def test_counters_match_bytes_each_way(relayed: Relayed) -> None:
    """bytes_out counts what the inner end sent, bytes_in what came back."""
    out_total = in_total = 0
    rng = random.Random(7)
    for _ in range(20):
        out_size, in_size = rng.randint(1, 50_000), rng.randint(0, 50_000)
        relayed.inner.sendall(os.urandom(out_size))
        recv_exactly(relayed.outer, out_size)
        if in_size:
            relayed.outer.sendall(os.urandom(in_size))
            recv_exactly(relayed.inner, in_size)
        out_total, in_total = out_total + out_size, in_total + in_size
    relayed.stop()
    assert (relayed.traffic.bytes_out, relayed.traffic.bytes_in) == (out_total, in_total)
    assert relayed.traffic.errors == []


def test_stop_returns_and_closes_every_socket(relayed: Relayed) -> None:
    """stop() makes run() return; the relay's sockets are closed and the ends see EOF."""
    round_trip(relayed, b"before stop")
    relayed.stop()
    assert all(sock.fileno() == -1 for sock in relayed.relay_sockets)
    assert relayed.relay.links == {}
    assert recv_all(relayed.inner) == b""
    assert recv_all(relayed.outer) == b""


def test_many_links_in_one_loop() -> None:
    """One loop carries many connections at once, each to its own peer only."""
    relay = Relay()
    thread = threading.Thread(target=relay.run, daemon=True)
    thread.start()
    traffic = Traffic()
    ends: list[Pair] = []
    try:
        for _ in range(20):
            inner, relay_inner = unix_pair()
            relay_outer, outer = unix_pair()
            inner.settimeout(TIMEOUT)
            outer.settimeout(TIMEOUT)
            ends.append((inner, outer))
            relay.submit(relay_inner, relay_outer, traffic)
        for index, (inner, _) in enumerate(ends):
            inner.sendall(f"link {index:02d}".encode())
        for index, (_, outer) in enumerate(ends):
            assert recv_exactly(outer, 7) == f"link {index:02d}".encode()
    finally:
        relay.stop()
        thread.join(TIMEOUT)
        for inner, outer in ends:
            inner.close()
            outer.close()
    assert not thread.is_alive()
    assert traffic.bytes_out == 20 * 7


def test_reset_is_recorded_and_closes_the_link() -> None:
    """A connection reset on one end is counted as an error and closes the other end."""
    relay = Relay()
    thread = threading.Thread(target=relay.run, daemon=True)
    thread.start()
    traffic = Traffic()
    inner, relay_inner = tcp_pair()
    relay_outer, outer = tcp_pair()
    inner.settimeout(TIMEOUT)
    outer.settimeout(TIMEOUT)
    try:
        relay.submit(relay_inner, relay_outer, traffic)
        inner.sendall(b"x")
        assert recv_exactly(outer, 1) == b"x"
        # SO_LINGER 0: close() sends a RST instead of a FIN
        outer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        outer.close()
        with contextlib.suppress(ConnectionResetError):
            assert recv_all(inner) == b""
    finally:
        relay.stop()
        thread.join(TIMEOUT)
        inner.close()
    assert not thread.is_alive()
    # Exactly one: events of the same batch for the closed link are not handled again.
    assert len(traffic.errors) == 1 and traffic.errors[0].startswith("connection reset")
    assert relay_inner.fileno() == -1 and relay_outer.fileno() == -1


def test_stop_before_run_returns_at_once() -> None:
    """A relay stopped before it ran returns from run() and closes what it was handed."""
    relay = Relay()
    inner, relay_inner = unix_pair()
    relay_outer, outer = unix_pair()
    with inner, outer:
        relay.submit(relay_inner, relay_outer, Traffic())
        relay.stop()
        thread = threading.Thread(target=relay.run, daemon=True)
        thread.start()
        thread.join(TIMEOUT)
        assert not thread.is_alive()
        assert relay_inner.fileno() == -1 and relay_outer.fileno() == -1


def test_listen_calls_accept_in_the_loop() -> None:
    """listen() hands every accepted connection to the callback, which may submit it."""
    relay = Relay()
    listener = socket.create_server(("127.0.0.1", 0))
    back_ends: queue.Queue[socket.socket] = queue.Queue()

    def accept(conn: socket.socket) -> None:
        relay_outer, outer = unix_pair()
        relay.submit(conn, relay_outer, Traffic())
        back_ends.put(outer)

    relay.listen(listener, accept)
    thread = threading.Thread(target=relay.run, daemon=True)
    thread.start()
    try:
        with socket.create_connection(listener.getsockname(), timeout=TIMEOUT) as client:
            client.sendall(b"via listener")
            client.shutdown(socket.SHUT_WR)
            with back_ends.get(timeout=TIMEOUT) as back_end:
                back_end.settimeout(TIMEOUT)
                assert recv_all(back_end) == b"via listener"
                back_end.sendall(b"ok")
                back_end.shutdown(socket.SHUT_WR)
                assert recv_all(client) == b"ok"
    finally:
        relay.stop()
        thread.join(TIMEOUT)
    assert not thread.is_alive()
    assert back_ends.empty()  # one connection, one call
    assert listener.fileno() == -1  # the loop closes its listeners too


def test_submit_after_stop_closes_the_pair() -> None:
    """A pair handed in after the loop ended is closed at once, not left open forever."""
    relay = Relay()
    relay.stop()
    relay.run()
    inner, relay_inner = unix_pair()
    relay_outer, outer = unix_pair()
    with inner, outer:
        inner.settimeout(TIMEOUT)
        outer.settimeout(TIMEOUT)
        relay.submit(relay_inner, relay_outer, Traffic())
        assert relay_inner.fileno() == -1 and relay_outer.fileno() == -1
        assert recv_all(inner) == b"" and recv_all(outer) == b""


# -- capabilities ----------------------------------------------------------------------------

STATUS = """\
Name:\tpython3
Umask:\t0022
State:\tR (running)
Uid:\t1000\t1000\t1000\t1000
CapInh:\t0000000000000000
CapPrm:\t0000000000000400
CapEff:\t0000000000000400
CapBnd:\t000001ffffffffff
CapAmb:\t0000000000000000
NoNewPrivs:\t1
Seccomp:\t2
"""


def test_capabilities_parses_status(tmp_path: Path) -> None:
    """Each Cap* line of a status file becomes its mask; other lines are ignored."""
    status = tmp_path / "status"
    status.write_text(STATUS)
    assert capabilities(str(status)) == {
        "CapInh": 0,
        "CapPrm": 1 << 10,  # CAP_NET_BIND_SERVICE
        "CapEff": 1 << 10,
        "CapBnd": (1 << 41) - 1,
        "CapAmb": 0,
    }


def test_capabilities_missing_fields_are_absent(tmp_path: Path) -> None:
    """A status without some Cap* lines (an old kernel has no CapAmb) leaves them out."""
    status = tmp_path / "status"
    status.write_text("Name:\tx\nCapEff:\tffffffffffffffff\nCapPrmX:\t1\n")
    assert capabilities(str(status)) == {"CapEff": 2**64 - 1}


def test_capabilities_of_this_process() -> None:
    """The real /proc/self/status has all five sets."""
    found = capabilities()
    assert set(found) == {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}
    assert all(mask >= 0 for mask in found.values())


# -- the launcher ----------------------------------------------------------------------------


def test_parse_config_reads_every_line() -> None:
    """parse_config returns (address, port, socket) per line, blanks around fields ignored."""
    text = "127.0.0.2 443 /run/tidegate/net/0.sock\n  127.0.0.1\t5432  /run/n/1.sock \n"
    assert parse_config(text) == [
        ("127.0.0.2", 443, "/run/tidegate/net/0.sock"),
        ("127.0.0.1", 5432, "/run/n/1.sock"),
    ]
    assert parse_config("") == []


@pytest.mark.parametrize(
    ("text", "line"),
    [("127.0.0.1 80", 1), ("a 1 /s\n\n", 2), ("a 1 /s\nb x /s\n", 2), ("a 1 /s t\n", 1)],
)
def test_parse_config_refuses_a_bad_line(text: str, line: int) -> None:
    """A line that is not ADDRESS PORT SOCKET is a ValueError naming its number."""
    with pytest.raises(
        ValueError, match=f"^configuration line {line}: expected ADDRESS PORT SOCKET$"
    ):
        parse_config(text)


def free_address() -> tuple[str, int]:
    """Return a 127.x.y.z address and a port free on it (loopback only)."""
    address = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((address, 0))
        return address, probe.getsockname()[1]


class Launcher:
    """Runs the forwarder as backends do and ends the detached relays it leaves behind."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.configs: list[Path] = []

    def config(self, content: str) -> Path:
        """Write a config file (a new one each call) and return its path."""
        path = self.directory / f"egress-{len(self.configs)}.conf"
        path.write_text(content)
        self.configs.append(path)
        return path

    def write(self, routes: list[tuple[str, int, str]]) -> Path:
        """Write a configuration of ``routes`` (address, port, socket) and return its path."""
        return self.config("".join(f"{a} {p} {s}\n" for a, p, s in routes))

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-I", "-S", str(FORWARDER), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=self.directory,
        )

    def relays(self) -> list[int]:
        """Return the pids of processes still running this launcher's config (its relays)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(FORWARDER).encode() in argv and any(
                str(config).encode() in argv for config in self.configs
            ):
                found.append(int(entry.name))
        return found

    def end_relays(self) -> None:
        for pid in self.relays():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[Launcher]:
    """A forwarder launcher whose detached relay processes are killed afterwards."""
    runner = Launcher(tmp_path)
    try:
        yield runner
    finally:
        runner.end_relays()


def one_route(launcher: Launcher) -> Path:
    """Write a config of one route on a free loopback address; return its path."""
    address, port = free_address()
    return launcher.write([(address, port, str(launcher.directory / "0.sock"))])


@pytest.mark.parametrize(
    "args",
    [(), ("egress.conf",), ("egress.conf", "--"), ("egress.conf", "true", "x")],
    ids=["nothing", "config-only", "no-argv", "no-separator"],
)
def test_main_usage_errors(launcher: Launcher, args: tuple[str, ...]) -> None:
    """Without CONFIG -- ARGV the launcher exits 126 with its usage."""
    result = launcher.run(*args)
    assert result.returncode == forwarder.EXIT_SETUP == 126
    assert "usage: forwarder.py CONFIG -- ARGV" in result.stderr


def test_main_usage_error_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    """main() returns EXIT_SETUP on a bad argument list, before touching anything."""
    assert forwarder.main(["egress.conf", "true"]) == forwarder.EXIT_SETUP
    assert "usage" in capsys.readouterr().err


def test_main_bad_config_path(launcher: Launcher) -> None:
    """A config that cannot be read exits 126 naming it; the task never runs."""
    marker = launcher.directory / "ran"
    result = launcher.run(str(launcher.directory / "missing.conf"), "--", "touch", str(marker))
    assert result.returncode == 126
    assert "tidegate forwarder:" in result.stderr and "missing.conf" in result.stderr
    assert not marker.exists()


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("127.0.0.1 80\n", 1),
        ("127.0.0.2 80 /a.sock\n127.0.0.1 http /b.sock\n", 2),
        ("127.0.0.1 80 /a b.sock\n", 1),
        ("127.0.0.1 -80 /a.sock\n", 1),
        ('[{"address": "127.0.0.1", "port": 80, "socket": "/a.sock"}]\n', 1),
    ],
    ids=["two-fields", "bad-port-line-2", "four-fields", "negative-port", "json"],
)
def test_main_bad_config_content(launcher: Launcher, content: str, line: int) -> None:
    """A configuration line that is not ADDRESS PORT SOCKET exits 126 naming the line."""
    config = launcher.config(content)
    marker = launcher.directory / "ran"
    result = launcher.run(str(config), "--", "touch", str(marker))
    assert result.returncode == 126
    assert result.stderr == (
        f"tidegate forwarder: configuration line {line}: expected ADDRESS PORT SOCKET\n"
    )
    assert not marker.exists()
    assert launcher.relays() == []  # nothing was started


def test_main_port_out_of_range(launcher: Launcher) -> None:
    """A configuration port above 65535 exits 126 (the task never started), not 1."""
    config = launcher.write([("127.0.0.1", 99999, str(launcher.directory / "0.sock"))])
    marker = launcher.directory / "ran"
    result = launcher.run(str(config), "--", "touch", str(marker))
    assert not marker.exists()
    assert result.returncode == 126, result.stderr


def test_main_address_in_use(launcher: Launcher) -> None:
    """A route that cannot be listened on exits 126 naming the address and port."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        config = launcher.write([("127.0.0.1", port, "/x.sock")])
        result = launcher.run(str(config), "--", "true")
    assert result.returncode == 126
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_main_runs_the_task(launcher: Launcher) -> None:
    """With a valid config the task runs in the launcher's place and its exit status is returned."""
    assert launcher.run(str(one_route(launcher)), "--", "true").returncode == 0
    config = one_route(launcher)  # a new address: the first run's relay still listens there
    result = launcher.run(str(config), "--", "sh", "-c", "echo out; echo err >&2; exit 7")
    assert (result.returncode, result.stdout, result.stderr) == (7, "out\n", "err\n")


def test_main_exec_not_found(launcher: Launcher) -> None:
    """A task that does not exist exits 127 with a message naming it."""
    config = one_route(launcher)
    result = launcher.run(str(config), "--", "/nonexistent")
    assert result.returncode == forwarder.EXIT_NOT_FOUND == 127
    assert "cannot run '/nonexistent'" in result.stderr


def test_main_exec_not_executable(launcher: Launcher) -> None:
    """A task that exists but cannot be executed exits 126 naming it."""
    config = one_route(launcher)
    script = launcher.directory / "script"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o644)
    result = launcher.run(str(config), "--", str(script))
    assert result.returncode == 126
    assert f"cannot run {str(script)!r}" in result.stderr


def test_main_relays_task_connections_to_the_unix_socket(launcher: Launcher) -> None:
    """The task's connection to the route's address reaches the unix socket, both ways."""
    address, port = free_address()
    path = launcher.directory / "0.sock"
    config = launcher.write([(address, port, str(path))])
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    server.settimeout(TIMEOUT)
    seen: list[bytes] = []

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = server.accept()
            with conn:
                conn.settimeout(TIMEOUT)
                data = recv_all(conn)
                seen.append(data)
                conn.sendall(b"echo:" + data)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = (
        "import socket\n"
        f"s = socket.create_connection(({address!r}, {port}), timeout=10)\n"
        "s.sendall(b'ping'); s.shutdown(socket.SHUT_WR)\n"
        "data = b''\n"
        "while chunk := s.recv(100): data += chunk\n"
        "print(data.decode())\n"
    )
    try:
        result = launcher.run(str(config), "--", sys.executable, "-I", "-S", "-c", client)
        thread.join(TIMEOUT)
    finally:
        server.close()
    assert result.returncode == 0, result.stderr
    assert result.stdout == "echo:ping\n"
    assert seen == [b"ping"]
    assert launcher.relays(), "the relay runs detached, after the task ended"
