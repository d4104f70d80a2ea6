"""The tamper matrix: every kind of tampering makes `tidegate ledger verify` exit 1 and name it.

Each case builds a real ledger through `tidegate init`, tampers with the database directly (as
an attacker with write access to it would), and runs `tidegate ledger verify --format json`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tidegate.cli import run
from tidegate.config import load_settings
from tidegate.home import init_home, open_ledger
from tidegate.ledger.entry import PAYLOAD_TYPE, pae, parse_entry, seal
from tidegate.ledger.keys import generate_key, load_key
from tidegate.ledger.log import AppendRequest
from tidegate.ledger.merkle import hash_leaf
from tidegate.ledger.store import sqlite_url

ENTRIES = 24


@dataclass
class Home:
    """A tidegate home with a ledger of ENTRIES notes and a checkpoint kept by the auditor."""

    path: Path
    url: str
    trusted_checkpoint: Path

    def sql(self, statement: str, **params: Any) -> list[Any]:
        engine = create_engine(self.url)
        try:
            with engine.begin() as conn:
                result = conn.execute(text(statement), params)
                return list(result) if result.returns_rows else []
        finally:
            engine.dispose()

    def envelope(self, seq: int) -> bytes:
        return bytes(self.sql("SELECT envelope FROM entry WHERE seq = :seq", seq=seq)[0][0])

    def put(self, seq: int, envelope: bytes) -> None:
        self.sql(
            "UPDATE entry SET envelope = :e, leaf_hash = :h WHERE seq = :seq",
            e=envelope,
            h=hash_leaf(envelope),
            seq=seq,
        )


def verify(
    home: Home, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = run(["--dir", str(home.path), "ledger", "verify", "--format", "json", *extra])
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.fixture(params=["sqlite", "postgres"])
def home(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Home]:
    url = None if request.param == "sqlite" else str(request.getfixturevalue("postgres_database"))
    result = init_home(tmp_path, origin="tamper.example/log", ledger_url=url)
    settings = load_settings(result.home)
    ledger = open_ledger(settings, writable=True)
    try:
        ledger.append_batch(
            [AppendRequest("note", {"message": f"event {i}"}) for i in range(ENTRIES // 2)]
        )
        for i in range(ENTRIES // 2, ENTRIES):
            ledger.append(
                AppendRequest("note", {"message": f"event {i}"}, blobs={"log": f"log {i}".encode()})
            )
        signed = ledger.checkpoint()
    finally:
        ledger.store.close()
    trusted = tmp_path / "trusted.checkpoint"
    trusted.write_bytes(signed.note)
    return Home(result.home, result.ledger_url if url is None else url, trusted)


def expect_failure(
    home: Home, capsys: pytest.CaptureFixture[str], seq: int | None, reason: str, *extra: str
) -> None:
    code, report = verify(home, capsys, *extra)
    assert code == 1
    assert report["ok"] is False
    first = report["first_failure"]
    assert (first["seq"], first["reason"]) == (seq, reason), report["failures"][:5]


def test_untouched_ledger_verifies(home: Home, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = verify(home, capsys, "--trusted-checkpoint", str(home.trusted_checkpoint))
    assert code == 0, report["failures"]
    assert report["size"] == ENTRIES
    assert report["signatures_checked"] == ENTRIES
    assert report["blobs_checked"] == ENTRIES // 2
    assert report["trusted_checkpoint_size"] == ENTRIES


@pytest.mark.parametrize("seq", [0, 7, ENTRIES - 1])
def test_one_changed_byte_anywhere_in_an_entry_is_named(
    home: Home, capsys: pytest.CaptureFixture[str], seq: int
) -> None:
    original = home.envelope(seq)
    positions = sorted(
        {0, 1, 5, len(original) // 3, len(original) // 2, len(original) - 30, len(original) - 2}
    )
    for position in positions:
        tampered = bytearray(original)
        tampered[position] = (tampered[position] + 1) % 256
        home.put(seq, bytes(tampered))
        code, report = verify(home, capsys)
        assert code == 1, f"byte {position} of entry {seq} changed without detection"
        assert report["first_failure"]["seq"] == seq, (position, report["first_failure"])
        assert report["first_failure"]["reason"] in {
            "malformed-entry",
            "bad-signature",
            "unknown-key",
        }
    home.put(seq, original)
    assert verify(home, capsys)[0] == 0


def test_changed_byte_with_stale_leaf_hash_column(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    original = home.envelope(3)
    tampered = original.replace(b'"payloadType"', b'"payloadTypf"')
    home.sql("UPDATE entry SET envelope = :e WHERE seq = 3", e=tampered)
    code, report = verify(home, capsys)
    assert code == 1
    assert {(f["seq"], f["reason"]) for f in report["failures"]} >= {
        (3, "leaf-hash-mismatch"),
        (3, "malformed-entry"),
    }


def test_deleted_entry_is_named(home: Home, capsys: pytest.CaptureFixture[str]) -> None:
    home.sql("DELETE FROM entry WHERE seq = 9")
    expect_failure(home, capsys, 9, "missing-entry")


def test_swapped_entries_are_named(home: Home, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = home.envelope(4), home.envelope(11)
    home.put(4, b)
    home.put(11, a)
    expect_failure(home, capsys, 4, "out-of-order")


def test_inserted_forged_entry_is_named(home: Home, capsys: pytest.CaptureFixture[str]) -> None:
    forger = generate_key()
    victim = parse_entry(home.envelope(6))
    payload = victim.payload.replace(b"event 6", b"event X")
    forged = seal(payload, [(forger.keyid, forger.sign(pae(PAYLOAD_TYPE, payload)))])
    rows = home.sql("SELECT seq FROM entry WHERE seq >= 6 ORDER BY seq DESC")
    for (seq,) in rows:
        home.sql("UPDATE entry SET seq = :new WHERE seq = :old", new=seq + 1, old=seq)
    home.sql(
        "INSERT INTO entry (seq, leaf_hash, kind, time, actor, keyid, envelope) "
        "VALUES (6, :h, 'note', '2026-01-01T00:00:00.000Z', 'mallory', :k, :e)",
        h=hash_leaf(forged),
        k=forger.keyid,
        e=forged,
    )
    expect_failure(home, capsys, 6, "unknown-key")


def test_entry_resigned_with_an_untrusted_key_is_named(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    stranger = generate_key()
    parsed = parse_entry(home.envelope(15))
    home.put(15, seal(parsed.payload, [(stranger.keyid, stranger.sign(parsed.signed_message()))]))
    expect_failure(home, capsys, 15, "unknown-key")


def test_entry_resigned_claiming_the_trusted_keyid_is_a_bad_signature(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    stranger = generate_key()
    parsed = parse_entry(home.envelope(15))
    real_keyid = parsed.signatures[0][0]
    home.put(15, seal(parsed.payload, [(real_keyid, stranger.sign(parsed.signed_message()))]))
    expect_failure(home, capsys, 15, "bad-signature")


def test_truncated_tail_is_caught_by_the_ledgers_own_checkpoint(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    home.sql("DELETE FROM entry WHERE seq >= 20")
    expect_failure(home, capsys, 20, "truncated")


def test_truncated_tail_with_checkpoints_removed_is_caught_by_the_trusted_checkpoint(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    home.sql("DELETE FROM entry WHERE seq >= 20")
    home.sql("DELETE FROM checkpoint")
    assert verify(home, capsys)[0] == 0  # nothing left inside the ledger to contradict it
    expect_failure(
        home, capsys, 20, "truncated", "--trusted-checkpoint", str(home.trusted_checkpoint)
    )


def rewrite_history(home: Home, change: Callable[[int, dict[str, Any]], dict[str, Any]]) -> None:
    """Rebuild the whole ledger with the real signing key, changing some bodies on the way."""
    settings = load_settings(home.path)
    key = load_key(settings.key_path)
    bodies = [parse_entry(home.envelope(seq)).body for seq in range(ENTRIES)]
    for table in ("entry", "tree_node", "checkpoint", "blob"):
        home.sql(f"DELETE FROM {table}")
    ledger = open_ledger(settings, writable=True)
    try:
        assert ledger.signer is not None and ledger.signer.keyid == key.keyid
        ledger.append_batch(
            [AppendRequest("note", change(seq, body)) for seq, body in enumerate(bodies)]
        )
        ledger.checkpoint()
    finally:
        ledger.store.close()


def test_rewritten_history_resigned_with_the_real_key_is_caught_by_the_trusted_checkpoint(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    rewrite_history(home, lambda seq, body: {"message": "nothing happened"} if seq == 5 else body)
    assert verify(home, capsys)[0] == 0  # self-consistent: only an outside checkpoint can tell
    expect_failure(
        home, capsys, None, "not-an-extension", "--trusted-checkpoint", str(home.trusted_checkpoint)
    )


def test_tampered_tree_node_is_named(home: Home, capsys: pytest.CaptureFixture[str]) -> None:
    key = (2 << 56) | 1  # level 2, index 1: the subtree over entries 4..7
    home.sql("UPDATE tree_node SET hash = :h WHERE id = :id", h=b"\x00" * 32, id=key)
    expect_failure(home, capsys, 4, "tree-node-mismatch")


def test_tampered_blob_is_named(home: Home, capsys: pytest.CaptureFixture[str]) -> None:
    home.sql("UPDATE blob SET content = :c WHERE content = :old", c=b"log 99", old=b"log 14")
    expect_failure(home, capsys, 14, "blob-mismatch")


def test_forged_checkpoint_is_named(home: Home, capsys: pytest.CaptureFixture[str]) -> None:
    note = bytes(home.sql("SELECT note FROM checkpoint")[0][0])
    home.sql("UPDATE checkpoint SET note = :n", n=note.replace(b"\n24\n", b"\n25\n"))
    code, report = verify(home, capsys)
    assert code == 1
    assert report["first_failure"]["reason"] == "checkpoint-invalid"


def test_trusted_checkpoint_of_another_log_is_refused(
    home: Home, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    other = init_home(tmp_path / "other", origin="other.example/log")
    other_ledger = open_ledger(load_settings(other.home), writable=True)
    try:
        other_ledger.append(AppendRequest("note", {"message": "x"}))
        foreign = tmp_path / "foreign.checkpoint"
        foreign.write_bytes(other_ledger.checkpoint().note)
    finally:
        other_ledger.store.close()
    code, report = verify(home, capsys, "--trusted-checkpoint", str(foreign))
    assert code == 1
    assert report["first_failure"]["reason"] == "checkpoint-invalid"


def test_verify_with_only_a_public_key(
    home: Home, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    capsys.readouterr()
    assert run(["--dir", str(home.path), "keys", "export", "--format", "vkey"]) == 0
    vkey = tmp_path / "log.vkey"
    vkey.write_text(capsys.readouterr().out)
    code, report = verify(
        home, capsys, "--pubkey", str(vkey), "--trusted-checkpoint", str(home.trusted_checkpoint)
    )
    assert code == 0, report["failures"]
    stranger = tmp_path / "stranger.pem"
    from tidegate.ledger.keys import public_key_pem

    stranger.write_text(public_key_pem(generate_key().public_key))
    expect_failure(home, capsys, 0, "unknown-key", "--pubkey", str(stranger))


def test_sqlite_url_helper_is_absolute(tmp_path: Path) -> None:
    assert sqlite_url(tmp_path / "x.db").startswith("sqlite:////")


def test_entry_moved_to_a_huge_sequence_number_is_named_cheaply(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    home.sql("UPDATE entry SET seq = :far WHERE seq = :last", far=10**15, last=ENTRIES - 1)
    code, report = verify(home, capsys)
    assert code == 1
    assert report["first_failure"]["seq"] == ENTRIES - 1
    assert report["first_failure"]["reason"] == "missing-entry"
    assert len(report["failures"]) < 100


def test_blob_content_removed_without_a_purge_record_is_named(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    home.sql("UPDATE blob SET content = NULL WHERE content = :old", old=b"log 14")
    expect_failure(home, capsys, 14, "blob-missing")
