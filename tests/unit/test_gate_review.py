"""tidegate.gate.review: approvals and waivers, RBAC-checked, on real ledgers."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from tests.conftest import LedgerFixture
from tests.unit.test_gate_records import DIGEST_A, append_decision, decision_body
from tidegate.errors import UsageError
from tidegate.gate.records import entries_of, waivers_for
from tidegate.gate.review import Refused, WaiverRequest, approve, validate_waiver, waive
from tidegate.ledger.kinds import GATE_APPROVAL, GATE_WAIVER
from tidegate.rbac import Rbac, load_rbac
from tidegate.schemas import schema_errors

DEFAULT_RBAC = Path(__file__).resolve().parents[2] / "policies" / "data" / "rbac.yaml"
DEC = "dec-" + "1" * 20
NOW_TEXT = "2030-06-15T12:00:00.000Z"
NOW = datetime(2030, 6, 15, 12, tzinfo=UTC)


@pytest.fixture
def rbac() -> Rbac:
    return load_rbac(yaml.safe_load(DEFAULT_RBAC.read_text()))


@pytest.fixture
def ledger(fresh_ledger: LedgerFixture) -> LedgerFixture:
    fresh_ledger.ledger.clock = lambda: NOW_TEXT
    return fresh_ledger


def approvals(fixture: LedgerFixture) -> list[dict]:
    return [r.body for r in entries_of(fixture.store, GATE_APPROVAL)]


def required(role: str, count: int = 1, satisfied: int = 0) -> dict:
    return {"role": role, "count": count, "satisfied": satisfied, "rules": ["risk.band"]}


# --- approve ---------------------------------------------------------------------------------


def test_author_cannot_approve_their_own_patch(ledger: LedgerFixture, rbac: Rbac) -> None:
    append_decision(ledger.ledger, decision_body(DEC, author="alice"))
    with pytest.raises(Refused, match="alice is the author") as raised:
        approve(ledger.ledger, rbac, DEC, "alice", None)
    assert raised.value.exit_code == 1
    assert approvals(ledger) == []


def test_approver_without_permission_is_refused(ledger: LedgerFixture, rbac: Rbac) -> None:
    append_decision(ledger.ledger, decision_body(DEC))
    for actor in ("nobody", "agent:codex-2", "agent:intern-bot"):
        with pytest.raises(Refused, match=f"{actor} lacks the patches.approve permission on shop"):
            approve(ledger.ledger, rbac, DEC, actor, None)
    assert approvals(ledger) == []


def test_permission_is_checked_on_the_decision_repository(ledger: LedgerFixture) -> None:
    scoped = load_rbac(
        {
            "roles": {"reviewer": {"permissions": ["patches.approve"]}},
            "actors": {"bob": {"grants": [{"role": "reviewer", "repositories": ["acme/*"]}]}},
        }
    )
    append_decision(
        ledger.ledger, decision_body(DEC, repository="shop", required=[required("reviewer")])
    )
    with pytest.raises(Refused, match="roles: none"):
        approve(ledger.ledger, scoped, DEC, "bob", None)
    other = "dec-" + "2" * 20
    append_decision(
        ledger.ledger,
        decision_body(
            other, repository="acme/web", patch_digest="c" * 64, required=[required("reviewer")]
        ),
    )
    assert approve(ledger.ledger, scoped, other, "bob", None).roles == ("reviewer",)


def test_approver_without_a_required_role_is_refused(ledger: LedgerFixture, rbac: Rbac) -> None:
    append_decision(ledger.ledger, decision_body(DEC, required=[required("senior-reviewer")]))
    with pytest.raises(Refused, match="bob holds none of the roles") as raised:
        approve(ledger.ledger, rbac, DEC, "bob", None)
    assert "senior-reviewer" in raised.value.message and "theirs: reviewer" in raised.value.message
    assert approvals(ledger) == []


def test_decision_requiring_no_approval_is_refused(ledger: LedgerFixture, rbac: Rbac) -> None:
    append_decision(ledger.ledger, decision_body(DEC, required=[], action="deny"))
    with pytest.raises(Refused, match=r"requires no approval") as raised:
        approve(ledger.ledger, rbac, DEC, "alice", None)
    assert "(deny)" in raised.value.message
    assert approvals(ledger) == []


def test_unknown_decision_is_a_usage_error(ledger: LedgerFixture, rbac: Rbac) -> None:
    with pytest.raises(UsageError, match="is not in the ledger"):
        approve(ledger.ledger, rbac, DEC, "alice", None)


def test_approval_is_recorded_with_the_matching_roles(ledger: LedgerFixture, rbac: Rbac) -> None:
    seq = append_decision(
        ledger.ledger,
        decision_body(DEC, required=[required("senior-reviewer"), required("security")]),
    )
    approved = approve(ledger.ledger, rbac, DEC, "alice", "looks right")
    assert approved.roles == ("senior-reviewer",)
    assert approved.decision_id == DEC
    assert [r["role"] for r in approved.remaining] == ["security"]
    [body] = approvals(ledger)
    assert schema_errors(body, "ledger/gate.approval") == []
    assert body == {
        "decision_id": DEC,
        "decision_seq": seq,
        "patch_digest": DIGEST_A,
        "repository": "shop",
        "approver": "alice",
        "roles": ["senior-reviewer"],
        "author": "agent:codex",
        "comment": "looks right",
    }
    [record] = list(entries_of(ledger.store, GATE_APPROVAL))
    assert record.seq == approved.seq and record.actor == "alice"


def test_second_approval_by_the_same_approver_is_refused(ledger: LedgerFixture, rbac: Rbac) -> None:
    append_decision(ledger.ledger, decision_body(DEC, required=[required("reviewer", 2)]))
    approve(ledger.ledger, rbac, DEC, "bob", None)
    with pytest.raises(UsageError, match=r"bob has already approved this patch \(aaaaaaaaaaaa\)"):
        approve(ledger.ledger, rbac, DEC, "bob", "again")
    # Another decision about the same patch: the approval binds to the patch, still refused.
    append_decision(
        ledger.ledger, decision_body("dec-" + "2" * 20, required=[required("reviewer")])
    )
    with pytest.raises(UsageError, match="already approved"):
        approve(ledger.ledger, rbac, "dec-" + "2" * 20, "bob", None)
    assert len(approvals(ledger)) == 1
    # A different approver still can.
    approve(ledger.ledger, rbac, DEC, "alice", None)
    assert [a["approver"] for a in approvals(ledger)] == ["bob", "alice"]


def test_remaining_counts_approvals_still_needed(ledger: LedgerFixture, rbac: Rbac) -> None:
    append_decision(ledger.ledger, decision_body(DEC, required=[required("reviewer", 2)]))
    approved = approve(ledger.ledger, rbac, DEC, "bob", None)
    assert [r["role"] for r in approved.remaining] == ["reviewer"]


# --- waive -----------------------------------------------------------------------------------


def request(**changes: object) -> WaiverRequest:
    base = WaiverRequest(
        rule="tests.weakened",
        path="tests/**",
        symbol=None,
        patch_digest=None,
        expires="2030-07-01",
        actor="sec-sam",
        reason="legacy suite being rewritten",
        repository="shop",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_valid_waiver_passes_validation() -> None:
    validate_waiver(request(), NOW)
    validate_waiver(request(path=None, symbol="charge", patch_digest="0" * 64), NOW)
    validate_waiver(request(expires="2030-06-15T12:00:01Z"), NOW)
    validate_waiver(request(expires="2030-06-15"), NOW)  # the end of today


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"path": None, "symbol": None}, "exactly one of --path GLOB or --symbol NAME"),
        ({"path": "tests/**", "symbol": "charge"}, "exactly one of --path GLOB or --symbol NAME"),
        ({"rule": "Tests.Weakened"}, "'Tests.Weakened' is not a rule id"),
        ({"rule": ""}, "is not a rule id"),
        ({"rule": "tests..weakened"}, "is not a rule id"),
        ({"rule": "tests.weakened "}, "is not a rule id"),
        ({"rule": "1tests"}, "is not a rule id"),
        ({"rule": "engine.error"}, "engine.error cannot be waived"),
        ({"patch_digest": "A" * 64}, "is not a 64-hex sha256 patch digest"),
        ({"patch_digest": "a" * 63}, "is not a 64-hex sha256 patch digest"),
        ({"patch_digest": ""}, "is not a 64-hex sha256 patch digest"),
        ({"expires": "next week"}, "--expires 'next week' is not a date"),
        ({"expires": "2030-07-01T00:00:00"}, "is not a date"),  # naive
        ({"expires": "2030-06-14"}, "is already past"),
        ({"expires": "2030-06-15T12:00:00Z"}, "is already past"),
        ({"expires": "2030-06-15T13:59:59+02:00"}, "is already past"),
        ({"reason": ""}, "--reason must say why"),
        ({"reason": " \n\t"}, "--reason must say why"),
    ],
)
def test_invalid_waivers_are_usage_errors(changes: dict, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        validate_waiver(request(**changes), NOW)
    assert message in raised.value.message
    assert raised.value.exit_code == 2


def test_waive_records_a_scoped_waiver(ledger: LedgerFixture, rbac: Rbac) -> None:
    seq, waiver_id = waive(ledger.ledger, rbac, request(patch_digest=DIGEST_A))
    assert waiver_id.startswith("wvr-") and len(waiver_id) == 24
    [record] = waivers_for(ledger.store, "shop", DIGEST_A)
    assert record.seq == seq and record.actor == "sec-sam"
    assert schema_errors(record.body, "ledger/gate.waiver") == []
    assert record.body == {
        "waiver_id": waiver_id,
        "rule": "tests.weakened",
        "path": "tests/**",
        "symbol": None,
        "patch_digest": DIGEST_A,
        "repository": "shop",
        "expires": "2030-07-01",
        "reason": "legacy suite being rewritten",
    }
    # Two waivers never share an id.
    assert waive(ledger.ledger, rbac, request())[1] != waiver_id


def test_waive_needs_policies_approve(ledger: LedgerFixture, rbac: Rbac) -> None:
    for actor in ("bob", "alice", "agent:codex", "nobody"):
        with pytest.raises(Refused, match=f"{actor} lacks the policies.approve permission on shop"):
            waive(ledger.ledger, rbac, request(actor=actor))
    assert list(entries_of(ledger.store, GATE_WAIVER)) == []
    waive(ledger.ledger, rbac, request(actor="root-ria"))  # admin includes security
    assert len(list(entries_of(ledger.store, GATE_WAIVER))) == 1


def test_waive_validates_against_the_ledger_clock(ledger: LedgerFixture, rbac: Rbac) -> None:
    with pytest.raises(UsageError, match="already past"):
        waive(ledger.ledger, rbac, request(expires="2030-06-14"))
    ledger.ledger.clock = lambda: "2030-06-13T00:00:00.000Z"
    waive(ledger.ledger, rbac, request(expires="2030-06-14"))


def test_waive_validates_before_checking_permission(ledger: LedgerFixture, rbac: Rbac) -> None:
    with pytest.raises(UsageError, match="exactly one"):
        waive(ledger.ledger, rbac, request(actor="nobody", symbol="x"))
