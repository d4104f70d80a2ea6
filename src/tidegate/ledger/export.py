"""Export an evidence bundle: a self-contained directory an auditor verifies with nothing else.

The bundle holds the selected entries (exact bytes) with a tlog-proof each, the blobs they
reference, the trust file, the latest checkpoint, the whole log in C2SP tlog-tiles layout
(tiles built from the stored tree nodes, never recomputed), an optional consistency proof from
a previous export's checkpoint, a manifest of every file's SHA-256 and a README. Everything is
streamed a chunk of 2048 entries at a time, so memory does not grow with the ledger.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from tidegate import __version__
from tidegate._time import format_time, parse_time
from tidegate.errors import FormatError, LedgerError, StoreError, UsageError
from tidegate.ledger.entry import ParsedEntry, parse_entry
from tidegate.ledger.log import Ledger
from tidegate.ledger.merkle import (
    hash_leaf,
    hash_spans,
    inclusion_plan,
    nodes_for_spans,
    verify_consistency,
)
from tidegate.ledger.note import Checkpoint, open_checkpoint
from tidegate.ledger.proof import ConsistencyProofFile, InclusionProofFile
from tidegate.ledger.tiles import (
    MAX_BUNDLE_ENTRY,
    TILE_HEIGHT,
    TILE_WIDTH,
    Tile,
    encode_bundle,
    index_path,
    tile_levels,
    tiles_at_level,
)
from tidegate.ledger.trust import TrustPolicy

BUNDLE_FORMAT = "tidegate.dev/evidence-bundle@v1"
MANIFEST = "manifest.json"
README = "README.md"
TRUST = "trust.json"
CHECKPOINT = "checkpoint"
PREVIOUS_CHECKPOINT = "previous.checkpoint"
CONSISTENCY = "consistency.proof"
STATEMENTS = "statements.jsonl"

ROLE_README = "readme"
ROLE_TRUST = "trust"
ROLE_CHECKPOINT = "checkpoint"
ROLE_PREVIOUS = "previous-checkpoint"
ROLE_CONSISTENCY = "consistency-proof"
ROLE_ENTRY = "entry"
ROLE_PROOF = "proof"
ROLE_BLOB = "blob"
ROLE_TILE = "tile"
ROLE_BUNDLE = "entry-bundle"
ROLE_STATEMENTS = "statements"
ROLES = (
    ROLE_README,
    ROLE_TRUST,
    ROLE_CHECKPOINT,
    ROLE_PREVIOUS,
    ROLE_CONSISTENCY,
    ROLE_ENTRY,
    ROLE_PROOF,
    ROLE_BLOB,
    ROLE_TILE,
    ROLE_BUNDLE,
    ROLE_STATEMENTS,
)
"""What each file of a bundle is (the manifest's ``role``)."""

CHUNK = 8 * TILE_WIDTH
"""Entries read, checked and written per step: eight level-0 tiles."""
RUN_SUBJECT_PREFIX = "run_id:"
DECISION_SUBJECT_PREFIX = "decision_id:"
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_SEQ_RE = re.compile(r"0|[1-9][0-9]*")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

ExportProgress = Callable[[int, int], None]
"""Called with (log entries written, entries in the log) as the export advances."""


def entry_path(seq: int) -> str:
    """Return the bundle path of entry ``seq``'s exact bytes, e.g. ``entries/x001/234.entry``."""
    return f"entries/{index_path(seq)}.entry"


def proof_path(seq: int) -> str:
    """Return the bundle path of entry ``seq``'s tlog-proof, e.g. ``proofs/x001/234.tlog-proof``."""
    return f"proofs/{index_path(seq)}.tlog-proof"


def blob_path(digest: str) -> str:
    """Return the bundle path of a blob: ``blobs/<first 2 hex digits>/<sha256>``."""
    return f"blobs/{digest[:2]}/{digest}"


@dataclass(frozen=True)
class Bound:
    """One end of a selection: a sequence number or an instant (exactly one is set)."""

    seq: int | None = None
    time: str | None = None

    def as_json(self) -> dict[str, Any]:
        """Return the bound as the manifest writes it."""
        return {"seq": self.seq} if self.seq is not None else {"time": self.time}

    def describe(self) -> str:
        """Return the bound for humans."""
        return f"entry {self.seq}" if self.seq is not None else str(self.time)


def parse_bound(text: str, *, option: str) -> Bound:
    """Parse ``--since``/``--until``: a sequence number, a date (UTC midnight) or an RFC 3339 time."""
    text = text.strip()
    if _SEQ_RE.fullmatch(text):
        return Bound(seq=int(text))
    try:
        if _DATE_RE.fullmatch(text):
            moment = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        else:
            moment = parse_time(text)
    except ValueError as exc:
        raise UsageError(
            f"{option} {text!r}: expected a sequence number, a date (YYYY-MM-DD, UTC) or an "
            "RFC 3339 time with an offset (2025-01-02T03:04:05Z)"
        ) from exc
    return Bound(time=format_time(moment))


def _bound_from_json(value: object, what: str) -> Bound | None:
    if value is None:
        return None
    if isinstance(value, dict) and set(value) == {"seq"} and isinstance(value["seq"], int):
        return Bound(seq=value["seq"])
    if isinstance(value, dict) and set(value) == {"time"} and isinstance(value["time"], str):
        try:
            parse_time(value["time"])
        except ValueError as exc:
            raise FormatError(f"selection.{what}.time is not an RFC 3339 time") from exc
        return Bound(time=value["time"])
    raise FormatError(f"selection.{what} must be null, {{'seq': N}} or {{'time': T}}")


@dataclass(frozen=True)
class Selection:
    """Which entries an export includes; every given filter must match (an empty one takes all).

    ``since`` is inclusive and ``until`` exclusive, as sequence numbers or as entry times.
    ``run_id`` / ``decision_id`` match an entry whose ``predicate.body.run_id`` (resp.
    ``decision_id``) equals it, or that has a subject named ``run_id:<ID>`` (``decision_id:<ID>``).
    """

    since: Bound | None = None
    until: Bound | None = None
    run_id: str | None = None
    decision_id: str | None = None

    @property
    def needs_entry(self) -> bool:
        """Whether matching reads the parsed entry (not only its sequence number)."""
        return (
            self.run_id is not None
            or self.decision_id is not None
            or any(b is not None and b.time is not None for b in (self.since, self.until))
        )

    @property
    def is_everything(self) -> bool:
        """Whether the selection takes every entry."""
        return self == Selection()

    def matches(self, seq: int, entry: ParsedEntry | None) -> bool:
        """Return whether entry ``seq`` (parsed, or None if it does not parse) is selected."""
        if not self._seq_ok(seq):
            return False
        if not self.needs_entry:
            return True
        if entry is None:
            return False
        if not self._time_ok(entry.time):
            return False
        if self.run_id is not None and not _tagged(entry, "run_id", self.run_id):
            return False
        return self.decision_id is None or _tagged(entry, "decision_id", self.decision_id)

    def _seq_ok(self, seq: int) -> bool:
        if self.since is not None and self.since.seq is not None and seq < self.since.seq:
            return False
        return not (self.until is not None and self.until.seq is not None and seq >= self.until.seq)

    def _time_ok(self, text: str) -> bool:
        since = self.since.time if self.since is not None else None
        until = self.until.time if self.until is not None else None
        if since is None and until is None:
            return True
        try:
            moment = parse_time(text)
        except ValueError:
            return False
        if since is not None and moment < parse_time(since):
            return False
        return until is None or moment < parse_time(until)

    def as_json(self) -> dict[str, Any]:
        """Return the selection as the manifest writes it."""
        return {
            "since": None if self.since is None else self.since.as_json(),
            "until": None if self.until is None else self.until.as_json(),
            "run_id": self.run_id,
            "decision_id": self.decision_id,
        }

    def describe(self) -> str:
        """Return the selection for humans."""
        parts = []
        if self.since is not None:
            parts.append(f"since {self.since.describe()} (inclusive)")
        if self.until is not None:
            parts.append(f"until {self.until.describe()} (exclusive)")
        if self.run_id is not None:
            parts.append(f"run_id {self.run_id!r}")
        if self.decision_id is not None:
            parts.append(f"decision_id {self.decision_id!r}")
        return ", ".join(parts) if parts else "every entry"


def selection_from_json(value: object) -> Selection:
    """Read the manifest's ``selection``; raise FormatError if it is malformed."""
    if not isinstance(value, dict):
        raise FormatError("selection is not an object")
    for name in ("run_id", "decision_id"):
        if value.get(name) is not None and not isinstance(value.get(name), str):
            raise FormatError(f"selection.{name} is not a string or null")
    return Selection(
        since=_bound_from_json(value.get("since"), "since"),
        until=_bound_from_json(value.get("until"), "until"),
        run_id=value.get("run_id"),
        decision_id=value.get("decision_id"),
    )


def _tagged(entry: ParsedEntry, field_name: str, wanted: str) -> bool:
    if entry.body.get(field_name) == wanted:
        return True
    subjects = entry.statement.get("subject")
    name = f"{field_name}:{wanted}"
    return isinstance(subjects, list) and any(
        isinstance(s, dict) and s.get("name") == name for s in subjects
    )


def parse_or_none(data: bytes) -> ParsedEntry | None:
    """Return the parsed entry, or None if its bytes are malformed."""
    try:
        return parse_entry(data)
    except FormatError:
        return None


@dataclass
class ExportResult:
    """What an export wrote."""

    directory: Path
    origin: str
    size: int
    root_hash: bytes
    selection: Selection
    entries_exported: int = 0
    blobs_exported: int = 0
    blobs_purged: int = 0
    tiles: int = 0
    entry_bundles: int = 0
    bundles_omitted: list[dict[str, Any]] = field(default_factory=list)
    previous_size: int | None = None
    statements: bool = False
    files: int = 0
    bytes_written: int = 0
    manifest_sha256: str = ""
    notes: list[str] = field(default_factory=list)


class _Output:
    """Writes the bundle's files into a directory and lists each in the streamed manifest."""

    def __init__(self, root: Path, manifest: IO[str], result: ExportResult) -> None:
        self.root = root
        self._prefix = f"{root}{os.sep}"
        self.manifest = manifest
        self.result = result
        self.result_purged: set[str] = set()
        self._dirs: set[str] = set()
        self._first = True

    def begin(self, header: Mapping[str, Any]) -> None:
        """Start the manifest: its header members, then the files list."""
        self.manifest.write("{\n")
        for key, value in header.items():
            self.manifest.write(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
        self.manifest.write('  "files": [\n')

    def record(self, record: Mapping[str, Any]) -> None:
        """List one file (or a purged blob) in the manifest."""
        if not self._first:
            self.manifest.write(",\n")
        self._first = False
        self.manifest.write("    " + json.dumps(record, separators=(",", ":"), ensure_ascii=False))

    def _parent(self, path: str) -> None:
        parent = path.rpartition("/")[0]
        if parent and parent not in self._dirs:
            (self.root / parent).mkdir(parents=True, exist_ok=True)
            self._dirs.add(parent)

    def write(self, path: str, data: bytes, role: str, **extra: Any) -> None:
        """Write one file (never over another) and list it with its SHA-256 and size."""
        self._parent(path)
        # os-level calls: a million-entry export creates two million files.
        fd = os.open(f"{self._prefix}{path}", _CREATE, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        digest = hashlib.sha256(data).hexdigest()
        self.record({"path": path, "role": role, "sha256": digest, "size": len(data), **extra})
        self.result.files += 1
        self.result.bytes_written += len(data)

    def exists(self, path: str) -> bool:
        """Whether the file was already written."""
        return os.path.exists(f"{self._prefix}{path}")

    def finish(self, summary: Mapping[str, Any]) -> None:
        """End the files list and the manifest with its summary."""
        self.manifest.write("\n  ],\n")
        self.manifest.write(f'  "summary": {json.dumps(summary, ensure_ascii=False)}\n}}\n')


class _Statements:
    """The in-toto statements file, one payload per line, hashed as it is written."""

    def __init__(self, path: Path) -> None:
        self.handle = open(path, "xb")  # noqa: SIM115 (closed by close())
        self.digest = hashlib.sha256()
        self.size = 0

    def add(self, payload: bytes) -> None:
        """Write one statement line."""
        line = payload + b"\n"
        self.handle.write(line)
        self.digest.update(line)
        self.size += len(line)

    def close(self) -> None:
        """Close the file."""
        self.handle.close()


def export_bundle(
    ledger: Ledger,
    trust: TrustPolicy,
    out: Path,
    *,
    selection: Selection = Selection(),
    previous_checkpoint: bytes | None = None,
    intoto: bool = False,
    progress: ExportProgress | None = None,
) -> ExportResult:
    """Write an evidence bundle of ``ledger`` to the new directory ``out``; return what it holds.

    The checkpoint is the latest stored one, or a fresh one when entries were appended after it
    and the ledger has a signing key. MUST refuse a non-empty ``out``, MUST leave nothing at
    ``out`` if it fails (the bundle is built beside it and renamed), and MUST refuse a ledger
    whose stored tree does not match its entries.
    """
    _check_target(out)
    note, checkpoint = _export_checkpoint(ledger, trust)
    previous = _previous(ledger, trust, previous_checkpoint, checkpoint)
    work = out.parent / f".{out.name}.partial-{secrets.token_hex(4)}"
    work.mkdir(parents=True)
    result = ExportResult(out, ledger.origin, checkpoint.size, checkpoint.root_hash, selection)
    try:
        with open(work / MANIFEST, "x", encoding="utf-8") as manifest:
            output = _Output(work, manifest, result)
            output.begin(_header(ledger, checkpoint, previous, selection))
            output.write(CHECKPOINT, note, ROLE_CHECKPOINT)
            output.write(TRUST, trust.to_json().encode(), ROLE_TRUST)
            if previous is not None:
                _write_consistency(ledger, output, previous, note, checkpoint)
            statements = _Statements(work / STATEMENTS) if intoto else None
            try:
                _write_log(ledger, output, note, checkpoint.size, selection, statements, progress)
            finally:
                if statements is not None:
                    statements.close()
            if statements is not None:
                output.record(
                    {
                        "path": STATEMENTS,
                        "role": ROLE_STATEMENTS,
                        "sha256": statements.digest.hexdigest(),
                        "size": statements.size,
                    }
                )
                result.files += 1
                result.statements = True
            _write_higher_tiles(ledger, output, checkpoint.size)
            output.write(README, auditor_readme(result).encode(), ROLE_README)
            output.finish(_summary(result))
        result.manifest_sha256 = _file_sha256(work / MANIFEST)
        _check_target(out)
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return result


def _file_sha256(path: Path) -> str:
    """Return a file's SHA-256, reading it a MiB at a time (a manifest can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _check_target(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(
            f"{out} already exists and is not an empty directory; refusing to overwrite"
        )


def _export_checkpoint(ledger: Ledger, trust: TrustPolicy) -> tuple[bytes, Checkpoint]:
    size = ledger.size()
    latest = ledger.latest_checkpoint()
    if latest is not None and latest.size >= size:
        note = latest.note
    elif ledger.signer is not None:
        note = ledger.checkpoint().note
    elif latest is not None:
        note = latest.note
    else:
        raise LedgerError(
            "the ledger has no checkpoint to export against",
            hint="run `tidegate ledger checkpoint`, or export with the signing key",
        )
    try:
        checkpoint = open_checkpoint(note, trust.note_verifiers())
    except FormatError as exc:
        raise LedgerError(
            f"the ledger's checkpoint does not verify with its trust file: {exc.message}",
            hint="run `tidegate ledger verify`",
        ) from exc
    if (
        checkpoint.origin != ledger.origin
        or ledger.root_at(checkpoint.size) != checkpoint.root_hash
    ):
        raise LedgerError(
            f"the ledger's checkpoint of size {checkpoint.size} does not match its stored tree",
            hint="run `tidegate ledger verify`",
        )
    return note, checkpoint


def _previous(
    ledger: Ledger, trust: TrustPolicy, data: bytes | None, checkpoint: Checkpoint
) -> tuple[bytes, Checkpoint] | None:
    if data is None:
        return None
    try:
        previous = open_checkpoint(data, trust.note_verifiers())
    except FormatError as exc:
        raise UsageError(f"previous checkpoint: {exc.message}") from exc
    if previous.origin != ledger.origin:
        raise UsageError(
            f"previous checkpoint is for log {previous.origin!r}, not {ledger.origin!r}"
        )
    if previous.size > checkpoint.size:
        raise UsageError(
            f"previous checkpoint covers {previous.size} entries, more than the "
            f"{checkpoint.size} exported"
        )
    if ledger.root_at(previous.size) != previous.root_hash:
        raise LedgerError(
            f"the ledger does not extend the previous checkpoint of size {previous.size}: its "
            "first entries hash to a different root (history was rewritten)",
            hint="run `tidegate ledger verify --trusted-checkpoint` with that checkpoint",
        )
    return data, previous


def _header(
    ledger: Ledger,
    checkpoint: Checkpoint,
    previous: tuple[bytes, Checkpoint] | None,
    selection: Selection,
) -> dict[str, Any]:
    return {
        "format": BUNDLE_FORMAT,
        "generator": f"tidegate {__version__}",
        "created": ledger.clock(),
        "origin": ledger.origin,
        "checkpoint": {
            "path": CHECKPOINT,
            "size": checkpoint.size,
            "root_hash": checkpoint.root_hash.hex(),
        },
        "previous_checkpoint": None
        if previous is None
        else {
            "path": PREVIOUS_CHECKPOINT,
            "size": previous[1].size,
            "root_hash": previous[1].root_hash.hex(),
        },
        "tile_height": TILE_HEIGHT,
        "selection": selection.as_json(),
    }


def _write_consistency(
    ledger: Ledger,
    output: _Output,
    previous: tuple[bytes, Checkpoint],
    note: bytes,
    checkpoint: Checkpoint,
) -> None:
    data, old = previous
    hashes = ledger.consistency_proof(old.size, checkpoint.size)
    verify_consistency(old.size, checkpoint.size, old.root_hash, checkpoint.root_hash, hashes)
    output.write(PREVIOUS_CHECKPOINT, data, ROLE_PREVIOUS)
    proof = ConsistencyProofFile(old.size, tuple(hashes), note)
    output.write(CONSISTENCY, proof.encode(), ROLE_CONSISTENCY)
    output.result.previous_size = old.size


def _chunks(size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, size, CHUNK):
        yield start, min(size, start + CHUNK)


def _write_log(
    ledger: Ledger,
    output: _Output,
    note: bytes,
    size: int,
    selection: Selection,
    statements: _Statements | None,
    progress: ExportProgress | None,
) -> None:
    store = ledger.store
    for start, stop in _chunks(size):
        rows = store.entry_rows(start, stop)
        if [seq for seq, _, _ in rows] != list(range(start, stop)):
            present = {seq for seq, _, _ in rows}
            missing = next(s for s in range(start, stop) if s not in present)
            raise StoreError(
                f"ledger {store.safe_url}: entry {missing} is missing",
                hint="run `tidegate ledger verify`",
            )
        leaves = dict(store.node_range(0, start, stop))
        for seq, _, envelope in rows:
            if leaves.get(seq) != hash_leaf(envelope):
                raise StoreError(
                    f"ledger {store.safe_url}: the stored tree's leaf {seq} does not match entry "
                    f"{seq}'s bytes; proofs and tiles built from it would not verify",
                    hint="run `tidegate ledger verify`",
                )
        entries = [envelope for _, _, envelope in rows]
        parsed: dict[int, ParsedEntry | None] = {}
        selected: list[int] = []
        for seq, envelope in zip(range(start, stop), entries, strict=True):
            entry = parse_or_none(envelope) if selection.needs_entry else None
            if selection.matches(seq, entry):
                selected.append(seq)
                parsed[seq] = entry if entry is not None else parse_or_none(envelope)
        for first in range(start, stop, TILE_WIDTH):
            _write_level0(
                output,
                leaves,
                entries[first - start : first - start + TILE_WIDTH],
                first,
                size,
                selected,
            )
        _write_selected(ledger, output, note, size, selected, parsed, entries, start, statements)
        if progress is not None:
            progress(stop, size)


def _write_level0(
    output: _Output,
    leaves: Mapping[int, bytes],
    entries: list[bytes],
    first: int,
    size: int,
    selected: list[int],
) -> None:
    tile = Tile(0, first // TILE_WIDTH, len(entries))
    assert tile.full or first + len(entries) == size
    output.write(tile.path(), b"".join(leaves[first + i] for i in range(len(entries))), ROLE_TILE)
    output.result.tiles += 1
    oversized = [first + i for i, e in enumerate(entries) if len(e) > MAX_BUNDLE_ENTRY]
    if not oversized:
        output.write(tile.bundle_path(), encode_bundle(entries), ROLE_BUNDLE)
        output.result.entry_bundles += 1
        return
    # tlog-tiles cannot hold an entry over 65535 bytes: the bundle is left out and every entry
    # of its range is exported as a file instead, so the bundle still holds the whole log.
    output.result.bundles_omitted.append(
        {
            "path": tile.bundle_path(),
            "reason": f"entry {oversized[0]} is {len(entries[oversized[0] - first])} bytes; "
            f"entry bundles hold entries of at most {MAX_BUNDLE_ENTRY}",
        }
    )
    chosen = set(selected)
    for i, envelope in enumerate(entries):
        if first + i not in chosen:
            output.write(entry_path(first + i), envelope, ROLE_ENTRY, seq=first + i, selected=False)


def _write_selected(
    ledger: Ledger,
    output: _Output,
    note: bytes,
    size: int,
    selected: list[int],
    parsed: Mapping[int, ParsedEntry | None],
    entries: list[bytes],
    start: int,
    statements: _Statements | None,
) -> None:
    if not selected:
        return
    plans = {seq: inclusion_plan(seq, size) for seq in selected}
    nodes = ledger.store.nodes(nodes_for_spans(s for plan in plans.values() for s in plan))
    for seq in selected:
        try:
            hashes = hash_spans(plans[seq], nodes)
        except KeyError as exc:
            raise StoreError(
                f"ledger {ledger.store.safe_url}: tree node {exc.args[0]} is missing",
                hint="run `tidegate ledger verify`",
            ) from exc
        envelope = entries[seq - start]
        output.write(entry_path(seq), envelope, ROLE_ENTRY, seq=seq)
        proof = InclusionProofFile(seq, tuple(hashes), note)
        output.write(proof_path(seq), proof.encode(), ROLE_PROOF, seq=seq)
        output.result.entries_exported += 1
        entry = parsed.get(seq)
        if entry is None:
            continue
        for ref in entry.blobs:
            _write_blob(ledger, output, ref.sha256, ref.size, seq)
        if statements is not None:
            statements.add(entry.payload)


def _write_blob(ledger: Ledger, output: _Output, digest: str, size: int, seq: int) -> None:
    path = blob_path(digest)
    if output.exists(path) or digest in output.result_purged:
        return
    blob = ledger.store.blobs([digest]).get(digest)
    if blob is None:
        raise StoreError(
            f"ledger {ledger.store.safe_url}: blob {digest} of entry {seq} is missing",
            hint="run `tidegate ledger verify`",
        )
    if blob.content is None:
        output.record(
            {
                "path": path,
                "role": ROLE_BLOB,
                "sha256": digest,
                "size": size,
                "purged": True,
                "purged_at": blob.purged_at,
            }
        )
        output.result_purged.add(digest)
        output.result.blobs_purged += 1
        return
    if hashlib.sha256(blob.content).hexdigest() != digest or len(blob.content) != size:
        raise StoreError(
            f"ledger {ledger.store.safe_url}: blob {digest} of entry {seq} does not match its "
            "digest or size",
            hint="run `tidegate ledger verify`",
        )
    output.write(path, blob.content, ROLE_BLOB)
    output.result.blobs_exported += 1


def _write_higher_tiles(ledger: Ledger, output: _Output, size: int) -> None:
    for level in range(1, tile_levels(size)):
        for tile in tiles_at_level(size, level):
            rows = ledger.store.node_range(
                TILE_HEIGHT * level, tile.first_node, tile.first_node + tile.width
            )
            if [index for index, _ in rows] != list(
                range(tile.first_node, tile.first_node + tile.width)
            ):
                raise StoreError(
                    f"ledger {ledger.store.safe_url}: tree nodes of {tile.path()} are missing",
                    hint="run `tidegate ledger verify`",
                )
            output.write(tile.path(), b"".join(h for _, h in rows), ROLE_TILE)
            output.result.tiles += 1


def _summary(result: ExportResult) -> dict[str, Any]:
    return {
        "entries_in_log": result.size,
        "entries_exported": result.entries_exported,
        "blobs_exported": result.blobs_exported,
        "blobs_purged": result.blobs_purged,
        "tiles": result.tiles,
        "entry_bundles": result.entry_bundles,
        "entry_bundles_omitted": result.bundles_omitted,
        "statements": result.statements,
        "files": result.files,
    }


def auditor_readme(result: ExportResult) -> str:
    """Return the README written into a bundle: what it holds and how to verify it."""
    root = result.root_hash.hex()
    lines = [
        f"# Evidence bundle of the tidegate ledger `{result.origin}`",
        "",
        f"Exported with tidegate {__version__}. The log's signed checkpoint (`checkpoint`) commits "
        f"to its first {result.size} entries, Merkle root `{root}`.",
        "",
        "## What is here",
        "",
        f"- `entries/`: the {result.entries_exported} selected entries ({result.selection.describe()}), "
        "each the exact bytes of a DSSE envelope of an in-toto Statement v1, signed by the "
        "ledger's key; paths encode the sequence number (`entries/x001/234.entry` is entry 1234).",
        "- `proofs/`: a C2SP `tlog-proof@v1` for each of them: its inclusion in the checkpoint.",
        f"- `blobs/`: the {result.blobs_exported} blobs those entries reference, named by SHA-256"
        + (
            f'; {result.blobs_purged} purged blobs are listed in `manifest.json` (`"purged": true`) '
            "but their bytes are no longer kept."
            if result.blobs_purged
            else "."
        ),
        "- `checkpoint`, `tile/`: the whole log in C2SP tlog-tiles layout (tiles of height 8 at "
        "`tile/<L>/<N>`, entry bundles at `tile/entries/<N>`), readable by static "
        "transparency-log tools.",
        "- `trust.json`: the ledger's public keys and their validity windows (for reference: get "
        "the key you trust from its owner, not from this directory).",
    ]
    if result.previous_size is not None:
        lines.append(
            f"- `previous.checkpoint`, `consistency.proof`: proof that this log extends the "
            f"previous export's checkpoint (size {result.previous_size})."
        )
    if result.statements:
        lines.append(
            "- `statements.jsonl`: the in-toto statements of the selected entries, one per line."
        )
    if result.bundles_omitted:
        lines.append(
            f"- {len(result.bundles_omitted)} entry bundles are left out because an entry in them "
            "is over 65535 bytes (tlog-tiles' limit); their entries are all in `entries/`."
        )
    lines += [
        "- `manifest.json`: every file with its SHA-256 "
        "(`schemas/evidence-manifest.schema.json`). It is not signed: compare its SHA-256 with "
        "the one the exporter reported to you.",
        "",
        "## Verify with tidegate",
        "",
        "```sh",
        "tidegate ledger verify --bundle THIS_DIRECTORY --pubkey LEDGER_KEY.pem \\",
        "    [--trusted-checkpoint CHECKPOINT_YOU_KEPT]",
        "```",
        "",
        "It needs nothing but this directory and the public key (PEM, or a note verifier key from "
        "`tidegate keys export --format vkey`). It checks every file against the manifest, the "
        "checkpoint's signature, every entry's signatures and hash chain, every tile against the "
        "entries and the checkpoint's root, every proof, every blob against its digest, that the "
        "exported entries are exactly those the selection matches, and, with "
        "`--trusted-checkpoint`, that the log extends the checkpoint you kept. Exit status 0 "
        "means verified, 1 a failure (the report names the file and the cause). Purged blobs "
        "are reported as purged, not as failures.",
        "",
        "## Verify with Go's golang.org/x/mod/sumdb/tlog",
        "",
        "The checkpoint is a C2SP signed note: `note.Open(checkpoint, note.VerifierList(v))` "
        "with `v, _ := note.NewVerifier(VKEY)`. Its text is the origin, the tree size and the "
        "base64 root hash. The tiles are RFC 6962 SHA-256 hashes; `tlog.Tile.Path()` writes "
        "`tile/8/<L>/<N>`, so read them with a `tlog.TileReader` whose `Height()` is 8 and "
        "whose `ReadTiles` maps `tlog.Tile{H: 8, L, N, W}` to `tile/<L>/<N>` (plus `.p/<W>` "
        "when W < 256). Then `hr := tlog.TileHashReader(tlog.Tree{N: size, Hash: root}, reader)` "
        "authenticates every tile against the checkpoint; `tlog.ReadTileData(tile, hr)` gives "
        "the leaf hashes of a level-0 tile, which must equal `tlog.RecordHash(entry)` for each "
        "entry of `tile/entries/<N>` (entries are a big-endian uint16 length and the bytes); "
        "`tlog.ProveRecord` / `tlog.CheckRecord` prove any entry, and `tlog.CheckRecord` with "
        "the hashes of a `proofs/` file checks it directly. `tlog.CheckTree` checks "
        "`consistency.proof` against `previous.checkpoint`.",
        "",
    ]
    return "\n".join(lines)
