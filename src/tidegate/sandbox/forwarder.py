"""The in-sandbox side of a network allow-list: listen on loopback, relay to tidegate, run the task.

Backends copy this file into the sandbox's guard directory and start the task through it::

    python3 -I -S forwarder.py CONFIG -- ARGV...

It binds one listener per allowed destination on the sandbox's loopback (CONFIG, from
tidegate.sandbox.egress), drops every capability it was given to bind ports below 1024, starts
a detached relay process (so the task's ``wait`` never sees it), and executes ARGV in its own
place: same pid, same environment, no capability. Each accepted connection is relayed to a unix
socket that tidegate's proxy (tidegate.sandbox.proxy) serves on the host.

Standard library only, and nothing imported after the fork: it runs on the sandbox's Python,
which is not tidegate's. The relay loop is shared with the host proxy.
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import sys
import threading
from collections.abc import Callable

FORWARDER_PREFIX = "tidegate forwarder: "  # starts each of its messages (backends look for it)
EXIT_SETUP = 126  # like a shell's "found but cannot run": the task never started
EXIT_NOT_FOUND = 127
MAX_ERRORS = 20  # kept per destination; the rest are only counted
CHUNK = 65536
BUFFER_LIMIT = 262144  # per direction; reading pauses until the peer drains it
_NO_IPV6 = (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT)
_CAPABILITY_FIELDS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")


# Plain classes, a line-based configuration and no contextlib: dataclasses, json and
# contextlib would add ~15 ms to the start of every command run with an allow-list.


class Traffic:
    """Counters for one destination (written by the relay loop, read once it stopped)."""

    __slots__ = ("bytes_in", "bytes_out", "connections", "errors", "errors_dropped")

    def __init__(self) -> None:
        self.connections = 0
        self.bytes_out = 0  # from the sandbox towards the destination
        self.bytes_in = 0
        self.errors: list[str] = []
        self.errors_dropped = 0  # counted, not kept: a task can cause errors by the thousand

    def error(self, message: str) -> None:
        """Keep ``message`` while fewer than MAX_ERRORS are kept; else only count it."""
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)
        else:
            self.errors_dropped += 1


class _Side:
    """One socket of a relayed connection and what waits to be written to it."""

    __slots__ = ("events", "pending", "read_open", "sock", "write_shut")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.pending = bytearray()
        self.read_open = True  # it has not sent EOF yet
        self.write_shut = False
        self.events = selectors.EVENT_READ  # what the loop waits for on it (0: unregistered)


class _Link:
    """A relayed connection: the side that connected to us, the side we connected."""

    __slots__ = ("inner", "outer", "traffic")

    def __init__(self, inner: _Side, outer: _Side, traffic: Traffic) -> None:
        self.inner = inner
        self.outer = outer
        self.traffic = traffic

    def peer(self, side: _Side) -> _Side:
        return self.outer if side is self.inner else self.inner


class Relay:
    """A single-threaded selector loop copying bytes both ways between pairs of sockets.

    One process or thread for every connection (a pids limit counts threads); buffers are
    bounded per direction; a half-close is passed on; other threads hand in pairs through
    ``submit``.
    """

    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._wake_write.setblocking(False)
        self._handoff: list[tuple[socket.socket, socket.socket, Traffic]] = []
        self._lock = threading.Lock()
        self._stopping = False
        self._closed = False  # set once run() has closed everything: no more hand-offs
        self.links: dict[int, _Link] = {}  # live links by id
        self.selector.register(self._wake_read, selectors.EVENT_READ, None)

    def listen(self, sock: socket.socket, accept: Callable[[socket.socket], None]) -> None:
        """Call ``accept`` (in the loop) with each connection accepted on ``sock``."""
        sock.setblocking(False)
        self.selector.register(sock, selectors.EVENT_READ, (sock, accept))

    def submit(self, inner: socket.socket, outer: socket.socket, traffic: Traffic) -> None:
        """Relay between ``inner`` and ``outer`` from now on (safe from any thread); once the
        relay has stopped, close them instead."""
        with self._lock:
            accepted = not self._closed
            if accepted:
                self._handoff.append((inner, outer, traffic))
        if not accepted:
            inner.close()
            outer.close()
            return
        self.wake()

    def wake(self) -> None:
        """Interrupt the loop's wait (to take hand-offs or to stop)."""
        try:  # noqa: SIM105  (no contextlib: see the top of the module)
            self._wake_write.send(b"x")
        except OSError:
            pass  # already woken (a full buffer), or closing

    def pending(self) -> int:
        """Return how many handed-in pairs the loop has not taken yet."""
        with self._lock:
            return len(self._handoff)

    def stop(self) -> None:
        """Make ``run`` return (safe from any thread)."""
        self._stopping = True
        self.wake()

    def run(self) -> None:
        """Serve until ``stop``; then close every socket the loop holds."""
        try:
            while not self._stopping:
                for key, events in self.selector.select():
                    self._dispatch(key, events)
        finally:
            self._close_all()

    def _dispatch(self, key: selectors.SelectorKey, events: int) -> None:
        data = key.data
        if data is None:
            self._take_handoffs()
        elif isinstance(data[0], socket.socket):
            listener, accept = data
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # gone before we took it, or out of descriptors: the loop goes on
            try:
                accept(conn)
            except OSError:
                conn.close()  # e.g. out of descriptors for the other side: refused
        else:
            link, side = data
            if id(link) not in self.links:
                return  # closed by an earlier event of the same batch
            if events & selectors.EVENT_READ:
                self._read(link, side)
            if events & selectors.EVENT_WRITE:
                self._write(link, side)
            self._update(link)

    def _take_handoffs(self) -> None:
        try:
            while self._wake_read.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        with self._lock:
            handoff, self._handoff = self._handoff, []
        for inner, outer, traffic in handoff:
            inner.setblocking(False)
            outer.setblocking(False)
            link = _Link(_Side(inner), _Side(outer), traffic)
            self.links[id(link)] = link
            self.selector.register(inner, selectors.EVENT_READ, (link, link.inner))
            self.selector.register(outer, selectors.EVENT_READ, (link, link.outer))

    def _read(self, link: _Link, side: _Side) -> None:
        peer = link.peer(side)
        try:
            chunk = side.sock.recv(CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            link.traffic.error(f"connection reset: {exc.strerror or exc}")
            side.read_open = False
            peer.pending.clear()
            self._close(link)
            return
        if not chunk:
            side.read_open = False
            return
        peer.pending += chunk
        if side is link.inner:
            link.traffic.bytes_out += len(chunk)
        else:
            link.traffic.bytes_in += len(chunk)

    def _write(self, link: _Link, side: _Side) -> None:
        if not side.pending:
            return
        try:
            sent = side.sock.send(side.pending)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            side.pending.clear()
            self._close(link)
            return
        del side.pending[:sent]

    def _update(self, link: _Link) -> None:
        """Pass on EOFs, close a finished link, else wait on each side for what it needs."""
        if id(link) not in self.links:
            return
        for side in (link.inner, link.outer):
            if not link.peer(side).read_open and not side.pending and not side.write_shut:
                side.write_shut = True
                try:  # noqa: SIM105  (no contextlib: see the top of the module)
                    side.sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
        if link.inner.write_shut and link.outer.write_shut:
            self._close(link)
            return
        for side in (link.inner, link.outer):
            events = 0
            if side.read_open and len(link.peer(side).pending) < BUFFER_LIMIT:
                events |= selectors.EVENT_READ
            if side.pending:
                events |= selectors.EVENT_WRITE
            self._watch(link, side, events)

    def _watch(self, link: _Link, side: _Side, events: int) -> None:
        """Register, modify or unregister ``side`` so the loop waits for ``events`` on it."""
        if events == side.events:
            return
        if not side.events:
            self.selector.register(side.sock, events, (link, side))
        elif not events:
            self.selector.unregister(side.sock)
        else:
            self.selector.modify(side.sock, events, (link, side))
        side.events = events

    def _close(self, link: _Link) -> None:
        self.links.pop(id(link), None)
        for side in (link.inner, link.outer):
            if side.events:
                self.selector.unregister(side.sock)
                side.events = 0
            side.sock.close()

    def _close_all(self) -> None:
        for link in list(self.links.values()):
            self._close(link)
        for key in list(self.selector.get_map().values()):
            self.selector.unregister(key.fileobj)
            if isinstance(key.fileobj, socket.socket):
                key.fileobj.close()
        with self._lock:
            self._closed = True
            for inner, outer, _ in self._handoff:
                inner.close()
                outer.close()
            self._handoff = []
        self._wake_write.close()
        self.selector.close()


# -- the launcher, inside the sandbox -------------------------------------------------------


def capabilities(status_path: str = "/proc/self/status") -> dict[str, int]:
    """Return this process's capability sets (CapInh, CapPrm, CapEff, CapBnd, CapAmb) as masks."""
    found: dict[str, int] = {}
    with open(status_path) as handle:
        for line in handle:
            name, _, value = line.partition(":")
            if name in _CAPABILITY_FIELDS:
                found[name] = int(value.strip(), 16)
    return found


def drop_capabilities() -> None:
    """Drop every capability from every set (bounding and ambient too); OSError if one stays."""
    held = capabilities()
    if not any(held.values()):
        return
    import ctypes  # noqa: PLC0415  (only when there is something to drop)

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, pr_cap_ambient, pr_cap_ambient_clear_all = 24, 47, 4
    libc.prctl(pr_cap_ambient, pr_cap_ambient_clear_all, 0, 0, 0)
    for cap in range(64):
        if held.get("CapBnd", 0) >> cap & 1 and libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), f"cannot drop capability {cap} from the bounding set")

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [
            ("effective", ctypes.c_uint32),
            ("permitted", ctypes.c_uint32),
            ("inheritable", ctypes.c_uint32),
        ]

    linux_capability_version_3 = 0x20080522
    if libc.capset(ctypes.byref(Header(linux_capability_version_3, 0)), (Data * 2)()) != 0:
        raise OSError(ctypes.get_errno(), "capset to no capability failed")
    left = {name: mask for name, mask in capabilities().items() if mask}
    if left:
        raise OSError(0, f"capabilities still held after the drop: {left}")


def parse_config(text: str) -> list[tuple[str, int, str]]:
    """Return the routes of a configuration: one "ADDRESS PORT SOCKET" per line."""
    routes: list[tuple[str, int, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        port = fields[1] if len(fields) == 3 else ""
        if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
            raise ValueError(f"configuration line {number}: expected ADDRESS PORT SOCKET")
        routes.append((fields[0], int(port), fields[2]))
    return routes


def bind(routes: list[tuple[str, int, str]]) -> list[tuple[socket.socket, str]]:
    """Return a listening socket per route, with the unix socket it relays to."""
    bound: list[tuple[socket.socket, str]] = []
    for address, port, path in routes:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((address, port))
        except OSError as exc:
            listener.close()
            if family == socket.AF_INET6 and exc.errno in _NO_IPV6:
                continue  # IPv6 is off in this sandbox: "localhost" is 127.0.0.1 alone
            raise OSError(exc.errno, f"cannot listen on {address}:{port}: {exc.strerror}") from exc
        listener.listen(128)
        bound.append((listener, path))
    return bound


def serve(bound: list[tuple[socket.socket, str]]) -> None:
    """Relay every connection accepted on the listeners to their unix sockets, forever."""
    relay = Relay()
    traffic = Traffic()  # counted on the host side; this one is only the loop's bookkeeping

    for listener, path in bound:

        def accept(conn: socket.socket, path: str = path) -> None:
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.settimeout(5.0)
            try:
                upstream.connect(path)
            except OSError:
                upstream.close()
                conn.close()  # the task sees the connection closed, as if refused
                return
            relay.submit(conn, upstream, traffic)

        relay.listen(listener, accept)
    relay.run()


def _detach(bound: list[tuple[socket.socket, str]]) -> None:
    """Start the relay in a grandchild (re-parented to the sandbox's init), then return;
    OSError when either fork fails."""
    # Opened before the forks: a trace must not see the relay open it while the task starts.
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        child = os.fork()
    except OSError:
        os.close(devnull)
        raise
    if child:
        os.close(devnull)
        _, status = os.waitpid(child, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise OSError("the second fork failed")
        return
    status = 1  # the intermediate child's exit: 0 once the relay is forked
    try:
        if os.fork():
            status = 0
        else:
            status = 0
            os.setsid()
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)  # the task's output pipes close when the task ends
            serve(bound)
    finally:
        os._exit(status)


def main(argv: list[str]) -> int:
    """Set up the listeners, drop capabilities, start the relay and execute the task."""
    if len(argv) < 3 or argv[1] != "--":
        sys.stderr.write("usage: forwarder.py CONFIG -- ARGV...\n")
        return EXIT_SETUP
    config, command = argv[0], argv[2:]
    try:
        with open(config) as handle:
            routes = parse_config(handle.read())
        bound = bind(routes)
        drop_capabilities()
    except (OSError, ValueError, OverflowError) as exc:
        sys.stderr.write(f"{FORWARDER_PREFIX}{exc}\n")
        return EXIT_SETUP
    try:
        _detach(bound)
    except OSError as exc:  # e.g. EAGAIN: the processes limit counts the relay too
        sys.stderr.write(
            f"{FORWARDER_PREFIX}cannot start the relay process ({exc}): the processes "
            "limit counts it too\n"
        )
        return EXIT_SETUP
    for listener, _ in bound:
        listener.close()
    try:
        os.execvp(command[0], command)  # noqa: S606  (the task's argv, exactly as specified)
    except OSError as exc:
        sys.stderr.write(f"{FORWARDER_PREFIX}cannot run {command[0]!r}: {exc.strerror}\n")
        return EXIT_NOT_FOUND if isinstance(exc, FileNotFoundError) else EXIT_SETUP
    return EXIT_SETUP  # not reached: execvp replaces this process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
