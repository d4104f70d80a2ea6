"""The witness on real SQLite ledgers: it follows a growing log and refuses forks and rollbacks.

A second ledger with the same key and origin but other entries plays the forked log: each of
its checkpoints is validly signed, and only the witness's memory of what it cosigned exposes it.
"""

from __future__ import annotations

import base64
import fcntl
import itertools
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import LedgerFixture, create_ledger
from tests.golang import build_go
from tidegate.cli import _witness as witness_cli
from tidegate.cli import run
from tidegate.errors import LedgerError, UsageError
from tidegate.ledger.bundle import verify_bundle
from tidegate.ledger.export import export_bundle
from tidegate.ledger.keys import SigningKey, generate_key
from tidegate.ledger.log import AppendRequest
from tidegate.ledger.note import (
    Checkpoint,
    NoteVerifier,
    open_checkpoint,
    open_note,
    parse_note,
    sign_note,
    verify_cosignature,
)
from tidegate.ledger.store import sqlite_url
from tidegate.ledger.verify import WITNESS_INVALID, WITNESS_MISSING, verify_ledger
from tidegate.ledger.witness import (
    LOCK_FILE,
    STATE_FILE,
    CosignResult,
    WitnessRefused,
    cosign_checkpoint,
    init_witness,
    load_witness_key,
    open_witness,
    store_cosignatures,
)

ORIGIN = "witness-test.tidegate.test/log"
WITNESS = "witness.tidegate.test/w1"


@dataclass
class Log:
    """A SQLite ledger and the checkpoints and proofs written from it."""

    fixture: LedgerFixture
    checkpoints: dict[int, bytes] = field(default_factory=dict)

    @property
    def vkey(self) -> NoteVerifier:
        return NoteVerifier(ORIGIN, self.fixture.key.public_key)

    def grow(self, size: int, salt: str) -> bytes:
        """Append up to ``size`` entries and return a checkpoint of that size."""
        ledger = self.fixture.ledger
        while ledger.size() < size:
            ledger.append(AppendRequest("note", {"message": f"{salt} {ledger.size()}"}))
        note = ledger.checkpoint().note
        self.checkpoints[size] = note
        return note

    def proof(self, old_size: int) -> bytes:
        """A consistency proof file from ``old_size`` to the current size."""
        return self.fixture.ledger.prove_consistency(old_size).encode()


def _log(directory: Path, key: SigningKey) -> Iterator[Log]:
    directory.mkdir()
    fixture = create_ledger(sqlite_url(directory / "ledger.db"), key, ORIGIN)
    yield Log(fixture)
    fixture.store.close()


@pytest.fixture
def key() -> SigningKey:
    return generate_key()


@pytest.fixture
def log(tmp_path: Path, key: SigningKey) -> Iterator[Log]:
    yield from _log(tmp_path / "log", key)


@pytest.fixture
def fork(tmp_path: Path, key: SigningKey) -> Iterator[Log]:
    """Same key, same origin, other entries: a split view of ``log``."""
    yield from _log(tmp_path / "fork", key)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    directory = tmp_path / "witness"
    init_witness(directory, WITNESS)
    return directory


def cosign(state: Path, log: Log, note: bytes, proof: bytes | None = None) -> CosignResult:
    return cosign_checkpoint(state, note, log.vkey, proof=proof)


def witness_key(state: Path) -> NoteVerifier:
    return load_witness_key(_vkey(state).encode(), source=str(state))


def _vkey(state: Path) -> str:
    return open_witness(state).vkey()


def recorded(state: Path) -> dict[str, object]:
    return dict(json.loads((state / STATE_FILE).read_text())["logs"][ORIGIN])


# --- a growing log ---------------------------------------------------------------------------


def test_cosigns_a_growing_log(state: Path, log: Log) -> None:
    witness = witness_key(state)
    first = cosign(state, log, log.grow(3, "a"))
    assert first.previous_size is None  # trust on first use
    sizes = [3, 4, 8, 9, 16, 17, 30]
    results = [first]
    for old, new in itertools.pairwise(sizes):
        note = log.grow(new, "a")
        result = cosign(state, log, note, log.proof(old))
        assert result.previous_size == old
        assert result.checkpoint.size == new
        # The cosigned note: the log's own note with one more line, which Go-style verifiers
        # of the log ignore and the witness's key verifies.
        assert result.cosigned == note + result.signature_line.encode()
        _, verified = open_note(result.cosigned, [log.vkey, witness])
        assert verified == [log.vkey, witness]
        assert open_checkpoint(result.cosigned, [log.vkey]).size == new
        assert verify_cosignature(parse_note(result.cosigned), witness) == result.timestamp
        assert recorded(state)["size"] == new
        assert recorded(state)["checkpoint"] == result.cosigned.decode()
        results.append(result)
    timestamps = [r.timestamp for r in results]
    assert timestamps == sorted(timestamps)
    # The same checkpoint again: cosigned again, no proof needed, nothing moves.
    again = cosign(state, log, log.checkpoints[30])
    assert again.previous_size == 30
    assert recorded(state)["size"] == 30
    # Re-submitting a cosigned checkpoint replaces the witness's old line instead of adding one.
    resubmitted = cosign(state, log, again.cosigned)
    assert resubmitted.cosigned.count(WITNESS.encode()) == 1


def test_an_empty_log_can_be_witnessed(state: Path, log: Log) -> None:
    assert cosign(state, log, log.grow(0, "a")).checkpoint.size == 0
    assert cosign(state, log, log.grow(5, "a"), log.proof(0)).previous_size == 0


# --- rollbacks and forks ---------------------------------------------------------------------


def test_refuses_a_rollback(state: Path, log: Log) -> None:
    cosign(state, log, log.grow(5, "a"))
    cosign(state, log, log.grow(9, "a"), log.proof(5))
    before = (state / STATE_FILE).read_bytes()
    with pytest.raises(WitnessRefused, match=f"rollback of {ORIGIN} from size 9 to 5"):
        cosign(state, log, log.checkpoints[5])
    assert (state / STATE_FILE).read_bytes() == before


def test_refuses_a_fork_of_the_same_size(state: Path, log: Log, fork: Log) -> None:
    cosign(state, log, log.grow(8, "a"))
    forked = fork.grow(8, "b")
    assert open_checkpoint(forked, [log.vkey]).size == 8  # validly signed by the log's key
    with pytest.raises(WitnessRefused, match=f"fork of {ORIGIN} at size 8: the checkpoint's root"):
        cosign(state, log, forked)
    assert recorded(state)["size"] == 8


def test_refuses_a_larger_fork_whose_proof_fails(state: Path, log: Log, fork: Log) -> None:
    cosign(state, log, log.grow(8, "a"))
    fork.grow(8, "b")
    forked = fork.grow(13, "b")
    # The fork's own proof from its size 8 is valid for the fork, not for what was witnessed.
    with pytest.raises(
        WitnessRefused,
        match=r"consistency proof from size 8 to 13 does not verify .*not an append-only extension",
    ):
        cosign(state, log, forked, fork.proof(8))
    # The honest log's next checkpoint is still accepted.
    assert cosign(state, log, log.grow(13, "a"), log.proof(8)).checkpoint.size == 13


def test_refuses_a_fork_that_shares_a_prefix(state: Path, log: Log, fork: Log) -> None:
    # Same first 4 entries, then different: the fork extends size 4 but not size 6.
    for each in (log, fork):
        each.fixture.ledger.clock = lambda: "2025-01-01T00:00:00.000Z"
    log.grow(4, "shared")
    fork.grow(4, "shared")
    assert log.checkpoints[4] == fork.checkpoints[4]
    cosign(state, log, log.checkpoints[4])
    cosign(state, log, log.grow(6, "a"), log.proof(4))
    with pytest.raises(WitnessRefused, match="does not verify"):
        cosign(state, log, fork.grow(10, "b"), fork.proof(6))


# --- proofs and keys -------------------------------------------------------------------------


def test_refuses_without_a_proof_or_with_the_wrong_one(state: Path, log: Log) -> None:
    cosign(state, log, log.grow(5, "a"))
    log.grow(7, "a")
    proof_from_5 = log.proof(5)
    proof_from_6 = log.proof(6)
    note = log.grow(7, "a")
    with pytest.raises(WitnessRefused, match=r"no consistency proof: .* at size 5") as refused:
        cosign(state, log, note)
    assert "ledger consistency --from-checkpoint" in (refused.value.hint or "")
    with pytest.raises(WitnessRefused, match="proof from size 6, but the witness last cosigned"):
        cosign(state, log, note, proof_from_6)
    with pytest.raises(WitnessRefused, match="does not parse"):
        cosign(state, log, note, b"not a proof\n\n" + note)
    head, _, tail = proof_from_5.partition(b"\n\n")
    lines = head.split(b"\n")
    lines[2] = base64.b64encode(bytes(32))
    with pytest.raises(WitnessRefused, match="does not verify"):
        cosign(state, log, note, b"\n".join(lines) + b"\n\n" + tail)
    # A valid proof that leads to another checkpoint than the one given.
    later = log.grow(9, "a")
    with pytest.raises(WitnessRefused, match="leads to a checkpoint of size 9, not to"):
        cosign(state, log, note, log.proof(5))
    assert recorded(state)["size"] == 5
    assert cosign(state, log, note, proof_from_5).checkpoint.size == 7
    assert cosign(state, log, later, log.proof(7)).checkpoint.size == 9


def test_refuses_a_checkpoint_signed_by_another_key(state: Path, log: Log) -> None:
    cosign(state, log, log.grow(3, "a"))
    genuine = open_checkpoint(log.grow(6, "a"), [log.vkey])
    impostor = generate_key()
    forged = sign_note(genuine.text(), [impostor.note_signer(ORIGIN)])
    with pytest.raises(WitnessRefused, match="not a checkpoint signed by the log key"):
        cosign(state, log, forged, log.proof(3))
    # The impostor's key with the forged checkpoint: a first sighting of that key, but the
    # witness's record of the origin still demands a proof from size 3.
    with pytest.raises(WitnessRefused, match="no consistency proof"):
        cosign_checkpoint(state, forged, NoteVerifier(ORIGIN, impostor.public_key))


def test_refuses_a_wrong_origin(state: Path, log: Log) -> None:
    body = Checkpoint("elsewhere.example/log", 1, bytes(32))
    mislabelled = sign_note(body.text(), [log.fixture.key.note_signer(ORIGIN)])
    with pytest.raises(
        WitnessRefused, match=r"is for origin 'elsewhere\.example/log', but the log"
    ):
        cosign(state, log, mislabelled)
    other_name = sign_note(body.text(), [log.fixture.key.note_signer("elsewhere.example/log")])
    with pytest.raises(WitnessRefused, match="not a checkpoint signed by the log key"):
        cosign(state, log, other_name)
    assert json.loads((state / STATE_FILE).read_text())["logs"] == {}


def test_logs_are_tracked_per_origin(state: Path, tmp_path: Path, key: SigningKey) -> None:
    other = create_ledger(sqlite_url(tmp_path / "other.db"), key, "other.tidegate.test/log")
    try:
        other.ledger.append(AppendRequest("note", {"message": "x"}))
        note = other.ledger.checkpoint().note
        verifier = NoteVerifier("other.tidegate.test/log", key.public_key)
        assert cosign_checkpoint(state, note, verifier).previous_size is None
        assert set(json.loads((state / STATE_FILE).read_text())["logs"]) == {
            "other.tidegate.test/log"
        }
    finally:
        other.store.close()


# --- concurrency -----------------------------------------------------------------------------


def test_two_concurrent_cosigns_cannot_both_advance(state: Path, log: Log) -> None:
    cosign(state, log, log.grow(3, "a"))
    log.grow(5, "a")
    small = (log.checkpoints[5], log.proof(3))
    log.grow(8, "a")
    large = (log.checkpoints[8], log.proof(3))

    def submit(barrier: threading.Barrier, outcomes: list[str], note: bytes, proof: bytes) -> None:
        barrier.wait()
        try:
            cosign(state, log, note, proof)
            outcomes.append("cosigned")
        except WitnessRefused:
            outcomes.append("refused")

    for _ in range(5):
        outcomes: list[str] = []
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=submit, args=(barrier, outcomes, *pair))
            for pair in (small, large)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Both are proven from size 3: whichever goes second sees a size that is not 3.
        assert sorted(outcomes) == ["cosigned", "refused"]
        size = recorded(state)["size"]
        assert size in (5, 8)
        # Reset to size 3 for the next round.
        (state / STATE_FILE).unlink()
        (state / STATE_FILE).write_text(json.dumps({"version": 1, "name": WITNESS, "logs": {}}))
        cosign(state, log, log.checkpoints[3])


def test_cosign_waits_for_the_lock(state: Path, log: Log) -> None:
    note = log.grow(2, "a")
    fd = os.open(state / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    done = threading.Event()
    thread = threading.Thread(target=lambda: (cosign(state, log, note), done.set()))
    thread.start()
    try:
        assert not done.wait(0.3)  # blocked while another holder has the lock
        assert json.loads((state / STATE_FILE).read_text())["logs"] == {}
    finally:
        os.close(fd)
    thread.join(10)
    assert done.is_set()
    assert recorded(state)["size"] == 2


# --- verify --witness-key --------------------------------------------------------------------


def test_verify_requires_the_cosignature(state: Path, log: Log, tmp_path: Path) -> None:
    cosign(state, log, log.grow(4, "a"))
    result = cosign(state, log, log.grow(6, "a"), log.proof(4))
    witness = witness_key(state)
    fixture = log.fixture

    report = verify_ledger(
        fixture.store, fixture.trust, trusted_checkpoint=result.cosigned, witness_keys=[witness]
    )
    assert report.ok, report.failures
    assert any(f"cosigned by witness {WITNESS}+" in note for note in report.notes)

    report = verify_ledger(fixture.store, fixture.trust, witness_keys=[witness])
    assert [f.reason for f in report.failures] == [WITNESS_MISSING]
    assert "no checkpoint of the ledger (the latest has size 6) carries a cosignature" in (
        report.failures[0].detail
    )
    assert "--add-cosignature" in report.failures[0].detail
    assert "--trusted-checkpoint" in report.failures[0].detail

    plain = log.checkpoints[6]
    report = verify_ledger(
        fixture.store, fixture.trust, trusted_checkpoint=plain, witness_keys=[witness]
    )
    assert [f.reason for f in report.failures] == [WITNESS_MISSING]

    raw = bytearray(result.cosigned)
    raw[-10] = ord("A") if raw[-10] != ord("A") else ord("B")  # inside the cosignature's base64
    report = verify_ledger(
        fixture.store, fixture.trust, trusted_checkpoint=bytes(raw), witness_keys=[witness]
    )
    assert [f.reason for f in report.failures] == [WITNESS_INVALID]
    assert "does not verify over the checkpoint text" in report.failures[0].detail

    second = tmp_path / "w2"
    init_witness(second, "witness.tidegate.test/w2")
    report = verify_ledger(
        fixture.store,
        fixture.trust,
        trusted_checkpoint=result.cosigned,
        witness_keys=[witness, witness_key(second)],
    )
    assert [f.reason for f in report.failures] == [WITNESS_MISSING]
    assert "witness.tidegate.test/w2+" in report.failures[0].detail
    # Both witnesses cosign: both requirements are met.
    both = cosign_checkpoint(second, result.cosigned, log.vkey)
    report = verify_ledger(
        fixture.store,
        fixture.trust,
        trusted_checkpoint=both.cosigned,
        witness_keys=[witness, witness_key(second)],
    )
    assert report.ok, report.failures


def test_the_ledger_stores_cosignatures_with_its_checkpoints(
    state: Path, log: Log, fork: Log, tmp_path: Path
) -> None:
    fixture = log.fixture
    first = cosign(state, log, log.grow(4, "a"))
    witness = witness_key(state)
    stored = store_cosignatures(fixture.store, first.cosigned, [witness], source="cosigned4")
    assert (stored.size, stored.note) == (4, first.cosigned)
    assert stored.witnesses[0][0] == f"{WITNESS}+{witness.key_hash.hex()}"
    # The ledger hands the stored note out again, and verify finds the cosignature in it.
    assert fixture.ledger.checkpoint().note == first.cosigned
    report = verify_ledger(fixture.store, fixture.trust, witness_keys=[witness])
    assert report.ok, report.failures
    assert any("checkpoint of size 4 is cosigned by witness" in n for n in report.notes)

    # The log grows past the witnessed size: still verified, the tail is named as unwitnessed.
    log.grow(6, "a")
    report = verify_ledger(fixture.store, fixture.trust, witness_keys=[witness])
    assert report.ok, report.failures
    assert any("entries 4..5 are not yet witnessed" in n for n in report.notes)

    # A bare cosignature line (witness cosign's stdout) goes to the latest checkpoint.
    second = cosign(state, log, log.checkpoints[6], log.proof(4))
    line = second.signature_line.encode()
    stored = store_cosignatures(fixture.store, line, [witness])
    assert (stored.size, stored.note) == (6, second.cosigned)
    # A second witness's cosignature is added beside the first; re-cosigning replaces a line.
    other = tmp_path / "w2"
    init_witness(other, "witness.tidegate.test/w2")
    both = cosign_checkpoint(other, second.cosigned, log.vkey)
    store_cosignatures(fixture.store, both.cosigned, [witness_key(other)])
    again = cosign(state, log, log.checkpoints[6])
    stored = store_cosignatures(fixture.store, again.cosigned, [witness])
    lines = stored.note.decode().split("\n\n", 1)[1].splitlines()
    assert len(lines) == 3 and lines[0].startswith(f"\u2014 {ORIGIN} ")
    assert lines[1].startswith("\u2014 witness.tidegate.test/w2 ")
    assert lines[2] == again.signature_line.rstrip("\n")
    report = verify_ledger(fixture.store, fixture.trust, witness_keys=[witness, witness_key(other)])
    assert report.ok, report.failures


def test_the_ledger_refuses_cosignatures_it_cannot_check(
    state: Path, log: Log, fork: Log, tmp_path: Path
) -> None:
    store = log.fixture.store
    result = cosign(state, log, log.grow(3, "a"))
    witness = witness_key(state)
    with pytest.raises(UsageError, match="--witness-key"):
        store_cosignatures(store, result.cosigned, [])
    stranger = tmp_path / "w3"
    init_witness(stranger, "witness.tidegate.test/w3")
    with pytest.raises(UsageError, match="carries no cosignature by witness"):
        store_cosignatures(store, result.cosigned, [witness_key(stranger)])
    raw = bytearray(result.cosigned)
    raw[-10] = ord("A") if raw[-10] != ord("A") else ord("B")
    with pytest.raises(LedgerError, match="does not verify"):
        store_cosignatures(store, bytes(raw), [witness])
    # A cosignature of a forked checkpoint of the same size is not this ledger's.
    fork_state = tmp_path / "w4"
    init_witness(fork_state, WITNESS)
    fork_cosigned = cosign_checkpoint(fork_state, fork.grow(3, "b"), fork.vkey).cosigned
    with pytest.raises(LedgerError, match="not the ledger's"):
        store_cosignatures(store, fork_cosigned, [witness_key(fork_state)])
    with pytest.raises(LedgerError, match="no checkpoint of size 9"):
        store_cosignatures(store, result.signature_line.encode(), [witness], size=9)
    with pytest.raises(UsageError, match="neither a cosigned checkpoint"):
        store_cosignatures(store, b"junk", [witness])
    assert store.checkpoint(3).note == log.checkpoints[3]  # type: ignore[union-attr]
    # A stored cosignature that was altered afterwards fails verification.
    store_cosignatures(store, result.cosigned, [witness])
    with store.write() as tx:
        assert tx.replace_checkpoint_note(3, result.cosigned, bytes(raw))
    report = verify_ledger(store, log.fixture.trust, witness_keys=[witness])
    assert [f.reason for f in report.failures] == [WITNESS_INVALID, WITNESS_MISSING]
    assert "the ledger's checkpoint of size 3: witness" in report.failures[0].detail


def test_bundles_carry_the_cosignature_and_verify_requires_it(
    state: Path, log: Log, tmp_path: Path
) -> None:
    fixture = log.fixture
    witness = witness_key(state)
    plain = tmp_path / "plain"
    log.grow(5, "a")
    export_bundle(fixture.ledger, fixture.trust, plain)
    report = verify_bundle(plain, fixture.trust, witness_keys=[witness])
    assert [(f.reason, f.path) for f in report.failures] == [(WITNESS_MISSING, "checkpoint")]
    assert "--add-cosignature" in report.failures[0].detail
    store_cosignatures(fixture.store, cosign(state, log, log.checkpoints[5]).cosigned, [witness])
    cosigned = tmp_path / "cosigned"
    export_bundle(fixture.ledger, fixture.trust, cosigned)
    report = verify_bundle(cosigned, fixture.trust, witness_keys=[witness])
    assert report.ok, report.failures
    assert any("the bundle's checkpoint is cosigned by witness" in n for n in report.notes)
    # Stripping the cosignature from the bundle's checkpoint is named.
    note = (cosigned / "checkpoint").read_bytes()
    (cosigned / "checkpoint").write_bytes(note[: note.rindex("\u2014 ".encode())])
    report = verify_bundle(cosigned, fixture.trust, witness_keys=[witness])
    assert (WITNESS_MISSING, "checkpoint") in {(f.reason, f.path) for f in report.failures}


def test_verify_of_an_empty_ledger_with_a_witness_key(state: Path, log: Log) -> None:
    report = verify_ledger(log.fixture.store, log.fixture.trust, witness_keys=[witness_key(state)])
    assert [f.reason for f in report.failures] == [WITNESS_MISSING]
    assert "has no checkpoint" in report.failures[0].detail


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    from tidegate.cli._app import app

    # Register `tidegate witness` unless _app.py already does (idempotent).
    registered = {
        g.name or (g.typer_instance and g.typer_instance.info.name) for g in app.registered_groups
    }
    if "witness" not in registered:
        app.add_typer(witness_cli.app, name="witness")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    for name in ("TIDEGATE_DIR", "TIDEGATE_LEDGER_URL", "TIDEGATE_KEY", "TIDEGATE_ACTOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return Cli(capsys)


class Cli:
    """Runs `tidegate` in process and captures its streams."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = run(list(args))
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err


def test_cli_witness_flow(cli: Cli, tmp_path: Path) -> None:
    assert cli("init", "--origin", "cli.example/log")[0] == 0
    body = tmp_path / "b.json"
    body.write_text('{"message": "x"}')
    code, out, err = cli("witness", "init", "--state", "w", "--name", "witness.example/w1")
    assert code == 0, err
    assert out.startswith("witness.example/w1+")
    assert "--witness-key" in err
    Path("w.vkey").write_text(out)
    assert cli("witness", "key", "--state", "w")[1] == out
    code, out, _ = cli("keys", "export", "--format", "vkey")
    Path("log.vkey").write_text(out)

    for _ in range(3):
        cli("ledger", "append", "--body", str(body))
    cli("ledger", "checkpoint", "--out", "cp3")
    code, out, err = cli(
        "witness",
        "cosign",
        "--checkpoint",
        "cp3",
        "--log-key",
        "log.vkey",
        "--state",
        "w",
        "--out",
        "cosigned3",
    )
    assert code == 0, err
    assert "trusted on first use" in err
    assert out.startswith("\u2014 witness.example/w1 ") and out.count("\n") == 1
    assert Path("cosigned3").read_bytes() == Path("cp3").read_bytes() + out.encode()

    for _ in range(4):
        cli("ledger", "append", "--body", str(body))
    code, _, err = cli("ledger", "consistency", "--from-checkpoint", "cp3", "--out", "p3")
    assert code == 0, err
    cli("ledger", "checkpoint", "--out", "cp7")
    code, out, err = cli(
        "witness",
        "cosign",
        "--checkpoint",
        "cp7",
        "--log-key",
        "log.vkey",
        "--state",
        "w",
        "--proof",
        "p3",
        "-o",
        "cosigned7",
    )
    assert code == 0, err
    assert "consistent with size 3" in err

    # Rolled back: refused, exit 1, saying why.
    code, out, err = cli(
        "witness", "cosign", "--checkpoint", "cp3", "--log-key", "log.vkey", "--state", "w"
    )
    assert (code, out) == (1, "")
    assert "rollback of cli.example/log from size 7 to 3" in err

    # verify --witness-key: passes with the cosigned checkpoint, fails (named) without it.
    code, out, err = cli(
        "ledger", "verify", "--trusted-checkpoint", "cosigned7", "--witness-key", "w.vkey"
    )
    assert code == 0, out + err
    assert "cosigned by witness witness.example/w1+" in out
    code, out, _ = cli("ledger", "verify", "--witness-key", "w.vkey", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["first_failure"]["reason"] == "witness-missing"
    code, out, _ = cli("ledger", "verify", "--trusted-checkpoint", "cp7", "--witness-key", "w.vkey")
    assert code == 1
    assert "witness-missing" in out

    # Given back to the ledger, the cosignature is kept with its checkpoint: verify finds it,
    # `ledger checkpoint` prints it, exports carry it and bundle verification requires it.
    code, _, err = cli("ledger", "checkpoint", "--add-cosignature", "cosigned7")
    assert code == 2 and "--witness-key" in err
    code, out, err = cli(
        "ledger", "checkpoint", "--add-cosignature", "cosigned7", "--witness-key", "w.vkey"
    )
    assert code == 0, err
    assert out.encode() == Path("cosigned7").read_bytes()
    assert "stored the cosignature by witness witness.example/w1+" in err
    code, out, err = cli("ledger", "verify", "--witness-key", "w.vkey")
    assert code == 0, out + err
    assert "checkpoint of size 7 is cosigned by witness witness.example/w1+" in out
    assert cli("ledger", "checkpoint", "--out", "again")[0] == 0
    assert Path("again").read_bytes() == Path("cosigned7").read_bytes()
    assert cli("ledger", "export", "--out", "bundle")[0] == 0
    args = ("ledger", "verify", "--bundle", "bundle", "--pubkey", "log.vkey")
    code, out, err = cli(*args, "--witness-key", "w.vkey")
    assert code == 0, out + err
    assert "the bundle's checkpoint is cosigned by witness witness.example/w1+" in out
    Path("w2").mkdir()
    code, other, _ = cli("witness", "init", "--state", "w2/s", "--name", "witness.example/w2")
    Path("w2.vkey").write_text(other)
    code, out, _ = cli(*args, "--witness-key", "w.vkey", "--witness-key", "w2.vkey")
    assert code == 1
    assert "witness-missing" in out and "witness.example/w2+" in out


def test_cli_usage_errors_exit_2(cli: Cli, tmp_path: Path) -> None:
    assert cli("witness", "init", "--state", "w", "--name", "witness.example/w1")[0] == 0
    code, vkey, _ = cli("witness", "key", "--state", "w")
    Path("w.vkey").write_text(vkey)
    assert cli("witness", "cosign", "--checkpoint", "x", "--log-key", "y")[0] == 2
    code, _, err = cli(
        "witness", "cosign", "--checkpoint", "missing", "--log-key", "w.vkey", "--state", "w"
    )
    assert code == 2 and "checkpoint missing" in err
    Path("cp").write_text("x")
    code, _, err = cli(
        "witness", "cosign", "--checkpoint", "cp", "--log-key", "w.vkey", "--state", "w"
    )
    assert code == 2 and "log key w.vkey" in err and "type 0x01" in err
    code, _, err = cli("witness", "key", "--state", "nowhere")
    assert code == 2 and "not a witness state directory" in err
    code, _, err = cli("witness", "init", "--state", "w", "--name", "witness.example/w1")
    assert code == 2 and "already holds a witness" in err
    assert cli("init", "--origin", "cli.example/log")[0] == 0
    code, vkey, _ = cli("keys", "export", "--format", "vkey")
    Path("log.vkey").write_text(vkey)
    code, _, err = cli("ledger", "verify", "--witness-key", "log.vkey")
    assert code == 2 and "witness key log.vkey" in err and "type 0x04" in err
    code, _, err = cli(
        "witness", "cosign", "--checkpoint", "cp", "--log-key", "log.vkey", "--state", "w"
    )
    assert code == 1 and "not a checkpoint signed by the log key" in err


def test_cli_runs_as_a_process_with_the_witness_module(tmp_path: Path) -> None:
    # The witness CLI module imports and shows its help on its own.
    result = subprocess.run(
        [sys.executable, "-c", "from tidegate.cli._witness import app; app(['--help'])"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "cosign" in result.stdout


# --- Go: the log's verifier ignores the cosignature; an independent cosignature check --------

COSIGCHECK = r"""
// cosigcheck opens a cosigned checkpoint with golang.org/x/mod/sumdb/note, given the log's
// verifier key and a cosignature/v1 verifier written here from c2sp.org/tlog-cosignature.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

type cosigV1 struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

func (v *cosigV1) Name() string    { return v.name }
func (v *cosigV1) KeyHash() uint32 { return v.hash }
func (v *cosigV1) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	if t > 1<<63-1 {
		return false
	}
	m := append([]byte("cosignature/v1\ntime "+strconv.FormatUint(t, 10)+"\n"), msg...)
	return ed25519.Verify(v.key, m, sig[8:])
}

func newCosigV1(vkey string) (*cosigV1, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("malformed vkey")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x04 {
		return nil, fmt.Errorf("not a cosignature/v1 key")
	}
	h := sha256.Sum256(append([]byte(parts[0]+"\n"), raw...))
	hash := binary.BigEndian.Uint32(h[:4])
	want, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil || uint32(want) != hash {
		return nil, fmt.Errorf("key hash mismatch")
	}
	return &cosigV1{parts[0], hash, ed25519.PublicKey(raw[1:])}, nil
}

func main() {
	var verifiers []note.Verifier
	for _, vkey := range os.Args[2:] {
		if v, err := note.NewVerifier(vkey); err == nil {
			verifiers = append(verifiers, v)
		} else if v, err := newCosigV1(vkey); err == nil {
			verifiers = append(verifiers, v)
		} else {
			fmt.Fprintln(os.Stderr, "cosigcheck: bad key:", vkey, err)
			os.Exit(2)
		}
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "cosigcheck:", err)
		os.Exit(2)
	}
	n, err := note.Open(data, note.VerifierList(verifiers...))
	if err != nil {
		fmt.Fprintln(os.Stderr, "cosigcheck:", err)
		os.Exit(1)
	}
	for _, s := range n.Sigs {
		fmt.Println("verified", s.Name)
	}
	for _, s := range n.UnverifiedSigs {
		fmt.Println("ignored", s.Name)
	}
}
"""


@pytest.fixture(scope="module")
def cosigcheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("cosigcheck")
    (work / "main.go").write_text(COSIGCHECK)
    return build_go(work, work, "cosigcheck")


def go(binary: Path, note: Path, *vkeys: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), str(note), *vkeys], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.go
def test_go_note_open_accepts_the_cosigned_checkpoint(
    cosigcheck: Path, state: Path, log: Log, tmp_path: Path
) -> None:
    cosign(state, log, log.grow(3, "a"))
    result = cosign(state, log, log.grow(7, "a"), log.proof(3))
    path = tmp_path / "cosigned"
    path.write_bytes(result.cosigned)
    log_vkey, witness_vkey = log.vkey.vkey(), _vkey(state)

    only_log = go(cosigcheck, path, log_vkey)
    assert only_log.returncode == 0, only_log.stderr
    assert only_log.stdout == f"verified {ORIGIN}\nignored {WITNESS}\n"

    both = go(cosigcheck, path, log_vkey, witness_vkey)
    assert both.returncode == 0, both.stderr
    assert both.stdout == f"verified {ORIGIN}\nverified {WITNESS}\n"

    raw = bytearray(result.cosigned)
    raw[-10] = ord("A") if raw[-10] != ord("A") else ord("B")
    path.write_bytes(bytes(raw))
    tampered = go(cosigcheck, path, log_vkey, witness_vkey)
    assert tampered.returncode == 1
    assert "invalid signature" in tampered.stderr
    assert go(cosigcheck, path, log_vkey).returncode == 0  # the log's own line is intact
