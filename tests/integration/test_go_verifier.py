"""Independent check: Go's golang.org/x/mod/sumdb/{note,tlog} verify what tidegate writes.

tests/go/tlogcheck is built once per session and run on checkpoints, tlog-proof files and
consistency proofs of a real SQLite ledger, for many (entry, tree size) pairs, and on the
committed test vectors; negative controls check that it rejects tampered inputs.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import LedgerFixture, create_ledger
from tests.golang import build_go
from tidegate.ledger.keys import SigningKey, generate_key
from tidegate.ledger.log import AppendRequest
from tidegate.ledger.merkle import hash_leaf
from tidegate.ledger.note import Checkpoint, NoteVerifier, open_checkpoint, sign_note
from tidegate.ledger.store import sqlite_url

pytestmark = pytest.mark.go

REPO = Path(__file__).resolve().parents[2]
GO_SOURCE = REPO / "tests" / "go" / "tlogcheck"
VECTORS = REPO / "ledger" / "vectors"
ORIGIN = "go-check.tidegate.test/log"

CHECKPOINT_SIZES = (1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65)
"""Tree sizes at which the ledger is checkpointed: 1, 2, powers of two and their neighbours."""


@pytest.fixture(scope="session")
def tlogcheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build tests/go/tlogcheck once (offline, GOPATH mode); skip if Go is missing."""
    return build_go(
        REPO / "tests" / "go" / "tlogcheck", tmp_path_factory.mktemp("tlogcheck"), "tlogcheck"
    )


@dataclass
class Run:
    """One tlogcheck run."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, object]:
        """The JSON object printed on success."""
        return dict(json.loads(self.stdout))


def run(binary: Path, *args: str | Path) -> Run:
    """Run tlogcheck with ``args``."""
    result = subprocess.run(
        [str(binary), *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )
    return Run(result.returncode, result.stdout, result.stderr)


def ok(binary: Path, *args: str | Path) -> dict[str, object]:
    """Run tlogcheck and require success; return its report."""
    result = run(binary, *args)
    assert result.returncode == 0, f"tlogcheck {' '.join(map(str, args))} failed: {result.stderr}"
    report = result.report
    assert report["ok"] is True
    return report


def fails(binary: Path, *args: str | Path, match: str = "") -> str:
    """Run tlogcheck and require a failure (exit 1) with ``match`` in its message."""
    result = run(binary, *args)
    assert result.returncode == 1, f"tlogcheck accepted {args}: {result.stdout}{result.stderr}"
    assert result.stdout == ""
    assert result.stderr.startswith("tlogcheck: ")
    assert match in result.stderr, result.stderr
    return result.stderr


def _message(seq: int) -> str:
    """A message whose length varies a lot from entry to entry."""
    length = (1, 17, 300, 4096, 40_000)[seq % 5] + seq
    return (f"entry {seq} " + "tidegate-" * (length // 9 + 1))[:length]


@dataclass
class BuiltLedger:
    """A ledger grown through CHECKPOINT_SIZES, with files written at each checkpoint."""

    fixture: LedgerFixture
    directory: Path
    vkey: str
    checkpoints: dict[int, Path] = field(default_factory=dict)
    roots: dict[int, bytes] = field(default_factory=dict)
    inclusion: dict[tuple[int, int], Path] = field(default_factory=dict)
    consistency: dict[tuple[int, int], Path] = field(default_factory=dict)
    entries: dict[int, Path] = field(default_factory=dict)

    def entry(self, seq: int) -> Path:
        """The file holding entry ``seq``'s exact bytes."""
        return self.entries[seq]


def _inclusion_targets(size: int) -> set[int]:
    if size <= 17:
        return set(range(size))
    picks = {0, 1, size // 2, size - 2, size - 1}
    picks |= {p for p in (1, 2, 4, 8, 16, 32, 64) if p < size} | {
        p - 1 for p in (2, 4, 8, 16, 32, 64) if p <= size
    }
    return picks


def _grow(fixture: LedgerFixture, to_size: int, salt: str) -> None:
    ledger = fixture.ledger
    while ledger.size() < to_size:
        seq = ledger.size()
        if seq % 7 == 3 and to_size - seq >= 3:
            ledger.append_batch(
                [
                    AppendRequest(
                        "note", {"message": f"{salt} batch {seq + i}: {_message(seq + i)}"}
                    )
                    for i in range(3)
                ]
            )
        elif seq % 11 == 5:
            blob = (f"{salt} blob {seq}\n" * (seq + 1)).encode()
            ledger.append(
                AppendRequest(
                    "note", {"message": f"{salt} with blob {seq}"}, blobs={"data.txt": blob}
                )
            )
        elif seq % 13 == 6:
            body = {"message": f"{salt} ünïcödé — entry {seq} ✓", "labels": {"clé": "värde"}}
            ledger.append(AppendRequest("note", body, actor="agent/ünï"))
        else:
            ledger.append(AppendRequest("note", {"message": f"{salt} {_message(seq)}"}))


def build_ledger(directory: Path, key: SigningKey, salt: str) -> BuiltLedger:
    """Create a SQLite ledger, grow it through CHECKPOINT_SIZES and write proof files."""
    directory.mkdir(parents=True)
    fixture = create_ledger(sqlite_url(directory / "ledger.db"), key, ORIGIN)
    built = BuiltLedger(fixture, directory, NoteVerifier(ORIGIN, key.public_key).vkey())
    ledger = fixture.ledger
    for size in CHECKPOINT_SIZES:
        _grow(fixture, size, salt)
        assert ledger.size() == size
        signed = ledger.checkpoint()
        assert signed.checkpoint.size == size
        path = directory / f"checkpoint-{size}"
        path.write_bytes(signed.note)
        built.checkpoints[size] = path
        built.roots[size] = signed.checkpoint.root_hash
        for seq in sorted(_inclusion_targets(size)):
            proof, entry = ledger.prove_inclusion(seq)
            assert proof.index == seq
            assert proof.checkpoint == signed.note  # the latest checkpoint covers seq
            proof_path = directory / f"inclusion-{seq}-in-{size}.tlog-proof"
            proof_path.write_bytes(proof.encode())
            built.inclusion[(seq, size)] = proof_path
            entry_path = directory / f"{seq:04d}.entry"
            if seq not in built.entries:
                entry_path.write_bytes(entry.envelope)
                built.entries[seq] = entry_path
            assert entry_path.read_bytes() == entry.envelope
        for old in built.checkpoints:
            consistency = ledger.prove_consistency(old)
            assert consistency.checkpoint == signed.note
            proof_path = directory / f"consistency-{old}-to-{size}.proof"
            proof_path.write_bytes(consistency.encode())
            built.consistency[(old, size)] = proof_path
    return built


@pytest.fixture(scope="module")
def key() -> SigningKey:
    """The signing key of both test ledgers."""
    return generate_key()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, key: SigningKey) -> Iterator[BuiltLedger]:
    """The main test ledger and its proof files."""
    result = build_ledger(tmp_path_factory.mktemp("go-verifier") / "a", key, "A")
    yield result
    result.fixture.store.close()


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory, key: SigningKey) -> Iterator[BuiltLedger]:
    """Another ledger, same key and origin: none of its trees is a prefix of ``built``'s."""
    result = build_ledger(tmp_path_factory.mktemp("go-verifier") / "b", key, "B")
    yield result
    result.fixture.store.close()


# --- positive checks ------------------------------------------------------------------------


def test_checkpoints_verify_and_parse(tlogcheck: Path, built: BuiltLedger) -> None:
    for size, path in built.checkpoints.items():
        report = ok(tlogcheck, "checkpoint", built.vkey, path)
        assert report["origin"] == ORIGIN
        assert report["size"] == size
        assert report["root"] == built.roots[size].hex()
        assert report["root"] == built.fixture.ledger.root_at(size).hex()
        assert report["signed_by"] == [
            f"{ORIGIN}+{NoteVerifier(ORIGIN, built.fixture.key.public_key).key_hash.hex()}"
        ]


def test_inclusion_proofs_verify(tlogcheck: Path, built: BuiltLedger) -> None:
    sizes_seen = set()
    for (seq, size), path in sorted(built.inclusion.items()):
        report = ok(tlogcheck, "inclusion", built.vkey, path, built.entry(seq))
        assert report["index"] == seq
        assert report["size"] == size
        assert report["leaf"] == hash_leaf(built.entry(seq).read_bytes()).hex()
        assert report["root"] == built.roots[size].hex()
        sizes_seen.add(size)
    assert sizes_seen == set(CHECKPOINT_SIZES)
    # Edge cases are covered: first and last entry at every size.
    for size in CHECKPOINT_SIZES:
        assert (0, size) in built.inclusion
        assert (size - 1, size) in built.inclusion
    assert len(built.inclusion) > 150


def test_consistency_proofs_verify(tlogcheck: Path, built: BuiltLedger) -> None:
    for (old, new), path in sorted(built.consistency.items()):
        report = ok(tlogcheck, "consistency", built.vkey, built.checkpoints[old], path)
        assert report["old_size"] == old
        assert report["size"] == new
        assert report["old_root"] == built.roots[old].hex()
        assert report["root"] == built.roots[new].hex()
    assert len(built.consistency) == len(CHECKPOINT_SIZES) * (len(CHECKPOINT_SIZES) + 1) // 2


def test_vkey_file_and_key_lists_are_accepted(
    tlogcheck: Path, built: BuiltLedger, tmp_path: Path
) -> None:
    stranger = NoteVerifier(ORIGIN, generate_key().public_key).vkey()
    keys_file = tmp_path / "keys"
    keys_file.write_text(f"{stranger}\n{built.vkey}\n")
    ok(tlogcheck, "checkpoint", f"@{keys_file}", built.checkpoints[5])
    ok(tlogcheck, "checkpoint", f"{stranger},{built.vkey}", built.checkpoints[5])


def test_committed_vectors_verify(tlogcheck: Path) -> None:
    index = json.loads((VECTORS / "vectors.json").read_text())
    vkeys = ",".join(k["vkey"] for k in index["keys"])
    final = index["checkpoints"][-1]
    assert ok(tlogcheck, "checkpoint", vkeys, VECTORS / final["file"])["root"] == final["root"]
    for item in index["tlog_proofs"]:
        entry = VECTORS / index["entries"][item["index"]]["file"]
        report = ok(tlogcheck, "inclusion", vkeys, VECTORS / item["file"], entry)
        assert report["leaf"] == index["entries"][item["index"]]["leaf_hash"]
        assert report["size"] == item["size"]
    for item in index["consistency_proofs"]:
        report = ok(
            tlogcheck,
            "consistency",
            vkeys,
            VECTORS / item["old_checkpoint"],
            VECTORS / item["file"],
        )
        assert report["old_size"] == item["old_size"]
        assert report["size"] == item["new_size"]
    # Each checkpoint is signed by one key only: with the other key alone it must fail.
    for cp in index["checkpoints"]:
        for vkey in (k["vkey"] for k in index["keys"]):
            signer = cp["signed_by"] == vkey
            result = run(tlogcheck, "checkpoint", vkey, VECTORS / cp["file"])
            assert (result.returncode == 0) == signer, result.stderr


# --- negative controls ----------------------------------------------------------------------


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def test_rejects_a_flipped_byte_in_the_entry(
    tlogcheck: Path, built: BuiltLedger, tmp_path: Path
) -> None:
    for seq, size in [(0, 1), (0, 65), (64, 65), (31, 33), (5, 9)]:
        data = built.entry(seq).read_bytes()
        for offset in (0, len(data) // 2, len(data) - 1):
            tampered = tmp_path / f"{seq}-{size}-{offset}.entry"
            tampered.write_bytes(_flip(data, offset))
            fails(
                tlogcheck,
                "inclusion",
                built.vkey,
                built.inclusion[(seq, size)],
                tampered,
                match="inclusion of entry",
            )
    truncated = tmp_path / "truncated.entry"
    truncated.write_bytes(built.entry(3).read_bytes()[:-1])
    fails(tlogcheck, "inclusion", built.vkey, built.inclusion[(3, 4)], truncated)


def _replace_hash(proof: bytes, line_index: int, new: bytes | None) -> bytes:
    head, sep, checkpoint = proof.partition(b"\n\n")
    lines = head.split(b"\n")
    if new is None:
        del lines[line_index]
    else:
        lines[line_index] = base64.b64encode(new)
    return b"\n".join(lines) + sep + checkpoint


def test_rejects_a_wrong_inclusion_proof_hash(
    tlogcheck: Path, built: BuiltLedger, tmp_path: Path
) -> None:
    for seq, size in [(0, 2), (1, 3), (7, 8), (8, 9), (32, 65), (64, 65)]:
        proof = built.inclusion[(seq, size)].read_bytes()
        lines = proof.partition(b"\n\n")[0].split(b"\n")
        assert lines[1].startswith(b"index ")
        for i in range(2, len(lines)):
            original = base64.b64decode(lines[i])
            bad = tmp_path / f"bad-{seq}-{size}-{i}.tlog-proof"
            bad.write_bytes(_replace_hash(proof, i, _flip(original, 31)))
            fails(
                tlogcheck,
                "inclusion",
                built.vkey,
                bad,
                built.entry(seq),
                match="invalid transparency proof",
            )
        short = tmp_path / f"short-{seq}-{size}.tlog-proof"
        short.write_bytes(_replace_hash(proof, len(lines) - 1, None))
        fails(tlogcheck, "inclusion", built.vkey, short, built.entry(seq))
        wrong_index = tmp_path / f"index-{seq}-{size}.tlog-proof"
        other_seq = (seq + 1) % size
        wrong_index.write_bytes(
            proof.replace(f"\nindex {seq}\n".encode(), f"\nindex {other_seq}\n".encode(), 1)
        )
        fails(tlogcheck, "inclusion", built.vkey, wrong_index, built.entry(seq))


def test_rejects_a_wrong_consistency_proof_hash(
    tlogcheck: Path, built: BuiltLedger, tmp_path: Path
) -> None:
    for old, new in [(1, 2), (3, 4), (5, 9), (16, 17), (33, 65), (63, 64)]:
        proof = built.consistency[(old, new)].read_bytes()
        lines = proof.partition(b"\n\n")[0].split(b"\n")
        for i in range(2, len(lines)):
            bad = tmp_path / f"bad-{old}-{new}-{i}.proof"
            bad.write_bytes(_replace_hash(proof, i, _flip(base64.b64decode(lines[i]), 0)))
            fails(
                tlogcheck,
                "consistency",
                built.vkey,
                built.checkpoints[old],
                bad,
                match="invalid transparency proof",
            )


def test_rejects_a_checkpoint_signed_by_another_key(
    tlogcheck: Path, built: BuiltLedger, tmp_path: Path
) -> None:
    impostor = generate_key()
    impostor_vkey = NoteVerifier(ORIGIN, impostor.public_key).vkey()
    for size in (1, 9, 65):
        genuine = open_checkpoint(
            built.checkpoints[size].read_bytes(),
            [NoteVerifier(ORIGIN, built.fixture.key.public_key)],
        )
        forged = sign_note(
            Checkpoint(ORIGIN, genuine.size, genuine.root_hash).text(),
            [impostor.note_signer(ORIGIN)],
        )
        forged_path = tmp_path / f"forged-{size}"
        forged_path.write_bytes(forged)
        ok(tlogcheck, "checkpoint", impostor_vkey, forged_path)  # the forgery itself is well formed
        fails(tlogcheck, "checkpoint", built.vkey, forged_path, match="not signed by any given key")
        fails(
            tlogcheck,
            "checkpoint",
            impostor_vkey,
            built.checkpoints[size],
            match="not signed by any given key",
        )
        # The same forged checkpoint inside a tlog-proof and a consistency proof.
        proof = built.inclusion[(0, size)].read_bytes()
        forged_proof = tmp_path / f"forged-{size}.tlog-proof"
        forged_proof.write_bytes(proof.partition(b"\n\n")[0] + b"\n\n" + forged)
        fails(
            tlogcheck,
            "inclusion",
            built.vkey,
            forged_proof,
            built.entry(0),
            match="not signed by any given key",
        )
        consistency = built.consistency[(1, size)].read_bytes()
        forged_consistency = tmp_path / f"forged-{size}.proof"
        forged_consistency.write_bytes(consistency.partition(b"\n\n")[0] + b"\n\n" + forged)
        fails(
            tlogcheck,
            "consistency",
            built.vkey,
            built.checkpoints[1],
            forged_consistency,
            match="not signed by any given key",
        )
        fails(tlogcheck, "consistency", built.vkey, forged_path, built.consistency[(size, 65)])


def test_rejects_a_checkpoint_whose_text_was_changed(
    tlogcheck: Path, built: BuiltLedger, tmp_path: Path
) -> None:
    note = built.checkpoints[9].read_bytes()
    text, _, signatures = note.partition(b"\n\n")
    tampered = tmp_path / "tampered"
    tampered.write_bytes(text.replace(b"\n9\n", b"\n8\n") + b"\n\n" + signatures)
    fails(tlogcheck, "checkpoint", built.vkey, tampered, match="invalid signature")


def test_rejects_a_key_whose_name_is_not_the_origin(tlogcheck: Path, built: BuiltLedger) -> None:
    renamed = NoteVerifier("another.example/log", built.fixture.key.public_key).vkey()
    fails(
        tlogcheck, "checkpoint", renamed, built.checkpoints[4], match="not signed by any given key"
    )


def test_rejects_consistency_with_a_tree_that_is_not_a_prefix(
    tlogcheck: Path, built: BuiltLedger, other: BuiltLedger
) -> None:
    assert other.vkey == built.vkey
    for (old, new), path in sorted(built.consistency.items()):
        if old == new:
            continue
        assert other.roots[old] != built.roots[old]
        ok(
            tlogcheck, "checkpoint", built.vkey, other.checkpoints[old]
        )  # a valid checkpoint of its own log
        fails(tlogcheck, "consistency", built.vkey, other.checkpoints[old], path)
    # Same size, different roots: a fork.
    fails(tlogcheck, "consistency", built.vkey, other.checkpoints[9], built.consistency[(9, 9)])
    # An old checkpoint whose size is not the proof's old size.
    fails(
        tlogcheck,
        "consistency",
        built.vkey,
        built.checkpoints[8],
        built.consistency[(9, 17)],
        match="from size 9",
    )


def test_rejects_inclusion_against_another_logs_checkpoint(
    tlogcheck: Path, built: BuiltLedger, other: BuiltLedger, tmp_path: Path
) -> None:
    for seq, size in [(0, 1), (3, 8), (64, 65)]:
        proof = built.inclusion[(seq, size)].read_bytes()
        spliced = tmp_path / f"spliced-{seq}-{size}.tlog-proof"
        spliced.write_bytes(
            proof.partition(b"\n\n")[0] + b"\n\n" + other.checkpoints[size].read_bytes()
        )
        fails(tlogcheck, "inclusion", built.vkey, spliced, built.entry(seq))
        fails(tlogcheck, "inclusion", built.vkey, built.inclusion[(seq, size)], other.entry(seq))


def test_rejects_malformed_files(tlogcheck: Path, built: BuiltLedger, tmp_path: Path) -> None:
    proof = built.inclusion[(2, 3)].read_bytes()
    head, _, checkpoint = proof.partition(b"\n\n")
    lines = head.split(b"\n")
    cases = {
        "header": proof.replace(b"c2sp.org/tlog-proof@v1", b"c2sp.org/tlog-proof@v2", 1),
        "leading-zero": proof.replace(b"\nindex 2\n", b"\nindex 02\n", 1),
        "no-blank-line": proof.replace(b"\n\n", b"\n", 1),
        "carriage-return": b"\n".join([*lines[:2], lines[2] + b"\r", *lines[3:]])
        + b"\n\n"
        + checkpoint,
        "not-base64": b"\n".join([*lines[:2], b"!" + lines[2][1:], *lines[3:]])
        + b"\n\n"
        + checkpoint,
        "no-checkpoint": head + b"\n\n",
    }
    for name, data in cases.items():
        path = tmp_path / f"{name}.tlog-proof"
        path.write_bytes(data)
        fails(tlogcheck, "inclusion", built.vkey, path, built.entry(2))
    assert run(tlogcheck, "inclusion", built.vkey).returncode == 2
    assert run(tlogcheck, "checkpoint", "not-a-key", built.checkpoints[1]).returncode == 1
