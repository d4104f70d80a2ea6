"""The network allow-list as a plan: which sandbox loopback address stands for which host:port.

A sandbox with an allow-list still has no network interface but loopback. Each allowed
destination gets a listener on the sandbox's own loopback (tidegate.sandbox.forwarder) that
relays every connection over a unix socket to tidegate's proxy on the host
(tidegate.sandbox.proxy), which connects to that destination and nothing else. Names resolve,
through the sandbox's /etc/hosts, to the loopback address standing for them; any other name
does not resolve, and any other address or port has nothing listening.

Pure logic: validating entries, assigning addresses, the hosts file and the forwarder's
configuration. Refusals name the entry and why.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass

FIRST_NAME_ADDRESS = int(ipaddress.IPv4Address("127.0.0.2"))
LAST_NAME_ADDRESS = int(ipaddress.IPv4Address("127.255.255.254"))
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_NUMERIC = re.compile(r"^[0-9.]+$")


class AllowListError(ValueError):
    """An allow-list entry that cannot be enforced (the message names it and why)."""


@dataclass(frozen=True)
class Destination:
    """One allowed destination: a host name or loopback IPv4 address, and a TCP port."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Route:
    """How one destination is reached from inside: the loopback address and port listened on,
    and the name of the unix socket the forwarder relays to."""

    destination: Destination
    address: str
    socket_name: str

    @property
    def port(self) -> int:
        """The port listened on inside the sandbox (the destination's own)."""
        return self.destination.port


@dataclass(frozen=True)
class EgressPlan:
    """Every route of an allow-list, and the names the sandbox's /etc/hosts maps."""

    routes: tuple[Route, ...]
    names: tuple[tuple[str, str], ...]  # (name, address), in the order first allowed

    @property
    def privileged_ports(self) -> bool:
        """Whether any route listens below 1024 (binding there needs a capability or sysctl)."""
        return any(route.port < 1024 for route in self.routes)


def parse_entry(entry: str) -> Destination:
    """Return the destination of one ``host:port`` entry; AllowListError naming what is wrong."""
    host, sep, port_text = entry.rpartition(":")
    if not sep or not host or not (port_text.isascii() and port_text.isdigit()):
        raise AllowListError(f"network.allow entry {entry!r}: expected host:port")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise AllowListError(f"network.allow entry {entry!r}: port {port} is not in 1-65535")
    return Destination(_host(entry, host.lower()), port)


def _host(entry: str, host: str) -> str:
    """Return ``host`` checked: a loopback IPv4 address or a valid DNS name."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        if address.version == 6:
            raise AllowListError(
                f"network.allow entry {entry!r}: IPv6 addresses cannot be forwarded (the "
                "sandbox's routes are IPv4 loopback addresses); allow the host by name"
            )
        if not address.is_loopback:
            raise AllowListError(
                f"network.allow entry {entry!r}: {host} is an IP address outside loopback; the "
                "sandbox has no route to it, only names (mapped in its /etc/hosts) and "
                "127.0.0.0/8 addresses can be forwarded; allow the host by name"
            )
        return str(address)
    if _NUMERIC.match(host) or reads_as_address(host):
        # The resolver would read it as an address (inet_aton: "1.2.3", "0x7f000001"),
        # never through /etc/hosts: it cannot be a name here, nor checked as an address.
        raise AllowListError(
            f"network.allow entry {entry!r}: {host!r} is neither an IPv4 address nor a host name"
        )
    name = host.rstrip(".")
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise AllowListError(f"network.allow entry {entry!r}: {host!r} is not a valid host name")
    return name


def reads_as_address(host: str) -> bool:
    """Return whether libc's inet_aton accepts ``host`` (hex, octal and short numeric forms)."""
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


def plan(entries: Sequence[tuple[str, int]]) -> EgressPlan:
    """Return the routes for ``entries`` (host, port); AllowListError for one that cannot be.

    Loopback addresses are listened on as they are; "localhost" is 127.0.0.1; every other name
    gets its own address from 127.0.0.2 up, skipping those the entries name literally.
    Duplicates (the same address and port) keep the first entry.
    """
    destinations = [parse_entry(f"{host}:{port}") for host, port in entries]
    if not destinations:
        raise AllowListError("network mode allow needs at least one host:port entry")
    literal = {d.host for d in destinations if _is_address(d.host)} | {"127.0.0.1"}
    addresses: dict[str, str] = {}
    next_free = FIRST_NAME_ADDRESS
    for destination in destinations:
        host = destination.host
        if host in addresses:
            continue
        if _is_address(host):
            addresses[host] = host
        elif host == "localhost":
            addresses[host] = "127.0.0.1"
        else:
            while str(ipaddress.IPv4Address(next_free)) in literal:
                next_free += 1
            if next_free > LAST_NAME_ADDRESS:
                raise AllowListError("network.allow names more hosts than 127.0.0.0/8 can hold")
            addresses[host] = str(ipaddress.IPv4Address(next_free))
            next_free += 1
    routes: list[Route] = []
    taken: set[tuple[str, int]] = set()
    for destination in destinations:
        listen = (addresses[destination.host], destination.port)
        if listen in taken:
            continue
        taken.add(listen)
        routes.append(Route(destination, listen[0], f"{len(routes)}.sock"))
    names = tuple(
        (host, address)
        for host, address in addresses.items()
        if not _is_address(host) and host != "localhost"
    )
    return EgressPlan(tuple(routes), names)


def _is_address(host: str) -> bool:
    """Return whether ``host`` is an IP address literal."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def hosts_file(egress: EgressPlan) -> str:
    """Return the sandbox's /etc/hosts: localhost, then each allowed name at its address."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"{address}\t{name}" for name, address in egress.names]
    return "\n".join(lines) + "\n"


def forwarder_config(egress: EgressPlan, socket_dir: str) -> str:
    """Return the in-sandbox forwarder's configuration: "ADDRESS PORT SOCKET" per listener.

    A route for localhost is also listened on at ::1, which /etc/hosts names first for
    localhost (a client that does not fall back to IPv4 would otherwise be refused).
    """
    lines: list[str] = []
    for route in egress.routes:
        path = f"{socket_dir}/{route.socket_name}"
        lines.append(f"{route.address} {route.port} {path}\n")
        if route.destination.host == "localhost":
            lines.append(f"::1 {route.port} {path}\n")
    return "".join(lines)


def describe(egress: EgressPlan) -> str:
    """Return a one-line account of the routes, for the guard record."""
    return ", ".join(f"{r.destination} via {r.address}:{r.port}" for r in egress.routes)
