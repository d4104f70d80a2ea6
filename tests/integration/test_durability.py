"""Crash safety (SIGKILL mid-append) and concurrent writers, on real SQLite and PostgreSQL."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import create_ledger
from tidegate.ledger.entry import parse_entry
from tidegate.ledger.keys import write_key
from tidegate.ledger.verify import verify_ledger

ROOT = Path(__file__).resolve().parents[2]
KILLS = 24


def spawn(url: str, key_file: Path, origin: str, count: int, tag: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.appender",
            url,
            str(key_file),
            origin,
            str(count),
            tag,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def entry_messages(store: object) -> dict[int, str]:
    from tidegate.ledger.store import LedgerStore

    assert isinstance(store, LedgerStore)
    return {
        e.seq: parse_entry(e.envelope).body["message"] for chunk in store.entries() for e in chunk
    }


def test_sigkill_mid_append_loses_no_acknowledged_entry(ledger_url: str, tmp_path: Path) -> None:
    fixture = create_ledger(ledger_url)
    key_file = write_key(fixture.key, tmp_path / "signing.pem")
    rng = random.Random(20261123)
    acknowledged: dict[int, str] = {}
    for round_number in range(KILLS):
        child = spawn(ledger_url, key_file, fixture.ledger.origin, 0, f"r{round_number}")
        assert child.stdout is not None
        target = rng.randint(1, 40)
        lines = 0
        while lines < target:
            line = child.stdout.readline()
            assert line, f"appender died on its own: {child.stderr.read() if child.stderr else ''}"
            seq, message = line.split()
            acknowledged[int(seq)] = message
            lines += 1
        child.send_signal(signal.SIGKILL)
        child.wait()
        # Acknowledgements the child wrote before it died count too: they were durable.
        for line in child.stdout.read().splitlines():
            seq, message = line.split()
            acknowledged[int(seq)] = message
        assert child.returncode == -signal.SIGKILL
    stored = entry_messages(fixture.store)
    for seq, message in acknowledged.items():
        assert stored.get(seq) == message, f"acknowledged entry {seq} ({message}) was lost"
    assert sorted(stored) == list(range(len(stored)))
    fixture.ledger.checkpoint()
    report = verify_ledger(fixture.store, fixture.trust)
    assert report.ok, report.failures[:5]
    assert report.size == len(stored) >= len(acknowledged)
    fixture.store.close()


def test_eight_concurrent_writers_get_contiguous_sequence_numbers(
    ledger_url: str, tmp_path: Path
) -> None:
    fixture = create_ledger(ledger_url)
    key_file = write_key(fixture.key, tmp_path / "signing.pem")
    writers = [spawn(ledger_url, key_file, fixture.ledger.origin, 250, f"w{i}") for i in range(8)]
    outputs = []
    for writer in writers:
        out, err = writer.communicate(timeout=600)
        assert writer.returncode == 0, err
        outputs.append(out.splitlines())
    seqs = [int(line.split()[0]) for out in outputs for line in out]
    assert sorted(seqs) == list(range(2000))
    for out in outputs:  # each writer saw its own appends in increasing order
        own = [int(line.split()[0]) for line in out]
        assert own == sorted(own)
    stored = entry_messages(fixture.store)
    assert sorted(stored) == list(range(2000))
    assert sorted(stored.values()) == sorted(f"w{i}-{n}" for i in range(8) for n in range(250))
    fixture.ledger.checkpoint()
    report = verify_ledger(fixture.store, fixture.trust)
    assert report.ok, report.failures[:5]
    assert report.size == 2000
    fixture.store.close()


def test_a_batch_failing_mid_transaction_leaves_nothing(tmp_path: Path) -> None:
    from tidegate.errors import LedgerError
    from tidegate.ledger.log import AppendRequest
    from tidegate.ledger.store import sqlite_url

    fixture = create_ledger(sqlite_url(tmp_path / "ledger.db"))
    fixture.ledger.append(AppendRequest("note", {"message": "kept"}))
    with pytest.raises(LedgerError):
        fixture.ledger.append_batch(
            [
                AppendRequest("note", {"message": "a"}),
                AppendRequest("note", {"message": "b", "n": 2**64}),
            ]
        )
    assert fixture.ledger.size() == 1
    fixture.ledger.append(AppendRequest("note", {"message": "after"}))
    assert verify_ledger(fixture.store, fixture.trust).ok
    fixture.store.close()
