"""Salted-hash commitments: the exact encoding, round trips, and that any change is caught."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tidegate.canonical import canonical_json
from tidegate.errors import EntryRejected, UsageError
from tidegate.ledger.commitment import (
    DOMAIN,
    SALT_BYTES,
    check_disclosure,
    commit_fields,
    commit_value,
    format_pointer,
    is_commitment,
    parse_pointer,
    parse_salt,
    value_at,
)
from tidegate.ledger.kinds import validate_body

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(exclude_categories=["Cs"]))
    | st.text(alphabet=st.characters(min_codepoint=0x80, exclude_categories=["Cs"]))
)
"""JSON values: Unicode text has no lone surrogates (those are not canonicalizable)."""
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=6),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)
salts = st.binary(min_size=SALT_BYTES, max_size=SALT_BYTES)

SALT = bytes(range(32))


def test_vector_from_the_spec() -> None:
    """SPEC section 15.4's test vectors, also recomputed from the definition."""
    expected = hashlib.sha256(DOMAIN + SALT + b'"alice@example.com"').hexdigest()
    assert DOMAIN == b"tidegate.dev/commitment/v1\n"
    assert commit_value("alice@example.com", SALT) == f"sha256:{expected}"
    assert expected == "db26235d5b825fa85e8f19933167e438ef87fefa9a343fbf679d71a0ad34b0bf"
    assert (
        commit_value({"name": "Zoë", "ids": [1, 2]}, SALT)
        == "sha256:633c295eb3dbc7e77b57b09d0187ed4d144f46e8ea679a6186c5bba1351ae165"
    )


@settings(max_examples=300)
@given(value=json_values, salt=salts)
def test_round_trip(value: Any, salt: bytes) -> None:
    commitment = commit_value(value, salt)
    assert is_commitment({"commitment": commitment})
    assert check_disclosure(commitment, value, salt)


@settings(max_examples=300)
@given(value=json_values, other=json_values, salt=salts)
def test_any_other_value_fails(value: Any, other: Any, salt: bytes) -> None:
    assume(canonical_json(value) != canonical_json(other))
    assert not check_disclosure(commit_value(value, salt), other, salt)


@settings(max_examples=300)
@given(value=json_values, salt=salts, other=salts)
def test_any_other_salt_fails(value: Any, salt: bytes, other: bytes) -> None:
    assume(salt != other)
    assert not check_disclosure(commit_value(value, salt), value, other)


@given(value=json_values, salt=salts, bit=st.integers(min_value=0, max_value=SALT_BYTES * 8 - 1))
def test_one_flipped_salt_bit_fails(value: Any, salt: bytes, bit: int) -> None:
    flipped = bytearray(salt)
    flipped[bit // 8] ^= 1 << (bit % 8)
    assert not check_disclosure(commit_value(value, salt), value, bytes(flipped))


def test_equal_json_values_commit_equally() -> None:
    """The value is canonical JSON: key order and number spelling do not matter."""
    assert commit_value({"a": 1, "b": [1.0]}, SALT) == commit_value({"b": [1], "a": 1.0}, SALT)
    assert commit_value("1", SALT) != commit_value(1, SALT)


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_salts_must_be_32_bytes(length: int) -> None:
    with pytest.raises(UsageError, match=f"32 bytes, not {length}"):
        commit_value("x", b"\x01" * length)


def test_parse_salt_never_echoes_the_salt() -> None:
    assert parse_salt(SALT.hex().upper()) == SALT
    secret = "ab" * 31 + "zz"
    for bad in (secret, "ab" * 31, "ab" * 33):
        with pytest.raises(UsageError) as info:
            parse_salt(bad)
        assert bad not in info.value.diagnostics()
        assert "64 hex digits" in info.value.message


@pytest.mark.parametrize(
    ("field", "tokens"),
    [
        ("message", ("message",)),
        ("/message", ("message",)),
        ("/labels/ticket", ("labels", "ticket")),
        ("/a~1b/c~0d", ("a/b", "c~d")),
        ("/", ("",)),
        ("/refs/0", ("refs", "0")),
    ],
)
def test_field_paths_are_json_pointers(field: str, tokens: tuple[str, ...]) -> None:
    assert parse_pointer(field) == tokens
    assert parse_pointer(format_pointer(tokens)) == tokens


@pytest.mark.parametrize("field", ["", "/a~2", "/a~"])
def test_bad_field_paths(field: str) -> None:
    with pytest.raises(UsageError):
        parse_pointer(field)


def counter_bytes() -> Any:
    counter = itertools.count(1)
    return lambda n: bytes([next(counter)]) * n


def test_commit_fields_replaces_values_and_returns_the_salts() -> None:
    body = {
        "message": "pay Zoë €10",
        "labels": {"ticket": "SEC-1", "team": "ops"},
        "refs": ["a", "b"],
        "detail": {"nested": [{"deep": True}]},
    }
    committed, fields = commit_fields(
        body,
        ["message", "/labels/ticket", "/refs/1", "/detail/nested/0"],
        random_bytes=counter_bytes(),
    )
    assert body["message"] == "pay Zoë €10"  # the input is not modified
    assert [f.field for f in fields] == [
        "/message",
        "/labels/ticket",
        "/refs/1",
        "/detail/nested/0",
    ]
    assert len({f.salt for f in fields}) == 4
    for f, original in zip(fields, ["pay Zoë €10", "SEC-1", "b", {"deep": True}], strict=True):
        found, node = value_at(committed, f.field)
        assert found and node == {"commitment": f.commitment}
        assert check_disclosure(f.commitment, original, f.salt)
        assert f.as_json() == {"field": f.field, "commitment": f.commitment, "salt": f.salt.hex()}
    assert committed["labels"]["team"] == "ops" and committed["refs"][0] == "a"
    assert validate_body("note", committed) is committed


def test_a_value_without_canonical_json_is_refused() -> None:
    with pytest.raises(EntryRejected, match="field /message: value cannot be canonicalized"):
        commit_fields({"message": "\ud800"}, ["message"])


def test_commit_fields_salts_are_fresh_by_default() -> None:
    body = {"message": "same"}
    (_, (a,)), (_, (b,)) = commit_fields(body, ["message"]), commit_fields(body, ["message"])
    assert a.salt != b.salt and a.commitment != b.commitment
    assert len(a.salt) == SALT_BYTES


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (["/nope"], "body has no field /nope to commit to"),
        (["/refs/2"], "body has no field /refs/2"),
        (["/refs/01"], "body has no field /refs/01"),
        (["/message/x"], "body has no field /message/x"),
        (["/labels", "/labels/a"], "fields /labels and /labels/a overlap"),
        (["message", "/message"], "fields /message and /message overlap"),
    ],
)
def test_commit_fields_refusals(fields: list[str], message: str) -> None:
    body = {"message": "m", "refs": ["x", "y"], "labels": {"a": "b"}}
    with pytest.raises(EntryRejected, match=message):
        commit_fields(body, fields)


def test_is_commitment_is_strict() -> None:
    good = "sha256:" + "0" * 64
    assert is_commitment({"commitment": good})
    for bad in (
        {"commitment": good, "x": 1},
        {"commitment": good.upper()},
        {"commitment": "sha256:" + "0" * 63},
        {"commitment": 1},
        good,
        None,
    ):
        assert not is_commitment(bad)
