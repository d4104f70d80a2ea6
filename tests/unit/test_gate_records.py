"""tidegate.gate.records: ledger lookups, waiver expiry, run facts, on real ledgers."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import LedgerFixture
from tidegate.errors import UsageError
from tidegate.gate.records import (
    approvals_for,
    decision_input,
    entries_of,
    find_decision,
    parse_expiry,
    run_facts,
    waiver_status,
    waivers_for,
)
from tidegate.ledger.kinds import GATE_APPROVAL, GATE_DECISION, GATE_WAIVER
from tidegate.ledger.log import AppendRequest, Ledger

GATE_DATA = Path(__file__).resolve().parents[1] / "data" / "gate"
DIGEST_A = "a" * 64
DIGEST_B = "b" * 64
NOW = datetime(2030, 6, 15, 12, 0, 0, tzinfo=UTC)


# --- helpers shared with test_gate_review / test_gate_why -----------------------------------


def decision_body(
    decision_id: str = "dec-" + "0" * 20,
    *,
    patch_digest: str = DIGEST_A,
    repository: str = "shop",
    author: str = "agent:codex",
    required: list[dict[str, Any]] | None = None,
    action: str | None = None,
) -> dict[str, Any]:
    """A valid gate.decision body (from the review sample), re-targeted."""
    body: dict[str, Any] = json.loads((GATE_DATA / "decision-review.json").read_text())
    body["decision_id"] = decision_id
    body["subject"]["patch_digest"] = patch_digest
    body["subject"]["repository"] = repository
    body["actor"]["id"] = author
    if required is not None:
        body["decision"]["required_approvals"] = required
        if not required:
            body["decision"]["reasons"] = [
                r for r in body["decision"]["reasons"] if "approval" not in r
            ]
    if action is not None:
        body["decision"]["action"] = action
    return body


def append_decision(
    ledger: Ledger, body: dict[str, Any], input_doc: dict[str, Any] | None = None
) -> int:
    blobs = {"input.json": json.dumps(input_doc).encode()} if input_doc is not None else {}
    return ledger.append(AppendRequest(GATE_DECISION, body, blobs=blobs)).seq


def append_approval(
    ledger: Ledger,
    approver: str,
    *,
    decision_id: str = "dec-" + "0" * 20,
    patch_digest: str = DIGEST_A,
    roles: list[str] | None = None,
    author: str = "agent:codex",
) -> int:
    body = {
        "decision_id": decision_id,
        "decision_seq": 0,
        "patch_digest": patch_digest,
        "repository": "shop",
        "approver": approver,
        "roles": roles or ["reviewer"],
        "author": author,
        "comment": None,
    }
    return ledger.append(AppendRequest(GATE_APPROVAL, body, actor=approver)).seq


def append_waiver(
    ledger: Ledger,
    waiver_id: str,
    *,
    repository: str | None = None,
    patch_digest: str | None = None,
    expires: str = "2099-01-01",
    rule: str = "tests.weakened",
    path: str | None = "tests/**",
) -> int:
    body = {
        "waiver_id": waiver_id,
        "rule": rule,
        "path": path,
        "symbol": None,
        "patch_digest": patch_digest,
        "repository": repository,
        "expires": expires,
        "reason": "legacy suite",
    }
    return ledger.append(AppendRequest(GATE_WAIVER, body, actor="sec-sam")).seq


def purge_input(fixture: LedgerFixture, seq: int) -> None:
    """Purge the input.json blob of the decision at ``seq`` (as retention would)."""
    record = next(r for r in entries_of(fixture.store, GATE_DECISION) if r.seq == seq)
    with fixture.store.write() as tx:
        assert tx.purge_blobs([record.blobs["input.json"]], "2030-01-01T00:00:00.000Z") == 1


def wid(n: int) -> str:
    return f"wvr-{n:020x}"


# --- parse_expiry / waiver_status ------------------------------------------------------------


def test_a_date_expires_at_the_end_of_that_utc_day() -> None:
    assert parse_expiry("2030-06-15") == datetime(2030, 6, 15, 23, 59, 59, tzinfo=UTC)
    assert waiver_status("2030-06-15", NOW) == "active"
    assert waiver_status("2030-06-15", datetime(2030, 6, 15, 23, 59, 59, tzinfo=UTC)) == "expired"
    assert waiver_status("2030-06-14", NOW) == "expired"


def test_a_datetime_needs_an_offset() -> None:
    assert parse_expiry("2030-06-15T12:00:01Z") == datetime(2030, 6, 15, 12, 0, 1, tzinfo=UTC)
    plus2 = parse_expiry("2030-06-15T14:00:01+02:00")
    assert plus2 is not None and plus2 == datetime(2030, 6, 15, 12, 0, 1, tzinfo=UTC)
    assert plus2.utcoffset() == timedelta(hours=2)
    assert waiver_status("2030-06-15T14:00:01+02:00", NOW) == "active"
    assert waiver_status("2030-06-15T13:59:59+02:00", NOW) == "expired"
    # The instant itself is no longer active (expiry is exclusive).
    assert waiver_status("2030-06-15T12:00:00Z", NOW) == "expired"
    # Naive date-times are ambiguous: malformed, never active.
    assert parse_expiry("2099-06-15T12:00:00") is None
    assert waiver_status("2099-06-15T12:00:00", NOW) == "malformed"


@pytest.mark.parametrize(
    "junk", ["", "soon", "next week", "2030-13-01", "2030-02-30", "2030/06/15", "15-06-2030", "Z"]
)
def test_junk_is_malformed(junk: str) -> None:
    assert parse_expiry(junk) is None
    assert waiver_status(junk, NOW) == "malformed"


@pytest.mark.parametrize("value", [None, 20300615, 2030.5, ["2030-06-15"], {"at": "2030"}, b"x"])
def test_non_string_expiry_is_malformed(value: Any) -> None:
    assert waiver_status(value, NOW) == "malformed"


def test_iso_week_date_is_not_an_rfc3339_date() -> None:
    assert waiver_status("2099-W01-1", NOW) == "malformed"


@settings(max_examples=500, deadline=None)
@given(value=st.one_of(st.text(), st.text(alphabet="0123456789-:TZ+. Ww", max_size=32)))
def test_waiver_status_never_raises_on_arbitrary_text(value: str) -> None:
    status = waiver_status(value, NOW)
    assert status in ("active", "expired", "malformed")
    moment = parse_expiry(value)
    assert (status == "malformed") == (moment is None)
    if moment is not None:
        assert moment.tzinfo is not None


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(9998, 12, 30),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
    )
)
def test_status_agrees_with_the_instant(moment: datetime) -> None:
    text = moment.isoformat()
    assert parse_expiry(text) == moment
    assert waiver_status(text, NOW) == ("active" if moment > NOW else "expired")


# --- ledger lookups ----------------------------------------------------------------------------


def test_find_decision_returns_the_entry_and_names_an_unknown_id(
    fresh_ledger: LedgerFixture,
) -> None:
    ledger = fresh_ledger.ledger
    first = append_decision(ledger, decision_body("dec-" + "1" * 20))
    second = append_decision(ledger, decision_body("dec-" + "2" * 20, patch_digest=DIGEST_B))
    found = find_decision(fresh_ledger.store, "dec-" + "2" * 20)
    assert found.seq == second and found.seq != first
    assert found.body["subject"]["patch_digest"] == DIGEST_B
    assert found.actor == "tester"
    with pytest.raises(UsageError) as raised:
        find_decision(fresh_ledger.store, "dec-" + "9" * 20)
    assert raised.value.message == f"decision dec-{'9' * 20} is not in the ledger"
    assert raised.value.hint is not None and "gate check" in raised.value.hint


def test_decision_input_reads_the_blob_and_refuses_when_purged(
    fresh_ledger: LedgerFixture,
) -> None:
    ledger = fresh_ledger.ledger
    document = {"version": 1, "subject": {"patch_digest": DIGEST_A}}
    seq = append_decision(ledger, decision_body("dec-" + "1" * 20), document)
    no_blob = append_decision(ledger, decision_body("dec-" + "2" * 20))
    record = find_decision(fresh_ledger.store, "dec-" + "1" * 20)
    assert decision_input(fresh_ledger.store, record) == document
    purge_input(fresh_ledger, seq)
    with pytest.raises(UsageError, match=rf"dec-1{{20}} \(entry {seq}\).*purged"):
        decision_input(fresh_ledger.store, find_decision(fresh_ledger.store, "dec-" + "1" * 20))
    with pytest.raises(UsageError, match=rf"entry {no_blob}\).*never stored"):
        decision_input(fresh_ledger.store, find_decision(fresh_ledger.store, "dec-" + "2" * 20))


def test_approvals_for_filters_by_patch_digest(fresh_ledger: LedgerFixture) -> None:
    ledger = fresh_ledger.ledger
    append_approval(ledger, "bob", patch_digest=DIGEST_A)
    append_approval(ledger, "alice", patch_digest=DIGEST_B)
    append_approval(ledger, "sec-sam", patch_digest=DIGEST_A)
    append_waiver(ledger, wid(1))  # other kinds never show up
    found = approvals_for(fresh_ledger.store, DIGEST_A)
    assert [r.body["approver"] for r in found] == ["bob", "sec-sam"]
    assert [r.actor for r in found] == ["bob", "sec-sam"]
    assert found[0].seq < found[1].seq
    assert approvals_for(fresh_ledger.store, "c" * 64) == []


def test_waivers_for_filters_by_repository_and_patch(fresh_ledger: LedgerFixture) -> None:
    ledger = fresh_ledger.ledger
    append_waiver(ledger, wid(1))  # everywhere, every patch
    append_waiver(ledger, wid(2), repository="shop")
    append_waiver(ledger, wid(3), repository="other")
    append_waiver(ledger, wid(4), patch_digest=DIGEST_A)
    append_waiver(ledger, wid(5), patch_digest=DIGEST_B)
    append_waiver(ledger, wid(6), repository="shop", patch_digest=DIGEST_B)

    def ids(repository: str, digest: str) -> list[str]:
        return [r.body["waiver_id"] for r in waivers_for(fresh_ledger.store, repository, digest)]

    assert ids("shop", DIGEST_A) == [wid(1), wid(2), wid(4)]
    assert ids("shop", DIGEST_B) == [wid(1), wid(2), wid(5), wid(6)]
    assert ids("other", DIGEST_A) == [wid(1), wid(3), wid(4)]
    assert ids("acme/shop", "c" * 64) == [wid(1)]


# --- run facts ---------------------------------------------------------------------------------


@pytest.fixture
def run_ledger(fresh_ledger: LedgerFixture, monkeypatch: pytest.MonkeyPatch) -> LedgerFixture:
    """A ledger that accepts `run.finished` entries (written by the sandbox, not this version)."""
    import tidegate.ledger.log as log

    real = log.validate_body

    def lenient(kind: str, body: Any, *, source: str = "body") -> Any:
        return body if kind == "run.finished" else real(kind, body, source=source)

    monkeypatch.setattr(log, "validate_body", lenient)
    return fresh_ledger


def finish(fixture: LedgerFixture, body: dict[str, Any]) -> None:
    fixture.ledger.append(AppendRequest("run.finished", body))


def test_run_facts_not_found_says_which_run(run_ledger: LedgerFixture) -> None:
    finish(run_ledger, {"run_id": "run-other", "status": "passed"})
    with pytest.raises(UsageError) as raised:
        run_facts(run_ledger.store, "run-7f3a")
    assert raised.value.message == "run run-7f3a has no run.finished entry in the ledger"
    assert raised.value.hint is not None and "tidegate run" in raised.value.hint


def test_run_facts_reads_a_well_formed_run(run_ledger: LedgerFixture) -> None:
    finish(
        run_ledger,
        {
            "run_id": "run-1",
            "status": "passed",
            "attempts": 3,
            "tests": {"passed": 40, "failed": 2},
            "violations": [{"guard": "network", "detail": "egress to 1.2.3.4"}],
            "churn_lines": 120,
        },
    )
    facts = run_facts(run_ledger.store, "run-1")
    assert facts.id == "run-1" and facts.status == "passed"
    assert (facts.attempts, facts.tests_passed, facts.tests_failed) == (3, 40, 2)
    assert facts.violations == (("network", "egress to 1.2.3.4"),)
    assert facts.churn_lines == 120


def test_run_facts_parses_defensively(run_ledger: LedgerFixture) -> None:
    finish(
        run_ledger,
        {
            "run_id": "run-2",
            "attempts": True,  # a bool is not a count
            "tests": ["passed", 3],
            "violations": [{"detail": 7}, "not a dict", None, {"guard": "fs"}],
            "churn_lines": -5,
        },
    )
    facts = run_facts(run_ledger.store, "run-2")
    assert facts.status == "unknown"
    assert (facts.attempts, facts.tests_passed, facts.tests_failed) == (1, 0, 0)
    assert facts.violations == (("unknown", "7"), ("fs", ""))
    assert facts.churn_lines == 0
    finish(
        run_ledger,
        {"run_id": "run-3", "status": 5, "tests": {"passed": "9", "failed": -1}, "violations": {}},
    )
    facts = run_facts(run_ledger.store, "run-3")
    assert facts.status == "5"
    assert (facts.tests_passed, facts.tests_failed, facts.violations) == (0, 0, ())


def test_run_facts_takes_the_first_entry_of_a_run(run_ledger: LedgerFixture) -> None:
    finish(run_ledger, {"run_id": "run-1", "status": "failed"})
    finish(run_ledger, {"run_id": "run-1", "status": "passed"})
    assert run_facts(run_ledger.store, "run-1").status == "failed"


def test_helpers_build_schema_valid_bodies() -> None:
    from tidegate.schemas import schema_errors

    body = decision_body(required=[], action="allow")
    assert schema_errors(body, "ledger/gate.decision") == []
    assert copy.deepcopy(body)["decision"]["required_approvals"] == []
