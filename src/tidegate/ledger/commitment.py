"""Salted-hash commitments: withhold a body field, disclose and prove it later (SPEC 15.4).

A commitment to a JSON value ``v`` with a 32-byte secret salt ``s`` is
``"sha256:" || hex(SHA-256("tidegate.dev/commitment/v1" || 0x0A || s || JCS(v)))``; in an entry
body the value is replaced by ``{"commitment": "sha256:<hex>"}``. Salts are secrets: they are
returned to the caller, never logged and never stored in the ledger.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tidegate.canonical import canonical_json
from tidegate.errors import EntryRejected, FormatError, UsageError
from tidegate.ledger.log import read_entry
from tidegate.ledger.store import LedgerStore

DOMAIN = b"tidegate.dev/commitment/v1\n"
"""Domain separation: the first bytes hashed into every commitment."""
SALT_BYTES = 32
COMMITMENT_KEY = "commitment"
_COMMITMENT = re.compile(r"sha256:[0-9a-f]{64}")
_INDEX = re.compile(r"0|[1-9][0-9]*")
_SALT_HEX = re.compile(r"[0-9a-fA-F]{64}")


def commit_value(value: object, salt: bytes) -> str:
    """Return the commitment (``sha256:<hex>``) to a JSON value under a 32-byte salt."""
    if len(salt) != SALT_BYTES:
        raise UsageError(f"a commitment salt is {SALT_BYTES} bytes, not {len(salt)}")
    return "sha256:" + hashlib.sha256(DOMAIN + salt + canonical_json(value)).hexdigest()


def is_commitment(node: object) -> bool:
    """Return whether ``node`` is a commitment object ``{"commitment": "sha256:<64 hex>"}``."""
    return (
        isinstance(node, dict)
        and set(node) == {COMMITMENT_KEY}
        and isinstance(node[COMMITMENT_KEY], str)
        and _COMMITMENT.fullmatch(node[COMMITMENT_KEY]) is not None
    )


def check_disclosure(commitment: str, value: object, salt: bytes) -> bool:
    """Return whether ``value`` and ``salt`` open ``commitment`` (compared in constant time)."""
    return hmac.compare_digest(commit_value(value, salt).encode(), commitment.encode())


def parse_salt(text: str) -> bytes:
    """Decode a salt given as 64 hex digits; UsageError (which never echoes it) otherwise."""
    text = text.strip()
    if _SALT_HEX.fullmatch(text) is None:
        raise UsageError(f"a salt is {SALT_BYTES * 2} hex digits ({len(text)} characters given)")
    return bytes.fromhex(text)


def parse_pointer(field: str) -> tuple[str, ...]:
    """Split a field path, an RFC 6901 JSON Pointer (``message`` is short for ``/message``)."""
    pointer = field if field.startswith("/") else "/" + field
    if pointer == "/" and not field.startswith("/"):
        raise UsageError("the field path is empty: name a member of the body, e.g. /message")
    tokens = pointer.split("/")[1:]
    for token in tokens:
        if re.search(r"~(?![01])", token):
            raise UsageError(f"field {field!r}: '~' must be followed by 0 or 1 (RFC 6901)")
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in tokens)


def format_pointer(tokens: Sequence[str]) -> str:
    """Return the RFC 6901 JSON Pointer of a token path."""
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)


def _locate(body: Any, tokens: Sequence[str]) -> tuple[Any, str | int] | None:
    """Return (container, key) of the value at ``tokens``, or None if there is none."""
    node = body
    for depth, token in enumerate(tokens):
        key: str | int
        if isinstance(node, dict):
            key = token
            if key not in node:
                return None
        elif isinstance(node, list):
            if _INDEX.fullmatch(token) is None or int(token) >= len(node):
                return None
            key = int(token)
        else:
            return None
        if depth == len(tokens) - 1:
            return node, key
        node = node[key]
    return None


def value_at(body: Mapping[str, Any], field: str) -> tuple[bool, Any]:
    """Return (found, value) of the member at field path ``field`` in ``body``."""
    found = _locate(body, parse_pointer(field))
    if found is None:
        return False, None
    container, key = found
    return True, container[key]


@dataclass(frozen=True)
class CommittedField:
    """One field replaced by its commitment; ``salt`` is the secret that opens it."""

    field: str
    commitment: str
    salt: bytes

    def as_json(self) -> dict[str, str]:
        """Return the field, commitment and salt (hex) for the caller to keep privately."""
        return {"field": self.field, "commitment": self.commitment, "salt": self.salt.hex()}


def commit_fields(
    body: Mapping[str, Any],
    fields: Sequence[str],
    *,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> tuple[dict[str, Any], list[CommittedField]]:
    """Return a copy of ``body`` with each field replaced by a commitment, and the salts.

    Each field gets its own fresh salt. A field that is missing, given twice, or inside another
    committed field is refused with EntryRejected (nothing is appended).
    """
    paths = [parse_pointer(f) for f in fields]
    for i, path in enumerate(paths):
        for other in paths[i + 1 :]:
            shorter, longer = sorted((path, other), key=len)
            if longer[: len(shorter)] == shorter:
                raise EntryRejected(
                    f"fields {format_pointer(path)} and {format_pointer(other)} overlap; "
                    "commit each value once"
                )
    committed_body: dict[str, Any] = copy.deepcopy(dict(body))
    committed: list[CommittedField] = []
    for path in paths:
        found = _locate(committed_body, path)
        if found is None:
            raise EntryRejected(f"body has no field {format_pointer(path)} to commit to")
        container, key = found
        salt = random_bytes(SALT_BYTES)
        try:
            commitment = commit_value(container[key], salt)
        except FormatError as exc:
            raise EntryRejected(f"field {format_pointer(path)}: {exc.message}") from exc
        container[key] = {COMMITMENT_KEY: commitment}
        committed.append(CommittedField(format_pointer(path), commitment, salt))
    return committed_body, committed


class Outcome(StrEnum):
    """The result of checking a disclosed value against an entry."""

    MATCH = "match"
    MISMATCH = "mismatch"
    NO_COMMITMENT = "no-commitment"


@dataclass(frozen=True)
class Disclosure:
    """What `ledger disclose` found: the entry, the field, its commitment and the outcome."""

    seq: int
    field: str
    leaf_hash: bytes
    commitment: str | None
    outcome: Outcome
    detail: str

    def as_json(self) -> dict[str, Any]:
        """Return the result as JSON (never the salt or the value)."""
        return {
            "seq": self.seq,
            "field": self.field,
            "leaf_hash": self.leaf_hash.hex(),
            "commitment": self.commitment,
            "result": self.outcome.value,
            "detail": self.detail,
        }


def disclose(store: LedgerStore, seq: int, field: str, value: object, salt: bytes) -> Disclosure:
    """Check a disclosed ``value`` and ``salt`` against the commitment at ``field`` of entry ``seq``.

    The entry's authenticity is not checked here (that is `verify` or an inclusion proof).
    """
    tokens = parse_pointer(field)
    pointer = format_pointer(tokens)
    if len(salt) != SALT_BYTES:
        raise UsageError(f"a commitment salt is {SALT_BYTES} bytes, not {len(salt)}")
    entry, parsed = read_entry(store, seq)
    body = parsed.body
    found = _locate(body, tokens)
    node = None if found is None else found[0][found[1]]
    if not is_commitment(node):
        what = "has no field" if found is None else "has no commitment at"
        return Disclosure(
            seq,
            pointer,
            entry.leaf_hash,
            None,
            Outcome.NO_COMMITMENT,
            f"entry {seq} {what} {pointer}",
        )
    assert isinstance(node, dict)
    commitment: str = node[COMMITMENT_KEY]
    try:
        matches = check_disclosure(commitment, value, salt)
    except FormatError as exc:
        raise UsageError(f"the disclosed value: {exc.message}") from exc
    if matches:
        detail = f"entry {seq} {pointer}: the value and salt open commitment {commitment}"
    else:
        detail = f"entry {seq} {pointer}: the value and salt do not open commitment {commitment}"
    return Disclosure(
        seq,
        pointer,
        entry.leaf_hash,
        commitment,
        Outcome.MATCH if matches else Outcome.MISMATCH,
        detail,
    )
