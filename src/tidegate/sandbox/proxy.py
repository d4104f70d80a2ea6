"""tidegate's host side of a network allow-list: one unix socket per route, one destination each.

The sandbox's forwarder (tidegate.sandbox.forwarder) relays each connection accepted on the
sandbox's loopback to the unix socket of its route; this proxy connects it to that route's
destination (resolved on the host) and to nothing else, then copies bytes both ways in one
relay thread. What each destination saw is counted for the run.command record.
"""

from __future__ import annotations

import dataclasses
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from tidegate.errors import TidegateError
from tidegate.sandbox.backend import CommandResult, NetworkUse
from tidegate.sandbox.egress import EgressPlan, Route
from tidegate.sandbox.forwarder import EXIT_SETUP, FORWARDER_PREFIX, Relay, Traffic

MAX_CONNECTIONS = 256
"""Connections open at once through one command's proxy; more are closed and counted."""
CONNECT_TIMEOUT = 10.0
_JOIN_SECONDS = 5.0
_CONNECT_JOIN_SECONDS = 1.0  # a connect still under way after the command is not waited for
_SUN_PATH_MAX = 107  # AF_UNIX socket paths longer than this cannot be bound


class EgressSetupError(TidegateError):
    """The egress proxy could not be set up: the command does not run."""

    exit_code = 1


class EgressProxy:
    """The unix sockets of an allow-list and the relay behind them, for one command."""

    def __init__(
        self,
        egress: EgressPlan,
        max_connections: int = MAX_CONNECTIONS,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        """Serve ``egress``'s routes once entered; at most ``max_connections`` open at once."""
        self.egress = egress
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self.directory: Path | None = None
        self._relay: Relay | None = None  # made on entering: it holds descriptors
        self.traffic = {route.socket_name: Traffic() for route in egress.routes}
        self._dropped = dict.fromkeys(self.traffic, 0)
        self._connecting = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._connectors: list[threading.Thread] = []

    @property
    def relay(self) -> Relay:
        """The relay loop (exists once the proxy is entered)."""
        assert self._relay is not None, "EgressProxy used before it was entered"
        return self._relay

    def __enter__(self) -> EgressProxy:
        """Create the sockets (in a private directory) and start the relay thread."""
        try:
            self._relay = Relay()
            self.directory = Path(tempfile.mkdtemp(prefix="tidegate-net-", dir=_socket_parent()))
        except OSError as exc:
            if self._relay is not None:
                self._relay.stop()
                self._relay.run()
            raise EgressSetupError(f"network: cannot set up the egress proxy: {exc}") from exc
        try:
            for route in self.egress.routes:
                listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.relay.listen(listener, self._acceptor(route))
                listener.bind(str(self.directory / route.socket_name))
                listener.listen(128)
        except OSError as exc:
            self.relay.stop()
            self.relay.run()  # closes what was registered
            shutil.rmtree(self.directory, ignore_errors=True)
            raise EgressSetupError(
                f"network: the egress proxy cannot listen in {self.directory}: {exc}"
            ) from exc
        self._thread = threading.Thread(target=self.relay.run, name="tidegate-egress", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop relaying, close every connection and remove the sockets."""
        self.relay.stop()
        if self._thread is not None:
            self._thread.join(_JOIN_SECONDS)
        # A connect still under way hands its sockets to a stopped relay, which closes them;
        # it is not waited for long (the command is over), and may go unrecorded.
        deadline = time.monotonic() + min(self.connect_timeout, _CONNECT_JOIN_SECONDS)
        for connector in self._connectors:
            connector.join(max(deadline - time.monotonic(), 0.0))
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)

    def annotate(self, result: CommandResult) -> CommandResult:
        """Return ``result`` with the traffic per destination, the forwarder counted as a
        launcher (for traces), and a ``network`` violation when the forwarder could not
        start the command (read once the proxy stopped: its relay no longer counts)."""
        violations = list(result.violations)
        if result.exit_code == EXIT_SETUP:
            lines = result.stderr.decode("utf-8", "replace").splitlines()
            failed = [line for line in lines if line.startswith(FORWARDER_PREFIX)]
            if failed:
                violations.append(
                    (
                        "network",
                        f"the allow-list forwarder failed, the command did not run: "
                        f"{failed[-1][len(FORWARDER_PREFIX) :]}",
                    )
                )
        return dataclasses.replace(
            result, network=self.usage(), launcher_execs=2, violations=violations
        )

    def usage(self) -> tuple[NetworkUse, ...]:
        """Return what each destination saw (read after the proxy stopped)."""
        found: list[NetworkUse] = []
        for route in self.egress.routes:
            traffic = self.traffic[route.socket_name]
            errors = list(traffic.errors)
            if traffic.errors_dropped:
                errors.append(f"... and {traffic.errors_dropped} more")
            dropped = self._dropped[route.socket_name]
            if dropped:
                errors.append(
                    f"{dropped} connection(s) closed: over {self.max_connections} open at once"
                )
            found.append(
                NetworkUse(
                    destination=str(route.destination),
                    address=f"{route.address}:{route.port}",
                    connections=traffic.connections,
                    bytes_out=traffic.bytes_out,
                    bytes_in=traffic.bytes_in,
                    errors=tuple(errors),
                )
            )
        return tuple(found)

    def _acceptor(self, route: Route) -> Callable[[socket.socket], None]:
        """Return the relay's accept callback for ``route`` (it runs in the relay thread)."""
        name = route.socket_name

        def accept(conn: socket.socket) -> None:
            if self._open() >= self.max_connections:
                self._dropped[name] += 1
                conn.close()
                return
            self.traffic[name].connections += 1
            with self._lock:
                self._connecting += 1
            connector = threading.Thread(
                target=self._connect,
                args=(conn, route),
                name="tidegate-egress-connect",
                daemon=True,
            )
            try:
                connector.start()
            except RuntimeError as exc:  # no thread to be had: refuse this one, keep serving
                with self._lock:
                    self._connecting -= 1
                self.traffic[name].error(f"connect to {route.destination}: {exc}")
                conn.close()
                return
            self._connectors = [t for t in self._connectors if t.is_alive()] + [connector]

        return accept

    def _open(self) -> int:
        """Connections open now: relayed, handed over and not yet taken, or still connecting.

        A connection is counted as connecting until after its hand-off, so it is never
        missed between the two (at worst counted twice for a moment, which errs on the safe side).
        """
        with self._lock:
            connecting = self._connecting
        return len(self.relay.links) + self.relay.pending() + connecting

    def _connect(self, conn: socket.socket, route: Route) -> None:
        """Connect to ``route``'s destination (in its own thread: names resolve slowly)."""
        traffic = self.traffic[route.socket_name]
        destination = route.destination
        try:
            upstream = socket.create_connection(
                (destination.host, destination.port), timeout=self.connect_timeout
            )
        except OSError as exc:
            traffic.error(f"connect to {destination}: {exc.strerror or exc}")
            conn.close()
        else:
            upstream.settimeout(None)
            self.relay.submit(conn, upstream, traffic)
        finally:
            with self._lock:
                self._connecting -= 1


def _socket_parent() -> str:
    """Return where the socket directory goes: the temporary directory, or /tmp when its path
    is too long for the sockets' own paths (AF_UNIX allows 107 bytes)."""
    parent = tempfile.gettempdir()
    room = _SUN_PATH_MAX - len("/tidegate-net-XXXXXXXX/00000.sock")
    return parent if len(parent.encode()) <= room else "/tmp"  # noqa: S108  (short, private dir)
