"""Evidence bundles end to end: export a real ledger, verify the bundle offline, tamper with it.

Bundles are verified by the service, by the CLI functions through a Typer app built here, in a
fresh Python process that has nothing but the bundle and a public key, and (marked `go`) by
tests/go/tilecheck, which uses Go's sumdb/tlog and sumdb/note only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from tests.conftest import LedgerFixture, create_ledger
from tests.golang import build_go
from tidegate._time import parse_time
from tidegate.cli import _app, _export
from tidegate.config import RetentionSettings, load_settings
from tidegate.errors import LedgerError, StoreError, UsageError
from tidegate.home import init_home, open_ledger, rotate_key
from tidegate.ledger.bundle import BundleReport, pubkey_trust, verify_bundle
from tidegate.ledger.entry import Subject
from tidegate.ledger.export import (
    Bound,
    ExportResult,
    Selection,
    blob_path,
    entry_path,
    export_bundle,
    parse_bound,
    proof_path,
)
from tidegate.ledger.keys import SigningKey, generate_key, load_key, public_key_pem
from tidegate.ledger.log import AppendRequest
from tidegate.ledger.note import NoteVerifier
from tidegate.ledger.retention import purge as purge_blobs
from tidegate.ledger.store import sqlite_url
from tidegate.ledger.trust import TrustPolicy
from tidegate.schemas import schema_errors

REPO = Path(__file__).resolve().parents[2]
ORIGIN = "export.tidegate.test/log"


# --- building ledgers and bundles ---------------------------------------------------------------


def body(seq: int) -> dict[str, Any]:
    """A note body; every third names run r<seq % 2>, every fifth a decision."""
    result: dict[str, Any] = {"message": f"entry {seq}: " + "tidegate " * (seq % 7)}
    if seq % 3 == 0:
        result["run_id"] = f"r{seq % 2}"
    if seq % 5 == 0:
        result["decision_id"] = f"d{seq % 4}"
    return result


def grow(fixture: LedgerFixture, count: int, *, blob_every: int = 11, batch: int = 50) -> None:
    """Append ``count`` notes in batches; some carry blobs (a few shared between entries)."""
    start = fixture.ledger.size()
    requests = []
    for seq in range(start, start + count):
        blobs = {}
        if blob_every and seq % blob_every == 0:
            blobs = {"log.txt": f"output of {seq // (2 * blob_every)}\n".encode() * 40}
        requests.append(AppendRequest("note", body(seq), blobs=blobs))
    for i in range(0, len(requests), batch):
        fixture.ledger.append_batch(requests[i : i + batch])


def export(fixture: LedgerFixture, out: Path, **options: Any) -> ExportResult:
    """Export ``fixture``'s ledger to ``out``."""
    return export_bundle(fixture.ledger, fixture.trust, out, **options)


def verify(directory: Path, trust: TrustPolicy, **options: Any) -> BundleReport:
    """Verify a bundle; return the report."""
    return verify_bundle(directory, trust, **options)


def manifest(directory: Path) -> dict[str, Any]:
    """The bundle's manifest (small test bundles only)."""
    return dict(json.loads((directory / "manifest.json").read_text()))


def write_manifest(directory: Path, document: dict[str, Any]) -> None:
    """Rewrite the manifest (pretty-printed: the verifier must not depend on the layout)."""
    (directory / "manifest.json").write_text(json.dumps(document, indent=1))


def record(document: dict[str, Any], path: str) -> dict[str, Any]:
    """The manifest record of ``path``."""
    return dict(next(r for r in document["files"] if r["path"] == path))


def relist(directory: Path, path: str) -> None:
    """Make the manifest agree with the file at ``path`` (an attacker who edits both)."""
    document = manifest(directory)
    data = (directory / path).read_bytes()
    for item in document["files"]:
        if item["path"] == path:
            item["sha256"] = hashlib.sha256(data).hexdigest()
            item["size"] = len(data)
    write_manifest(directory, document)


def flip(path: Path, offset: int) -> None:
    """Flip one bit of the file at ``offset`` (negative: from the end)."""
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def sql(url: str, statement: str, **params: Any) -> list[Any]:
    """Run SQL on a ledger database directly (as an operator or an attacker would)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def sql_purge(url: str, digest: str) -> None:
    """Delete a blob's bytes in SQL (content NULL, purged_at set) without a purge note."""
    sql(
        url,
        "UPDATE blob SET content = NULL, purged_at = :t WHERE sha256 = :d",
        t="2025-06-01T00:00:00.000Z",
        d=digest,
    )


def failures(report: BundleReport) -> set[tuple[str, str | None]]:
    """The (reason, path) of every failure."""
    return {(f.reason, f.path) for f in report.failures}


# --- a shared bundle for the tamper matrix -------------------------------------------------------


@dataclass
class Built:
    """A ledger of 600 entries (two full level-0 tiles and a partial one, a level-1 tile) exported
    with a consistency proof from size 300 and in-toto statements."""

    fixture: LedgerFixture
    bundle: Path
    old_checkpoint: Path
    result: ExportResult


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    directory = tmp_path_factory.mktemp("export")
    fixture = create_ledger(sqlite_url(directory / "ledger.db"), origin=ORIGIN)
    grow(fixture, 300)
    old = directory / "old.checkpoint"
    old.write_bytes(fixture.ledger.checkpoint().note)
    grow(fixture, 300)
    result = export(
        fixture, directory / "bundle", previous_checkpoint=old.read_bytes(), intoto=True
    )
    yield Built(fixture, directory / "bundle", old, result)
    fixture.store.close()


@pytest.fixture
def copy(built: Built, tmp_path: Path) -> Path:
    """A private copy of the shared bundle, to tamper with."""
    target = tmp_path / "copy"
    shutil.copytree(built.bundle, target)
    return target


def test_export_writes_every_part_and_verifies(built: Built) -> None:
    bundle, result = built.bundle, built.result
    assert (result.size, result.entries_exported, result.previous_size) == (600, 600, 300)
    assert result.root_hash == built.fixture.ledger.root_at(600)
    for name in ("README.md", "trust.json", "checkpoint", "previous.checkpoint"):
        assert (bundle / name).is_file()
    assert (
        (bundle / "consistency.proof")
        .read_bytes()
        .startswith(b"tidegate.dev/consistency-proof@v1\nold 300\n")
    )
    tiles = sorted(p.relative_to(bundle).as_posix() for p in (bundle / "tile").rglob("*"))
    tiles = [t for t in tiles if (bundle / t).is_file()]
    assert tiles == [
        "tile/0/000",
        "tile/0/001",
        "tile/0/002.p/88",
        "tile/1/000.p/2",
        "tile/entries/000",
        "tile/entries/001",
        "tile/entries/002.p/88",
    ]
    assert (bundle / entry_path(5)).read_bytes() == built.fixture.store.entry(5).envelope  # type: ignore[union-attr]
    assert entry_path(5) == "entries/005.entry"
    assert proof_path(1234) == "proofs/x001/234.tlog-proof"
    statements = (bundle / "statements.jsonl").read_bytes().splitlines()
    assert len(statements) == 600
    assert json.loads(statements[7])["predicate"]["seq"] == 7
    document = manifest(bundle)
    assert schema_errors(document, "evidence-manifest") == []
    listed = {r["path"] for r in document["files"]}
    on_disk = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    assert listed == on_disk - {"manifest.json"}
    assert document["summary"]["files"] == len(listed)
    assert hashlib.sha256((bundle / "manifest.json").read_bytes()).hexdigest() == (
        result.manifest_sha256
    )
    readme = (bundle / "README.md").read_text()
    assert "tidegate ledger verify --bundle" in readme
    assert "tlog.TileHashReader" in readme

    report = verify(bundle, built.fixture.trust)
    assert report.ok, report.failures[:3]
    assert report.first_failure is None
    assert (report.size, report.root_hash) == (600, result.root_hash)
    assert report.entries_checked == report.entries_exported == report.proofs_checked == 600
    assert report.signatures_checked == 600
    assert report.tiles_checked == 4
    assert report.entry_bundles_checked == 3
    assert report.statements_checked == 600
    assert report.previous_checkpoint_size == 300
    assert report.files_checked == len(listed)
    assert report.blobs_checked == 55 and report.blobs_purged == 0
    assert report.checkpoint_verified and report.windows_enforced


def test_trusted_checkpoint_extension_fork_and_truncation(built: Built, tmp_path: Path) -> None:
    trust = built.fixture.trust
    assert verify(built.bundle, trust, trusted_checkpoint=built.old_checkpoint.read_bytes()).ok
    # A fork: same key and origin, different history. Its checkpoint is not extended.
    fork = create_ledger(sqlite_url(tmp_path / "fork.db"), built.fixture.key, ORIGIN)
    fork.ledger.append(AppendRequest("note", {"message": "another history"}))
    report = verify(built.bundle, trust, trusted_checkpoint=fork.ledger.checkpoint().note)
    assert report.first_failure is not None
    assert report.first_failure.reason == "not-an-extension"
    assert "history was rewritten" in report.first_failure.detail
    # A checkpoint newer than the bundle: the bundle (or the log) is behind what the auditor saw.
    grow(fork, 700)
    report = verify(built.bundle, trust, trusted_checkpoint=fork.ledger.checkpoint().note)
    assert ("truncated", "checkpoint") in failures(report)
    # A trusted checkpoint signed by someone else.
    stranger = create_ledger(sqlite_url(tmp_path / "stranger.db"), origin=ORIGIN)
    report = verify(built.bundle, trust, trusted_checkpoint=stranger.ledger.checkpoint().note)
    assert report.first_failure is not None
    assert report.first_failure.reason == "checkpoint-invalid"
    assert "trusted checkpoint" in report.first_failure.detail
    for f in (fork, stranger):
        f.store.close()


# --- tampering -----------------------------------------------------------------------------------


def _flip_bundle_entry(bundle: Path) -> None:
    # Entry 5 of tile/entries/000: skip the length prefixes of entries 0..4, then flip a payload
    # character well inside the base64 text.
    data = (bundle / "tile/entries/000").read_bytes()
    offset = 0
    for _ in range(5):
        offset += 2 + int.from_bytes(data[offset : offset + 2], "big")
    flip(bundle / "tile/entries/000", offset + 2 + 40)


def _swap_blob(bundle: Path) -> str:
    path = next(r["path"] for r in manifest(bundle)["files"] if r["role"] == "blob")
    (bundle / path).write_bytes(b"a different log\n")
    return str(path)


def _edit_manifest(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def apply(bundle: Path) -> None:
        document = manifest(bundle)
        change(document)
        write_manifest(bundle, document)

    return apply


def _other_digest(document: dict[str, Any]) -> None:
    item = next(r for r in document["files"] if r["path"] == proof_path(7))
    item["sha256"] = "0" * 64


def _hide_entry(document: dict[str, Any]) -> None:
    document["files"] = [r for r in document["files"] if r.get("seq") != 9]


TAMPERING: dict[str, tuple[Callable[[Path], object], str, str | None, int | None]] = {
    # name: (tamper, reason of the first failure, its path, its seq); "bad-signature" stands
    # for either that or "malformed-entry" (a changed payload may no longer parse)
    "entry file": (lambda b: flip(b / entry_path(5), 30), "entry-mismatch", entry_path(5), 5),
    "entry in its bundle": (_flip_bundle_entry, "bad-signature", "tile/entries/000", 5),
    "proof": (lambda b: flip(b / proof_path(7), 40), "proof-invalid", proof_path(7), 7),
    "checkpoint": (lambda b: flip(b / "checkpoint", 30), "checkpoint-invalid", "checkpoint", None),
    "level-0 tile": (lambda b: flip(b / "tile/0/001", 32 * 3), "tile-mismatch", "tile/0/001", 259),
    "level-1 tile": (
        lambda b: flip(b / "tile/1/000.p/2", 40),
        "tile-mismatch",
        "tile/1/000.p/2",
        256,
    ),
    "partial level-0 tile": (
        lambda b: flip(b / "tile/0/002.p/88", -1),
        "tile-mismatch",
        "tile/0/002.p/88",
        599,
    ),
    "entry bundle cut short": (
        lambda b: (b / "tile/entries/001").write_bytes((b / "tile/entries/001").read_bytes()[:-9]),
        "entry-bundle-invalid",
        "tile/entries/001",
        256,
    ),
    "blob": (_swap_blob, "blob-mismatch", None, None),
    "manifest digest": (_edit_manifest(_other_digest), "file-mismatch", proof_path(7), 7),
    "manifest header": (
        _edit_manifest(lambda d: d["checkpoint"].update(size=599)),
        "manifest-invalid",
        "manifest.json",
        None,
    ),
    "manifest syntax": (
        lambda b: (b / "manifest.json").write_text(manifest(b).__repr__()),
        "manifest-invalid",
        "manifest.json",
        None,
    ),
    "manifest hides an entry": (
        _edit_manifest(_hide_entry),
        "selection-mismatch",
        entry_path(9),
        9,
    ),
    "unlisted extra file": (
        lambda b: (b / "entries" / "note.txt").write_text("trust me"),
        "file-unlisted",
        "entries/note.txt",
        None,
    ),
    "missing proof": (lambda b: (b / proof_path(11)).unlink(), "file-missing", proof_path(11), 11),
    "missing README": (lambda b: (b / "README.md").unlink(), "file-missing", "README.md", None),
    "missing manifest": (
        lambda b: (b / "manifest.json").unlink(),
        "file-missing",
        "manifest.json",
        None,
    ),
    "trust file": (
        lambda b: (b / "trust.json").write_text("{}"),
        "trust-file-invalid",
        "trust.json",
        None,
    ),
    "statements": (
        lambda b: flip(b / "statements.jsonl", 100),
        "statements-mismatch",
        "statements.jsonl",
        0,
    ),
    "consistency proof": (
        lambda b: flip(b / "consistency.proof", 50),
        "consistency-invalid",
        "consistency.proof",
        None,
    ),
    "previous checkpoint": (
        lambda b: flip(b / "previous.checkpoint", 30),
        "consistency-invalid",
        "previous.checkpoint",
        None,
    ),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampering_with_any_file_is_detected_and_named(case: str, built: Built, copy: Path) -> None:
    tamper, reason, path, seq = TAMPERING[case]
    returned = tamper(copy)
    if case == "blob":
        path = str(returned)
    report = verify(copy, built.fixture.trust)
    assert not report.ok
    first = report.first_failure
    assert first is not None
    reasons = {reason, "malformed-entry"} if reason == "bad-signature" else {reason}
    assert first.reason in reasons and first.path == path, report.failures[:5]
    if case != "blob":  # a blob's failure is at the first entry referencing it
        assert first.seq == seq, first
    assert path is not None
    assert path in first.detail or first.reason in (
        "entry-bundle-invalid",
        "bad-signature",
        "malformed-entry",
        "tile-mismatch",
    )


@pytest.mark.parametrize(
    ("path", "reason", "seq"),
    [
        (entry_path(5), "entry-mismatch", 5),
        ("tile/0/000", "tile-mismatch", 3),
        ("tile/entries/000", "bad-signature", 5),
        (proof_path(7), "proof-invalid", 7),
    ],
)
def test_tampering_with_the_manifest_updated_too_is_still_detected(
    path: str, reason: str, seq: int, built: Built, copy: Path
) -> None:
    # The manifest is not signed: an attacker can make it agree. The signatures, tiles and
    # checkpoint still catch the change.
    if path == "tile/entries/000":
        _flip_bundle_entry(copy)
    else:
        flip(copy / path, 32 * 3 if path.startswith("tile/") else 40)
    relist(copy, path)
    report = verify(copy, built.fixture.trust)
    first = report.first_failure
    assert first is not None
    reasons = {reason, "malformed-entry"} if reason == "bad-signature" else {reason}
    assert first.reason in reasons and (first.path, first.seq) == (path, seq), first
    assert not any(f.reason == "file-mismatch" for f in report.failures)


def test_a_forged_entry_file_is_refused(built: Built, copy: Path) -> None:
    # An entry signed by another key, with the manifest made to agree.
    intruder = create_ledger(sqlite_url(copy.parent / "intruder.db"), origin=ORIGIN)
    intruder.ledger.append(AppendRequest("note", body(0)))
    forged = intruder.store.entry(0)
    assert forged is not None
    (copy / entry_path(0)).write_bytes(forged.envelope)
    relist(copy, entry_path(0))
    report = verify(copy, built.fixture.trust)
    assert ("entry-mismatch", entry_path(0)) in failures(report)
    assert ("proof-invalid", proof_path(0)) in failures(report)
    intruder.store.close()


def test_a_bundle_checked_with_the_wrong_key_fails(built: Built) -> None:
    stranger = generate_key()
    trust = pubkey_trust(built.bundle, [("k.pem", public_key_pem(stranger.public_key).encode())])
    report = verify(built.bundle, trust)
    assert report.first_failure is not None
    assert (report.first_failure.reason, report.first_failure.seq) == ("unknown-key", 0)
    assert ("checkpoint-invalid", "checkpoint") in failures(report)
    assert not report.checkpoint_verified
    assert report.keys_used == {}


# --- purged blobs, filters, oversized entries ----------------------------------------------------


def test_a_purged_blob_is_listed_and_reported_as_purged(tmp_path: Path) -> None:
    fixture = create_ledger(sqlite_url(tmp_path / "l.db"), origin=ORIGIN)
    ledger = fixture.ledger
    kept, gone = b"kept bytes\n" * 10, b"personal data\n" * 10
    ledger.clock = lambda: "2025-04-01T00:00:00.000Z"
    ledger.append(AppendRequest("note", {"message": "b"}, blobs={"g": gone}))
    ledger.append(AppendRequest("note", {"message": "c"}, blobs={"g": gone}))
    ledger.clock = lambda: "2025-05-02T00:00:00.000Z"
    ledger.append(AppendRequest("note", {"message": "a"}, blobs={"k": kept}))
    ledger.clock = lambda: "2025-06-01T00:00:00.000Z"
    purged = purge_blobs(
        ledger,
        RetentionSettings(),
        before=parse_time("2025-05-01T00:00:00Z"),
        ignore_retention=True,
    )
    digest = hashlib.sha256(gone).hexdigest()
    assert [b.sha256 for b in purged.plan.blobs] == [digest]
    result = export(fixture, tmp_path / "b")
    assert (result.blobs_exported, result.blobs_purged) == (1, 1)
    assert not (tmp_path / "b" / blob_path(digest)).exists()
    item = record(manifest(tmp_path / "b"), blob_path(digest))
    assert item == {
        "path": blob_path(digest),
        "role": "blob",
        "sha256": digest,
        "size": len(gone),
        "purged": True,
        "purged_at": "2025-06-01T00:00:00.000Z",
    }
    report = verify(tmp_path / "b", fixture.trust)
    assert report.ok, report.failures
    assert (report.blobs_checked, report.blobs_purged) == (1, 2)
    assert report.purged == [
        {"sha256": digest, "size": len(gone), "seq": 0, "purged_at": "2025-06-01T00:00:00.000Z"}
    ]
    assert "purged: blob " + digest in _export.render_bundle_report(report)
    # Without the manifest's word that it was purged, a missing blob is a failure.
    _edit_manifest(lambda d: d.update(files=[r for r in d["files"] if not r.get("purged")]))(
        tmp_path / "b"
    )
    report = verify(tmp_path / "b", fixture.trust)
    assert ("blob-missing", blob_path(digest)) in failures(report)
    # A blob listed as purged that is present anyway is flagged.
    shutil.rmtree(tmp_path / "b")
    export(fixture, tmp_path / "b")
    (tmp_path / "b" / blob_path(digest)).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "b" / blob_path(digest)).write_bytes(gone)
    report = verify(tmp_path / "b", fixture.trust)
    assert ("file-mismatch", blob_path(digest)) in failures(report)
    # Bytes deleted behind the ledger's back (no signed purge note): listed as purged by the
    # export, reported as missing by the verifier, as `ledger verify` does (SPEC 15.3).
    kept_digest = hashlib.sha256(kept).hexdigest()
    sql_purge(fixture.url, kept_digest)
    result = export(fixture, tmp_path / "c")
    assert result.blobs_purged == 2
    report = verify(tmp_path / "c", fixture.trust)
    assert report.first_failure is not None
    assert (report.first_failure.reason, report.first_failure.path) == (
        "blob-missing",
        blob_path(kept_digest),
    )
    assert "no retention.purge note" in report.first_failure.detail
    assert report.blobs_purged == 2
    fixture.store.close()


def test_filters_select_by_seq_time_run_and_decision(tmp_path: Path) -> None:
    fixture = create_ledger(sqlite_url(tmp_path / "l.db"), origin=ORIGIN)
    ledger = fixture.ledger
    for day in range(1, 5):
        ledger.clock = lambda day=day: f"2025-03-0{day}T12:00:00.000Z"
        grow(fixture, 10, blob_every=0)
    ledger.append(
        AppendRequest(
            "note",
            {"message": "tagged by subject"},
            subjects=[Subject("run_id:r9", "ab" * 32), Subject("decision_id:d9", "cd" * 32)],
        )
    )
    cases = {
        "seq": (
            Selection(
                since=parse_bound("5", option="--since"), until=parse_bound("12", option="--until")
            ),
            set(range(5, 12)),
        ),
        "date": (
            Selection(
                since=parse_bound("2025-03-02", option="--since"),
                until=parse_bound("2025-03-04T00:00:00+00:00", option="--until"),
            ),
            set(range(10, 30)),
        ),
        "run": (Selection(run_id="r0"), {s for s in range(40) if s % 3 == 0 and s % 2 == 0}),
        "decision": (
            Selection(decision_id="d1"),
            {s for s in range(40) if s % 5 == 0 and s % 4 == 1},
        ),
        "run and since": (
            Selection(since=parse_bound("20", option="--since"), run_id="r1"),
            {s for s in range(20, 40) if s % 3 == 0 and s % 2 == 1},
        ),
        "subject": (Selection(run_id="r9", decision_id="d9"), {40}),
        "nothing": (Selection(run_id="no such run"), set()),
    }
    for name, (selection, expected) in cases.items():
        out = tmp_path / name.replace(" ", "-")
        result = export(fixture, out, selection=selection)
        exported = {r["seq"] for r in manifest(out)["files"] if r["role"] == "entry"}
        assert exported == expected, name
        assert result.entries_exported == len(expected)
        assert manifest(out)["selection"] == selection.as_json()
        report = verify(out, fixture.trust)
        assert report.ok, (name, report.failures[:3])
        assert report.entries_checked == 41 and report.entries_exported == len(expected)
        assert report.selection == selection.describe()
    # An export that leaves out an entry its selection matches is caught.
    out = tmp_path / "run"
    _edit_manifest(lambda d: d.update(files=[r for r in d["files"] if r.get("seq") != 6]))(out)
    (out / entry_path(6)).unlink()
    (out / proof_path(6)).unlink()
    report = verify(out, fixture.trust)
    assert report.first_failure is not None
    assert (report.first_failure.reason, report.first_failure.seq) == ("selection-mismatch", 6)
    # ...and so is a selection edited to match what was exported.
    out = tmp_path / "seq"
    _edit_manifest(lambda d: d["selection"].update(until={"seq": 11}))(out)
    report = verify(out, fixture.trust)
    assert ("selection-mismatch", entry_path(11)) in failures(report)
    fixture.store.close()


@pytest.mark.parametrize(
    "text", ["", "-1", "01x", "2025-13-01", "yesterday", "2025-01-02T03:04:05"]
)
def test_bad_bounds_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="--since"):
        parse_bound(text, option="--since")


def test_bounds() -> None:
    assert parse_bound("0", option="--since").seq == 0
    assert parse_bound("2025-01-02", option="--since").time == "2025-01-02T00:00:00.000Z"
    assert parse_bound("2025-01-02T03:04:05+02:00", option="--until").time == (
        "2025-01-02T01:04:05.000Z"
    )


def test_an_entry_too_big_for_an_entry_bundle_is_exported_beside_it(tmp_path: Path) -> None:
    fixture = create_ledger(sqlite_url(tmp_path / "l.db"), origin=ORIGIN)
    grow(fixture, 300, blob_every=0)
    fixture.ledger.append(AppendRequest("note", {"message": "é" * 30_000}))  # ~80 KB entry
    grow(fixture, 5, blob_every=0)
    envelope = fixture.store.entry(300).envelope  # type: ignore[union-attr]
    assert len(envelope) > 65535
    result = export(fixture, tmp_path / "b", selection=Selection(run_id="r1"))
    assert [o["path"] for o in result.bundles_omitted] == ["tile/entries/001.p/50"]
    bundle = tmp_path / "b"
    assert not (bundle / "tile/entries/001.p/50").exists()
    extras = [r for r in manifest(bundle)["files"] if r.get("selected") is False]
    assert sorted(r["seq"] for r in extras) == [
        s for s in range(256, 306) if not (s % 3 == 0 and s % 2 == 1)
    ]
    assert (bundle / entry_path(300)).read_bytes() == envelope
    report = verify(bundle, fixture.trust)
    assert report.ok, report.failures[:3]
    assert report.entries_checked == 306
    assert "65535" in (bundle / "README.md").read_text()
    # The extras are the log too: tampering with one is caught like a bundle entry.
    flip(bundle / entry_path(301), 40)
    report = verify(bundle, fixture.trust)
    assert report.first_failure is not None
    assert (report.first_failure.seq, report.first_failure.path) == (301, entry_path(301))
    fixture.store.close()


# --- what export refuses -------------------------------------------------------------------------


def test_export_refuses_a_damaged_ledger_and_leaves_nothing(tmp_path: Path) -> None:
    fixture = create_ledger(sqlite_url(tmp_path / "l.db"), origin=ORIGIN)
    grow(fixture, 40, blob_every=0)
    fixture.ledger.checkpoint()
    envelope = fixture.store.entry(17).envelope  # type: ignore[union-attr]
    sql(fixture.url, "UPDATE entry SET envelope = :e WHERE seq = 17", e=envelope + b" ")
    with pytest.raises(StoreError, match="leaf 17 does not match entry 17"):
        export(fixture, tmp_path / "b")
    assert not (tmp_path / "b").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".b")] == []
    sql(fixture.url, "UPDATE entry SET envelope = :e WHERE seq = 17", e=envelope)
    blob_ledger = create_ledger(sqlite_url(tmp_path / "m.db"), origin=ORIGIN)
    blob_ledger.ledger.append(AppendRequest("note", {"message": "x"}, blobs={"b": b"bytes"}))
    sql(blob_ledger.url, "UPDATE blob SET content = :c", c=b"other")
    with pytest.raises(StoreError, match="does not match its digest"):
        export(blob_ledger, tmp_path / "c")
    for f in (fixture, blob_ledger):
        f.store.close()


def test_export_refuses_a_non_empty_target_and_a_foreign_previous_checkpoint(
    tmp_path: Path,
) -> None:
    fixture = create_ledger(sqlite_url(tmp_path / "l.db"), origin=ORIGIN)
    grow(fixture, 3, blob_every=0)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(UsageError, match="not an empty directory"):
        export(fixture, tmp_path / "full")
    (tmp_path / "empty").mkdir()
    assert export(fixture, tmp_path / "empty").entries_exported == 3
    fork = create_ledger(sqlite_url(tmp_path / "f.db"), fixture.key, ORIGIN)
    grow(fork, 2, blob_every=0)
    fork.ledger.append(AppendRequest("note", {"message": "diverges"}))
    with pytest.raises(LedgerError, match="does not extend the previous checkpoint"):
        export(fixture, tmp_path / "x", previous_checkpoint=fork.ledger.checkpoint().note)
    stranger = create_ledger(sqlite_url(tmp_path / "s.db"), origin=ORIGIN)
    with pytest.raises(UsageError, match="previous checkpoint"):
        export(fixture, tmp_path / "y", previous_checkpoint=stranger.ledger.checkpoint().note)
    grow(fork, 5, blob_every=0)
    with pytest.raises(UsageError, match="more than the"):
        export(fixture, tmp_path / "z", previous_checkpoint=fork.ledger.checkpoint().note)
    for f in (fixture, fork, stranger):
        f.store.close()


def test_an_empty_ledger_exports_and_verifies(tmp_path: Path) -> None:
    fixture = create_ledger(sqlite_url(tmp_path / "l.db"), origin=ORIGIN)
    result = export(fixture, tmp_path / "b")
    assert (result.size, result.tiles, result.entries_exported) == (0, 0, 0)
    report = verify(tmp_path / "b", fixture.trust)
    assert report.ok, report.failures
    assert report.root_hash == hashlib.sha256(b"").digest()
    fixture.store.close()


def test_read_only_export_uses_the_latest_checkpoint(tmp_path: Path) -> None:
    fixture = create_ledger(sqlite_url(tmp_path / "l.db"), origin=ORIGIN)
    grow(fixture, 10, blob_every=0)
    fixture.ledger.signer = None
    with pytest.raises(LedgerError, match="no checkpoint"):
        export(fixture, tmp_path / "a")
    fixture.ledger.signer = fixture.key
    fixture.ledger.checkpoint()
    grow(fixture, 5, blob_every=0)
    fixture.ledger.signer = None
    result = export(fixture, tmp_path / "b")
    assert (result.size, result.entries_exported) == (10, 10)
    assert verify(tmp_path / "b", fixture.trust).ok
    fixture.store.close()


def test_parallel_verification_reports_what_serial_does(tmp_path: Path) -> None:
    # Above verify.PARALLEL_THRESHOLD entries the checks run on worker processes.
    fixture = create_ledger(sqlite_url(tmp_path / "l.db"), origin=ORIGIN)
    grow(fixture, 4200, blob_every=97, batch=1000)
    bundle = tmp_path / "b"
    result = export(fixture, bundle, selection=Selection(run_id="r1"), intoto=True)
    assert result.entries_exported == 700
    serial = verify(bundle, fixture.trust, workers=1)
    parallel = verify(bundle, fixture.trust, workers=2)
    assert serial.ok and parallel.ok, (serial.failures[:3], parallel.failures[:3])
    assert serial.as_json() == parallel.as_json()
    assert parallel.entries_checked == 4200 and parallel.proofs_checked == 700
    flip(bundle / entry_path(3003), 40)
    _flip_bundle_entry(bundle)
    flip(bundle / "tile/0/010", 3)
    serial = verify(bundle, fixture.trust, workers=1)
    parallel = verify(bundle, fixture.trust, workers=2)
    assert serial.as_json() == parallel.as_json()
    found = {(f.seq, f.reason, f.path) for f in parallel.failures}
    assert (3003, "entry-mismatch", entry_path(3003)) in found
    assert (3003, "proof-invalid", proof_path(3003)) in found
    assert (2560, "tile-mismatch", "tile/0/010") in found
    assert parallel.first_failure is not None
    assert (parallel.first_failure.seq, parallel.first_failure.path) == (5, "tile/entries/000")
    fixture.store.close()


# --- both backends, property test ----------------------------------------------------------------


def test_export_and_verify_on_each_backend(fresh_ledger: LedgerFixture, tmp_path: Path) -> None:
    grow(fresh_ledger, 270)
    old = fresh_ledger.ledger.checkpoint().note
    grow(fresh_ledger, 30)
    result = export(
        fresh_ledger,
        tmp_path / "b",
        selection=Selection(since=parse_bound("100", option="--since")),
        previous_checkpoint=old,
    )
    assert result.entries_exported == 200
    report = verify(tmp_path / "b", fresh_ledger.trust, trusted_checkpoint=old)
    assert report.ok, report.failures[:3]
    assert report.previous_checkpoint_size == report.trusted_checkpoint_size == 270


_bodies = st.fixed_dictionaries(
    {"message": st.text(min_size=1, max_size=40)},
    optional={
        "run_id": st.sampled_from(["a", "b"]),
        "labels": st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    },
)
_requests = st.lists(
    st.tuples(
        _bodies, st.dictionaries(st.sampled_from(["x", "y"]), st.binary(max_size=64), max_size=2)
    ),
    max_size=300,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    requests=_requests,
    batch=st.integers(min_value=1, max_value=300),
    run=st.sampled_from([None, "a"]),
    since=st.integers(min_value=0, max_value=320),
)
def test_random_ledgers_export_and_verify(
    tmp_path_factory: pytest.TempPathFactory,
    requests: list[tuple[dict[str, Any], dict[str, bytes]]],
    batch: int,
    run: str | None,
    since: int,
) -> None:
    directory = tmp_path_factory.mktemp("prop")
    fixture = create_ledger(sqlite_url(directory / "l.db"), origin=ORIGIN)
    appends = [AppendRequest("note", b, blobs=blobs) for b, blobs in requests]
    for i in range(0, len(appends), batch):
        fixture.ledger.append_batch(appends[i : i + batch])
    selection = Selection(since=parse_bound(str(since), option="--since"), run_id=run)
    result = export(fixture, directory / "b", selection=selection, intoto=True)
    expected = [
        i
        for i, (b, _) in enumerate(requests)
        if i >= since and (run is None or b.get("run_id") == run)
    ]
    assert result.entries_exported == len(expected)
    report = verify(directory / "b", fixture.trust)
    assert report.ok, report.failures[:3]
    assert (report.size, report.entries_exported) == (len(requests), len(expected))
    assert report.statements_checked == len(expected)
    fixture.store.close()
    shutil.rmtree(directory)


# --- the CLI and a fresh process -----------------------------------------------------------------


def cli_app() -> typer.Typer:
    """The tidegate app itself: export and `ledger verify --bundle` as users run them."""
    return _app.app


@dataclass
class Project:
    """A tidegate home (init_home) with a rotated key and a ledger of 60 entries."""

    root: Path
    pubkeys: list[Path]
    vkeys: list[str]

    @property
    def home(self) -> Path:
        return self.root / ".tidegate"

    def invoke(self, *args: str) -> Any:
        return CliRunner().invoke(cli_app(), ["--dir", str(self.home), *args])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    for name in ("TIDEGATE_DIR", "TIDEGATE_LEDGER_URL", "TIDEGATE_KEY", "TIDEGATE_ACTOR", "CI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CI", "1")  # no progress bar in tests
    init = init_home(tmp_path, origin=ORIGIN)
    settings = load_settings(init.home)
    keys: list[SigningKey] = [load_key(settings.key_path)]

    def append(count: int) -> None:
        ledger = open_ledger(load_settings(init.home), writable=True)
        try:
            start = ledger.size()
            ledger.append_batch(
                [AppendRequest("note", body(s)) for s in range(start, start + count)]
            )
        finally:
            ledger.store.close()

    append(30)
    rotated = rotate_key(settings, reason="test")
    keys.append(load_key(load_settings(init.home).key_path))
    assert keys[1].keyid == rotated.new_keyid
    append(29)
    pubkeys = []
    for i, key in enumerate(keys):
        path = tmp_path / f"key{i}.pem"
        path.write_text(public_key_pem(key.public_key))
        pubkeys.append(path)
    vkeys = [NoteVerifier(ORIGIN, k.public_key).vkey() for k in keys]
    return Project(tmp_path, pubkeys, vkeys)


def test_cli_export_and_verify_bundle(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    result = project.invoke(
        "ledger", "export", "--out", str(out), "--format", "intoto", "--run", "r0"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{out}\n"
    assert "manifest sha256 " in result.stderr
    assert "exported 9 of 60 entries (run_id 'r0')" in result.stderr
    assert (out / "statements.jsonl").is_file()
    keys = [a for p in project.pubkeys for a in ("--pubkey", str(p))]
    result = project.invoke("ledger", "verify", "--bundle", str(out), *keys)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"bundle verified: {out}: log {ORIGIN}, 60 entries, root ")
    assert "(key validity windows not enforced)" in result.stdout
    result = project.invoke(
        "ledger",
        "verify",
        "--bundle",
        str(out),
        "--trust",
        str(project.home / "trust.json"),
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["windows_enforced"] and report["entries_exported"] == 9
    assert len(report["keys_used"]) == 2 and report["signatures_checked"] == 61
    # One key alone: the entries signed by the other one are unknown-key.
    result = project.invoke(
        "ledger", "verify", "--bundle", str(out), "--pubkey", str(project.pubkeys[0])
    )
    assert result.exit_code == 1
    flip(out / "tile/0/000.p/60", 5)
    result = project.invoke("ledger", "verify", "--bundle", str(out), *keys)
    assert result.exit_code == 1
    assert result.stdout.startswith(
        "bundle verification FAILED at entry 0 (tile/0/000.p/60): tile-mismatch: "
    )


def test_cli_usage_errors(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    result = project.invoke("ledger", "export", "--out", str(out), "--since", "last week")
    assert isinstance(result.exception, UsageError)
    assert project.invoke("ledger", "export", "--out", str(out)).exit_code == 0
    result = project.invoke("ledger", "export", "--out", str(out))
    assert isinstance(result.exception, UsageError)
    result = project.invoke("ledger", "verify", "--bundle", str(out))
    assert isinstance(result.exception, UsageError)
    assert "--pubkey" in str(result.exception)
    result = project.invoke(
        "ledger",
        "verify",
        "--bundle",
        str(out),
        "--pubkey",
        str(project.pubkeys[0]),
        "--trust",
        "t.json",
    )
    assert isinstance(result.exception, UsageError)
    result = project.invoke("ledger", "verify", "--bundle", str(tmp_path / "nope"), "--pubkey", "k")
    assert isinstance(result.exception, UsageError)


def test_bundle_verifies_in_a_fresh_process_with_only_a_public_key(
    project: Project, tmp_path: Path
) -> None:
    out = tmp_path / "bundle"
    assert project.invoke("ledger", "export", "--out", str(out)).exit_code == 0
    elsewhere = tmp_path / "auditor"
    elsewhere.mkdir()
    shutil.move(str(out), elsewhere / "bundle")
    for key in project.pubkeys:
        shutil.copy(key, elsewhere)
    code = (
        "import sys, typer\n"
        "from pathlib import Path\n"
        "from tidegate.cli._export import run_bundle_verify\n"
        "try:\n"
        "    run_bundle_verify(Path('bundle'), pubkey=[Path('key0.pem'), Path('key1.pem')],"
        " trust=None, trusted_checkpoint=None, output='json', workers=2)\n"
        "except typer.Exit as exc:\n"
        "    sys.exit(exc.exit_code)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDEGATE_")}
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr + run.stdout
    report = json.loads(run.stdout)
    assert report["ok"] and report["size"] == 60 and report["entries_exported"] == 60
    assert report["keys_used"] and len(report["keys_used"]) == 2
    flip(elsewhere / "bundle" / entry_path(40), 50)
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1
    assert json.loads(run.stdout)["first_failure"]["path"] == entry_path(40)


# --- Go's sumdb/tlog -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tilecheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build tests/go/tilecheck once (offline, GOPATH mode); skip if Go is missing."""
    return build_go(
        REPO / "tests" / "go" / "tilecheck", tmp_path_factory.mktemp("tilecheck"), "tilecheck"
    )


def tilecheck_run(binary: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run tilecheck."""
    return subprocess.run(
        [str(binary), *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.go
def test_go_reads_and_verifies_the_tiles_and_proofs(
    tilecheck: Path, built: Built, copy: Path
) -> None:
    vkey = NoteVerifier(ORIGIN, built.fixture.key.public_key).vkey()
    result = tilecheck_run(tilecheck, vkey, built.bundle)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert (report["size"], report["root"]) == (600, built.result.root_hash.hex())
    assert report["tiles_checked"] == 4 and report["bundles_checked"] == 3
    assert report["bundle_entries_checked"] == 600
    assert report["records_checked"] == report["proofs_checked"] == 600
    assert report["consistent_from"] == report["consistency_proof_from"] == 300
    # Negative controls: Go notices each kind of tampering too.
    for path, offset, message in (
        ("tile/1/000.p/2", 3, "tree hash from tiles: downloaded inconsistent tile"),
        ("tile/0/001", 70, "tile tile/0/001 does not match the tree recomputed"),
        ("tile/entries/002.p/88", -3, "the entry bundles hash to"),
        ("checkpoint", 30, "checkpoint: "),
        ("proofs/007.tlog-proof", 40, "proofs/007.tlog-proof"),
    ):
        broken = copy.parent / f"broken-{path.replace('/', '_')}"
        shutil.copytree(built.bundle, broken)
        flip(broken / path, offset)
        result = tilecheck_run(tilecheck, vkey, broken)
        assert result.returncode == 1, (path, result.stdout)
        assert message in result.stderr, result.stderr
    stranger = NoteVerifier(ORIGIN, generate_key().public_key).vkey()
    assert tilecheck_run(tilecheck, stranger, built.bundle).returncode == 1


@pytest.mark.go
def test_go_verifies_a_filtered_export_and_a_rotated_log(
    tilecheck: Path, project: Project, tmp_path: Path
) -> None:
    out = tmp_path / "bundle"
    assert (
        project.invoke(
            "ledger", "export", "--out", str(out), "--since", "20", "--until", "45"
        ).exit_code
        == 0
    )
    for vkey in project.vkeys:  # checkpoints are signed by the current key only
        result = tilecheck_run(tilecheck, vkey, out)
        if vkey == project.vkeys[-1]:
            assert result.returncode == 0, result.stderr
            report = json.loads(result.stdout)
            assert report["records_checked"] == report["proofs_checked"] == 25
            assert report["bundle_entries_checked"] == 60
        else:
            assert result.returncode == 1


def test_schema_of_the_manifest_rejects_bad_records(built: Built) -> None:
    document = manifest(built.bundle)
    bad = json.loads(json.dumps(document))
    bad["files"][0]["path"] = "../escape"
    bad["files"][1]["purged"] = True
    bad["files"][2].pop("sha256")
    errors = schema_errors(bad, "evidence-manifest")
    assert any("$.files[0].path" in e for e in errors)
    assert any("$.files[2]" in e and "sha256" in e for e in errors)


def test_a_forged_unselected_entry_file_is_named(tmp_path: Path) -> None:
    fixture = create_ledger(sqlite_url(tmp_path / "ledger.db"), origin=ORIGIN)
    try:
        grow(fixture, 20)
        bundle = tmp_path / "bundle"
        export(fixture, bundle, selection=Selection(since=Bound(seq=10)))
    finally:
        fixture.store.close()
    forged = entry_path(5)
    (bundle / forged).parent.mkdir(parents=True, exist_ok=True)
    (bundle / forged).write_bytes(b"forged")
    document = manifest(bundle)
    document["files"].append(
        {
            "path": forged,
            "role": "entry",
            "seq": 5,
            "sha256": hashlib.sha256(b"forged").hexdigest(),
            "size": 6,
            "selected": False,
        }
    )
    write_manifest(bundle, document)
    report = verify(bundle, fixture.trust)
    assert not report.ok
    assert ("entry-mismatch", forged) in failures(report)


@pytest.mark.parametrize("hostile", ["2" * 5000, "[" * 100_000, str(2**70)])
def test_hostile_manifest_numbers_and_nesting_are_named(
    copy: Path, built: Built, hostile: str
) -> None:
    text = (copy / "manifest.json").read_text()
    tampered = re.sub(r'"size":\s*', f'"size": {hostile}, "x": ', text, count=1)
    assert tampered != text
    (copy / "manifest.json").write_text(tampered)
    report = verify(copy, built.fixture.trust)
    assert not report.ok
    assert report.first_failure is not None


# --- entry bundles listed as omitted: the exporter's word is not taken -----------------------------


@pytest.fixture
def small(tmp_path: Path) -> Iterator[tuple[LedgerFixture, Path]]:
    """A 300-entry ledger exported from seq 280 on: entries 0..279 are only in the bundles."""
    fixture = create_ledger(sqlite_url(tmp_path / "l.db"), origin=ORIGIN)
    grow(fixture, 300, blob_every=0)
    bundle = tmp_path / "b"
    export(fixture, bundle, selection=Selection(since=Bound(seq=280)))
    yield fixture, bundle
    fixture.store.close()


def _omit(bundle: Path, fixture: LedgerFixture, *, stand_ins: bool) -> str:
    """Delete entry bundle 000 and list it as omitted, optionally with entry files for it."""
    path = "tile/entries/000"
    (bundle / path).unlink()
    document = manifest(bundle)
    document["files"] = [r for r in document["files"] if r["path"] != path]
    document["summary"]["entry_bundles_omitted"].append(
        {"path": path, "reason": "entry 3 is 70000 bytes; entry bundles hold at most 65535"}
    )
    if stand_ins:
        for seq in range(256):
            envelope = fixture.store.entry(seq).envelope  # type: ignore[union-attr]
            (bundle / entry_path(seq)).parent.mkdir(parents=True, exist_ok=True)
            (bundle / entry_path(seq)).write_bytes(envelope)
            document["files"].append(
                {
                    "path": entry_path(seq),
                    "role": "entry",
                    "seq": seq,
                    "sha256": hashlib.sha256(envelope).hexdigest(),
                    "size": len(envelope),
                    "selected": False,
                }
            )
    write_manifest(bundle, document)
    return path


def test_an_entry_bundle_left_out_without_an_oversized_entry_is_named(
    small: tuple[LedgerFixture, Path],
) -> None:
    fixture, bundle = small
    path = _omit(bundle, fixture, stand_ins=True)
    report = verify(bundle, fixture.trust)
    assert failures(report) == {("file-missing", path)}
    first = report.first_failure
    assert first is not None and first.seq == 0
    assert "listed as omitted, but none of entries 0..255 is over 65535 bytes" in first.detail


def test_a_tampered_entry_hidden_behind_an_omitted_bundle_is_named(
    small: tuple[LedgerFixture, Path],
) -> None:
    fixture, bundle = small
    path = _omit(bundle, fixture, stand_ins=True)
    flip(bundle / entry_path(7), 40)
    relist(bundle, entry_path(7))
    report = verify(bundle, fixture.trust)
    assert ("file-missing", path) in failures(report)
    at_7 = {(f.reason, f.path) for f in report.failures if f.seq == 7}
    assert ("malformed-entry", entry_path(7)) in at_7, report.failures
    assert ("tile-mismatch", "tile/0/000") in at_7, report.failures


def test_a_deleted_bundle_listed_as_omitted_leaves_its_entries_missing(
    small: tuple[LedgerFixture, Path],
) -> None:
    fixture, bundle = small
    _omit(bundle, fixture, stand_ins=False)
    report = verify(bundle, fixture.trust)
    first = report.first_failure
    assert first is not None
    assert (first.seq, first.reason, first.path) == (0, "missing-entry", entry_path(0))
    assert not report.root_hash


def test_an_unselected_entry_file_needs_an_omitted_bundle(
    small: tuple[LedgerFixture, Path],
) -> None:
    fixture, bundle = small
    envelope = fixture.store.entry(5).envelope  # type: ignore[union-attr]
    (bundle / entry_path(5)).parent.mkdir(parents=True, exist_ok=True)
    (bundle / entry_path(5)).write_bytes(envelope)
    document = manifest(bundle)
    document["files"].append(
        {
            "path": entry_path(5),
            "role": "entry",
            "seq": 5,
            "sha256": hashlib.sha256(envelope).hexdigest(),
            "size": len(envelope),
            "selected": False,
        }
    )
    write_manifest(bundle, document)
    report = verify(bundle, fixture.trust)
    assert failures(report) == {("selection-mismatch", entry_path(5))}
    assert "its entry bundle tile/entries/000 was not left out" in report.failures[0].detail
