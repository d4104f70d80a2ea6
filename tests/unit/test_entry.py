"""DSSE envelopes and in-toto statements: the PAE vector, round trips, hostile envelopes."""

from __future__ import annotations

import base64
import contextlib
import json

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from tidegate.canonical import canonical_json, json_digest
from tidegate.errors import FormatError
from tidegate.ledger.entry import (
    GENESIS_PREV,
    PAYLOAD_TYPE,
    BlobRef,
    Subject,
    build_statement,
    encode_statement,
    pae,
    parse_entry,
    seal,
)
from tidegate.ledger.keys import generate_key


def test_pae_matches_the_dsse_specification_example() -> None:
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


bodies = st.dictionaries(
    st.text(max_size=10),
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=20),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
        max_leaves=10,
    ),
    max_size=5,
)


@given(body=bodies, seq=st.integers(0, 2**53 - 1), actor=st.text(max_size=30))
def test_built_entries_parse_back(body: dict[str, object], seq: int, actor: str) -> None:
    key = generate_key()
    statement = build_statement(
        kind="note",
        seq=seq,
        prev=GENESIS_PREV,
        time="2026-11-23T00:00:00.000Z",
        actor=actor,
        body=body,
        subjects=[Subject("patch", "ab" * 32)],
        blobs=[BlobRef("stdout", "cd" * 32, 10)],
    )
    payload = canonical_json(statement)
    envelope = seal(payload, [(key.keyid, key.sign(pae(PAYLOAD_TYPE, payload)))])
    assert envelope == rfc8785.dumps(json.loads(envelope))
    parsed = parse_entry(envelope)
    assert (parsed.kind, parsed.seq, parsed.actor, parsed.body) == ("note", seq, actor, body)
    assert parsed.statement["subject"][0] == {
        "name": "body",
        "digest": {"sha256": json_digest(body)},
    }
    assert parsed.blobs == (BlobRef("stdout", "cd" * 32, 10),)


def envelope_with(statement: object, **overrides: object) -> bytes:
    raw = statement if isinstance(statement, bytes) else json.dumps(statement).encode()
    envelope: dict[str, object] = {
        "payload": base64.b64encode(raw).decode(),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [{"keyid": "k", "sig": base64.b64encode(b"s" * 64).decode()}],
    }
    envelope.update(overrides)
    return json.dumps(envelope).encode()


GOOD = {
    "_type": "https://in-toto.io/Statement/v1",
    "subject": [],
    "predicateType": "https://tidegate.dev/note/v1",
    "predicate": {"seq": 0, "prev": GENESIS_PREV, "time": "t", "actor": "a", "body": {}},
}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff", "not valid JSON"),
        (b"[]", "not a JSON object"),
        (envelope_with(GOOD, payloadType="text/plain"), "payloadType"),
        (envelope_with(GOOD, signatures=[]), "no signatures"),
        (envelope_with(GOOD, signatures=[{"sig": "AA=="}]), r"signatures\[0\] has no keyid"),
        (envelope_with(GOOD, payload="!!"), "payload is not base64"),
        (envelope_with(GOOD, payload="AB=="), "not canonically base64"),
        (envelope_with(GOOD, extra=1), "unexpected fields"),
        (envelope_with(b"not json"), "payload is not valid JSON"),
        (envelope_with({**GOOD, "_type": "x"}), "_type"),
        (envelope_with({**GOOD, "predicateType": "https://evil/note/v1"}), "not a tidegate kind"),
        (envelope_with({**GOOD, "predicate": {**GOOD["predicate"], "seq": -1}}), "seq"),  # type: ignore[dict-item]
        (envelope_with({**GOOD, "predicate": {**GOOD["predicate"], "seq": True}}), "seq"),  # type: ignore[dict-item]
        (envelope_with({**GOOD, "predicate": {**GOOD["predicate"], "prev": "00"}}), "prev"),  # type: ignore[dict-item]
        (envelope_with({**GOOD, "predicate": {**GOOD["predicate"], "body": []}}), "body"),  # type: ignore[dict-item]
        (
            envelope_with({**GOOD, "predicate": {**GOOD["predicate"], "blobs": [{"name": 1}]}}),
            "blobs",
        ),  # type: ignore[dict-item]
    ],
)
def test_hostile_envelopes_are_named(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_entry(data)


def test_the_minimal_valid_envelope_parses() -> None:
    assert parse_entry(envelope_with(GOOD)).kind == "note"


@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_the_parser(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        parse_entry(data)


json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
json_like = st.recursive(
    json_scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=12,
)


@given(predicate=json_like, statement_extra=json_like)
def test_any_json_statement_is_parsed_or_named_never_crashes(
    predicate: object, statement_extra: object
) -> None:
    statement = {**GOOD, "predicate": predicate, "subject": statement_extra}
    with contextlib.suppress(FormatError):
        parse_entry(envelope_with(statement))


@given(field=st.sampled_from(["seq", "prev", "time", "actor", "body", "blobs"]), value=json_like)
def test_any_predicate_field_value_is_parsed_or_named(field: str, value: object) -> None:
    statement = {**GOOD, "predicate": {**GOOD["predicate"], field: value}}  # type: ignore[dict-item]
    with contextlib.suppress(FormatError):
        parse_entry(envelope_with(statement))


@given(
    body=bodies,
    seq=st.integers(0, 2**53 - 1),
    actor=st.text(max_size=30),
    kind=st.sampled_from(["note", "key.rotated", "run.started"]),
    subjects=st.lists(
        st.builds(
            Subject, st.text(max_size=10), st.text("0123456789abcdef", min_size=64, max_size=64)
        ),
        max_size=3,
    ),
    blobs=st.lists(
        st.builds(
            BlobRef,
            st.text(max_size=10),
            st.text("0123456789abcdef", min_size=64, max_size=64),
            st.integers(0, 2**40),
        ),
        max_size=3,
    ),
)
def test_encoded_statement_is_the_rfc8785_form(
    body: dict[str, object],
    seq: int,
    actor: str,
    kind: str,
    subjects: list[Subject],
    blobs: list[BlobRef],
) -> None:
    args = {
        "kind": kind,
        "seq": seq,
        "prev": GENESIS_PREV,
        "time": "2026-11-23T00:00:00.000Z",
        "actor": actor,
        "body": body,
    }
    expected = rfc8785.dumps(build_statement(**args, subjects=subjects, blobs=blobs))  # type: ignore[arg-type]
    assert encode_statement(**args, subjects=subjects, blobs=blobs) == expected  # type: ignore[arg-type]
