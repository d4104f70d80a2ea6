"""Completeness findings: is the ledger's story whole? On real ledgers, plain and exported.

Runs (`run.started`/`run.finished`) come with the sandbox, a later version: the ledger here is
made to accept them, as that writer will. Gate entries use schema-valid bodies from
tests/data/gate and the real default policy files as `policy.loaded` blobs.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import LedgerFixture, create_ledger
from tidegate._time import format_time
from tidegate.cli import _app
from tidegate.config import RetentionSettings, load_settings
from tidegate.home import init_home, open_ledger
from tidegate.ledger.bundle import verify_bundle
from tidegate.ledger.completeness import (
    APPROVAL_DANGLING,
    DECISION_INPUT_MISSING,
    RUN_INCOMPLETE,
    WAIVER_UNKNOWN_RULE,
)
from tidegate.ledger.export import Bound, Selection, export_bundle
from tidegate.ledger.kinds import GATE_APPROVAL, GATE_DECISION, GATE_WAIVER, POLICY_LOADED
from tidegate.ledger.log import AppendRequest, Ledger
from tidegate.ledger.report import Report
from tidegate.ledger.retention import purge
from tidegate.ledger.store import sqlite_url
from tidegate.ledger.verify import BLOB_MISSING, PARALLEL_THRESHOLD, verify_ledger

REPO = Path(__file__).resolve().parents[2]
GATE_DATA = REPO / "tests" / "data" / "gate"
ORIGIN = "completeness.tidegate.test/log"
START = datetime(2030, 1, 1, tzinfo=UTC)
NOW = START + timedelta(days=3, hours=4)


@pytest.fixture(autouse=True)
def run_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the ledger append `run.*` entries (the sandbox's kinds, not this version's)."""
    import tidegate.ledger.log as log

    real = log.validate_body

    def lenient(kind: str, body: Any, *, source: str = "body") -> Any:
        return body if kind.startswith("run.") else real(kind, body, source=source)

    monkeypatch.setattr(log, "validate_body", lenient)


class Clock:
    """A settable clock: entries are stamped with ``now``."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> str:
        return format_time(self.now)


@dataclass
class Story:
    """A ledger and helpers to append the entries of a story."""

    fixture: LedgerFixture
    clock: Clock
    ledger: Ledger

    def add(self, kind: str, body: dict[str, Any], **blobs: bytes) -> int:
        self.clock.now += timedelta(minutes=1)
        return self.ledger.append(AppendRequest(kind, body, blobs=blobs)).seq

    def policy(self) -> int:
        """A policy.loaded entry holding the real default policy files."""
        files = sorted((REPO / "policies").glob("*.rego"))
        files = [f for f in files if not f.name.endswith("_test.rego")]
        blobs = {f"policies/{f.name}": f.read_bytes() for f in files}
        body = {
            "digest": "1" * 64,
            "data_digest": "2" * 64,
            "source": "default",
            "files": [
                {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "role": "policy"}
                for name, data in blobs.items()
            ],
        }
        return self.add(POLICY_LOADED, body, **blobs)

    def decision(self, number: int, *, input_doc: Any = None, digest: str | None = None) -> int:
        """A gate.decision with id dec-<number>; its input.json blob unless ``input_doc`` is False."""
        body = copy.deepcopy(json.loads((GATE_DATA / "decision-review.json").read_text()))
        body["decision_id"] = decision_id(number)
        data = json.dumps(input_doc if input_doc is not None else {"n": number}).encode()
        body["input_digest"] = digest or hashlib.sha256(data).hexdigest()
        if input_doc is False:
            return self.add(GATE_DECISION, body)
        return self.add(GATE_DECISION, body, **{"input.json": data})

    def approval(self, number: int, decision_seq: int) -> int:
        body = {
            "decision_id": decision_id(number),
            "decision_seq": decision_seq,
            "patch_digest": "a" * 64,
            "repository": "shop",
            "approver": "bob",
            "roles": ["reviewer"],
            "author": "agent:codex",
            "comment": None,
        }
        return self.add(GATE_APPROVAL, body)

    def waiver(self, rule: str) -> int:
        body = {
            "waiver_id": "wvr-" + hashlib.sha256(rule.encode()).hexdigest()[:20],
            "rule": rule,
            "path": "tests/**",
            "symbol": None,
            "patch_digest": None,
            "repository": None,
            "expires": "2099-01-01",
            "reason": "legacy suite",
        }
        return self.add(GATE_WAIVER, body)

    def run(self, kind: str, run_id: str) -> int:
        return self.add(f"run.{kind}", {"run_id": run_id})

    def verify(self, **options: Any) -> Report:
        return verify_ledger(self.fixture.store, self.fixture.trust, now=NOW, **options)


def decision_id(number: int) -> str:
    return f"dec-{number:020x}"


@pytest.fixture
def story(tmp_path: Path) -> Iterator[Story]:
    fixture = create_ledger(sqlite_url(tmp_path / "ledger.db"), origin=ORIGIN)
    clock = Clock()
    ledger = Ledger(fixture.store, origin=ORIGIN, signer=fixture.key, actor="t", clock=clock)
    yield Story(fixture, clock, ledger)
    fixture.store.close()


def codes(report: Report) -> list[tuple[int, str]]:
    return [(f.seq, f.code) for f in report.sorted_findings()]


def whole(story: Story) -> None:
    """A complete story: a run, a policy, a decision, its approval and a waiver of a known rule."""
    story.run("started", "r1")
    story.policy()
    seq = story.decision(1)
    story.approval(1, seq)
    story.waiver("tests.weakened")
    story.run("finished", "r1")


# --- ledger verify -------------------------------------------------------------------------------


def test_a_whole_story_has_no_findings(story: Story) -> None:
    whole(story)
    report = story.verify()
    assert report.ok and report.complete, (report.failures, report.findings)
    assert report.completeness == {
        "runs_started": 1,
        "runs_finished": 1,
        "decisions": 1,
        "decision_inputs_purged": 0,
        "decision_inputs_unchecked": 0,
        "approvals": 1,
        "waivers": 1,
        "waivers_unchecked": 0,
        "policies_loaded": 1,
    }
    document = report.as_json()  # type: ignore[attr-defined]
    assert document["complete"] is True and document["findings"] == []


def test_every_gap_is_a_finding_and_not_a_failure(story: Story) -> None:
    whole(story)
    open_run = story.run("started", "r2")
    story.run("started", "r3")
    story.run("finished", "r3")
    no_blob = story.decision(2, input_doc=False)
    wrong = story.decision(3, digest="f" * 64)
    good = story.decision(4)
    wrong_seq = story.approval(4, good - 1)  # names another entry
    unknown = story.approval(9, good)  # no decision dec-9
    later = story.approval(5, 10_000)  # not an earlier entry
    made_up = story.waiver("made.up.rule")
    report = story.verify()
    assert report.ok, report.failures  # nothing was tampered with
    assert not report.complete
    assert codes(report) == [
        (open_run, RUN_INCOMPLETE),
        (no_blob, DECISION_INPUT_MISSING),
        (wrong, DECISION_INPUT_MISSING),
        (wrong_seq, APPROVAL_DANGLING),
        (unknown, APPROVAL_DANGLING),
        (later, APPROVAL_DANGLING),
        (made_up, WAIVER_UNKNOWN_RULE),
    ]
    run = report.sorted_findings()[0]
    started = START + timedelta(minutes=open_run + 1)
    assert run.age_seconds == int((NOW - started).total_seconds())
    assert "run r2 started at " in run.detail and "has no run.finished" in run.detail
    details = {f.seq: f.detail for f in report.findings}
    assert "no blob named input.json" in details[no_blob]
    assert "body.input_digest is ffffffffffffffff" in details[wrong]
    assert f"names decision_seq {good - 1}" in details[wrong_seq]
    assert '"made.up.rule"' in details[made_up]


def test_a_run_started_twice_needs_two_finishes(story: Story) -> None:
    first = story.run("started", "r1")
    story.run("started", "r1")
    story.run("finished", "r1")
    nameless = story.add("run.started", {"status": "x"})
    story.run("finished", "never-started")
    report = story.verify()
    assert codes(report) == [(first + 1, RUN_INCOMPLETE), (nameless, RUN_INCOMPLETE)]
    assert "no body.run_id" in report.sorted_findings()[1].detail


def test_a_purged_input_is_purged_not_missing(story: Story) -> None:
    whole(story)
    story.clock.now = START + timedelta(days=400)
    result = purge(
        story.ledger,
        RetentionSettings(kinds={GATE_DECISION: 30}),
        before=story.clock.now,
        now=story.clock.now,
    )
    assert len(result.plan.blobs) == 1
    report = story.verify()
    assert report.ok and report.complete, (report.failures, report.findings)
    assert report.completeness["decision_inputs_purged"] == 1
    assert any("inputs of 1 decision(s) were purged" in n for n in report.notes)


def test_an_input_deleted_without_a_purge_record_is_missing_and_a_failure(story: Story) -> None:
    seq = story.decision(1, input_doc={"x": 1})
    digest = hashlib.sha256(json.dumps({"x": 1}).encode()).hexdigest()
    with story.fixture.store.write() as tx:  # bytes gone, no retention.purge note
        assert tx.purge_blobs([digest], "2030-01-01T00:00:00.000Z") == 1
    report = story.verify()
    assert [(f.seq, f.reason) for f in report.failures] == [(seq, BLOB_MISSING)]
    assert codes(report) == [(seq, DECISION_INPUT_MISSING)]
    assert "no retention.purge note records its purge" in report.findings[0].detail


def test_waivers_without_a_recorded_policy_or_with_its_files_purged(story: Story) -> None:
    seq = story.waiver("tests.weakened")
    report = story.verify()
    assert codes(report) == [(seq, WAIVER_UNKNOWN_RULE)]
    assert "no policy.loaded entry" in report.findings[0].detail
    story.policy()
    assert story.verify().complete
    story.clock.now = START + timedelta(days=400)
    purge(
        story.ledger,
        RetentionSettings(kinds={POLICY_LOADED: 1}),
        before=story.clock.now,
        now=story.clock.now,
    )
    report = story.verify()
    assert report.ok and report.complete
    assert report.completeness["waivers_unchecked"] == 1
    assert any("not checked against the recorded policy" in n for n in report.notes)


def test_parallel_verification_finds_what_serial_does(story: Story) -> None:
    story.ledger.append_batch(
        [AppendRequest("note", {"message": f"n{i}"}) for i in range(PARALLEL_THRESHOLD)]
    )
    story.run("started", "r-late")
    story.approval(7, 3)
    whole(story)
    serial = story.verify(workers=1)
    parallel = story.verify(workers=2)
    assert [f.code for f in serial.sorted_findings()] == [RUN_INCOMPLETE, APPROVAL_DANGLING]
    assert serial.as_json() == parallel.as_json()  # type: ignore[attr-defined]


# --- bundles ---------------------------------------------------------------------------------


def test_bundle_verification_reports_the_same_findings(story: Story, tmp_path: Path) -> None:
    whole(story)
    open_run = story.run("started", "r2")
    no_blob = story.decision(2, input_doc=False)
    dangling = story.approval(2, 0)
    made_up = story.waiver("made.up.rule")
    expected = story.verify()
    full = tmp_path / "full"
    export_bundle(story.ledger, story.fixture.trust, full)
    report = verify_bundle(full, story.fixture.trust, now=NOW)
    assert report.ok, report.failures[:3]
    assert (
        codes(report)
        == codes(expected)
        == [
            (open_run, RUN_INCOMPLETE),
            (no_blob, DECISION_INPUT_MISSING),
            (dangling, APPROVAL_DANGLING),
            (made_up, WAIVER_UNKNOWN_RULE),
        ]
    )
    assert report.completeness == expected.completeness
    # Only the tail is exported: the policy's files are not in the bundle, so waivers are
    # not judged, and the decisions' inputs outside the selection are not checked.
    tail = tmp_path / "tail"
    export_bundle(
        story.ledger, story.fixture.trust, tail, selection=Selection(since=Bound(seq=open_run))
    )
    report = verify_bundle(tail, story.fixture.trust, now=NOW)
    assert report.ok, report.failures[:3]
    assert codes(report) == [
        (open_run, RUN_INCOMPLETE),
        (no_blob, DECISION_INPUT_MISSING),
        (dangling, APPROVAL_DANGLING),
    ]
    assert report.completeness["waivers_unchecked"] == 2
    assert report.completeness["decision_inputs_unchecked"] == 1


# --- the command line ------------------------------------------------------------------------


def test_cli_reports_findings_and_strict_fails_on_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TIDEGATE_DIR", "TIDEGATE_LEDGER_URL", "TIDEGATE_KEY", "TIDEGATE_ACTOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CI", "1")
    home = init_home(tmp_path, origin=ORIGIN).home
    ledger = open_ledger(load_settings(home), writable=True)
    try:
        ledger.append(AppendRequest("run.started", {"run_id": "r-cli"}))
        ledger.append(AppendRequest("note", {"message": "x"}))
    finally:
        ledger.store.close()

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(_app.app, ["--dir", str(home), "ledger", "verify", *args])

    result = invoke()
    assert result.exit_code == 0, result.output
    assert "(1 completeness finding(s), see below)" in result.stdout
    assert "1 completeness findings (not failures; --strict fails):" in result.stdout
    assert "entry 0: run.incomplete: run r-cli started at " in result.stdout
    result = invoke("--strict")
    assert result.exit_code == 1
    assert "FAILED with --strict: 1 completeness finding(s)" in result.stdout
    result = invoke("--strict", "--format", "json")
    report = json.loads(result.stdout)
    assert (report["ok"], report["complete"], report["strict"]) == (True, False, True)
    assert report["findings"][0]["code"] == "run.incomplete"
    assert report["findings"][0]["age_seconds"] >= 0
    bundle = tmp_path / "bundle"
    assert (
        CliRunner()
        .invoke(_app.app, ["--dir", str(home), "ledger", "export", "--out", str(bundle)])
        .exit_code
        == 0
    )
    trust = str(home / "trust.json")
    result = invoke("--bundle", str(bundle), "--trust", trust)
    assert result.exit_code == 0, result.output
    assert "entry 0: run.incomplete" in result.stdout
    result = invoke("--bundle", str(bundle), "--trust", trust, "--strict")
    assert result.exit_code == 1
