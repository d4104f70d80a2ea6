"""Verify a whole ledger: every entry, signature, link, tree node, blob and checkpoint.

The verifier trusts nothing in the database: it re-hashes every entry's exact bytes, checks
each signature against the trust policy, rebuilds the Merkle tree from the leaves and compares
it to every stored checkpoint and, if given, to a checkpoint the auditor kept. Signature checks
run on worker processes (one per core); the chain and the tree are checked in order here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from typing import Any, NamedTuple

import nacl.exceptions
import nacl.signing

from tidegate._time import parse_time
from tidegate.errors import FormatError
from tidegate.ledger.completeness import (
    INPUT_MISSING,
    INPUT_NO_CONTENT,
    INPUT_OK,
    Completeness,
    Facts,
    entry_facts,
)
from tidegate.ledger.entry import GENESIS_PREV, parse_entry
from tidegate.ledger.keys import key_id
from tidegate.ledger.kinds import KEY_ROTATED, NOTE, PURGE_CATEGORY
from tidegate.ledger.merkle import CompactRange, NodeId, hash_leaf
from tidegate.ledger.note import (
    Checkpoint,
    NoteVerifier,
    open_checkpoint,
    parse_note,
    verify_cosignature,
)
from tidegate.ledger.report import Failure, Report
from tidegate.ledger.store import LedgerStore, StoredCheckpoint
from tidegate.ledger.trust import TrustPolicy

MALFORMED_ENTRY = "malformed-entry"
BAD_SIGNATURE = "bad-signature"
UNKNOWN_KEY = "unknown-key"
KEY_OUTSIDE_WINDOW = "key-outside-window"
RETIRED_KEY = "retired-key"
ROTATION_UNSIGNED = "rotation-not-signed-by-both-keys"
BROKEN_LINK = "broken-link"
OUT_OF_ORDER = "out-of-order"
MISSING_ENTRY = "missing-entry"
LEAF_HASH_MISMATCH = "leaf-hash-mismatch"
ROOT_MISMATCH = "root-mismatch"
CHECKPOINT_INVALID = "checkpoint-invalid"
TRUNCATED = "truncated"
NOT_AN_EXTENSION = "not-an-extension"
TREE_NODE_MISMATCH = "tree-node-mismatch"
BLOB_MISSING = "blob-missing"
BLOB_MISMATCH = "blob-mismatch"
WITNESS_MISSING = "witness-missing"
WITNESS_INVALID = "witness-invalid"

CAUSAL_ORDER = (
    MISSING_ENTRY,
    MALFORMED_ENTRY,
    OUT_OF_ORDER,
    UNKNOWN_KEY,
    BAD_SIGNATURE,
    RETIRED_KEY,
    KEY_OUTSIDE_WINDOW,
    ROTATION_UNSIGNED,
    BROKEN_LINK,
    LEAF_HASH_MISMATCH,
    BLOB_MISSING,
    BLOB_MISMATCH,
    TREE_NODE_MISMATCH,
    TRUNCATED,
    NOT_AN_EXTENSION,
    ROOT_MISMATCH,
    CHECKPOINT_INVALID,
    WITNESS_MISSING,
    WITNESS_INVALID,
)
"""Failure reasons from cause to consequence: at one entry, the earliest listed is reported first."""

PARALLEL_THRESHOLD = 4000
"""Below this many entries, starting worker processes costs more than it saves."""
_CHUNK = 2000
_MAX_LISTED_GAP = 20


@dataclass(kw_only=True)
class VerifyReport(Report):
    """What `ledger verify` checked and found."""

    checkpoints_checked: int = 0
    latest_checkpoint_size: int | None = None

    def failure_key(self, failure: Failure) -> tuple[Any, ...]:
        """Sort key: failures at entries by sequence number and cause, then ledger-wide ones."""
        return failure_order(failure)

    def fail(self, seq: int | None, reason: str, detail: str) -> None:
        """Record a failure (the list is capped; the first ones are kept)."""
        self.add_failure(Failure(seq, reason, detail))

    def as_json(self) -> dict[str, Any]:
        """Return the report as a JSON object (the `--format json` output)."""
        return {
            "ok": self.ok,
            "origin": self.origin,
            "size": self.size,
            "root_hash": self.root_hash.hex(),
            "signatures_checked": self.signatures_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "latest_checkpoint_size": self.latest_checkpoint_size,
            "trusted_checkpoint_size": self.trusted_checkpoint_size,
            "blobs_checked": self.blobs_checked,
            "blobs_purged": self.blobs_purged,
            "keys_used": self.keys_used,
            **self.verdict_json(),
        }


def failure_order(failure: Failure) -> tuple[int, int, int]:
    """Sort key: failures at entries by sequence number and cause, then ledger-wide ones."""
    return (failure.seq is None, failure.seq or 0, CAUSAL_ORDER.index(failure.reason))


class EntryCheck(NamedTuple):
    """The context-free facts about one entry, computed on a worker (a tuple: cheap to pickle)."""

    row_seq: int
    stored_leaf: bytes
    leaf_hash: bytes
    error: str | None = None
    seq: int = -1
    prev: str = ""
    time: str = ""
    kind: str = ""
    valid_keys: tuple[str, ...] = ()
    invalid_keys: tuple[str, ...] = ()
    unknown_keys: tuple[str, ...] = ()
    rotation: tuple[str, str] | None = None
    blobs: tuple[tuple[str, int], ...] = ()
    purge_records: tuple[str, ...] = ()
    facts: Facts | None = None


_worker_keys: dict[str, nacl.signing.VerifyKey] = {}
_worker_store: list[LedgerStore] = []


def init_worker(keys: dict[str, bytes], url: str | None) -> None:
    _worker_keys.clear()
    _worker_keys.update({keyid: nacl.signing.VerifyKey(raw) for keyid, raw in keys.items()})
    _worker_store.clear()
    if url is not None:
        # A forked worker MUST NOT use the parent's connections: it opens its own.
        _worker_store.append(LedgerStore(url))


def check_entries(rows: Sequence[tuple[int, bytes, bytes]]) -> list[EntryCheck]:
    """Parse entries and check their signatures against the worker's keys."""
    return [_check_entry(seq, stored, envelope) for seq, stored, envelope in rows]


def check_range(start: int, stop: int) -> list[EntryCheck]:
    """Read entries start <= seq < stop from the worker's own connection and check them."""
    return check_entries(_worker_store[0].entry_rows(start, stop))


def _check_entry(row_seq: int, stored_leaf: bytes, envelope: bytes) -> EntryCheck:
    leaf = hash_leaf(envelope)
    try:
        parsed = parse_entry(envelope)
    except FormatError as exc:
        return EntryCheck(row_seq, stored_leaf, leaf, error=exc.message)
    message = parsed.signed_message()
    valid: list[str] = []
    invalid: list[str] = []
    unknown: list[str] = []
    for keyid, signature in parsed.signatures:
        key = _worker_keys.get(keyid)
        if key is None:
            unknown.append(keyid)
            continue
        try:
            key.verify(message, signature)
            valid.append(keyid)
        except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
            invalid.append(keyid)
    rotation = None
    if parsed.kind == KEY_ROTATED:
        old, new, new_key = (
            parsed.body.get(k) for k in ("old_keyid", "new_keyid", "new_public_key")
        )
        if not (isinstance(old, str) and isinstance(new, str) and _encodes_key(new_key, new)):
            return EntryCheck(
                row_seq,
                stored_leaf,
                leaf,
                error="key.rotated body: new_public_key does not match new_keyid",
            )
        rotation = (old, new)
    return EntryCheck(
        row_seq,
        stored_leaf,
        leaf,
        seq=parsed.seq,
        prev=parsed.prev,
        time=parsed.time,
        kind=parsed.kind,
        valid_keys=tuple(valid),
        invalid_keys=tuple(invalid),
        unknown_keys=tuple(unknown),
        rotation=rotation,
        blobs=tuple((b.sha256, b.size) for b in parsed.blobs),
        purge_records=_purge_records(parsed.kind, parsed.body),
        facts=entry_facts(parsed.kind, parsed.body, parsed.blobs),
    )


def _purge_records(kind: str, body: dict[str, Any]) -> tuple[str, ...]:
    """Return the blob digests a `retention.purge` note records as purged."""
    if (
        kind != NOTE
        or body.get("category") != PURGE_CATEGORY
        or not isinstance(body.get("refs"), list)
    ):
        return ()
    return tuple(
        r[len("sha256:") :] for r in body["refs"] if isinstance(r, str) and r.startswith("sha256:")
    )


def _encodes_key(encoded: object, keyid: str) -> bool:
    """Return whether ``encoded`` is the base64 of a 32-byte public key whose id is ``keyid``."""
    if not isinstance(encoded, str):
        return False
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        return False
    return len(raw) == 32 and key_id(raw) == keyid


ProgressCallback = Callable[[int, int], None]
"""Called with (entries checked, total entries) as verification advances."""


class Chain:
    """The in-order checks: links, sequence, key windows and rotations, the tree.

    ``created`` collects the tree nodes built since it was last emptied, for the caller to
    compare with stored ones.
    """

    def __init__(
        self,
        report: VerifyReport,
        trust: TrustPolicy,
        checkpoints: dict[int, Checkpoint],
        trusted: Checkpoint | None,
    ) -> None:
        self.report = report
        self.trust = trust
        self.checkpoints = checkpoints
        self.trusted = trusted
        self.tree = CompactRange()
        self.prev_leaf: bytes | None = None
        self.retired: set[str] = set()
        self.has_gap = False
        self.next_seq = 0
        self.created: list[tuple[NodeId, bytes]] = []

    def feed(self, check: EntryCheck) -> None:
        report = self.report
        seq = check.row_seq
        if seq != self.next_seq:
            self._gap(seq)
        self.next_seq = seq + 1
        if check.stored_leaf != check.leaf_hash:
            report.fail(
                seq, LEAF_HASH_MISMATCH, "stored leaf hash does not match the entry's bytes"
            )
        expected_prev = self.prev_leaf.hex() if self.prev_leaf is not None else GENESIS_PREV
        if check.error is not None:
            report.fail(seq, MALFORMED_ENTRY, check.error)
        else:
            if check.seq != seq:
                report.fail(
                    seq, OUT_OF_ORDER, f"entry stored at {seq} says it is entry {check.seq}"
                )
            if check.prev != expected_prev:
                report.fail(
                    seq, BROKEN_LINK, f"prev {check.prev[:16]}... does not match entry {seq - 1}"
                )
            self._check_signers(check)
        self.prev_leaf = check.leaf_hash
        if not self.has_gap:
            self.created += self.tree.append(check.leaf_hash)
            self.check_checkpoint()

    def _gap(self, seq: int) -> None:
        # Missing leaves cannot be hashed: from the first gap on, the tree (and so every root,
        # node and checkpoint beyond it) cannot be recomputed; the gap itself is the failure.
        first, count = self.next_seq, seq - self.next_seq
        for missing in range(first, first + min(count, _MAX_LISTED_GAP)):
            self.report.fail(missing, MISSING_ENTRY, f"entry {missing} is missing")
        if count > _MAX_LISTED_GAP:
            self.report.fail(
                first + _MAX_LISTED_GAP,
                MISSING_ENTRY,
                f"entries {first + _MAX_LISTED_GAP}..{seq - 1} are missing too ({count} in all)",
            )
        self.prev_leaf = None
        self.has_gap = True

    def _check_signers(self, check: EntryCheck) -> None:
        report, seq = self.report, check.row_seq
        report.signatures_checked += len(check.valid_keys) + len(check.invalid_keys)
        if check.invalid_keys:
            report.fail(
                seq, BAD_SIGNATURE, f"signature by key {check.invalid_keys[0]} does not verify"
            )
            return
        if not check.valid_keys:
            report.fail(
                seq,
                UNKNOWN_KEY,
                f"signed only by keys not in the trust file: {', '.join(check.unknown_keys)}",
            )
            return
        try:
            moment: datetime | None = parse_time(check.time)
        except ValueError:
            report.fail(seq, MALFORMED_ENTRY, f"predicate.time {check.time!r} is not RFC 3339")
            moment = None
        usable = [k for k in check.valid_keys if k not in self.retired]
        if not usable:
            report.fail(seq, RETIRED_KEY, f"signed only by retired key {check.valid_keys[0]}")
            return
        if self.trust.windows_enforced and moment is not None:
            in_window = [
                k for k in usable if (t := self.trust.key(k)) is not None and t.covers(moment)
            ]
            if not in_window:
                report.fail(
                    seq, KEY_OUTSIDE_WINDOW, f"key {usable[0]} was not valid at {check.time}"
                )
                return
            usable = in_window
        for keyid in usable:
            report.keys_used[keyid] = report.keys_used.get(keyid, 0) + 1
        if check.rotation is not None:
            old, new = check.rotation
            if old not in check.valid_keys or new not in check.valid_keys:
                report.fail(
                    seq, ROTATION_UNSIGNED, f"rotation {old} -> {new} must be signed by both keys"
                )
            else:
                self.retired.add(old)

    def check_checkpoint(self) -> None:
        size = self.tree.size
        expected = self.checkpoints.get(size)
        trusted = self.trusted if self.trusted is not None and self.trusted.size == size else None
        if expected is None and trusted is None:
            return
        root = self.tree.root()
        if expected is not None and root != expected.root_hash:
            self.report.fail(
                None,
                ROOT_MISMATCH,
                f"the ledger's checkpoint of size {size} has root {expected.root_hash.hex()[:16]}..., "
                f"its first {size} entries hash to {root.hex()[:16]}...",
            )
        if trusted is not None and root != trusted.root_hash:
            self.report.fail(
                None,
                NOT_AN_EXTENSION,
                f"the ledger is not an extension of the trusted checkpoint: its first {size} entries hash to "
                f"{root.hex()[:16]}..., the trusted checkpoint says {trusted.root_hash.hex()[:16]}... "
                "(history was rewritten)",
            )


def verify_ledger(
    store: LedgerStore,
    trust: TrustPolicy,
    *,
    trusted_checkpoint: bytes | None = None,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    check_blobs: bool = True,
    witness_keys: Sequence[NoteVerifier] = (),
    now: datetime | None = None,
) -> VerifyReport:
    """Verify the ledger in ``store`` against ``trust``; return the full report.

    MUST NOT stop at the first failure of an entry (all are reported, capped at 1000), and
    MUST report a trusted checkpoint that the ledger does not extend as ``not-an-extension``.
    With ``witness_keys`` (cosignature verifiers), the trusted checkpoint, or else a stored
    one, MUST carry a valid cosignature by each (``witness-missing``/``witness-invalid``).
    Completeness findings (SPEC 10.1) go to ``findings``, never to ``failures``; ``now`` is
    the instant incomplete runs' ages are measured from.
    """
    origin = store.meta()["origin"]
    report = VerifyReport(origin=origin)
    if trust.origin != origin:
        report.fail(
            None,
            CHECKPOINT_INVALID,
            f"trust file is for origin {trust.origin!r}, the ledger is {origin!r}",
        )
    stored = store.checkpoints()
    checkpoints = _stored_checkpoints(stored, trust, report)
    trusted = _trusted_checkpoint(trusted_checkpoint, trust, report)
    if trusted is not None:
        report.trusted_checkpoint_size = trusted.size
    total = store.count()
    chain = Chain(report, trust, checkpoints, trusted)
    chain.check_checkpoint()  # a checkpoint of the empty tree
    story = Completeness(report, now if now is not None else datetime.now(UTC))
    mismatched_nodes: set[NodeId] = set()
    purge_recorded: set[str] = set()
    unrecorded: list[tuple[int, str]] = []
    done = 0
    for checks in _checked_chunks(store, trust, total, workers):
        for check in checks:
            chain.feed(check)
            if check.facts is not None:
                story.feed(check.row_seq, check.kind, check.time, check.facts)
        if not chain.has_gap:
            _check_tree_nodes(store, chain.created, mismatched_nodes, report)
        chain.created = []
        for check in checks:
            purge_recorded.update(check.purge_records)
        if check_blobs:
            without_content, missing = _check_blobs(store, checks, report)
            unrecorded += without_content
            if story.pending_inputs:
                story.settle_inputs(_input_state(missing, {d for _, d in without_content}))
        done += len(checks)
        if progress is not None:
            progress(done, total)
    for seq, digest in unrecorded:
        if digest in purge_recorded:
            report.blobs_purged += 1
        else:
            report.fail(
                seq,
                BLOB_MISSING,
                f"blob {digest[:16]}... has no content and no {PURGE_CATEGORY} note records its purge",
            )
    story.finish(purged=purge_recorded.__contains__, policy_text=lambda d: _blob_text(store, d))
    report.size = chain.next_seq
    report.root_hash = b"" if chain.has_gap else chain.tree.root()
    if chain.has_gap:
        report.notes.append("entries are missing: the Merkle root cannot be recomputed")
    _check_coverage(report, checkpoints, trusted)
    if witness_keys:
        _check_witnesses(stored, trusted_checkpoint, witness_keys, report)
    return report


def _input_state(missing: set[str], bare: set[str]) -> Callable[[int, str], str]:
    """How a decision's input blob stands, from this chunk's blob check."""

    def state(_seq: int, digest: str) -> str:
        if digest in missing:
            return INPUT_MISSING
        return INPUT_NO_CONTENT if digest in bare else INPUT_OK

    return state


def _blob_text(store: LedgerStore, digest: str) -> bytes | None:
    """Return a blob's bytes if stored and intact (a policy file, for the waiver check)."""
    blob = store.blobs([digest]).get(digest)
    if blob is None or blob.content is None:
        return None
    return blob.content if hashlib.sha256(blob.content).hexdigest() == digest else None


def cosignature_failures(
    data: bytes, what: str, witnesses: Sequence[NoteVerifier], *, hint: str = ""
) -> tuple[list[tuple[str, str]], list[str]]:
    """Check that the note ``data`` carries a valid cosignature by each witness.

    Returns the failures as (reason, detail) and the notes (one per cosignature found).
    """
    failures: list[tuple[str, str]] = []
    notes: list[str] = []
    try:
        note = parse_note(data)
    except FormatError as exc:
        return [
            (
                WITNESS_MISSING,
                f"{what} does not parse, so no cosignature by {_label(w)}: {exc.message}",
            )
            for w in witnesses
        ], notes
    for witness in witnesses:
        label = _label(witness)
        try:
            timestamp = verify_cosignature(note, witness)
        except FormatError as exc:
            failures.append((WITNESS_INVALID, f"{what}: witness {label}: {exc.message}"))
            continue
        if timestamp is None:
            failures.append(
                (WITNESS_MISSING, f"{what} carries no cosignature by witness {label}{hint}")
            )
            continue
        notes.append(f"{what} is cosigned by witness {label} at {_unix_time(timestamp)}")
    return failures, notes


def _label(witness: NoteVerifier) -> str:
    return f"{witness.name}+{witness.key_hash.hex()}"


def _check_witnesses(
    stored: Sequence[StoredCheckpoint],
    trusted_checkpoint: bytes | None,
    witnesses: Sequence[NoteVerifier],
    report: VerifyReport,
) -> None:
    """Require a valid cosignature by every witness on the trusted or a stored checkpoint.

    Without a trusted checkpoint, each witness's cosignature is looked for on every stored
    checkpoint (the ledger keeps those added with `ledger checkpoint --add-cosignature`); the
    largest cosigned one counts, and an invalid cosignature on any of them fails.
    """
    if trusted_checkpoint is not None:
        failures, notes = cosignature_failures(
            trusted_checkpoint, "the trusted checkpoint", witnesses
        )
        for reason, detail in failures:
            report.fail(None, reason, detail)
        report.notes += notes
        return
    if not stored:
        for witness in witnesses:
            report.fail(
                None,
                WITNESS_MISSING,
                f"the ledger has no checkpoint for witness {_label(witness)} to cosign",
            )
        return
    latest = stored[-1].size
    for witness in witnesses:
        label = _label(witness)
        witnessed: tuple[int, int] | None = None
        for row in reversed(stored):  # largest first
            try:
                timestamp = verify_cosignature(parse_note(row.note), witness)
            except FormatError as exc:
                report.fail(
                    None,
                    WITNESS_INVALID,
                    f"the ledger's checkpoint of size {row.size}: witness {label}: {exc.message}",
                )
                continue
            if timestamp is not None and witnessed is None:
                witnessed = (row.size, timestamp)
        if witnessed is None:
            report.fail(
                None,
                WITNESS_MISSING,
                f"no checkpoint of the ledger (the latest has size {latest}) carries a "
                f"cosignature by witness {label}: store the one it cosigned with `tidegate ledger "
                "checkpoint --add-cosignature FILE --witness-key FILE`, or pass it with "
                "--trusted-checkpoint",
            )
            continue
        size, timestamp = witnessed
        report.notes.append(
            f"the ledger's checkpoint of size {size} is cosigned by witness {label} at "
            f"{_unix_time(timestamp)}"
        )
        if size < report.size:
            report.notes.append(
                f"entries {size}..{report.size - 1} are not yet witnessed by {label}"
            )


def _unix_time(timestamp: int) -> str:
    """Return a Unix time as RFC 3339 UTC, or as the bare number if out of datetime's range."""
    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return f"unix time {timestamp}"


def _stored_checkpoints(
    rows: Sequence[StoredCheckpoint], trust: TrustPolicy, report: VerifyReport
) -> dict[int, Checkpoint]:
    result: dict[int, Checkpoint] = {}
    for stored in rows:
        report.checkpoints_checked += 1
        try:
            checkpoint = open_checkpoint(stored.note, trust.note_verifiers())
        except FormatError as exc:
            report.fail(
                None, CHECKPOINT_INVALID, f"stored checkpoint of size {stored.size}: {exc.message}"
            )
            continue
        if checkpoint.size != stored.size or checkpoint.root_hash != stored.root_hash:
            report.fail(
                None,
                CHECKPOINT_INVALID,
                f"stored checkpoint of size {stored.size} does not match its note",
            )
            continue
        if checkpoint.origin != report.origin:
            report.fail(
                None,
                CHECKPOINT_INVALID,
                f"stored checkpoint of size {stored.size} is for {checkpoint.origin!r}",
            )
            continue
        result[checkpoint.size] = checkpoint
        report.latest_checkpoint_size = checkpoint.size
    return result


def _trusted_checkpoint(
    data: bytes | None, trust: TrustPolicy, report: VerifyReport
) -> Checkpoint | None:
    if data is None:
        return None
    try:
        checkpoint = open_checkpoint(data, trust.note_verifiers())
    except FormatError as exc:
        report.fail(None, CHECKPOINT_INVALID, f"trusted checkpoint: {exc.message}")
        return None
    if checkpoint.origin != report.origin:
        report.fail(
            None,
            CHECKPOINT_INVALID,
            f"trusted checkpoint is for log {checkpoint.origin!r}, not {report.origin!r}",
        )
        return None
    return checkpoint


def _checked_chunks(
    store: LedgerStore, trust: TrustPolicy, total: int, workers: int | None
) -> Iterator[list[EntryCheck]]:
    keys = {k.keyid: k.public_key for k in trust.keys}
    ranges = store.seq_ranges(_CHUNK)
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count <= 1 or total < PARALLEL_THRESHOLD:
        init_worker(keys, None)
        for start, stop in ranges:
            yield check_entries(store.entry_rows(start, stop))
        return
    context = get_context("fork")
    with ProcessPoolExecutor(
        count, mp_context=context, initializer=init_worker, initargs=(keys, store.url)
    ) as pool:
        pending: list[Future[list[EntryCheck]]] = []
        for start, stop in ranges:
            pending.append(pool.submit(check_range, start, stop))
            if len(pending) >= 2 * count:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def _check_blobs(
    store: LedgerStore, checks: Sequence[EntryCheck], report: VerifyReport
) -> tuple[list[tuple[int, str]], set[str]]:
    """Check referenced blobs; return (seq, digest) of those without content, judged at the
    end, and the digests with no blob row at all."""
    references = [(check.row_seq, digest, size) for check in checks for digest, size in check.blobs]
    if not references:
        return [], set()
    found = store.blobs([digest for _, digest, _ in references])
    intact: dict[str, bool] = {}
    without_content: list[tuple[int, str]] = []
    missing: set[str] = set()
    for seq, digest, size in references:
        blob = found.get(digest)
        if blob is None:
            missing.add(digest)
            report.fail(seq, BLOB_MISSING, f"blob {digest[:16]}... is missing")
        elif blob.content is None:
            without_content.append((seq, digest))
        else:
            if digest not in intact:
                intact[digest] = (
                    blob.size == len(blob.content)
                    and hashlib.sha256(blob.content).hexdigest() == digest
                )
            if intact[digest] and blob.size == size:
                report.blobs_checked += 1
            else:
                report.fail(
                    seq, BLOB_MISMATCH, f"blob {digest[:16]}... does not match its digest or size"
                )
    return without_content, missing


def _check_tree_nodes(
    store: LedgerStore,
    created: Sequence[tuple[NodeId, bytes]],
    mismatched: set[NodeId],
    report: VerifyReport,
) -> None:
    """Compare the stored tree nodes (which proofs are built from) with the recomputed ones.

    Only the lowest bad node is reported: its ancestors differ as a consequence.
    """
    stored = store.nodes([node for node, _ in created])
    for (level, index), expected in created:
        if stored.get((level, index)) == expected:
            continue
        mismatched.add((level, index))
        if level and (
            (level - 1, 2 * index) in mismatched or (level - 1, 2 * index + 1) in mismatched
        ):
            continue
        first = index << level
        report.fail(
            first,
            TREE_NODE_MISMATCH,
            f"stored tree node (level {level}, index {index}) over entries {first}..{first + (1 << level) - 1} "
            "is missing or does not match the entries; proofs built from it would fail",
        )


def _check_coverage(
    report: VerifyReport, checkpoints: dict[int, Checkpoint], trusted: Checkpoint | None
) -> None:
    beyond = [size for size in checkpoints if size > report.size]
    if trusted is not None and trusted.size > report.size:
        report.fail(
            report.size,
            TRUNCATED,
            f"the trusted checkpoint covers {trusted.size} entries, the ledger has {report.size}: "
            f"entries {report.size}..{trusted.size - 1} are missing",
        )
    elif beyond:
        largest = max(beyond)
        report.fail(
            report.size,
            TRUNCATED,
            f"a checkpoint covers {largest} entries, the ledger has {report.size}: "
            f"entries {report.size}..{largest - 1} are missing",
        )
    if report.latest_checkpoint_size is None:
        report.notes.append("the ledger has no checkpoint yet: run `tidegate ledger checkpoint`")
    elif report.latest_checkpoint_size < report.size:
        report.notes.append(
            f"{report.size - report.latest_checkpoint_size} entries after the latest checkpoint "
            f"(size {report.latest_checkpoint_size}) are not covered by a checkpoint yet"
        )
