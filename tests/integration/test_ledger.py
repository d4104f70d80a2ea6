"""Appends, blobs, checkpoints, proofs and rotation on real SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest

from tests.conftest import LedgerFixture
from tidegate.errors import EntryRejected, LedgerError
from tidegate.ledger.entry import GENESIS_PREV, parse_entry
from tidegate.ledger.keys import generate_key
from tidegate.ledger.log import AppendRequest
from tidegate.ledger.merkle import hash_leaf, verify_consistency, verify_inclusion
from tidegate.ledger.note import open_checkpoint
from tidegate.ledger.proof import parse_consistency_proof, parse_inclusion_proof
from tidegate.ledger.trust import TrustedKey
from tidegate.ledger.verify import verify_ledger


def note(i: int) -> AppendRequest:
    return AppendRequest("note", {"message": f"event {i}"})


def test_appends_are_contiguous_chained_and_signed(fresh_ledger: LedgerFixture) -> None:
    ledger = fresh_ledger.ledger
    first = ledger.append(note(0))
    batch = ledger.append_batch([note(i) for i in range(1, 6)])
    assert [first.seq, *(e.seq for e in batch)] == list(range(6))
    prev = GENESIS_PREV
    for seq in range(6):
        stored = fresh_ledger.store.entry(seq)
        assert stored is not None
        parsed = parse_entry(stored.envelope)
        assert (parsed.seq, parsed.prev, parsed.kind) == (seq, prev, "note")
        assert parsed.statement["predicateType"] == "https://tidegate.dev/note/v1"
        assert parsed.statement["subject"][0]["name"] == "body"
        assert stored.leaf_hash == hash_leaf(stored.envelope)
        prev = stored.leaf_hash.hex()
    report = verify_ledger(fresh_ledger.store, fresh_ledger.trust)
    assert report.ok, report.failures
    assert report.size == 6
    assert report.signatures_checked == 6


def test_blobs_are_content_addressed_and_shared(fresh_ledger: LedgerFixture) -> None:
    ledger = fresh_ledger.ledger
    payload = b"stdout line\n" * 1000
    a = ledger.append(AppendRequest("note", {"message": "a"}, blobs={"stdout": payload}))
    ledger.append(AppendRequest("note", {"message": "b"}, blobs={"copy": payload, "empty": b""}))
    digest = hashlib.sha256(payload).hexdigest()
    blobs = fresh_ledger.store.blobs([digest])
    assert blobs[digest].content == payload
    stored = fresh_ledger.store.entry(a.seq)
    assert stored is not None
    refs = parse_entry(stored.envelope).blobs
    assert [(r.name, r.sha256, r.size) for r in refs] == [("stdout", digest, len(payload))]
    report = verify_ledger(fresh_ledger.store, fresh_ledger.trust)
    assert report.ok
    assert report.blobs_checked == 3


def test_invalid_bodies_write_nothing(fresh_ledger: LedgerFixture) -> None:
    ledger = fresh_ledger.ledger
    ledger.append(note(0))
    with pytest.raises(EntryRejected, match="unknown entry kind 'nope'"):
        ledger.append(AppendRequest("nope", {"message": "x"}))
    with pytest.raises(EntryRejected, match=r"\$: 'message' is a required property"):
        ledger.append(AppendRequest("note", {"text": "x"}))
    with pytest.raises(EntryRejected, match="batch item 1: invalid note body"):
        ledger.append_batch([note(1), AppendRequest("note", {"message": ""}, actor="batch")])
    assert ledger.size() == 1


def test_a_failed_batch_writes_nothing(fresh_ledger: LedgerFixture) -> None:
    ledger = fresh_ledger.ledger
    ledger.append(note(0))
    with pytest.raises(LedgerError):
        ledger.append_batch([note(1), AppendRequest("note", {"message": float("nan")})])
    assert ledger.size() == 1
    assert verify_ledger(fresh_ledger.store, fresh_ledger.trust).ok


def test_inclusion_and_consistency_proofs_verify_against_checkpoints(
    fresh_ledger: LedgerFixture,
) -> None:
    ledger = fresh_ledger.ledger
    ledger.append_batch([note(i) for i in range(13)])
    old = ledger.checkpoint()
    ledger.append_batch([note(i) for i in range(13, 37)])
    verifiers = fresh_ledger.trust.note_verifiers()
    for seq in (0, 5, 12, 13, 36):
        proof_file, entry = ledger.prove_inclusion(seq)
        parsed = parse_inclusion_proof(proof_file.encode())
        checkpoint = open_checkpoint(parsed.checkpoint, verifiers)
        verify_inclusion(
            hash_leaf(entry.envelope),
            parsed.index,
            checkpoint.size,
            parsed.hashes,
            checkpoint.root_hash,
        )
    consistency = parse_consistency_proof(ledger.prove_consistency(old.checkpoint.size).encode())
    new = open_checkpoint(consistency.checkpoint, verifiers)
    assert new.size == 37
    verify_consistency(13, 37, old.checkpoint.root_hash, new.root_hash, consistency.hashes)
    assert ledger.root_at(13) == old.checkpoint.root_hash


def test_proofs_for_entries_beyond_the_ledger_are_refused(fresh_ledger: LedgerFixture) -> None:
    fresh_ledger.ledger.append(note(0))
    with pytest.raises(LedgerError, match="entry 3 does not exist"):
        fresh_ledger.ledger.prove_inclusion(3)
    with pytest.raises(LedgerError, match="outside this ledger"):
        fresh_ledger.ledger.consistency_proof(0, 5)


def test_rotation_is_signed_by_both_keys_and_retires_the_old_one(
    fresh_ledger: LedgerFixture,
) -> None:
    ledger = fresh_ledger.ledger
    old_key = fresh_ledger.key
    ledger.append(note(0))
    new_key = generate_key()
    import base64

    body = {
        "old_keyid": old_key.keyid,
        "new_keyid": new_key.keyid,
        "new_public_key": base64.b64encode(new_key.public_key).decode(),
    }
    rotation = ledger.append(AppendRequest("key.rotated", body, co_signers=[new_key]))
    trust = fresh_ledger.trust.with_key(TrustedKey(new_key.public_key, "2000-01-01T00:00:00.000Z"))
    ledger.signer = new_key
    ledger.append(note(2))
    report = verify_ledger(fresh_ledger.store, trust)
    assert report.ok, report.failures
    assert report.keys_used == {old_key.keyid: 2, new_key.keyid: 2}
    # The retired key signs again: refused from the entry after the rotation on.
    ledger.signer = old_key
    late = ledger.append(note(3))
    report = verify_ledger(fresh_ledger.store, trust)
    assert late.seq == rotation.seq + 2
    assert report.first_failure is not None
    assert (report.first_failure.seq, report.first_failure.reason) == (late.seq, "retired-key")


def test_rotation_signed_by_one_key_only_fails(fresh_ledger: LedgerFixture) -> None:
    import base64

    new_key = generate_key()
    body = {
        "old_keyid": fresh_ledger.key.keyid,
        "new_keyid": new_key.keyid,
        "new_public_key": base64.b64encode(new_key.public_key).decode(),
    }
    fresh_ledger.ledger.append(AppendRequest("key.rotated", body))
    trust = fresh_ledger.trust.with_key(TrustedKey(new_key.public_key, "2000-01-01T00:00:00.000Z"))
    report = verify_ledger(fresh_ledger.store, trust)
    assert report.first_failure is not None
    assert report.first_failure.reason == "rotation-not-signed-by-both-keys"


def test_entries_outside_a_key_window_fail(fresh_ledger: LedgerFixture) -> None:
    fresh_ledger.ledger.append(note(0))
    narrow = fresh_ledger.trust.with_key(
        TrustedKey(
            fresh_ledger.key.public_key, "2000-01-01T00:00:00.000Z", "2001-01-01T00:00:00.000Z"
        )
    )
    report = verify_ledger(fresh_ledger.store, narrow)
    assert report.first_failure is not None
    assert (report.first_failure.seq, report.first_failure.reason) == (0, "key-outside-window")


def test_parallel_and_serial_verification_agree(fresh_ledger: LedgerFixture) -> None:
    ledger = fresh_ledger.ledger
    for start in range(0, 5000, 1000):
        ledger.append_batch([note(i) for i in range(start, start + 1000)])
    ledger.checkpoint()
    serial = verify_ledger(fresh_ledger.store, fresh_ledger.trust, workers=1)
    parallel = verify_ledger(fresh_ledger.store, fresh_ledger.trust, workers=2)
    assert serial.ok and parallel.ok
    assert serial.as_json() == parallel.as_json()
