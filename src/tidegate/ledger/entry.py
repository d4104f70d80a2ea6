"""Ledger entries: in-toto Statement v1 payloads inside DSSE envelopes, and their parsing.

An entry's bytes are the RFC 8785 canonical JSON of its DSSE envelope; the envelope's payload
is the RFC 8785 canonical JSON of the statement. Signatures are Ed25519 over DSSE's PAE.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tidegate.canonical import canonical_json, json_digest
from tidegate.errors import FormatError

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_PREFIX = "https://tidegate.dev/"
PREDICATE_SUFFIX = "/v1"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_KEYID = re.compile(r"[0-9a-f]{16}")
GENESIS_PREV = "0" * 64
"""The ``prev`` of entry 0: there is no previous leaf."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """Return DSSE's pre-authentication encoding of a payload (what gets signed)."""
    type_bytes = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(type_bytes), type_bytes, len(payload), payload)


def predicate_type(kind: str) -> str:
    """Return the in-toto predicateType of an entry kind."""
    return f"{PREDICATE_PREFIX}{kind}{PREDICATE_SUFFIX}"


def kind_of(predicate_type_uri: str) -> str:
    """Return the entry kind named by a predicateType, or raise FormatError."""
    if not (
        predicate_type_uri.startswith(PREDICATE_PREFIX)
        and predicate_type_uri.endswith(PREDICATE_SUFFIX)
    ):
        raise FormatError(f"predicateType {predicate_type_uri!r} is not a tidegate kind")
    return predicate_type_uri[len(PREDICATE_PREFIX) : -len(PREDICATE_SUFFIX)]


@dataclass(frozen=True)
class BlobRef:
    """A content-addressed blob an entry refers to."""

    name: str
    sha256: str
    size: int

    def as_json(self) -> dict[str, Any]:
        """Return the reference as it appears in a predicate."""
        return {"name": self.name, "sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class Subject:
    """An in-toto subject: what an entry is about, by digest."""

    name: str
    sha256: str


def build_statement(
    *,
    kind: str,
    seq: int,
    prev: str,
    time: str,
    actor: str,
    body: Mapping[str, Any],
    subjects: Sequence[Subject] = (),
    blobs: Sequence[BlobRef] = (),
) -> dict[str, Any]:
    """Return the in-toto statement of an entry; the body's digest is always a subject."""
    all_subjects = [{"name": "body", "digest": {"sha256": json_digest(body)}}]
    all_subjects += [{"name": s.name, "digest": {"sha256": s.sha256}} for s in subjects]
    predicate: dict[str, Any] = {
        "seq": seq,
        "prev": prev,
        "time": time,
        "actor": actor,
        "body": dict(body),
    }
    if blobs:
        predicate["blobs"] = [b.as_json() for b in blobs]
    return {
        "_type": STATEMENT_TYPE,
        "subject": all_subjects,
        "predicateType": predicate_type(kind),
        "predicate": predicate,
    }


def encode_statement(
    *,
    kind: str,
    seq: int,
    prev: str,
    time: str,
    actor: str,
    body: Mapping[str, Any],
    subjects: Sequence[Subject] = (),
    blobs: Sequence[BlobRef] = (),
) -> bytes:
    """Return the RFC 8785 bytes of ``build_statement(...)``, serializing the body only once.

    The statement's members are written in JCS order by hand around the canonical body (the
    append hot path); test_entry checks the result against the rfc8785 package.
    """
    body_json = canonical_json(dict(body))
    subject_list = [{"name": "body", "digest": {"sha256": hashlib.sha256(body_json).hexdigest()}}]
    subject_list += [{"name": s.name, "digest": {"sha256": s.sha256}} for s in subjects]
    parts = [
        b'{"_type":',
        canonical_json(STATEMENT_TYPE),
        b',"predicate":{"actor":',
        canonical_json(actor),
    ]
    if blobs:
        parts += [b',"blobs":', canonical_json([b.as_json() for b in blobs])]
    parts += [
        b',"body":',
        body_json,
        b',"prev":',
        canonical_json(prev),
        b',"seq":',
        canonical_json(seq),
        b',"time":',
        canonical_json(time),
        b'},"predicateType":',
        canonical_json(predicate_type(kind)),
        b',"subject":',
        canonical_json(subject_list),
        b"}",
    ]
    return b"".join(parts)


def seal(payload: bytes, signatures: Sequence[tuple[str, bytes]]) -> bytes:
    """Return the entry bytes: the canonical DSSE envelope with (keyid, signature) pairs."""
    # Every value is base64 or a hex key id, so the RFC 8785 form is this template exactly
    # (members in code-unit order, nothing to escape); test_entry checks it against JCS.
    for keyid, _ in signatures:
        if not _KEYID.fullmatch(keyid):
            raise FormatError(f"key id {keyid!r} is not 16 lowercase hex digits")
    sigs = ",".join(
        f'{{"keyid":"{keyid}","sig":"{base64.b64encode(sig).decode()}"}}'
        for keyid, sig in signatures
    )
    encoded = base64.b64encode(payload).decode()
    return (
        f'{{"payload":"{encoded}","payloadType":"{PAYLOAD_TYPE}","signatures":[{sigs}]}}'.encode()
    )


@dataclass(frozen=True)
class ParsedEntry:
    """An entry's envelope and statement, parsed and shape-checked (signatures unchecked)."""

    payload: bytes
    signatures: tuple[tuple[str, bytes], ...]
    statement: dict[str, Any]
    kind: str
    seq: int
    prev: str
    time: str
    actor: str
    body: dict[str, Any]
    blobs: tuple[BlobRef, ...]

    def signed_message(self) -> bytes:
        """Return the PAE bytes each signature covers."""
        return pae(PAYLOAD_TYPE, self.payload)


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise FormatError(what)


def _strict_b64(value: object, field: str) -> bytes:
    """Decode standard base64, refusing any encoding but the one canonical form of the bytes."""
    if not isinstance(value, str):
        raise FormatError(f"envelope {field} is not a string")
    try:
        decoded = base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise FormatError(f"envelope {field} is not base64 ({exc})") from exc
    # Non-zero padding bits decode to the same bytes; such a variant is a different entry.
    if base64.b64encode(decoded).decode() != value:
        raise FormatError(f"envelope {field} is not canonically base64-encoded")
    return decoded


def parse_entry(data: bytes) -> ParsedEntry:
    """Parse entry bytes; raise FormatError saying which field is malformed.

    Canonical form is not re-checked here: the leaf hash covers the exact entry bytes and the
    signatures cover the exact payload bytes, so any re-encoding is caught by the chain.
    """
    try:
        # Decoding first skips json's encoding sniffing; JSON text is UTF-8 (RFC 8259).
        envelope = json.loads(data.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"envelope is not valid JSON ({exc})") from exc
    _require(isinstance(envelope, dict), "envelope is not a JSON object")
    _require(envelope.get("payloadType") == PAYLOAD_TYPE, f"payloadType is not {PAYLOAD_TYPE}")
    raw_sigs = envelope.get("signatures")
    _require(isinstance(raw_sigs, list) and len(raw_sigs) > 0, "envelope has no signatures")
    signatures: list[tuple[str, bytes]] = []
    payload = _strict_b64(envelope.get("payload"), "payload")
    for index, sig in enumerate(raw_sigs):
        _require(
            isinstance(sig, dict) and isinstance(sig.get("keyid"), str),
            f"signatures[{index}] has no keyid",
        )
        signatures.append((sig["keyid"], _strict_b64(sig.get("sig"), f"signatures[{index}].sig")))
    _require(
        set(envelope) == {"payload", "payloadType", "signatures"}, "envelope has unexpected fields"
    )
    try:
        statement = json.loads(payload.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"payload is not valid JSON ({exc})") from exc
    _require(isinstance(statement, dict), "statement is not a JSON object")
    _require(statement.get("_type") == STATEMENT_TYPE, f"statement _type is not {STATEMENT_TYPE}")
    predicate = statement.get("predicate")
    _require(isinstance(predicate, dict), "statement has no predicate object")
    kind = kind_of(str(statement.get("predicateType")))
    seq, prev = predicate.get("seq"), predicate.get("prev")
    time, actor, body = predicate.get("time"), predicate.get("actor"), predicate.get("body")
    _require(
        isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0,
        "predicate.seq is not a non-negative integer",
    )
    _require(
        isinstance(prev, str) and _HEX64.fullmatch(prev) is not None,
        "predicate.prev is not a 64-digit hex hash",
    )
    _require(isinstance(time, str), "predicate.time is not a string")
    _require(isinstance(actor, str), "predicate.actor is not a string")
    _require(isinstance(body, dict), "predicate.body is not a JSON object")
    raw_blobs = predicate.get("blobs", [])
    _require(isinstance(raw_blobs, list), "predicate.blobs is not a list")
    blobs: list[BlobRef] = []
    for item in raw_blobs:
        _require(
            isinstance(item, dict)
            and isinstance(item.get("name"), str)
            and isinstance(item.get("sha256"), str)
            and isinstance(item.get("size"), int),
            "predicate.blobs has a malformed reference",
        )
        blobs.append(BlobRef(item["name"], item["sha256"], item["size"]))
    return ParsedEntry(
        payload=payload,
        signatures=tuple(signatures),
        statement=statement,
        kind=kind,
        seq=seq,
        prev=prev,
        time=time,
        actor=actor,
        body=body,
        blobs=tuple(blobs),
    )
