"""The ledger service: append signed entries, issue checkpoints, produce proofs."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tidegate._time import utc_now
from tidegate.errors import EntryRejected, FormatError, LedgerError, StoreError
from tidegate.ledger.entry import (
    GENESIS_PREV,
    PAYLOAD_TYPE,
    BlobRef,
    ParsedEntry,
    Subject,
    encode_statement,
    pae,
    parse_entry,
    seal,
)
from tidegate.ledger.keys import SigningKey
from tidegate.ledger.kinds import validate_body
from tidegate.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_plan,
    hash_leaf,
    hash_spans,
    inclusion_plan,
    nodes_for_spans,
    span_nodes,
)
from tidegate.ledger.note import Checkpoint, parse_note, sign_note
from tidegate.ledger.proof import ConsistencyProofFile, InclusionProofFile
from tidegate.ledger.store import LedgerStore, StoredCheckpoint, StoredEntry, WriteTransaction

MAX_BLOB_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class AppendRequest:
    """One entry to append: its kind, body, subjects and blobs (name -> bytes)."""

    kind: str
    body: Mapping[str, Any]
    actor: str | None = None
    subjects: Sequence[Subject] = ()
    blobs: Mapping[str, bytes] = field(default_factory=dict)
    co_signers: Sequence[SigningKey] = ()


@dataclass(frozen=True)
class AppendedEntry:
    """What an append returns once the entry is durable."""

    seq: int
    leaf_hash: bytes
    kind: str
    time: str
    envelope: bytes


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint body with its signed note bytes."""

    checkpoint: Checkpoint
    note: bytes


class Ledger:
    """One append-only ledger: a store, its origin and (to write) a signing key.

    Appends MUST hold the store's write lock from reading the head to committing, so that
    sequence numbers are contiguous and every ``prev`` names the entry before it.
    """

    def __init__(
        self,
        store: LedgerStore,
        *,
        origin: str,
        signer: SigningKey | None,
        actor: str,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self.store = store
        self.clock = clock
        self.origin = origin
        self.signer = signer
        self.actor = actor
        self._tree: CompactRange | None = None
        self._last_leaf: bytes | None = None

    def _require_signer(self) -> SigningKey:
        if self.signer is None:
            raise LedgerError("this ledger was opened without a signing key; it is read-only")
        return self.signer

    def _tree_at(self, tx: WriteTransaction) -> tuple[CompactRange, bytes | None]:
        size, last_leaf = tx.head()
        cached = self._tree
        if cached is not None and cached.size == size and self._last_leaf == last_leaf:
            return cached.copy(), last_leaf
        try:
            tree = CompactRange.from_nodes(size, tx.nodes)
        except KeyError as exc:
            raise StoreError(
                f"ledger {self.store.safe_url}: {exc.args[0]}",
                hint="the tree_node table is damaged; run `tidegate ledger verify`",
            ) from exc
        return tree, last_leaf

    def append(self, request: AppendRequest) -> AppendedEntry:
        """Append one entry; it is durable when this returns."""
        return self.append_batch([request])[0]

    def append_batch(self, requests: Sequence[AppendRequest]) -> list[AppendedEntry]:
        """Append entries in one transaction: all become durable together, or none does."""
        signer = self._require_signer()
        if not requests:
            return []
        prepared = [
            self._prepare(r, f"batch item {i}" if len(requests) > 1 else "body")
            for i, r in enumerate(requests)
        ]
        with self.store.write() as tx:
            tree, last_leaf = self._tree_at(tx)
            prev = last_leaf.hex() if last_leaf is not None else GENESIS_PREV
            time = self.clock()
            entry_rows: list[dict[str, Any]] = []
            node_rows: list[tuple[tuple[int, int], bytes]] = []
            blob_rows: dict[str, dict[str, Any]] = {}
            appended: list[AppendedEntry] = []
            for request, blob_refs in prepared:
                seq = tree.size
                actor = request.actor or self.actor
                payload = encode_statement(
                    kind=request.kind,
                    seq=seq,
                    prev=prev,
                    time=time,
                    actor=actor,
                    body=request.body,
                    subjects=request.subjects,
                    blobs=blob_refs,
                )
                message = pae(PAYLOAD_TYPE, payload)
                signers = [signer, *request.co_signers]
                envelope = seal(payload, [(k.keyid, k.sign(message)) for k in signers])
                leaf = hash_leaf(envelope)
                node_rows += tree.append(leaf)
                entry_rows.append(
                    {
                        "seq": seq,
                        "leaf_hash": leaf,
                        "kind": request.kind,
                        "time": time,
                        "actor": actor,
                        "keyid": signer.keyid,
                        "envelope": envelope,
                    }
                )
                for ref in blob_refs:
                    blob_rows[ref.sha256] = {
                        "sha256": ref.sha256,
                        "size": ref.size,
                        "content": request.blobs[ref.name],
                        "created": time,
                        "purged_at": None,
                    }
                appended.append(AppendedEntry(seq, leaf, request.kind, time, envelope))
                prev = leaf.hex()
            tx.insert(entry_rows, node_rows, list(blob_rows.values()))
        self._tree, self._last_leaf = tree, bytes.fromhex(prev)
        return appended

    def _prepare(self, request: AppendRequest, source: str) -> tuple[AppendRequest, list[BlobRef]]:
        validate_body(request.kind, request.body, source=source)
        refs: list[BlobRef] = []
        for name, content in sorted(request.blobs.items()):
            if len(content) > MAX_BLOB_BYTES:
                raise EntryRejected(
                    f"blob {name!r} is {len(content)} bytes; the limit is {MAX_BLOB_BYTES}"
                )
            refs.append(BlobRef(name, hashlib.sha256(content).hexdigest(), len(content)))
        return request, refs

    def size(self) -> int:
        """Return the number of entries."""
        return self.store.size()

    def root_at(self, size: int) -> bytes:
        """Return the Merkle root of the first ``size`` entries, from O(log n) stored nodes."""
        self._check_size(size)
        spans = [(0, size)] if size else []
        nodes = self._fetch(nodes_for_spans(spans))
        return hash_spans(spans, nodes)[0] if spans else EMPTY_ROOT

    def _check_size(self, size: int) -> None:
        current = self.size()
        if not 0 <= size <= current:
            raise LedgerError(f"tree size {size} is outside this ledger (it has {current} entries)")

    def _fetch(self, ids: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        found = self.store.nodes(ids)
        missing = [n for n in ids if n not in found]
        if missing:
            raise StoreError(
                f"ledger {self.store.safe_url}: tree nodes {missing[:3]} are missing",
                hint="run `tidegate ledger verify`",
            )
        return found

    def inclusion_proof(self, seq: int, size: int) -> list[bytes]:
        """Return the inclusion proof of entry ``seq`` in the tree of ``size`` entries."""
        if not 0 <= seq < size:
            raise LedgerError(f"entry {seq} is not in a tree of size {size}")
        self._check_size(size)
        spans = inclusion_plan(seq, size)
        return hash_spans(spans, self._fetch(nodes_for_spans(spans)))

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """Return the consistency proof from ``old_size`` to ``new_size``."""
        if not 0 <= old_size <= new_size:
            raise LedgerError(f"cannot prove consistency from size {old_size} to {new_size}")
        self._check_size(new_size)
        spans = consistency_plan(old_size, new_size)
        return hash_spans(spans, self._fetch(nodes_for_spans(spans)))

    def checkpoint(self) -> SignedCheckpoint:
        """Sign and store a checkpoint of the current tree (reused if the size has one).

        A reused checkpoint is returned as stored, with the witness cosignatures added to it.
        """
        signer = self._require_signer()
        with self.store.write() as tx:
            size, _ = tx.head()
            nodes = tx.nodes(span_nodes(0, size))
            tree = CompactRange(size, [nodes[n] for n in span_nodes(0, size)])
            body = Checkpoint(self.origin, size, tree.root())
            note = sign_note(body.text(), [signer.note_signer(self.origin)])
            tx.insert_checkpoint(
                {"size": size, "root_hash": body.root_hash, "note": note, "created": self.clock()}
            )
            stored = tx.checkpoint_note(size)
        if stored is not None and _note_text(stored) == body.text().encode():
            return SignedCheckpoint(body, stored)
        return SignedCheckpoint(body, note)

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """Return the most recent stored checkpoint."""
        return self.store.latest_checkpoint()

    def prove_inclusion(self, seq: int) -> tuple[InclusionProofFile, StoredEntry]:
        """Return a tlog-proof for entry ``seq`` against the latest checkpoint covering it.

        A new checkpoint is signed when the latest one does not cover the entry yet.
        """
        entry = self.store.entry(seq)
        if entry is None:
            raise LedgerError(f"entry {seq} does not exist (the ledger has {self.size()} entries)")
        latest = self.store.latest_checkpoint()
        if latest is not None and latest.size > seq:
            size, note = latest.size, latest.note
        else:
            signed = self.checkpoint()
            size, note = signed.checkpoint.size, signed.note
        hashes = self.inclusion_proof(seq, size)
        return InclusionProofFile(seq, tuple(hashes), note), entry

    def prove_consistency(self, old_size: int) -> ConsistencyProofFile:
        """Return a consistency proof from ``old_size`` to a fresh checkpoint."""
        signed = self.checkpoint()
        hashes = self.consistency_proof(old_size, signed.checkpoint.size)
        return ConsistencyProofFile(old_size, tuple(hashes), signed.note)


def read_entry(store: LedgerStore, seq: int) -> tuple[StoredEntry, ParsedEntry]:
    """Return entry ``seq`` as stored and parsed; LedgerError if it is absent or malformed."""
    entry = store.entry(seq)
    if entry is None:
        raise LedgerError(f"entry {seq} does not exist (the ledger has {store.size()} entries)")
    try:
        return entry, parse_entry(entry.envelope)
    except FormatError as exc:
        raise LedgerError(
            f"entry {seq} is malformed: {exc.message}", hint="run `tidegate ledger verify`"
        ) from exc


def _note_text(note: bytes) -> bytes | None:
    """Return a stored note's signed text, or None if it does not parse."""
    try:
        return parse_note(note).text
    except FormatError:
        return None
