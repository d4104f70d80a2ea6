"""Verify an evidence bundle offline, with nothing but its directory and the auditor's keys.

Checks every file against the manifest (digests, missing and unlisted files), the checkpoint's
signature, every log entry in the tiles' entry bundles (signatures, chain, key rotation: the
same per-entry checks as ``ledger verify``), every tile against the tree recomputed from those
entries and the checkpoint's root, every exported entry and its tlog-proof, every blob against
its digest (purged ones are reported, not failed), that the exported entries are exactly the
ones the selection matches, the consistency proof, and a checkpoint the auditor kept. The
manifest's file list is spooled to a temporary SQLite file, so memory stays flat.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sqlite3
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import IO, Any, ClassVar, NamedTuple

from tidegate.errors import ConfigError, FormatError, UsageError
from tidegate.ledger import verify as _verify
from tidegate.ledger.completeness import (
    INPUT_MISSING,
    INPUT_NO_CONTENT,
    INPUT_OK,
    INPUT_UNKNOWN,
    Completeness,
)
from tidegate.ledger.export import (
    BUNDLE_FORMAT,
    CHECKPOINT,
    CONSISTENCY,
    MANIFEST,
    PREVIOUS_CHECKPOINT,
    README,
    ROLE_BLOB,
    ROLE_BUNDLE,
    ROLE_CHECKPOINT,
    ROLE_CONSISTENCY,
    ROLE_ENTRY,
    ROLE_PREVIOUS,
    ROLE_PROOF,
    ROLE_README,
    ROLE_STATEMENTS,
    ROLE_TILE,
    ROLE_TRUST,
    ROLES,
    STATEMENTS,
    TRUST,
    Selection,
    blob_path,
    entry_path,
    parse_or_none,
    proof_path,
    selection_from_json,
)
from tidegate.ledger.keys import load_public_key
from tidegate.ledger.kinds import PURGE_CATEGORY
from tidegate.ledger.merkle import ProofError, hash_leaf, verify_consistency, verify_inclusion
from tidegate.ledger.note import (
    Checkpoint,
    NoteVerifier,
    open_checkpoint,
    parse_checkpoint,
    parse_note,
)
from tidegate.ledger.proof import parse_consistency_proof, parse_inclusion_proof
from tidegate.ledger.report import Failure, Report
from tidegate.ledger.tiles import (
    MAX_BUNDLE_ENTRY,
    TILE_HEIGHT,
    TILE_WIDTH,
    Tile,
    decode_bundle,
    split_tile,
    tile_of,
)
from tidegate.ledger.trust import TrustedKey, TrustPolicy, parse_trust
from tidegate.schemas import schema_errors

MANIFEST_INVALID = "manifest-invalid"
FILE_MISMATCH = "file-mismatch"
FILE_MISSING = "file-missing"
FILE_UNLISTED = "file-unlisted"
ENTRY_BUNDLE_INVALID = "entry-bundle-invalid"
TILE_INVALID = "tile-invalid"
TILE_MISMATCH = "tile-mismatch"
ENTRY_MISMATCH = "entry-mismatch"
PROOF_INVALID = "proof-invalid"
SELECTION_MISMATCH = "selection-mismatch"
STATEMENTS_MISMATCH = "statements-mismatch"
TRUST_INVALID = "trust-file-invalid"
CONSISTENCY_INVALID = "consistency-invalid"

BUNDLE_ORDER = (
    MANIFEST_INVALID,
    _verify.CHECKPOINT_INVALID,
    FILE_MISSING,
    ENTRY_BUNDLE_INVALID,
    _verify.MISSING_ENTRY,
    _verify.MALFORMED_ENTRY,
    _verify.OUT_OF_ORDER,
    _verify.UNKNOWN_KEY,
    _verify.BAD_SIGNATURE,
    _verify.RETIRED_KEY,
    _verify.KEY_OUTSIDE_WINDOW,
    _verify.ROTATION_UNSIGNED,
    _verify.BROKEN_LINK,
    TILE_INVALID,
    TILE_MISMATCH,
    ENTRY_MISMATCH,
    PROOF_INVALID,
    _verify.BLOB_MISSING,
    _verify.BLOB_MISMATCH,
    SELECTION_MISMATCH,
    STATEMENTS_MISMATCH,
    TRUST_INVALID,
    _verify.TRUNCATED,
    _verify.NOT_AN_EXTENSION,
    _verify.ROOT_MISMATCH,
    CONSISTENCY_INVALID,
    _verify.WITNESS_MISSING,
    _verify.WITNESS_INVALID,
    FILE_MISMATCH,
    FILE_UNLISTED,
)
"""Failure reasons from cause to consequence: at one entry, the earliest listed is reported first."""

_MAX_LISTED = 1000
_MAX_VALUE_CHARS = 4 * 1024 * 1024
_BATCH = 2000
_CHUNK = 8 * TILE_WIDTH
_WS_RE = re.compile(r"[ \t\n\r]*")
_PATH_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")
_HEX64_RE = re.compile(r"[0-9a-f]{64}")
_FIXED_PATHS = {
    ROLE_README: README,
    ROLE_TRUST: TRUST,
    ROLE_CHECKPOINT: CHECKPOINT,
    ROLE_PREVIOUS: PREVIOUS_CHECKPOINT,
    ROLE_CONSISTENCY: CONSISTENCY,
    ROLE_STATEMENTS: STATEMENTS,
}
_RECORD_KEYS = {"path", "role", "sha256", "size", "seq", "selected", "purged", "purged_at"}

BundleProgress = Callable[[int, int], None]
"""Called with (log entries checked, entries in the log) as verification advances."""


BundleFailure = Failure
"""A bundle failure: a `Failure` whose ``path`` names the bundle file at fault (if any)."""


def bundle_failure_order(failure: Failure) -> tuple[int, int, int, str]:
    """Sort key: failures at entries by sequence number and cause, then bundle-wide ones."""
    return (
        failure.seq is None,
        failure.seq or 0,
        BUNDLE_ORDER.index(failure.reason),
        failure.path or "",
    )


@dataclass
class BundleReport(Report):
    """What `ledger verify --bundle` checked and found."""

    directory: str
    manifest_sha256: str = ""
    selection: str = ""
    windows_enforced: bool = False
    checkpoint_verified: bool = False
    entries_checked: int = 0
    entries_exported: int = 0
    proofs_checked: int = 0
    tiles_checked: int = 0
    entry_bundles_checked: int = 0
    purged: list[dict[str, Any]] = field(default_factory=list)
    files_checked: int = 0
    statements_checked: int = 0
    previous_checkpoint_size: int | None = None

    with_paths: ClassVar[bool] = True

    def failure_key(self, failure: Failure) -> tuple[Any, ...]:
        """Sort key: failures at entries by sequence number and cause, then bundle-wide ones."""
        return bundle_failure_order(failure)

    def fail(self, seq: int | None, path: str | None, reason: str, detail: str) -> None:
        """Record a failure (the list is capped; the first ones are kept)."""
        self.add_failure(Failure(seq, reason, detail, path))

    def as_json(self) -> dict[str, Any]:
        """Return the report as a JSON object (the `--format json` output)."""
        return {
            "ok": self.ok,
            "directory": self.directory,
            "origin": self.origin,
            "size": self.size,
            "root_hash": self.root_hash.hex(),
            "manifest_sha256": self.manifest_sha256,
            "selection": self.selection,
            "checkpoint_verified": self.checkpoint_verified,
            "windows_enforced": self.windows_enforced,
            "entries_checked": self.entries_checked,
            "entries_exported": self.entries_exported,
            "signatures_checked": self.signatures_checked,
            "keys_used": self.keys_used,
            "proofs_checked": self.proofs_checked,
            "tiles_checked": self.tiles_checked,
            "entry_bundles_checked": self.entry_bundles_checked,
            "blobs_checked": self.blobs_checked,
            "blobs_purged": self.blobs_purged,
            "purged": self.purged,
            "files_checked": self.files_checked,
            "statements_checked": self.statements_checked,
            "previous_checkpoint_size": self.previous_checkpoint_size,
            "trusted_checkpoint_size": self.trusted_checkpoint_size,
            **self.verdict_json(),
        }


def bundle_origin(directory: Path) -> str:
    """Return the origin a bundle claims (its checkpoint's first line, else the manifest's)."""
    try:
        first = (directory / CHECKPOINT).read_bytes().split(b"\n", 1)[0].decode("utf-8")
    except (OSError, UnicodeDecodeError):
        first = ""
    if first:
        return first
    try:
        with open(directory / MANIFEST, encoding="utf-8") as handle:
            head = handle.read(4096)
        match = re.search(r'"origin":\s*"([^"\\]+)"', head)
    except (OSError, UnicodeDecodeError):
        match = None
    return match.group(1) if match else "unknown"


def pubkey_trust(directory: Path, public_keys: Sequence[tuple[str, bytes]]) -> TrustPolicy:
    """Return the trust policy of the auditor's keys (PEM or note verifier keys), windows off.

    A PEM key is named by the origin the bundle claims; a verifier key carries its own name,
    which then is the origin the checkpoint must have.
    """
    if not public_keys:
        raise UsageError("give the ledger's public key (--pubkey FILE) or a trust file (--trust)")
    claimed = bundle_origin(directory)
    verifiers = [
        load_public_key(data, source=source, note_name=claimed) for source, data in public_keys
    ]
    names = {v.name for v in verifiers}
    if len(names) > 1:
        raise UsageError(f"the public keys name different logs: {', '.join(sorted(names))}")
    keys = tuple(TrustedKey(v.public_key, "") for v in verifiers)
    return TrustPolicy(names.pop(), keys, windows_enforced=False)


# --- the manifest ------------------------------------------------------------------------------


class _JsonStream:
    """Reads one JSON value at a time from a text stream (values up to 4 MiB)."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.decoder = json.JSONDecoder()

    def _fill(self) -> bool:
        """Read more text; return False at the end of the stream."""
        if self.eof:
            return False
        chunk = self.handle.read(1 << 16)
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def peek(self) -> str:
        """Skip white space; return the next character, or '' at the end."""
        while True:
            match = _WS_RE.match(self.buf, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def expect(self, char: str) -> None:
        """Consume ``char`` or raise FormatError."""
        found = self.peek()
        if found != char:
            raise FormatError(f"expected {char!r}, found {found[:1]!r}")
        self.pos += 1

    def take(self, chars: str) -> str:
        """Consume and return one of ``chars`` or raise FormatError."""
        found = self.peek()
        if found not in chars or not found:
            raise FormatError(f"expected one of {chars!r}, found {found[:1]!r}")
        self.pos += 1
        return found

    def value(self) -> Any:
        """Decode the next JSON value."""
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self.eof:
                    raise FormatError(f"invalid JSON: {exc.msg}") from exc
            except (ValueError, RecursionError) as exc:  # huge integers, absurd nesting
                raise FormatError(f"invalid JSON: {exc}") from exc
            else:
                if end < len(self.buf) or self.eof:
                    self.pos = end
                    return value
            if len(self.buf) - self.pos > _MAX_VALUE_CHARS:
                raise FormatError("a JSON value is larger than 4 MiB")
            self._fill()


def _stream_manifest(
    handle: IO[str], member: Callable[[str, Any], None], record: Callable[[Any], None]
) -> None:
    """Parse the manifest object, passing each top-level member and each ``files`` element."""
    stream = _JsonStream(handle)
    stream.expect("{")
    seen: set[str] = set()
    if stream.peek() == "}":
        stream.pos += 1
    else:
        while True:
            key = stream.value()
            if not isinstance(key, str):
                raise FormatError("an object member name is not a string")
            if key in seen:
                raise FormatError(f"member {key!r} appears twice")
            seen.add(key)
            stream.expect(":")
            if key == "files":
                stream.expect("[")
                if stream.peek() == "]":
                    stream.pos += 1
                else:
                    while True:
                        record(stream.value())
                        if stream.take(",]") == "]":
                            break
            else:
                member(key, stream.value())
            if stream.take(",}") == "}":
                break
    if stream.peek() != "":
        raise FormatError("data after the manifest's closing brace")
    if "files" not in seen:
        raise FormatError("no files member")


def _check_record(raw: Any) -> tuple[str, str, int | None, str, int, bool, bool, str | None]:
    """Validate one ``files`` element; return (path, role, seq, sha256, size, selected, purged, purged_at)."""
    if not isinstance(raw, dict):
        raise FormatError("a files element is not an object")
    path, role, digest, size = raw.get("path"), raw.get("role"), raw.get("sha256"), raw.get("size")
    if not isinstance(path, str) or len(path) > 300 or not _PATH_RE.fullmatch(path):
        raise FormatError(f"files element path {str(path)[:80]!r} is not a safe relative path")
    extra = set(raw) - _RECORD_KEYS
    if extra:
        raise FormatError(f"files element {path}: unexpected members {sorted(extra)}")
    if role not in ROLES:
        raise FormatError(f"files element {path}: role {role!r} is unknown")
    if not isinstance(digest, str) or not _HEX64_RE.fullmatch(digest):
        raise FormatError(f"files element {path}: sha256 is not 64 hex digits")
    if not _count(size):
        raise FormatError(f"files element {path}: size is not a non-negative integer")
    seq, selected = raw.get("seq"), raw.get("selected", True)
    purged, purged_at = raw.get("purged", False), raw.get("purged_at")
    if seq is not None and not _count(seq):
        raise FormatError(f"files element {path}: seq is not a non-negative integer")
    if not isinstance(selected, bool) or not isinstance(purged, bool):
        raise FormatError(f"files element {path}: selected and purged must be true or false")
    if purged_at is not None and not isinstance(purged_at, str):
        raise FormatError(f"files element {path}: purged_at is not a string")
    expected = _expected_path(role, seq, digest)
    if expected is not None and path != expected:
        raise FormatError(f"files element {path}: a {role} of this kind belongs at {expected}")
    if role == ROLE_TILE and not (
        path.startswith("tile/") and not path.startswith("tile/entries/")
    ):
        raise FormatError(f"files element {path}: a tile belongs under tile/<L>/")
    if role == ROLE_BUNDLE and not path.startswith("tile/entries/"):
        raise FormatError(f"files element {path}: an entry bundle belongs under tile/entries/")
    if purged and role != ROLE_BLOB:
        raise FormatError(f"files element {path}: only a blob can be purged")
    assert isinstance(size, int)
    return path, str(role), seq, digest, size, selected, purged, purged_at


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _expected_path(role: object, seq: int | None, digest: str) -> str | None:
    if role in (ROLE_ENTRY, ROLE_PROOF):
        if seq is None:
            raise FormatError(f"a {role} element has no seq")
        return entry_path(seq) if role == ROLE_ENTRY else proof_path(seq)
    if role == ROLE_BLOB:
        return blob_path(digest)
    return _FIXED_PATHS.get(str(role))


# --- files and their digests ---------------------------------------------------------------------


class _Files:
    """The bundle's files: what the manifest lists, what exists, what was read (temporary SQLite)."""

    def __init__(self, root: Path, report: BundleReport, scratch: Path) -> None:
        self.root = root
        self.report = report
        self.db = sqlite3.connect(scratch / "files.db", isolation_level=None)
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.executescript(
            """
            CREATE TABLE listed (path TEXT PRIMARY KEY, role TEXT, seq INTEGER, sha256 TEXT,
                                 size INTEGER, selected INTEGER, purged INTEGER, purged_at TEXT);
            CREATE INDEX listed_seq ON listed (role, seq);
            CREATE TABLE present (path TEXT PRIMARY KEY);
            CREATE TABLE seen (path TEXT PRIMARY KEY, sha256 TEXT, size INTEGER);
            CREATE TABLE purge_record (digest TEXT PRIMARY KEY);
            CREATE TABLE purged_claim (digest TEXT, seq INTEGER, size INTEGER, purged_at TEXT);
            """
        )
        self._records: list[tuple[Any, ...]] = []
        self._reads: list[tuple[str, str | None, int]] = []
        self.listed_count = 0
        self.duplicates = 0
        self.manifest_ok = False

    def close(self) -> None:
        """Close the scratch database."""
        self.db.close()

    def add_record(self, row: tuple[Any, ...]) -> None:
        """Spool one manifest record."""
        self._records.append(row)
        if len(self._records) >= _BATCH:
            self.flush_records()

    def flush_records(self) -> None:
        """Write the spooled manifest records."""
        if not self._records:
            return
        inserted = self._insert(
            "INSERT OR IGNORE INTO listed VALUES (?, ?, ?, ?, ?, ?, ?, ?)", self._records
        )
        self.duplicates += len(self._records) - inserted
        self.listed_count += inserted
        self._records = []

    def scan(self) -> None:
        """Record every file under the bundle (the manifest aside); flag what is not a file."""
        batch: list[tuple[str]] = []
        for path, kind in _walk(self.root):
            if kind != "file":
                self.report.fail(
                    None, path, FILE_UNLISTED, f"{path} is a {kind}, not a regular file"
                )
                continue
            if path != MANIFEST:
                batch.append((path,))
            if len(batch) >= _BATCH:
                self._insert("INSERT INTO present VALUES (?)", batch)
                batch = []
        self._insert("INSERT INTO present VALUES (?)", batch)

    def _insert(self, statement: str, rows: Sequence[tuple[Any, ...]]) -> int:
        """Insert rows in one transaction; return how many were inserted."""
        self.db.execute("BEGIN")
        cursor = self.db.executemany(statement, rows)
        self.db.execute("COMMIT")
        return int(cursor.rowcount)

    def read(self, path: str) -> bytes | None:
        """Return a file's bytes (None if it does not exist), noting its digest for the manifest check."""
        try:
            data = (self.root / path).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            self.note_read(path, None, 0)
            return None
        except OSError as exc:
            self.report.fail(None, path, FILE_MISSING, f"{path} cannot be read: {exc.strerror}")
            self.note_read(path, None, 0)
            return None
        self.note_read(path, hashlib.sha256(data).hexdigest(), len(data))
        return data

    def note_read(self, path: str, digest: str | None, size: int) -> None:
        """Note what a file held when it was read (None: it was missing)."""
        self._reads.append((path, digest, size))
        if len(self._reads) >= _BATCH:
            self.flush_reads()

    def flush_reads(self) -> None:
        """Write the noted reads."""
        if self._reads:
            self._insert("INSERT OR REPLACE INTO seen VALUES (?, ?, ?)", self._reads)
            self._reads = []

    def exported(self, start: int, stop: int) -> dict[int, bool]:
        """Return the exported entries with start <= seq < stop: seq -> selected."""
        rows = self.db.execute(
            "SELECT seq, selected FROM listed WHERE role = ? AND seq >= ? AND seq < ?",
            (ROLE_ENTRY, start, stop),
        ).fetchall()
        return {int(seq): bool(selected) for seq, selected in rows}

    def purged(self, path: str) -> tuple[bool, str | None]:
        """Return whether the manifest lists ``path`` as a purged blob, and when it was purged."""
        row = self.db.execute(
            "SELECT purged, purged_at FROM listed WHERE path = ?", (path,)
        ).fetchone()
        return (False, None) if row is None else (bool(row[0]), row[1])

    def listed(self, path: str) -> bool:
        """Whether the manifest lists ``path``."""
        return (
            self.db.execute("SELECT 1 FROM listed WHERE path = ?", (path,)).fetchone() is not None
        )

    def claim_purged(self, digest: str, seq: int, size: int, purged_at: str | None) -> None:
        """Note that the manifest says entry ``seq``'s blob ``digest`` was purged."""
        self.db.execute(
            "INSERT INTO purged_claim VALUES (?, ?, ?, ?)", (digest, seq, size, purged_at)
        )

    def purge_recorded(self, digest: str) -> bool:
        """Whether a signed `retention.purge` note of the log records ``digest`` as purged."""
        row = self.db.execute("SELECT 1 FROM purge_record WHERE digest = ?", (digest,)).fetchone()
        return row is not None

    def record_purges(self, digests: Sequence[str]) -> None:
        """Note blob digests that a signed `retention.purge` note of the log records as purged."""
        self.db.executemany(
            "INSERT OR IGNORE INTO purge_record VALUES (?)", [(d,) for d in digests]
        )

    def settle_purges(self) -> None:
        """Count recorded purges; a purge without a signed record is a missing blob."""
        report, db = self.report, self.db
        row = db.execute(
            "SELECT count(*) FROM purged_claim WHERE digest IN (SELECT digest FROM purge_record)"
        ).fetchone()
        report.blobs_purged = int(row[0])
        listed = db.execute(
            "SELECT digest, min(seq), min(size), min(purged_at) FROM purged_claim "
            "WHERE digest IN (SELECT digest FROM purge_record) GROUP BY digest ORDER BY min(seq) "
            "LIMIT ?",
            (_MAX_LISTED,),
        ).fetchall()
        report.purged = [
            {"sha256": d, "size": size, "seq": seq, "purged_at": at} for d, seq, size, at in listed
        ]
        unrecorded = db.execute(
            "SELECT digest, seq FROM purged_claim WHERE digest NOT IN "
            "(SELECT digest FROM purge_record) ORDER BY seq LIMIT ?",
            (_MAX_LISTED,),
        ).fetchall()
        for digest, seq in unrecorded:
            report.fail(
                seq,
                blob_path(digest),
                _verify.BLOB_MISSING,
                f"blob {blob_path(digest)} of entry {seq} is listed as purged, but no "
                f"{PURGE_CATEGORY} note in the log records its purge",
            )

    def entries_beyond(self, size: int) -> list[int]:
        """Return exported entries at or beyond ``size`` (not in the checkpoint's tree)."""
        rows = self.db.execute(
            "SELECT seq FROM listed WHERE role = ? AND seq >= ? ORDER BY seq LIMIT ?",
            (ROLE_ENTRY, size, _MAX_LISTED),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def compare(self) -> None:
        """Compare the directory with the manifest: digests, missing and unlisted files."""
        self.flush_reads()
        report, db = self.report, self.db
        for (path,) in db.execute(
            "SELECT path FROM present WHERE path NOT IN (SELECT path FROM listed) ORDER BY path LIMIT ?",
            (_MAX_LISTED,),
        ).fetchall():
            report.fail(None, path, FILE_UNLISTED, f"{path} is not listed in {MANIFEST}")
        for path, seq in db.execute(
            "SELECT path, seq FROM listed WHERE purged = 0 AND path NOT IN (SELECT path FROM present) "
            "ORDER BY path LIMIT ?",
            (_MAX_LISTED,),
        ).fetchall():
            report.fail(seq, path, FILE_MISSING, f"{path} is listed in {MANIFEST} but missing")
        for (path,) in db.execute(
            "SELECT path FROM listed WHERE purged = 1 AND path IN (SELECT path FROM present) LIMIT ?",
            (_MAX_LISTED,),
        ).fetchall():
            report.fail(
                None, path, FILE_MISMATCH, f"{path} is listed as a purged blob, yet it is present"
            )
        mismatched = db.execute(
            "SELECT s.path, l.seq, s.sha256, l.sha256, s.size, l.size FROM seen s "
            "JOIN listed l ON l.path = s.path WHERE s.sha256 IS NOT NULL AND l.purged = 0 "
            "AND (s.sha256 != l.sha256 OR s.size != l.size) ORDER BY s.path LIMIT ?",
            (_MAX_LISTED,),
        ).fetchall()
        for path, seq, actual, listed, actual_size, listed_size in mismatched:
            report.fail(
                seq, path, FILE_MISMATCH, _mismatch(path, actual, listed, actual_size, listed_size)
            )
        checked = db.execute(
            "SELECT count(*) FROM seen s JOIN listed l ON l.path = s.path WHERE s.sha256 IS NOT NULL"
        ).fetchone()
        report.files_checked = int(checked[0])
        unread = db.execute(
            "SELECT l.path, l.seq, l.sha256, l.size FROM listed l JOIN present p ON p.path = l.path "
            "WHERE l.path NOT IN (SELECT path FROM seen) ORDER BY l.path"
        )
        while rows := unread.fetchmany(_BATCH):
            for path, seq, listed, listed_size in rows:
                actual, actual_size = _hash_file(self.root / path)
                report.files_checked += 1
                if (actual, actual_size) != (listed, listed_size):
                    report.fail(
                        seq,
                        path,
                        FILE_MISMATCH,
                        _mismatch(path, actual, listed, actual_size, listed_size),
                    )


def _mismatch(path: str, actual: str, listed: str, actual_size: int, listed_size: int) -> str:
    return (
        f"{path} has SHA-256 {actual[:16]}... ({actual_size} bytes), {MANIFEST} lists "
        f"{listed[:16]}... ({listed_size} bytes): the file or the manifest was altered"
    )


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _walk(root: Path) -> Iterator[tuple[str, str]]:
    """Yield (relative path, kind) of everything under ``root``, without following links."""
    stack = [""]
    while stack:
        prefix = stack.pop()
        with os.scandir(root / prefix if prefix else root) as entries:
            for item in entries:
                path = f"{prefix}/{item.name}" if prefix else item.name
                if item.is_symlink():
                    yield path, "symbolic link"
                elif item.is_dir(follow_symlinks=False):
                    stack.append(path)
                elif item.is_file(follow_symlinks=False):
                    yield path, "file"
                else:
                    yield path, "special file"


# --- verification ------------------------------------------------------------------------------


@dataclass
class _Chunk:
    """Log entries [start, stop) read from the entry bundles, and where each came from."""

    start: int
    stop: int
    rows: list[tuple[int, bytes, bytes]] = field(default_factory=list)
    sources: dict[int, str] = field(default_factory=dict)
    exported: dict[int, bool] = field(default_factory=dict)


class _ProofContext(NamedTuple):
    """What a worker needs to check exported entries and their proofs (cheap to pickle)."""

    root: str
    note: bytes
    checkpoint: Checkpoint | None
    verifiers: tuple[NoteVerifier, ...]
    want_payload: bool


class _Exported(NamedTuple):
    """The facts about one exported entry file and its proof, found on a worker."""

    seq: int
    entry: tuple[str, int] | None
    proof: tuple[str, int] | None
    same_as_log: bool
    proof_failure: str | None
    blobs: tuple[tuple[str, int], ...]
    payload: bytes | None


def _read_digest(root: str, path: str) -> tuple[bytes | None, tuple[str, int] | None]:
    try:
        with open(f"{root}/{path}", "rb") as handle:
            data = handle.read()
    except OSError:
        return None, None
    return data, (hashlib.sha256(data).hexdigest(), len(data))


def _check_exported(
    context: _ProofContext, seq: int, from_log: bytes | None, check: _verify.EntryCheck | None
) -> _Exported:
    """Read an exported entry and its tlog-proof, and check the proof against the checkpoint."""
    data, entry = _read_digest(context.root, entry_path(seq))
    proof_data, proof = _read_digest(context.root, proof_path(seq))
    if data is None:
        return _Exported(seq, None, proof, False, None, (), None)
    failure = None if proof_data is None else _proof_failure(context, seq, data, proof_data)
    same = from_log is None or data == from_log  # a missing log entry is reported elsewhere
    if data == from_log and check is not None and check.error is None:
        blobs = check.blobs  # already parsed with the log
        payload = _payload(data) if context.want_payload else None
    else:
        parsed = parse_or_none(data)
        blobs = () if parsed is None else tuple((b.sha256, b.size) for b in parsed.blobs)
        payload = None if parsed is None else parsed.payload
    return _Exported(seq, entry, proof, same, failure, blobs, payload)


def _proof_failure(context: _ProofContext, seq: int, data: bytes, proof_data: bytes) -> str | None:
    """Return why the tlog-proof of entry ``seq`` does not prove ``data``, or None if it does."""
    path = proof_path(seq)
    try:
        proof = parse_inclusion_proof(proof_data, source=path)
    except FormatError as exc:
        return exc.message
    if proof.index != seq:
        return f"{path} proves entry {proof.index}, not {seq}"
    checkpoint = context.checkpoint
    if checkpoint is None or proof.checkpoint != context.note:
        if checkpoint is not None:
            return f"{path} leads to a checkpoint other than {CHECKPOINT}"
        try:
            checkpoint = open_checkpoint(proof.checkpoint, context.verifiers)
        except FormatError as exc:
            return f"{path}: its checkpoint does not verify: {exc.message}"
    try:
        verify_inclusion(hash_leaf(data), seq, checkpoint.size, proof.hashes, checkpoint.root_hash)
    except ProofError as exc:
        return f"{path} does not prove {entry_path(seq)}: {exc}"
    return None


def check_chunk(
    rows: Sequence[tuple[int, bytes, bytes]], exported: Sequence[int], context: _ProofContext
) -> tuple[list[_verify.EntryCheck], list[_Exported]]:
    """Check a chunk of log entries (as `ledger verify` does) and its exported entry files."""
    checks = _verify.check_entries(rows)
    log = {seq: envelope for seq, _, envelope in rows}
    by_seq = {check.row_seq: check for check in checks}
    facts = [_check_exported(context, s, log.get(s), by_seq.get(s)) for s in exported]
    return checks, facts


class _Verifier:
    """One bundle verification: the state shared by its passes."""

    def __init__(self, root: Path, trust: TrustPolicy, report: BundleReport, files: _Files) -> None:
        self.root = root
        self.trust = trust
        self.report = report
        self.files = files
        self.header: dict[str, Any] = {}
        self.selection: Selection | None = None
        self.omitted: set[str] = set()
        self.note = b""
        self.checkpoint: Checkpoint | None = None
        self.size = 0
        self.higher: dict[int, tuple[Tile, list[bytes] | None]] = {}
        self.tainted: dict[int, set[int]] = {}
        self.blob_cache: dict[str, bool] = {}
        self.statements: IO[bytes] | None = None

    # manifest

    def load_manifest(self) -> None:
        """Stream the manifest into the scratch database and check its header."""
        path = self.root / MANIFEST
        report = self.report
        try:
            data_digest, _ = _hash_file(path)
        except FileNotFoundError:
            report.fail(
                None,
                MANIFEST,
                FILE_MISSING,
                f"{MANIFEST} is missing: nothing says what the bundle holds",
            )
            return
        except OSError as exc:
            report.fail(
                None, MANIFEST, MANIFEST_INVALID, f"{MANIFEST} cannot be read: {exc.strerror}"
            )
            return
        report.manifest_sha256 = data_digest
        header: dict[str, Any] = {}
        bad_records = 0

        def record(raw: Any) -> None:
            nonlocal bad_records
            try:
                path_, role, seq, digest, size, selected, purged, purged_at = _check_record(raw)
            except FormatError as exc:
                bad_records += 1
                if bad_records <= 20:
                    report.fail(None, MANIFEST, MANIFEST_INVALID, f"{MANIFEST}: {exc.message}")
                return
            self.files.add_record(
                (path_, role, seq, digest, size, int(selected), int(purged), purged_at)
            )

        try:
            with open(path, encoding="utf-8") as handle:
                _stream_manifest(handle, header.__setitem__, record)
        except (FormatError, UnicodeDecodeError) as exc:
            message = exc.message if isinstance(exc, FormatError) else f"not UTF-8 ({exc.reason})"
            report.fail(None, MANIFEST, MANIFEST_INVALID, f"{MANIFEST} does not parse: {message}")
            return
        self.files.flush_records()
        if self.files.duplicates:
            report.fail(
                None,
                MANIFEST,
                MANIFEST_INVALID,
                f"{MANIFEST} lists {self.files.duplicates} paths more than once",
            )
        errors = schema_errors({**header, "files": []}, "evidence-manifest")
        for error in errors[:20]:
            report.fail(None, MANIFEST, MANIFEST_INVALID, f"{MANIFEST}: {error}")
        self.header = header
        self.files.manifest_ok = True
        try:
            self.selection = selection_from_json(header.get("selection"))
            report.selection = self.selection.describe()
        except FormatError as exc:
            if not errors:
                report.fail(None, MANIFEST, MANIFEST_INVALID, f"{MANIFEST}: {exc.message}")
            report.notes.append(
                "the manifest's selection is unreadable: the selection was not checked"
            )
        summary = header.get("summary")
        omitted = summary.get("entry_bundles_omitted") if isinstance(summary, dict) else None
        if isinstance(omitted, list):
            self.omitted = {
                o["path"] for o in omitted if isinstance(o, dict) and isinstance(o.get("path"), str)
            }

    # checkpoints

    def load_checkpoint(self) -> None:
        """Verify the bundle's checkpoint with the trusted keys."""
        report = self.report
        data = self.files.read(CHECKPOINT)
        if data is None:
            report.fail(None, CHECKPOINT, _verify.CHECKPOINT_INVALID, "the checkpoint is missing")
            self.size = _header_size(self.header)
            return
        self.note = data
        try:
            checkpoint = open_checkpoint(data, self.trust.note_verifiers())
        except FormatError as exc:
            report.fail(
                None, CHECKPOINT, _verify.CHECKPOINT_INVALID, f"{CHECKPOINT}: {exc.message}"
            )
            self.size = _unverified_size(data, self.header)
            report.notes.append(
                f"the checkpoint does not verify: the log's {self.size} entries are checked for "
                "signatures and tiles, but not against a signed root"
            )
            return
        report.origin = checkpoint.origin
        if checkpoint.origin != self.trust.origin:
            report.fail(
                None,
                CHECKPOINT,
                _verify.CHECKPOINT_INVALID,
                f"the checkpoint is for log {checkpoint.origin!r}, the keys are for {self.trust.origin!r}",
            )
            self.size = checkpoint.size
            return
        self.checkpoint = checkpoint
        self.size = checkpoint.size
        report.size = checkpoint.size
        report.checkpoint_verified = True
        listed = self.header.get("checkpoint")
        if (
            self.files.manifest_ok
            and isinstance(listed, dict)
            and (
                listed.get("size") != checkpoint.size
                or listed.get("root_hash") != checkpoint.root_hash.hex()
            )
        ):
            report.fail(
                None,
                MANIFEST,
                MANIFEST_INVALID,
                f"{MANIFEST} describes a checkpoint of size {listed.get('size')}, the signed one has "
                f"size {checkpoint.size} and root {checkpoint.root_hash.hex()[:16]}...",
            )
        if self.files.manifest_ok and self.header.get("origin") != checkpoint.origin:
            report.fail(
                None,
                MANIFEST,
                MANIFEST_INVALID,
                f"{MANIFEST} names origin {self.header.get('origin')!r}, the checkpoint {checkpoint.origin!r}",
            )

    def load_trust_file(self) -> None:
        """Check the bundled trust file (informative, never a root of trust)."""
        report = self.report
        data = self.files.read(TRUST)
        if data is None:
            if self.files.listed(TRUST) or self.files.manifest_ok:
                report.fail(None, TRUST, FILE_MISSING, f"{TRUST} is missing")
            return
        try:
            bundled = parse_trust(data.decode("utf-8", errors="replace"), source=TRUST)
        except ConfigError as exc:
            report.fail(None, TRUST, TRUST_INVALID, exc.message)
            return
        if self.checkpoint is not None and bundled.origin != self.checkpoint.origin:
            report.fail(
                None,
                TRUST,
                TRUST_INVALID,
                f"{TRUST} is for log {bundled.origin!r}, the checkpoint for {self.checkpoint.origin!r}",
            )
        bundled_ids = {k.keyid for k in bundled.keys}
        unknown = [k.keyid for k in self.trust.keys if k.keyid not in bundled_ids]
        if unknown:
            report.notes.append(f"{TRUST} does not list your key(s) {', '.join(unknown)}")

    def trusted(self, data: bytes | None) -> Checkpoint | None:
        """Verify the auditor's checkpoint; return it if usable."""
        if data is None:
            return None
        report = self.report
        try:
            trusted = open_checkpoint(data, self.trust.note_verifiers())
        except FormatError as exc:
            report.fail(
                None, None, _verify.CHECKPOINT_INVALID, f"trusted checkpoint: {exc.message}"
            )
            return None
        if trusted.origin != self.trust.origin:
            report.fail(
                None,
                None,
                _verify.CHECKPOINT_INVALID,
                f"the trusted checkpoint is for log {trusted.origin!r}, not {self.trust.origin!r}",
            )
            return None
        report.trusted_checkpoint_size = trusted.size
        if trusted.size > self.size:
            report.fail(
                self.size,
                CHECKPOINT,
                _verify.TRUNCATED,
                f"the trusted checkpoint covers {trusted.size} entries, the bundle's checkpoint only "
                f"{self.size}: the bundle is older than your checkpoint, or the log was truncated",
            )
        return trusted

    def consistency(self) -> None:
        """Check consistency.proof from previous.checkpoint to the checkpoint."""
        previous_listed = self.header.get("previous_checkpoint")
        old_data = self.files.read(PREVIOUS_CHECKPOINT)
        proof_data = self.files.read(CONSISTENCY)
        if old_data is None and proof_data is None and not previous_listed:
            return
        report = self.report
        if old_data is None or proof_data is None:
            missing = PREVIOUS_CHECKPOINT if old_data is None else CONSISTENCY
            report.fail(None, missing, CONSISTENCY_INVALID, f"{missing} is missing")
            return
        try:
            old = open_checkpoint(old_data, self.trust.note_verifiers())
        except FormatError as exc:
            report.fail(
                None,
                PREVIOUS_CHECKPOINT,
                CONSISTENCY_INVALID,
                f"{PREVIOUS_CHECKPOINT}: {exc.message}",
            )
            return
        try:
            proof = parse_consistency_proof(proof_data, source=CONSISTENCY)
            new = open_checkpoint(proof.checkpoint, self.trust.note_verifiers())
        except FormatError as exc:
            report.fail(None, CONSISTENCY, CONSISTENCY_INVALID, exc.message)
            return
        if self.checkpoint is not None and proof.checkpoint != self.note:
            report.fail(
                None,
                CONSISTENCY,
                CONSISTENCY_INVALID,
                f"{CONSISTENCY} leads to a checkpoint other than {CHECKPOINT}",
            )
            return
        if old.origin != new.origin or proof.old_size != old.size:
            report.fail(
                None,
                CONSISTENCY,
                CONSISTENCY_INVALID,
                f"{CONSISTENCY} is from size {proof.old_size} of {old.origin!r}, {PREVIOUS_CHECKPOINT} has size {old.size}",
            )
            return
        try:
            verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof.hashes)
        except ProofError as exc:
            report.fail(None, CONSISTENCY, CONSISTENCY_INVALID, f"{CONSISTENCY}: {exc}")
            return
        report.previous_checkpoint_size = old.size

    # the log

    def chunks(self) -> Iterator[_Chunk]:
        """Read the log's entries from the entry bundles (or entry files), with their tile leaves."""
        for start in range(0, self.size, _CHUNK):
            chunk = _Chunk(start, min(self.size, start + _CHUNK))
            for first in range(chunk.start, chunk.stop, TILE_WIDTH):
                self._read_tile0(chunk, tile_of(0, first, self.size))
            if self.files.manifest_ok:
                chunk.exported = self.files.exported(chunk.start, chunk.stop)
            yield chunk

    def _read_tile0(self, chunk: _Chunk, tile: Tile) -> None:
        """Add a level-0 tile's entries (from its bundle) and leaf hashes to ``chunk``."""
        report = self.report
        first = tile.first_entry()
        leaves = self.read_tile(tile, first)
        bundle = tile.bundle_path()
        data = self.files.read(bundle)
        entries: list[bytes | None]
        if data is None and bundle in self.omitted:
            entries = []
            for seq in range(first, first + tile.width):
                entries.append(self.files.read(entry_path(seq)))
                chunk.sources[seq] = entry_path(seq)
            self._check_omission(first, bundle, entries)
        elif data is None:
            report.fail(
                first,
                bundle,
                FILE_MISSING,
                f"entry bundle {bundle} is missing: entries {first}..{first + tile.width - 1} cannot be checked",
            )
            return
        else:
            try:
                entries = list(decode_bundle(data, tile.width, source=bundle))
            except FormatError as exc:
                report.fail(first, bundle, ENTRY_BUNDLE_INVALID, exc.message)
                return
            report.entry_bundles_checked += 1
            for seq in range(first, first + tile.width):
                chunk.sources[seq] = bundle
        for offset, envelope in enumerate(entries):
            if envelope is None:
                continue
            leaf = leaves[offset] if leaves is not None else hash_leaf(envelope)
            chunk.rows.append((first + offset, leaf, envelope))

    def _check_omission(self, first: int, bundle: str, entries: Sequence[bytes | None]) -> None:
        """Refuse an entry bundle left out without the one reason SPEC 14.1 allows.

        The manifest is the exporter's word: an omitted bundle is accepted only if one of its
        entries, read from entries/ and checked against the tiles like any other, is too long
        for tlog-tiles. Otherwise standard tools lose that range for no reason (or to hide it).
        """
        if any(e is None for e in entries):
            return  # the missing entries are failures already; the reason cannot be judged
        longest = max((len(e) for e in entries if e is not None), default=0)
        if longest > MAX_BUNDLE_ENTRY:
            return
        self.report.fail(
            first,
            bundle,
            FILE_MISSING,
            f"entry bundle {bundle} is listed as omitted, but none of entries "
            f"{first}..{first + len(entries) - 1} is over {MAX_BUNDLE_ENTRY} bytes (the longest "
            f"is {longest}): the bundle was needed and left out",
        )

    def input_state(self, chunk: _Chunk) -> Callable[[int, str], str]:
        """How a decision's input blob stands in the bundle (only exported entries have blobs)."""

        def state(seq: int, digest: str) -> str:
            if not chunk.exported.get(seq, False):
                return INPUT_UNKNOWN
            path = blob_path(digest)
            if self.files.purged(path)[0]:
                return INPUT_NO_CONTENT
            intact = self.blob_cache.get(digest)
            if intact is None:
                intact = (self.root / path).is_file()
            return INPUT_OK if intact else INPUT_MISSING

        return state

    def blob_text(self, digest: str) -> bytes | None:
        """Return an exported blob's bytes if present and intact (a policy file, for waivers)."""
        path = blob_path(digest)
        if not _HEX64_RE.fullmatch(digest) or not self.files.listed(path):
            return None
        if self.files.purged(path)[0]:
            return None
        data = self.files.read(path)
        if data is None or hashlib.sha256(data).hexdigest() != digest:
            return None
        return data

    def check_witnesses(self, witnesses: Sequence[NoteVerifier]) -> None:
        """Require the bundle's checkpoint to carry a valid cosignature by each witness."""
        if not self.note:
            for witness in witnesses:
                self.report.fail(
                    None,
                    CHECKPOINT,
                    _verify.WITNESS_MISSING,
                    f"the bundle has no checkpoint for witness "
                    f"{witness.name}+{witness.key_hash.hex()} to have cosigned",
                )
            return
        failures, notes = _verify.cosignature_failures(
            self.note,
            f"the bundle's {CHECKPOINT}",
            witnesses,
            hint=" (cosign the ledger's checkpoint, store the cosignature with `tidegate ledger "
            "checkpoint --add-cosignature`, then export again)",
        )
        for reason, detail in failures:
            self.report.fail(None, CHECKPOINT, reason, detail)
        self.report.notes += notes

    def read_tile(self, tile: Tile, seq: int) -> list[bytes] | None:
        """Return a tile's hashes, or None (reported) if it is missing or malformed."""
        path = tile.path()
        data = self.files.read(path)
        if data is None:
            self.report.fail(seq, path, FILE_MISSING, f"tile {path} is missing")
            return None
        try:
            hashes = split_tile(data, tile)
        except FormatError as exc:
            self.report.fail(seq, path, TILE_INVALID, exc.message)
            return None
        self.report.tiles_checked += 1
        return hashes

    def check_higher(
        self, created: Sequence[tuple[tuple[int, int], bytes]], bad_leaves: Sequence[int]
    ) -> None:
        """Compare recomputed nodes at tile levels 1+ with the tiles' hashes.

        Only the lowest mismatch of a subtree is reported: a node above a mismatched leaf or
        tile hash differs as a consequence.
        """
        for seq in bad_leaves:
            self.tainted.setdefault(1, set()).add(seq >> TILE_HEIGHT)
        for (level, index), expected in created:
            if level == 0 or level % TILE_HEIGHT:
                continue
            tile_level = level // TILE_HEIGHT
            current = self.higher.get(tile_level)
            if (
                current is None
                or not current[0].first_node <= index < current[0].first_node + current[0].width
            ):
                tile = tile_of(tile_level, index, self.size)
                current = (tile, self.read_tile(tile, index << level))
                self.higher[tile_level] = current
            tile, hashes = current
            consequence = index in self.tainted.get(tile_level, ())
            if hashes is None or (hashes[index - tile.first_node] == expected and not consequence):
                continue
            self.tainted.setdefault(tile_level + 1, set()).add(index >> TILE_HEIGHT)
            if consequence:
                continue
            first = index << level
            self.report.fail(
                first,
                tile.path(),
                TILE_MISMATCH,
                f"hash {index - tile.first_node} of {tile.path()} is not the root of entries "
                f"{first}..{first + (1 << level) - 1} recomputed from the entry bundles",
            )

    def absorb(self, chunk: _Chunk, vreport: _verify.VerifyReport) -> None:
        """Move the shared per-entry checks' failures into the report, naming the files."""
        for failure in vreport.failures:
            seq = failure.seq
            if failure.reason == _verify.LEAF_HASH_MISMATCH and seq is not None:
                tile = tile_of(0, seq, self.size)
                self.report.fail(
                    seq,
                    tile.path(),
                    TILE_MISMATCH,
                    f"hash {seq - tile.first_node} of {tile.path()} is not the leaf hash of entry "
                    f"{seq} in {chunk.sources.get(seq, '?')}",
                )
            elif seq is not None:
                source = chunk.sources.get(seq)
                if source is None and seq < self.size:
                    source = tile_of(0, seq, self.size).bundle_path()
                self.report.fail(seq, source, failure.reason, failure.detail)
            else:
                self.report.fail(
                    None,
                    None,
                    failure.reason,
                    failure.detail.replace("the ledger's checkpoint", "the checkpoint"),
                )
        vreport.failures.clear()

    def context(self) -> _ProofContext:
        """What the workers need to check exported entries."""
        return _ProofContext(
            str(self.root),
            self.note,
            self.checkpoint,
            tuple(self.trust.note_verifiers()),
            self.statements is not None,
        )

    def check_exported(
        self, chunk: _Chunk, checks: Sequence[_verify.EntryCheck], facts: Sequence[_Exported]
    ) -> None:
        """Record the exported entries' facts, check their blobs, and check the selection."""
        for fact in facts:
            self.exported_entry(
                fact, chunk.sources.get(fact.seq), selected=chunk.exported.get(fact.seq, False)
            )
        for seq, selected in chunk.exported.items():
            # Unselected entry files exist only to stand in for an omitted entry bundle.
            if not selected and seq < self.size and chunk.sources.get(seq) != entry_path(seq):
                self.report.fail(
                    seq,
                    entry_path(seq),
                    SELECTION_MISMATCH,
                    f"{entry_path(seq)} is listed as not selected, but its entry bundle "
                    f"{tile_of(0, seq, self.size).bundle_path()} was not left out",
                )
        if self.selection is None or not self.files.manifest_ok:
            return
        log = {seq: envelope for seq, _, envelope in chunk.rows}
        exported = chunk.exported
        for check in checks:
            seq = check.row_seq
            entry = parse_or_none(log[seq]) if self.selection.needs_entry else None
            wanted = self.selection.matches(seq, entry)
            if wanted and not exported.get(seq, False):
                self.report.fail(
                    seq,
                    entry_path(seq),
                    SELECTION_MISMATCH,
                    f"entry {seq} matches the selection ({self.selection.describe()}) but "
                    f"{entry_path(seq)} is not listed as exported",
                )
            elif exported.get(seq, False) and not wanted:
                self.report.fail(
                    seq,
                    entry_path(seq),
                    SELECTION_MISMATCH,
                    f"{entry_path(seq)} is exported but entry {seq} does not match the "
                    f"selection ({self.selection.describe()})",
                )

    def exported_entry(self, fact: _Exported, source: str | None, *, selected: bool) -> None:
        """Report on one exported entry from the facts a worker found."""
        report, files, seq = self.report, self.files, fact.seq
        path, proof = entry_path(seq), proof_path(seq)
        reads = ((path, fact.entry), (proof, fact.proof)) if selected else ((path, fact.entry),)
        for name, read in reads:
            files.note_read(name, *(read or (None, 0)))
        if fact.entry is None:
            report.fail(seq, path, FILE_MISSING, f"exported entry {path} is missing")
            return
        if not selected:
            if not fact.same_as_log:
                report.fail(
                    seq, path, ENTRY_MISMATCH, f"{path} is not the log's entry {seq} (in {source})"
                )
            return
        report.entries_exported += 1
        if not fact.same_as_log:
            report.fail(
                seq, path, ENTRY_MISMATCH, f"{path} is not the log's entry {seq} (in {source})"
            )
        if fact.proof is None:
            report.fail(seq, proof, FILE_MISSING, f"the proof {proof} of entry {seq} is missing")
        elif fact.proof_failure is not None:
            report.fail(seq, proof, PROOF_INVALID, fact.proof_failure)
        else:
            report.proofs_checked += 1
        for digest, size in fact.blobs:
            self.check_blob(seq, digest, size)
        if fact.payload is not None:
            self.check_statement(seq, fact.payload)

    def check_blob(self, seq: int, digest: str, size: int) -> None:
        """Check one blob reference of exported entry ``seq``."""
        report = self.report
        path = blob_path(digest)
        purged, purged_at = self.files.purged(path)
        if purged:
            # Legitimate only if a signed retention.purge note records it (SPEC 15.3); the
            # notes may come later in the log, so the claim is settled at the end.
            self.files.claim_purged(digest, seq, size, purged_at)
            return
        intact = self.blob_cache.get(digest)
        if intact is None:
            data = self.files.read(path) if _HEX64_RE.fullmatch(digest) else None
            if data is None:
                report.fail(
                    seq,
                    path,
                    _verify.BLOB_MISSING,
                    f"blob {path} of entry {seq} is missing and not listed as purged",
                )
                return
            intact = len(data) == size and hashlib.sha256(data).hexdigest() == digest
            if len(self.blob_cache) > 10_000:
                self.blob_cache.clear()
            self.blob_cache[digest] = intact
        if intact:
            report.blobs_checked += 1
        else:
            report.fail(
                seq,
                path,
                _verify.BLOB_MISMATCH,
                f"blob {path} of entry {seq} does not match its SHA-256 or size",
            )

    def close_statements(self) -> None:
        """Stop reading the statements file; lines left over are a failure."""
        if self.statements is None:
            return
        extra = self.statements.readline(1)
        self.statements.close()
        self.statements = None
        if extra:
            self.report.fail(
                None,
                STATEMENTS,
                STATEMENTS_MISMATCH,
                f"{STATEMENTS} has more lines than exported entries",
            )

    def check_statement(self, seq: int, payload: bytes) -> None:
        """Check the next statements.jsonl line against entry ``seq``'s payload."""
        if self.statements is None:
            return
        expected = payload + b"\n"
        line = self.statements.readline(len(expected) + 1)
        if line == expected:
            self.report.statements_checked += 1
            return
        number = self.report.statements_checked + 1
        problem = "is missing" if not line else f"is not the statement of entry {seq}"
        self.report.fail(
            seq, STATEMENTS, STATEMENTS_MISMATCH, f"{STATEMENTS} line {number} {problem}"
        )
        self.statements.close()
        self.statements = None


def _payload(envelope: bytes) -> bytes | None:
    """Return the payload bytes of a well-formed entry (the statement, as signed)."""
    try:
        return base64.b64decode(json.loads(envelope)["payload"], validate=True)
    except (ValueError, KeyError, TypeError):
        return None


def _header_size(header: dict[str, Any]) -> int:
    listed = header.get("checkpoint")
    size = listed.get("size") if isinstance(listed, dict) else None
    return size if isinstance(size, int) and _count(size) else 0


def _unverified_size(data: bytes, header: dict[str, Any]) -> int:
    try:
        return parse_checkpoint(parse_note(data).text).size
    except FormatError:
        return _header_size(header)


def verify_bundle(
    directory: Path,
    trust: TrustPolicy,
    *,
    trusted_checkpoint: bytes | None = None,
    workers: int | None = None,
    progress: BundleProgress | None = None,
    witness_keys: Sequence[NoteVerifier] = (),
    now: datetime | None = None,
) -> BundleReport:
    """Verify the evidence bundle in ``directory`` with ``trust`` (the auditor's keys).

    MUST use nothing outside the directory but ``trust``, ``trusted_checkpoint`` and
    ``witness_keys`` (whose cosignatures the bundle's checkpoint MUST carry), MUST NOT stop at
    the first failure (failures are capped at 1000), and MUST report a purged blob as purged,
    not as a failure. Completeness findings go to ``findings``, measured from ``now``.
    """
    if not directory.is_dir():
        raise UsageError(f"bundle {directory} is not a directory")
    report = BundleReport(
        str(directory), origin=trust.origin, windows_enforced=trust.windows_enforced
    )
    with tempfile.TemporaryDirectory(prefix="tidegate-bundle-") as scratch:
        files = _Files(directory, report, Path(scratch))
        verifier = _Verifier(directory, trust, report, files)
        story = Completeness(report, now if now is not None else datetime.now(UTC))
        try:
            _run(verifier, story, trusted_checkpoint, witness_keys, workers, progress)
        finally:
            files.close()
    return report


def _run(
    verifier: _Verifier,
    story: Completeness,
    trusted_data: bytes | None,
    witness_keys: Sequence[NoteVerifier],
    workers: int | None,
    progress: BundleProgress | None,
) -> None:
    report, files = verifier.report, verifier.files
    verifier.load_manifest()
    if report.manifest_sha256 and verifier.header.get("format") not in (None, BUNDLE_FORMAT):
        report.notes.append(
            f"manifest format {verifier.header.get('format')!r} is not {BUNDLE_FORMAT}"
        )
    files.scan()
    verifier.load_checkpoint()
    if witness_keys:
        verifier.check_witnesses(witness_keys)
    verifier.load_trust_file()
    trusted = verifier.trusted(trusted_data)
    verifier.consistency()
    vreport = _verify.VerifyReport(origin=report.origin)
    checkpoints = {} if verifier.checkpoint is None else {verifier.size: verifier.checkpoint}
    chain = _verify.Chain(vreport, verifier.trust, checkpoints, trusted)
    chain.check_checkpoint()  # the empty tree
    if files.manifest_ok and (verifier.root / STATEMENTS).is_file():
        # A line is read per exported entry as they go; the manifest check hashes the file.
        verifier.statements = open(verifier.root / STATEMENTS, "rb")  # noqa: SIM115
    try:
        _log_pass(verifier, chain, vreport, story, workers, progress)
    finally:
        verifier.close_statements()
    story.finish(purged=files.purge_recorded, policy_text=verifier.blob_text)
    verifier.absorb(_Chunk(0, 0), vreport)
    report.signatures_checked = vreport.signatures_checked
    report.keys_used = vreport.keys_used
    if chain.has_gap or chain.tree.size != verifier.size:
        report.notes.append("entries are missing from the bundle: the root could not be recomputed")
    else:
        report.root_hash = chain.tree.root()
    report.size = verifier.size
    if trusted is not None and trusted.size > chain.tree.size and trusted.size <= verifier.size:
        report.notes.append("the trusted checkpoint could not be compared: entries are missing")
    files.settle_purges()
    if files.manifest_ok:
        for seq in files.entries_beyond(verifier.size):
            report.fail(
                seq,
                entry_path(seq),
                SELECTION_MISMATCH,
                f"entry {seq} is exported but the checkpoint covers only {verifier.size} entries",
            )
        files.compare()
    if not report.checkpoint_verified:
        report.notes.append(
            "nothing in this bundle is proven to be in the log: its checkpoint did not verify"
        )


def _log_pass(
    verifier: _Verifier,
    chain: _verify.Chain,
    vreport: _verify.VerifyReport,
    story: Completeness,
    workers: int | None,
    progress: BundleProgress | None,
) -> None:
    """Check every log entry in order (the same per-entry and chain checks as `ledger verify`)."""
    keys = {k.keyid: k.public_key for k in verifier.trust.keys}
    context = verifier.context()
    for chunk, (checks, facts) in _checked(
        verifier.chunks(), keys, context, verifier.size, workers
    ):
        for check in checks:
            chain.feed(check)
            if check.purge_records:
                verifier.files.record_purges(check.purge_records)
            if check.facts is not None:
                story.feed(check.row_seq, check.kind, check.time, check.facts)
        if not chain.has_gap:
            bad = [
                f.seq
                for f in vreport.failures
                if f.reason == _verify.LEAF_HASH_MISMATCH and f.seq is not None
            ]
            verifier.check_higher(chain.created, bad)
        chain.created = []
        verifier.absorb(chunk, vreport)
        verifier.check_exported(chunk, checks, facts)
        if story.pending_inputs:
            story.settle_inputs(verifier.input_state(chunk))
        verifier.report.entries_checked += len(checks)
        if progress is not None:
            progress(chunk.stop, verifier.size)


def _checked(
    chunks: Iterator[_Chunk],
    keys: dict[str, bytes],
    context: _ProofContext,
    total: int,
    workers: int | None,
) -> Iterator[tuple[_Chunk, tuple[list[_verify.EntryCheck], list[_Exported]]]]:
    """Check each chunk (entries, signatures, exported files, proofs) here or on workers, in order."""
    count = workers if workers is not None else (os.cpu_count() or 1)
    _verify.init_worker(keys, None)
    if count <= 1 or total < _verify.PARALLEL_THRESHOLD:
        for chunk in chunks:
            yield chunk, check_chunk(chunk.rows, _selected(chunk), context)
        return
    with ProcessPoolExecutor(
        count,
        mp_context=get_context("fork"),
        initializer=_verify.init_worker,
        initargs=(keys, None),
    ) as pool:
        pending: deque[tuple[_Chunk, Future[tuple[list[_verify.EntryCheck], list[_Exported]]]]]
        pending = deque()
        for chunk in chunks:
            future = pool.submit(check_chunk, chunk.rows, _selected(chunk), context)
            pending.append((chunk, future))
            if len(pending) >= 2 * count:
                done, first = pending.popleft()
                yield done, first.result()
        while pending:
            done, first = pending.popleft()
            yield done, first.result()


def _selected(chunk: _Chunk) -> list[int]:
    # Every exported entry file is checked against the log, selected or not: an unselected
    # file (from an omitted entry bundle) must still be the log's entry, byte for byte.
    return sorted(chunk.exported)
