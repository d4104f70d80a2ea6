"""tidegate's host side of an allow-list against real loopback servers, and the docker profile.

Every server here listens on 127.0.0.1 (port 0); clients connect to the proxy's unix sockets as
the sandbox's forwarder does.
"""

from __future__ import annotations

import contextlib
import copy
import json
import queue
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tidegate.sandbox import seccomp
from tidegate.sandbox.backend import CommandResult
from tidegate.sandbox.egress import plan
from tidegate.sandbox.forwarder import MAX_ERRORS
from tidegate.sandbox.proxy import EgressProxy

TIMEOUT = 10.0  # for every blocking read and join: only reached when something is wrong


class Server:
    """A TCP server on 127.0.0.1 answering each connection with ``reply(data)`` per read."""

    def __init__(self, reply: Callable[[bytes], bytes]) -> None:
        self.reply = reply
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.accepted: queue.Queue[socket.socket] = queue.Queue()
        self.received = bytearray()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self._conns.append(conn)
            self.accepted.put(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(TIMEOUT)
        with contextlib.suppress(OSError):
            while data := conn.recv(65536):
                self.received += data
                conn.sendall(self.reply(data))
            conn.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self._thread.join(TIMEOUT)
        for thread in self._threads:
            thread.join(TIMEOUT)
        for conn in self._conns:
            conn.close()


@pytest.fixture
def servers() -> Iterator[Callable[[Callable[[bytes], bytes]], Server]]:
    """Start loopback servers on demand; close them all afterwards."""
    started: list[Server] = []

    def start(reply: Callable[[bytes], bytes] = bytes) -> Server:
        server = Server(reply)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def free_port() -> socket.socket:
    """Return a socket bound to a 127.0.0.1 port that is not listening (connects are refused)."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    return holder


def connect(proxy: EgressProxy, index: int = 0) -> socket.socket:
    """Connect to route ``index``'s unix socket, as the sandbox's forwarder does."""
    assert proxy.directory is not None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(TIMEOUT)
    client.connect(str(proxy.directory / proxy.egress.routes[index].socket_name))
    return client


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    """Read exactly ``size`` bytes (EOF before is a failure)."""
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, f"EOF after {len(data)} of {size} bytes"
        data += chunk
    return bytes(data)


def wait_until(condition: Callable[[], bool]) -> bool:
    """Poll ``condition`` until it holds or TIMEOUT passes (a condition, not a timing)."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def recv_all(sock: socket.socket) -> bytes:
    """Read until EOF."""
    data = bytearray()
    while chunk := sock.recv(65536):
        data += chunk
    return bytes(data)


# -- EgressProxy -----------------------------------------------------------------------------


def test_route_reaches_its_destination(servers: Callable[..., Server]) -> None:
    """A client on the route's socket talks to the allowed destination, both ways."""
    server = servers()
    egress = plan([("127.0.0.1", server.port)])
    with EgressProxy(egress) as proxy, connect(proxy) as client:
        client.sendall(b"hello through the proxy")
        assert recv_exactly(client, 23) == b"hello through the proxy"
        client.shutdown(socket.SHUT_WR)
        assert recv_all(client) == b""  # the destination's EOF is passed back
    assert bytes(server.received) == b"hello through the proxy"


def test_each_route_connects_only_to_its_destination(servers: Callable[..., Server]) -> None:
    """With several routes, each socket reaches its own destination and no other."""
    first = servers(lambda data: b"first:" + data)
    second = servers(lambda data: b"second:" + data)
    egress = plan([("127.0.0.1", first.port), ("localhost", second.port)])
    with EgressProxy(egress) as proxy:
        with connect(proxy, 1) as client:
            client.sendall(b"b")
            assert recv_exactly(client, 8) == b"second:b"
        with connect(proxy, 0) as client:
            client.sendall(b"a")
            assert recv_exactly(client, 7) == b"first:a"
        usage = proxy.usage()
    assert [(u.destination, u.connections) for u in usage] == [
        (f"127.0.0.1:{first.port}", 1),
        (f"localhost:{second.port}", 1),
    ]
    assert bytes(first.received) == b"a" and bytes(second.received) == b"b"


def test_directory_is_private_and_removed_on_exit(servers: Callable[..., Server]) -> None:
    """The sockets live in a mode 0700 directory, one per route, removed when the proxy exits."""
    first, second = servers(), servers()
    egress = plan([("127.0.0.1", first.port), ("localhost", second.port)])
    with EgressProxy(egress) as proxy:
        directory = proxy.directory
        assert directory is not None
        mode = directory.stat().st_mode
        assert stat.S_ISDIR(mode)
        assert stat.S_IMODE(mode) == 0o700
        assert sorted(p.name for p in directory.iterdir()) == ["0.sock", "1.sock"]
        assert all(stat.S_ISSOCK(p.stat().st_mode) for p in directory.iterdir())
    assert not directory.exists()


def test_exit_closes_open_connections(servers: Callable[..., Server]) -> None:
    """Leaving the proxy ends its relayed connections on both sides."""
    server = servers()
    with EgressProxy(plan([("127.0.0.1", server.port)])) as proxy:
        client = connect(proxy)
        client.sendall(b"open")
        assert recv_exactly(client, 4) == b"open"
        server.accepted.get(timeout=TIMEOUT)
    with client:
        assert recv_all(client) == b""  # the sandbox's side sees EOF
    [serving] = server._threads
    serving.join(TIMEOUT)  # the destination's side sees EOF too: its read loop ends
    assert not serving.is_alive()
    assert bytes(server.received) == b"open"


def test_refused_destination_is_an_error_naming_it() -> None:
    """A destination with nothing listening closes the client and is recorded, named, in usage."""
    with free_port() as holder:
        port = holder.getsockname()[1]
        with EgressProxy(plan([("127.0.0.1", port)])) as proxy, connect(proxy) as client:
            assert recv_all(client) == b""  # closed without a byte, as if refused
    [use] = proxy.usage()
    assert use.destination == f"127.0.0.1:{port}"
    assert use.connections == 1
    assert (use.bytes_out, use.bytes_in) == (0, 0)
    assert len(use.errors) == 1
    assert use.errors[0].startswith(f"connect to 127.0.0.1:{port}: ")
    assert "refused" in use.errors[0].lower()


def test_errors_are_capped_per_destination() -> None:
    """Beyond MAX_ERRORS failures per destination the rest are only counted."""
    with free_port() as holder:
        port = holder.getsockname()[1]
        with EgressProxy(plan([("127.0.0.1", port)])) as proxy:
            for _ in range(MAX_ERRORS + 5):
                with connect(proxy) as client:
                    assert recv_all(client) == b""
    [use] = proxy.usage()
    assert use.connections == MAX_ERRORS + 5
    assert len(use.errors) == MAX_ERRORS + 1
    assert all(e.startswith(f"connect to 127.0.0.1:{port}: ") for e in use.errors[:-1])
    assert use.errors[-1] == "... and 5 more"


def test_max_connections_closes_the_one_over(servers: Callable[..., Server]) -> None:
    """With max_connections=1 a second concurrent connection is closed and reported."""
    server = servers()
    with EgressProxy(plan([("127.0.0.1", server.port)]), max_connections=1) as proxy:
        with connect(proxy) as first:
            first.sendall(b"one")
            assert recv_exactly(first, 3) == b"one"  # relayed: it counts as open
            with connect(proxy) as second:
                assert recv_all(second) == b""  # closed at once
            first.sendall(b"still")
            assert recv_exactly(first, 5) == b"still"
            first.shutdown(socket.SHUT_WR)
            assert recv_all(first) == b""
        # The first one has ended: once the relay has let it go (it may still be closing it
        # when the client sees EOF), a new one is under the cap again.
        assert wait_until(lambda: not proxy.relay.links), "the relay kept a finished link"
        with connect(proxy) as third:
            third.sendall(b"three")
            assert recv_exactly(third, 5) == b"three"
        usage = proxy.usage()
    [use] = usage
    assert use.connections == 2
    assert use.errors == ("1 connection(s) closed: over 1 open at once",)
    assert use.bytes_out == use.bytes_in == len(b"onestillthree")


def test_max_connections_counts_a_connection_being_handed_over(
    servers: Callable[..., Server],
) -> None:
    """A connection connected upstream but not yet taken by the relay still counts as open."""
    server = servers()
    proxy = EgressProxy(plan([("127.0.0.1", server.port)]), max_connections=1)
    handing_over, release = threading.Event(), threading.Event()
    calls: list[int] = []
    with proxy:  # the relay exists once the proxy is entered
        submit = proxy.relay.submit

        def slow_submit(*args: Any) -> None:  # holds the first hand-off: widens the window
            calls.append(1)
            if len(calls) == 1:
                handing_over.set()
                release.wait(TIMEOUT)
            submit(*args)

        proxy.relay.submit = slow_submit  # type: ignore[method-assign]
        first = connect(proxy)
        assert handing_over.wait(TIMEOUT)
        with connect(proxy) as second:
            try:  # closed over the cap (reset or broken pipe), or relayed past it: b"2"
                second.sendall(b"2")
                answer = second.recv(1)
            except (ConnectionResetError, BrokenPipeError):
                answer = b""
            finally:
                release.set()
            with first:
                first.sendall(b"1")
                assert recv_exactly(first, 1) == b"1"
            assert answer == b"", "a second connection was relayed with max_connections=1"
    [use] = proxy.usage()
    assert use.connections == 1
    assert use.errors == ("1 connection(s) closed: over 1 open at once",)


def test_counters_match_bytes_sent(servers: Callable[..., Server]) -> None:
    """Per destination: connections, bytes from the sandbox and bytes back are counted exactly."""
    doubled = servers(lambda data: data + data)
    silent = servers(lambda data: b"")
    egress = plan([("127.0.0.1", doubled.port), ("127.0.0.1", silent.port)])
    sent = [b"x" * 1000, b"y" * 70_000, b"z"]
    with EgressProxy(egress) as proxy:
        for payload in sent:
            with connect(proxy, 0) as client:
                client.sendall(payload)
                client.shutdown(socket.SHUT_WR)
                reply = recv_all(client)  # each of the server's reads is sent back twice
                assert len(reply) == 2 * len(payload) and set(reply) == set(payload)
        with connect(proxy, 1) as client:
            client.sendall(b"q" * 4096)
            client.shutdown(socket.SHUT_WR)
            assert recv_all(client) == b""
        usage = proxy.usage()
    total = sum(len(p) for p in sent)
    assert usage[0].connections == 3
    assert usage[0].bytes_out == total
    assert usage[0].bytes_in == 2 * total
    assert usage[0].address == f"127.0.0.1:{doubled.port}"
    assert (usage[1].connections, usage[1].bytes_out, usage[1].bytes_in) == (1, 4096, 0)
    assert usage[0].errors == usage[1].errors == ()


# -- the docker seccomp profile --------------------------------------------------------------

docker = pytest.importorskip("tidegate.sandbox.docker")


def socket_rules(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the profile's rules about socket()."""
    return [rule for rule in profile["syscalls"] if "socket" in rule.get("names", [])]


def denies(profile: dict[str, Any], family: int) -> bool:
    """Evaluate the profile's socket rules for socket(family, ...): is it refused?"""
    compare = {
        "SCMP_CMP_EQ": lambda a, v: a == v,
        "SCMP_CMP_NE": lambda a, v: a != v,
        "SCMP_CMP_GE": lambda a, v: a >= v,
        "SCMP_CMP_GT": lambda a, v: a > v,
        "SCMP_CMP_LT": lambda a, v: a < v,
        "SCMP_CMP_LE": lambda a, v: a <= v,
    }
    for rule in socket_rules(profile):
        assert rule["action"] == "SCMP_ACT_ERRNO"
        if all(compare[arg["op"]](family, arg["value"]) for arg in rule.get("args", [])):
            return True
    return False


@pytest.fixture
def profile() -> dict[str, Any]:
    """The seccomp profile file, parsed."""
    loaded: dict[str, Any] = json.loads(docker.seccomp_profile_text())
    return loaded


def test_profile_for_allow_denies_all_but_ip_and_unix(profile: dict[str, Any]) -> None:
    """For "allow": denied_families and AF_MAX up are denied; AF_INET(6) and AF_UNIX are not."""
    original = copy.deepcopy(profile)
    result = docker.profile_for_network(profile, "allow")
    assert profile == original  # the input is not modified
    rules = socket_rules(result)
    equal = {r["args"][0]["value"] for r in rules if r["args"][0]["op"] == "SCMP_CMP_EQ"}
    assert equal == set(seccomp.denied_families("allow"))
    assert [r["args"][0]["value"] for r in rules if r["args"][0]["op"] == "SCMP_CMP_GE"] == [
        seccomp.AF_MAX
    ]
    assert {r["args"][0]["op"] for r in rules} == {"SCMP_CMP_EQ", "SCMP_CMP_GE"}  # file's NE gone
    assert all(r["errnoRet"] == 1 and r["args"][0]["index"] == 0 for r in rules)
    for family in (socket.AF_INET, socket.AF_INET6, socket.AF_UNIX):
        assert not denies(result, family)
    for family in [*seccomp.denied_families("allow"), seccomp.AF_MAX, seccomp.AF_MAX + 1, 255]:
        assert denies(result, family)
    assert socket.AF_NETLINK in seccomp.denied_families("allow")
    assert socket.AF_PACKET in seccomp.denied_families("allow")
    # every other rule is kept as it was, in order
    others = [r for r in profile["syscalls"] if "socket" not in r.get("names", [])]
    assert [r for r in result["syscalls"] if "socket" not in r.get("names", [])] == others
    assert {k: v for k, v in result.items() if k != "syscalls"} == {
        k: v for k, v in profile.items() if k != "syscalls"
    }


def test_profile_file_rule_allows_only_unix(profile: dict[str, Any]) -> None:
    """The file's own socket rule (network none) denies every family but AF_UNIX."""
    for family in range(seccomp.AF_MAX + 5):
        assert denies(profile, family) == (family != socket.AF_UNIX)


def test_profile_for_none_is_the_file_rule(profile: dict[str, Any]) -> None:
    """For "none" the file's rule is used unchanged; profile_for_network denies the same."""
    backend = docker.DockerBackend(image=None)
    assert json.loads(backend.seccomp("none")) == profile
    assert backend.seccomp("none") == json.dumps(profile)
    assert socket_rules(json.loads(backend.seccomp("none"))) == socket_rules(profile)
    rewritten = docker.profile_for_network(profile, "none")
    for family in range(seccomp.AF_MAX + 5):
        assert denies(rewritten, family) == denies(profile, family)
    allow = json.loads(backend.seccomp("allow"))
    assert allow == docker.profile_for_network(profile, "allow")


def test_denied_families() -> None:
    """denied_families lists every family below AF_MAX but the network mode's own."""
    assert seccomp.denied_families("none") == tuple(
        f for f in range(seccomp.AF_MAX) if f != socket.AF_UNIX
    )
    allowed = {socket.AF_UNIX, socket.AF_INET, socket.AF_INET6}
    assert set(seccomp.denied_families("allow")) == set(range(seccomp.AF_MAX)) - allowed


def test_annotate_names_a_forwarder_failure_as_a_network_violation() -> None:
    """Exit 126 with the forwarder's message is a network violation; another 126 is not."""
    proxy = EgressProxy(plan([("127.0.0.1", 9)]))
    message = b"tidegate forwarder: cannot listen on 127.0.0.1:9: Address already in use\n"
    failed = proxy.annotate(CommandResult("failed", 126, 1.0, b"", b"noise\n" + message))
    assert list(failed.violations) == [
        (
            "network",
            "the allow-list forwarder failed, the command did not run: "
            "cannot listen on 127.0.0.1:9: Address already in use",
        )
    ]
    assert failed.launcher_execs == 2
    assert [use.destination for use in failed.network] == ["127.0.0.1:9"]
    own = proxy.annotate(CommandResult("failed", 126, 1.0, b"", b"sh: permission denied\n"))
    assert list(own.violations) == []
