"""C2SP signed notes (c2sp.org/signed-note) and checkpoints (c2sp.org/tlog-checkpoint).

Ed25519 note signatures (type 0x01) are produced and accepted. A key hash is the first
four bytes of SHA-256(name || 0x0A || 0x01 || public key); a verifier key is written
``name+hex(key hash)+base64(0x01 || public key)``, the form Go's sumdb/note reads.

Witnesses add Ed25519 cosignatures (c2sp.org/tlog-cosignature, cosignature/v1, type 0x04):
the key hash uses the type byte 0x04, the signature is an 8-byte big-endian timestamp and an
Ed25519 signature of ``cosignature/v1 LF time <timestamp> LF`` followed by the note text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tidegate.errors import FormatError
from tidegate.ledger.merkle import HASH_SIZE

ED25519_ALGORITHM = 0x01
COSIGNATURE_ALGORITHM = 0x04
"""Note signature type of an Ed25519 cosignature/v1 (c2sp.org/tlog-cosignature)."""
COSIGNATURE_HEADER = b"cosignature/v1\n"
COSIGNATURE_SIZE = 8 + 64
"""Bytes of a cosignature after its key hash: a u64 timestamp and an Ed25519 signature."""
MAX_COSIGNATURE_TIME = 2**63 - 1
_ALGORITHM_NAMES = {
    ED25519_ALGORITHM: "Ed25519 (type 0x01)",
    COSIGNATURE_ALGORITHM: "Ed25519 cosignature (type 0x04)",
}
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space start every signature line
_NAME_RE = re.compile(r"[^\s+]+")
_DECIMAL_RE = re.compile(r"0|[1-9][0-9]*")
_MAX_SIGNATURES = 100


def key_hash(name: str, public_key: bytes, algorithm: int = ED25519_ALGORITHM) -> bytes:
    """Return the 4-byte key hash that prefixes every note signature by this key."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public_key).digest()[:4]


def cosignature_message(text: bytes, timestamp: int) -> bytes:
    """Return what a cosignature/v1 signs: the header line, the time line, then the note text."""
    return COSIGNATURE_HEADER + f"time {timestamp}\n".encode() + text


def split_cosignature(signature: bytes) -> tuple[int, bytes]:
    """Split a cosignature (the bytes after its key hash) into timestamp and Ed25519 signature.

    Raise FormatError saying what is wrong: the length or a timestamp above 2^63 - 1.
    """
    if len(signature) != COSIGNATURE_SIZE:
        raise FormatError(
            f"cosignature is {len(signature)} bytes after its key hash, not {COSIGNATURE_SIZE} "
            "(an 8-byte timestamp and a 64-byte Ed25519 signature)"
        )
    timestamp = int.from_bytes(signature[:8], "big")
    if timestamp > MAX_COSIGNATURE_TIME:
        raise FormatError(f"cosignature timestamp {timestamp} is above 2^63 - 1")
    return timestamp, signature[8:]


def check_key_name(name: str) -> str:
    """Return ``name`` if it is a valid note key name (non-empty, no spaces, no '+')."""
    if not _NAME_RE.fullmatch(name):
        raise FormatError(
            f"invalid note key name {name!r}: it must be non-empty, without spaces or '+'"
        )
    return name


@dataclass(frozen=True)
class NoteVerifier:
    """A public key that can check note signatures under one key name.

    ``algorithm`` is the note signature type: 0x01 (a log's Ed25519 signature) or 0x04 (a
    witness's cosignature/v1).
    """

    name: str
    public_key: bytes
    algorithm: int = ED25519_ALGORITHM

    @property
    def key_hash(self) -> bytes:
        """The 4-byte hash that names this key in signature lines."""
        return key_hash(self.name, self.public_key, self.algorithm)

    def vkey(self) -> str:
        """Return the verifier key string ``name+hash+base64``."""
        encoded = base64.b64encode(bytes([self.algorithm]) + self.public_key).decode()
        return f"{self.name}+{self.key_hash.hex()}+{encoded}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Return whether ``signature`` (after the key hash) is this key's signature of ``text``."""
        if self.algorithm == COSIGNATURE_ALGORITHM:
            try:
                timestamp, signature = split_cosignature(signature)
            except FormatError:
                return False
            text = cosignature_message(text, timestamp)
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class NoteSigner:
    """A private key that signs notes under one key name."""

    name: str
    private_key: Ed25519PrivateKey

    def verifier(self) -> NoteVerifier:
        """Return the matching verifier."""
        raw = self.private_key.public_key().public_bytes_raw()
        return NoteVerifier(self.name, raw)

    def signature_line(self, text: bytes) -> str:
        """Return the signature line for ``text`` (with its trailing newline)."""
        sig = self.verifier().key_hash + self.private_key.sign(text)
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(sig).decode()}\n"


@dataclass(frozen=True)
class CosignatureSigner:
    """A witness's private key that cosigns notes (cosignature/v1) under one key name."""

    name: str
    private_key: Ed25519PrivateKey

    def verifier(self) -> NoteVerifier:
        """Return the matching cosignature verifier (type 0x04)."""
        raw = self.private_key.public_key().public_bytes_raw()
        return NoteVerifier(self.name, raw, COSIGNATURE_ALGORITHM)

    def signature_line(self, text: bytes, timestamp: int) -> str:
        """Return the cosignature line for note ``text`` at ``timestamp`` (Unix seconds)."""
        if not 0 <= timestamp <= MAX_COSIGNATURE_TIME:
            raise FormatError(f"cosignature timestamp {timestamp} is outside 0..2^63 - 1")
        signature = self.private_key.sign(cosignature_message(text, timestamp))
        raw = self.verifier().key_hash + timestamp.to_bytes(8, "big") + signature
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(raw).decode()}\n"


def parse_vkey(vkey: str, *, algorithms: Sequence[int] = (ED25519_ALGORITHM,)) -> NoteVerifier:
    """Parse a verifier key string of one of ``algorithms``; raise FormatError naming what is wrong."""
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise FormatError(f"verifier key {vkey!r} is not of the form name+hash+base64")
    name, hash_hex, encoded = parts
    check_key_name(name)
    try:
        raw = base64.b64decode(encoded, validate=True)
        expected_hash = bytes.fromhex(hash_hex)
    except (binascii.Error, ValueError) as exc:
        raise FormatError(f"verifier key {vkey!r}: bad hex or base64 ({exc})") from exc
    if len(raw) != 33 or raw[0] not in algorithms:
        kinds = " or ".join(_ALGORITHM_NAMES.get(a, f"type {a:#04x}") for a in algorithms)
        raise FormatError(f"verifier key {vkey!r} is not an {kinds} key")
    verifier = NoteVerifier(name, raw[1:], raw[0])
    if verifier.key_hash != expected_hash:
        raise FormatError(f"verifier key {vkey!r}: key hash does not match name and key")
    return verifier


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note."""

    name: str
    key_hash: bytes
    signature: bytes


@dataclass(frozen=True)
class SignedNote:
    """A note's text and its signature lines, as parsed (not yet verified)."""

    text: bytes
    signatures: tuple[NoteSignature, ...]


def sign_note(text: str, signers: Sequence[NoteSigner]) -> bytes:
    """Return the signed note: text, a blank line, one signature line per signer."""
    if not text.endswith("\n"):
        raise FormatError("note text must end with a newline")
    body = text.encode()
    return body + b"\n" + "".join(s.signature_line(body) for s in signers).encode()


def parse_note(data: bytes) -> SignedNote:
    """Split a signed note into text and signature lines; raise FormatError if malformed."""
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"signed note is not UTF-8 (byte {exc.start})") from exc
    bad = next((c for c in decoded if (c < " " and c != "\n") or c == "\x7f"), None)
    if bad is not None:
        raise FormatError(f"signed note contains the control character {bad!r}")
    split = decoded.rfind("\n\n")
    if split < 0:
        raise FormatError("signed note has no blank line before its signatures")
    text, sig_block = decoded[: split + 1], decoded[split + 2 :]
    if not sig_block.endswith("\n"):
        raise FormatError("signed note does not end with a newline")
    signatures: list[NoteSignature] = []
    for line in sig_block[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise FormatError(f"signature line {line!r} does not start with an em dash")
        try:
            name, encoded = line[len(SIGNATURE_PREFIX) :].split(" ")
            raw = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise FormatError(f"signature line {line!r} is malformed") from exc
        check_key_name(name)
        if len(raw) < 5:
            raise FormatError(f"signature line {line!r} is too short")
        signatures.append(NoteSignature(name, raw[:4], raw[4:]))
    if len(signatures) > _MAX_SIGNATURES:
        raise FormatError(
            f"signed note carries {len(signatures)} signatures (limit {_MAX_SIGNATURES})"
        )
    return SignedNote(text.encode(), tuple(signatures))


def verify_cosignature(note: SignedNote, witness: NoteVerifier) -> int | None:
    """Return the timestamp of ``witness``'s cosignature of ``note``, or None if it has none.

    Lines from other keys are ignored. MUST raise FormatError, saying why, if a line with the
    witness's name and key hash is malformed or does not verify (a bad one is never skipped).
    """
    found: int | None = None
    for sig in note.signatures:
        if (sig.name, sig.key_hash) != (witness.name, witness.key_hash):
            continue
        timestamp, _ = split_cosignature(sig.signature)
        if not witness.verify(note.text, sig.signature):
            raise FormatError(
                f"cosignature by {witness.name}+{witness.key_hash.hex()} (time {timestamp}) "
                "does not verify over the checkpoint text"
            )
        found = timestamp if found is None else max(found, timestamp)
    return found


def open_note(data: bytes, verifiers: Iterable[NoteVerifier]) -> tuple[bytes, list[NoteVerifier]]:
    """Verify a signed note; return its text and the verifiers whose signature checked.

    MUST raise FormatError unless at least one known key signed it and every signature
    line from a known key verifies (a bad signature by a known key is never ignored).
    """
    note = parse_note(data)
    known = {(v.name, v.key_hash): v for v in verifiers}
    verified: list[NoteVerifier] = []
    for sig in note.signatures:
        verifier = known.get((sig.name, sig.key_hash))
        if verifier is None:
            continue
        if not verifier.verify(note.text, sig.signature):
            raise FormatError(f"note signature by {sig.name} (key {sig.key_hash.hex()}) is invalid")
        verified.append(verifier)
    if not verified:
        names = ", ".join(f"{s.name}+{s.key_hash.hex()}" for s in note.signatures) or "none"
        raise FormatError(f"note is not signed by any trusted key (signed by: {names})")
    return note.text, verified


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint body: origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        """Return the checkpoint body as note text."""
        root = base64.b64encode(self.root_hash).decode()
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: bytes) -> Checkpoint:
    """Parse checkpoint note text; raise FormatError naming the bad line."""
    try:
        lines = text.decode("utf-8").split("\n")
    except UnicodeDecodeError as exc:
        raise FormatError("checkpoint is not UTF-8") from exc
    if len(lines) < 4 or lines[-1] != "":
        raise FormatError("checkpoint needs origin, size and root hash lines ending in a newline")
    origin, size_line, root_line = lines[0], lines[1], lines[2]
    if not origin:
        raise FormatError("checkpoint line 1 (origin) is empty")
    if not _DECIMAL_RE.fullmatch(size_line):
        raise FormatError(f"checkpoint line 2 (tree size) is not a decimal number: {size_line!r}")
    try:
        root = base64.b64decode(root_line, validate=True)
    except binascii.Error as exc:
        raise FormatError(f"checkpoint line 3 (root hash) is not base64: {root_line!r}") from exc
    if len(root) != HASH_SIZE:
        raise FormatError(f"checkpoint line 3 (root hash) is {len(root)} bytes, not {HASH_SIZE}")
    extensions = tuple(lines[3:-1])
    if any(not line for line in extensions):
        raise FormatError("checkpoint has an empty extension line")
    return Checkpoint(origin, int(size_line), root, extensions)


def open_checkpoint(data: bytes, verifiers: Iterable[NoteVerifier]) -> Checkpoint:
    """Verify a signed checkpoint note and return its parsed body."""
    text, _ = open_note(data, verifiers)
    return parse_checkpoint(text)
