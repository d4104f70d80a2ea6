"""The network allow-list as a plan: entries checked, loopback addresses assigned, files written."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Sequence
from pathlib import PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidegate.sandbox import egress
from tidegate.sandbox.egress import (
    AllowListError,
    Destination,
    EgressPlan,
    describe,
    forwarder_config,
    hosts_file,
    parse_entry,
    plan,
    reads_as_address,
)
from tidegate.sandbox.forwarder import parse_config

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
PROPERTIES = settings(max_examples=200, deadline=None)


def addresses_of(egress_plan: EgressPlan) -> dict[str, str]:
    """Return name -> address as the plan's names list it."""
    return dict(egress_plan.names)


def parse_hosts(text: str) -> dict[str, str]:
    """Parse an /etc/hosts text the way a resolver reads it: the first address of a name wins."""
    mapping: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        address, *names = line.split()
        for name in names:
            mapping.setdefault(name, address)
    return mapping


# -- parse_entry -----------------------------------------------------------------------------


def test_parse_entry_name_and_port() -> None:
    """A host:port entry gives its destination: name lower-cased, trailing dot dropped."""
    assert parse_entry("Example.COM.:443") == Destination("example.com", 443)
    assert str(parse_entry("pypi.org:443")) == "pypi.org:443"


def test_parse_entry_keeps_loopback_literal() -> None:
    """A 127.0.0.0/8 address is kept as the destination's host."""
    assert parse_entry("127.0.0.1:5432") == Destination("127.0.0.1", 5432)
    assert parse_entry("127.4.5.6:80") == Destination("127.4.5.6", 80)


@pytest.mark.parametrize("port", [1, 80, 1023, 1024, 65535])
def test_parse_entry_port_bounds_accepted(port: int) -> None:
    """Every port in 1-65535 is accepted."""
    assert parse_entry(f"a.example:{port}").port == port


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("a.example:0", "port 0 is not in 1-65535"),
        ("a.example:70000", "port 70000 is not in 1-65535"),
        ("a.example:65536", "port 65536 is not in 1-65535"),
        ("a.example", "expected host:port"),
        ("a.example:", "expected host:port"),
        (":80", "expected host:port"),
        ("a.example:-1", "expected host:port"),
        ("a.example:http", "expected host:port"),
        ("8.8.8.8:53", "outside loopback"),
        ("10.0.0.1:80", "outside loopback"),
        ("192.168.1.1:443", "outside loopback"),
        ("-a.com:80", "not a valid host name"),
        ("a-.com:80", "not a valid host name"),
        ("a..b:80", "not a valid host name"),
        ("a_b.com:80", "not a valid host name"),
        ("a b.com:80", "not a valid host name"),
        ("1.2.3:80", "neither an IPv4 address nor a host name"),
        ("999.1.1.1:80", "neither an IPv4 address nor a host name"),
        ("1234:80", "neither an IPv4 address nor a host name"),
        (f"{'a' * 64}.com:80", "not a valid host name"),
        (".".join(["abcdefghi"] * 26) + ":80", "not a valid host name"),  # 259 characters
    ],
)
def test_parse_entry_refusals_name_the_entry(entry: str, why: str) -> None:
    """An entry that cannot be enforced is refused with a message naming it and why."""
    with pytest.raises(AllowListError) as caught:
        parse_entry(entry)
    assert repr(entry) in str(caught.value)
    assert why in str(caught.value)


def test_allow_list_error_is_a_value_error() -> None:
    """AllowListError is a ValueError (callers may catch either)."""
    assert issubclass(AllowListError, ValueError)


def test_longest_valid_label_accepted() -> None:
    """A 63-character label is still a valid host name."""
    name = "a" * 63 + ".example"
    assert parse_entry(f"{name}:80").host == name


@pytest.mark.parametrize("entry", ["a.example:\u00b2", "a.example:\u0663"])
def test_parse_entry_non_ascii_digit_port_refused(entry: str) -> None:
    """A port written with non-ASCII digits is refused with an AllowListError naming the entry."""
    with pytest.raises(AllowListError) as caught:
        parse_entry(entry)
    assert repr(entry) in str(caught.value)


def test_ipv6_loopback_refused() -> None:
    """An IPv6 loopback literal is refused: the forwarder only listens on IPv4 loopback."""
    with pytest.raises(AllowListError, match=re.escape("'::1:80'")):
        plan([("::1", 80)])


def test_inet_aton_numeric_forms_refused() -> None:
    """A host the resolver reads as a numeric address (hex form) is not accepted as a name."""
    assert socket.inet_aton("0x7f000001") == socket.inet_aton("127.0.0.1")  # why it matters
    with pytest.raises(AllowListError, match="0x7f000001"):
        plan([("0x7f000001", 80)])


# -- plan ------------------------------------------------------------------------------------


def test_names_get_distinct_addresses_from_127_0_0_2() -> None:
    """Each name gets its own address, from 127.0.0.2 up, in the order first allowed."""
    result = plan([("pypi.org", 443), ("files.pythonhosted.org", 443), ("github.com", 22)])
    assert result.names == (
        ("pypi.org", "127.0.0.2"),
        ("files.pythonhosted.org", "127.0.0.3"),
        ("github.com", "127.0.0.4"),
    )
    assert [(r.address, r.port) for r in result.routes] == [
        ("127.0.0.2", 443),
        ("127.0.0.3", 443),
        ("127.0.0.4", 22),
    ]
    assert [r.socket_name for r in result.routes] == ["0.sock", "1.sock", "2.sock"]
    assert [str(r.destination) for r in result.routes] == [
        "pypi.org:443",
        "files.pythonhosted.org:443",
        "github.com:22",
    ]


def test_names_skip_addresses_named_literally() -> None:
    """A name never gets 127.0.0.1 nor an address another entry names literally."""
    result = plan([("a.example", 80), ("127.0.0.2", 80), ("127.0.0.4", 81), ("b.example", 80)])
    assert addresses_of(result) == {"a.example": "127.0.0.3", "b.example": "127.0.0.5"}
    assert [(r.address, r.port) for r in result.routes] == [
        ("127.0.0.3", 80),
        ("127.0.0.2", 80),
        ("127.0.0.4", 81),
        ("127.0.0.5", 80),
    ]


def test_literal_named_after_the_name_is_still_skipped() -> None:
    """A literal listed after a name still keeps its address for itself."""
    result = plan([("a.example", 443), ("127.0.0.2", 443)])
    assert addresses_of(result) == {"a.example": "127.0.0.3"}
    assert {(r.address, r.port) for r in result.routes} == {
        ("127.0.0.3", 443),
        ("127.0.0.2", 443),
    }


def test_same_name_different_ports_share_an_address() -> None:
    """One name on several ports is one address with a route per port."""
    result = plan([("a.example", 80), ("a.example", 443), ("b.example", 443)])
    assert result.names == (("a.example", "127.0.0.2"), ("b.example", "127.0.0.3"))
    assert [(r.address, r.port) for r in result.routes] == [
        ("127.0.0.2", 80),
        ("127.0.0.2", 443),
        ("127.0.0.3", 443),
    ]


def test_duplicates_keep_the_first_entry() -> None:
    """Entries listening on the same address and port keep only the first."""
    result = plan([("A.example", 80), ("a.example.", 80), ("a.example", 80)])
    assert len(result.routes) == 1
    assert result.routes[0].destination == Destination("a.example", 80)
    both = plan([("localhost", 5432), ("127.0.0.1", 5432)])
    assert [str(r.destination) for r in both.routes] == ["localhost:5432"]
    reverse = plan([("127.0.0.1", 5432), ("localhost", 5432)])
    assert [str(r.destination) for r in reverse.routes] == ["127.0.0.1:5432"]


def test_localhost_maps_to_127_0_0_1_and_is_not_a_name() -> None:
    """ "localhost" listens on 127.0.0.1 and is left to the hosts file's own line."""
    result = plan([("localhost", 8080), ("a.example", 80)])
    assert result.routes[0].address == "127.0.0.1"
    assert result.routes[0].destination == Destination("localhost", 8080)
    assert result.names == (("a.example", "127.0.0.2"),)


def test_loopback_literals_listen_as_they_are() -> None:
    """A loopback literal is listened on at that very address, with no hosts entry."""
    result = plan([("127.0.0.1", 5432), ("127.9.8.7", 6379)])
    assert [(r.address, r.port) for r in result.routes] == [
        ("127.0.0.1", 5432),
        ("127.9.8.7", 6379),
    ]
    assert result.names == ()


@pytest.mark.parametrize(
    ("host", "port", "why"),
    [
        ("8.8.8.8", 53, "outside loopback"),
        ("a.example", 0, "not in 1-65535"),
        ("a.example", 70000, "not in 1-65535"),
        ("-a.com", 80, "not a valid host name"),
        ("a..b", 80, "not a valid host name"),
        ("1.2.3", 80, "neither an IPv4 address nor a host name"),
    ],
)
def test_plan_refusal_names_the_entry(host: str, port: int, why: str) -> None:
    """One bad entry refuses the whole list, naming that entry."""
    with pytest.raises(AllowListError) as caught:
        plan([("good.example", 443), (host, port)])
    assert repr(f"{host}:{port}") in str(caught.value)
    assert why in str(caught.value)


def test_empty_list_refused() -> None:
    """An allow mode with no entry is refused."""
    with pytest.raises(AllowListError, match="at least one"):
        plan([])


def test_running_out_of_addresses_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """More names than addresses left is refused, literals counted as taken."""
    monkeypatch.setattr(egress, "LAST_NAME_ADDRESS", int(ipaddress.IPv4Address("127.0.0.3")))
    assert addresses_of(plan([("a.example", 1), ("b.example", 1)])) == {
        "a.example": "127.0.0.2",
        "b.example": "127.0.0.3",
    }
    with pytest.raises(AllowListError, match="more hosts"):
        plan([("a.example", 1), ("b.example", 1), ("c.example", 1)])
    with pytest.raises(AllowListError, match="more hosts"):
        plan([("a.example", 1), ("127.0.0.3", 1), ("b.example", 1)])


def test_privileged_ports() -> None:
    """privileged_ports tells whether any route listens below 1024."""
    assert plan([("a.example", 1023)]).privileged_ports
    assert plan([("a.example", 8080), ("b.example", 443)]).privileged_ports
    assert not plan([("a.example", 1024), ("b.example", 65535)]).privileged_ports


# -- the files -------------------------------------------------------------------------------


def test_hosts_file_maps_each_name_to_its_address() -> None:
    """The hosts file keeps localhost and maps every allowed name to its address."""
    result = plan([("pypi.org", 443), ("github.com", 22), ("localhost", 80), ("127.0.0.5", 1)])
    text = hosts_file(result)
    assert text.endswith("\n")
    assert text.splitlines()[0] == "127.0.0.1\tlocalhost"
    assert "127.0.0.2\tpypi.org" in text.splitlines()
    assert parse_hosts(text) == {
        "localhost": "127.0.0.1",
        "ip6-localhost": "::1",
        "ip6-loopback": "::1",
        "pypi.org": "127.0.0.2",
        "github.com": "127.0.0.3",
    }


def test_forwarder_config_listens_for_localhost_on_both_loopbacks() -> None:
    """A localhost route is listened on at 127.0.0.1 and ::1 (/etc/hosts names ::1 first)."""
    text = forwarder_config(plan([("localhost", 5432)]), "/n")
    assert text == "127.0.0.1 5432 /n/0.sock\n::1 5432 /n/0.sock\n"


def test_forwarder_config_lists_routes_with_sockets_under_dir() -> None:
    """The forwarder's configuration has one "ADDRESS PORT SOCKET" line per route, under the dir."""
    result = plan([("a.example", 443), ("a.example", 80), ("127.0.0.1", 5432)])
    text = forwarder_config(result, "/run/tidegate/net")
    assert text == (
        "127.0.0.2 443 /run/tidegate/net/0.sock\n"
        "127.0.0.2 80 /run/tidegate/net/1.sock\n"
        "127.0.0.1 5432 /run/tidegate/net/2.sock\n"
    )
    routes = parse_config(text)  # what the forwarder reads back
    assert routes == [
        ("127.0.0.2", 443, "/run/tidegate/net/0.sock"),
        ("127.0.0.2", 80, "/run/tidegate/net/1.sock"),
        ("127.0.0.1", 5432, "/run/tidegate/net/2.sock"),
    ]
    for _, _, path in routes:
        assert PurePosixPath(path).parent == PurePosixPath("/run/tidegate/net")


def test_describe_lists_every_route() -> None:
    """describe names each destination and where it is listened on."""
    result = plan([("a.example", 443), ("localhost", 80)])
    assert describe(result) == "a.example:443 via 127.0.0.2:443, localhost:80 via 127.0.0.1:80"


# -- properties ------------------------------------------------------------------------------

_LABELS = st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?\Z")
NAMES = (
    st.lists(_LABELS, min_size=1, max_size=3)
    .map(".".join)
    .filter(lambda name: not re.fullmatch(r"[0-9.]+", name))
    .filter(lambda name: not reads_as_address(name))  # "0x0", "0x7f.1": libc reads an address
)


LITERALS = st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)).map(
    lambda t: f"127.{t[0]}.{t[1]}.{t[2]}"
)
# Few names and ports, so that duplicates and literals next to assigned addresses are common.
HOSTS = st.one_of(
    NAMES,
    st.sampled_from(["a.example", "b.example", "localhost", "LocalHost", "A.Example."]),
    LITERALS,
    st.sampled_from(["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]),
)
PORTS = st.one_of(st.sampled_from([1, 80, 443, 1023, 1024, 65535]), st.integers(1, 65535))
ENTRIES = st.lists(st.tuples(HOSTS, PORTS), min_size=1, max_size=12)


def expected_host(host: str) -> str:
    """Return the host as the plan normalises it."""
    return host.lower().rstrip(".")


def listen_address(result: EgressPlan, host: str) -> str:
    """Return the address the plan listens on for ``host`` (normalised)."""
    host = expected_host(host)
    if host == "localhost":
        return "127.0.0.1"
    if re.fullmatch(r"[0-9.]+", host):
        return host
    return addresses_of(result)[host]


@PROPERTIES
@given(ENTRIES)
def test_property_routes_unique_and_in_loopback(entries: Sequence[tuple[str, int]]) -> None:
    """Routes have unique (address, port) and socket names, all addresses in 127.0.0.0/8."""
    result = plan(entries)
    listens = [(r.address, r.port) for r in result.routes]
    assert len(listens) == len(set(listens))
    assert [r.socket_name for r in result.routes] == [f"{i}.sock" for i in range(len(listens))]
    for route in result.routes:
        assert ipaddress.ip_address(route.address) in LOOPBACK


@PROPERTIES
@given(ENTRIES)
def test_property_every_name_has_one_own_address(entries: Sequence[tuple[str, int]]) -> None:
    """Every name maps to one address: distinct, never 127.0.0.1 nor a literal of the list."""
    result = plan(entries)
    names = [name for name, _ in result.names]
    addresses = [address for _, address in result.names]
    assert len(names) == len(set(names))
    assert len(addresses) == len(set(addresses))
    literals = {expected_host(h) for h, _ in entries if re.fullmatch(r"[0-9.]+", h)}
    for address in addresses:
        assert address != "127.0.0.1"
        assert address not in literals
        assert ipaddress.ip_address(address) in LOOPBACK
        assert int(ipaddress.IPv4Address(address)) >= egress.FIRST_NAME_ADDRESS
    expected_names = {expected_host(h) for h, _ in entries} - literals - {"localhost"}
    assert set(names) == expected_names
    # names come in the order first allowed
    first_seen = list(dict.fromkeys(expected_host(h) for h, _ in entries))
    assert names == [h for h in first_seen if h in expected_names]
    for name, address in result.names:  # each route of a name listens on the name's address
        for route in result.routes:
            if route.destination.host == name:
                assert route.address == address


@PROPERTIES
@given(ENTRIES)
def test_property_every_entry_is_served_by_the_first_of_its_listen(
    entries: Sequence[tuple[str, int]],
) -> None:
    """Each entry's (address, port) has a route, whose destination is the first entry there."""
    result = plan(entries)
    by_listen = {(r.address, r.port): r for r in result.routes}
    first: dict[tuple[str, int], Destination] = {}
    for host, port in entries:
        listen = (listen_address(result, host), port)
        assert listen in by_listen
        first.setdefault(listen, Destination(expected_host(host), port))
    assert {k: r.destination for k, r in by_listen.items()} == first
    assert list(by_listen) == list(first)  # routes in the order first allowed


@PROPERTIES
@given(ENTRIES)
def test_property_plan_is_deterministic(entries: Sequence[tuple[str, int]]) -> None:
    """The same list always gives the same plan, files and description."""
    one, two = plan(entries), plan(list(entries))
    assert one == two
    assert hosts_file(one) == hosts_file(two)
    assert forwarder_config(one, "/x") == forwarder_config(two, "/x")
    assert describe(one) == describe(two)


@PROPERTIES
@given(ENTRIES)
def test_property_files_agree_with_the_plan(entries: Sequence[tuple[str, int]]) -> None:
    """The hosts file parses back to the plan's names; the config reads back as its routes."""
    result = plan(entries)
    mapping = parse_hosts(hosts_file(result))
    assert mapping.pop("localhost") == "127.0.0.1"
    assert mapping.pop("ip6-localhost") == mapping.pop("ip6-loopback") == "::1"
    assert mapping == addresses_of(result)
    expected = []
    for r in result.routes:
        expected.append((r.address, r.port, f"/run/net/{r.socket_name}"))
        if r.destination.host == "localhost":  # also on ::1, which /etc/hosts names first
            expected.append(("::1", r.port, f"/run/net/{r.socket_name}"))
    assert parse_config(forwarder_config(result, "/run/net")) == expected
    assert result.privileged_ports == any(port < 1024 for _, port in entries)


@PROPERTIES
@given(st.lists(st.tuples(NAMES, PORTS), min_size=1, max_size=8))
def test_property_case_and_trailing_dot_do_not_matter(
    entries: Sequence[tuple[str, int]],
) -> None:
    """Upper-casing names or adding a trailing dot gives the same plan."""
    varied = [(host.upper() + ".", port) for host, port in entries]
    assert plan(varied) == plan(entries)


@PROPERTIES
@given(st.lists(st.tuples(HOSTS, PORTS), min_size=1, max_size=6), st.data())
def test_property_one_bad_entry_refuses_the_list(
    entries: list[tuple[str, int]], data: st.DataObject
) -> None:
    """Inserting any invalid entry anywhere refuses the list, naming that entry."""
    bad = data.draw(
        st.one_of(
            st.tuples(NAMES, st.sampled_from([0, 65536, 70000, 100000])),
            st.tuples(
                st.sampled_from(["8.8.8.8", "10.1.2.3", "-a.com", "a..b", "1.2.3", "x_y"]),
                PORTS,
            ),
        )
    )
    position = data.draw(st.integers(0, len(entries)))
    with pytest.raises(AllowListError) as caught:
        plan([*entries[:position], bad, *entries[position:]])
    assert repr(f"{bad[0]}:{bad[1]}") in str(caught.value)
