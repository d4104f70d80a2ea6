"""What the gate reads back from the ledger: decisions, approvals, waivers, test history."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tidegate.errors import UsageError
from tidegate.ledger.entry import parse_entry
from tidegate.ledger.kinds import GATE_APPROVAL, GATE_DECISION, GATE_WAIVER, NOTE, POLICY_LOADED
from tidegate.ledger.store import LedgerStore
from tidegate.risk.features import RunFacts

TEST_RESULTS_CATEGORY = "test.results"


@dataclass(frozen=True)
class Recorded:
    """One parsed ledger entry of a gate kind."""

    seq: int
    time: str
    actor: str
    body: dict[str, Any]
    blobs: dict[str, str]  # blob name -> sha256


def entries_of(store: LedgerStore, kind: str) -> Iterator[Recorded]:
    """Yield every entry of ``kind`` in sequence order, parsed."""
    for chunk in store.entries(kind=kind):
        for stored in chunk:
            parsed = parse_entry(stored.envelope)
            yield Recorded(
                parsed.seq,
                parsed.time,
                parsed.actor,
                parsed.body,
                {blob.name: blob.sha256 for blob in parsed.blobs},
            )


def find_decision(store: LedgerStore, decision_id: str) -> Recorded:
    """Return the gate.decision entry with this id, or raise UsageError saying so."""
    for record in entries_of(store, GATE_DECISION):
        if record.body.get("decision_id") == decision_id:
            return record
    raise UsageError(
        f"decision {decision_id} is not in the ledger",
        hint="decision ids are printed by `tidegate gate check` (dec-...)",
    )


def decision_input(store: LedgerStore, record: Recorded) -> dict[str, Any]:
    """Return the gate input stored with a decision, or raise UsageError if it was purged."""
    digest = record.blobs.get("input.json")
    blob = store.blobs([digest]).get(digest) if digest else None
    if blob is None or blob.content is None:
        raise UsageError(
            f"decision {record.body.get('decision_id')} (entry {record.seq}): its input was "
            "purged or never stored; it cannot be re-evaluated"
        )
    document: dict[str, Any] = json.loads(blob.content)
    return document


def approvals_for(store: LedgerStore, patch_digest: str) -> list[Recorded]:
    """Return the approval entries bound to this patch digest."""
    return [
        record
        for record in entries_of(store, GATE_APPROVAL)
        if record.body.get("patch_digest") == patch_digest
    ]


def waivers_for(store: LedgerStore, repository: str, patch_digest: str) -> list[Recorded]:
    """Return the waiver entries that could apply to this repository and patch."""
    found = []
    for record in entries_of(store, GATE_WAIVER):
        body = record.body
        if body.get("repository") not in (None, repository):
            continue
        if body.get("patch_digest") not in (None, patch_digest):
            continue
        found.append(record)
    return found


def recorded_policies(store: LedgerStore) -> set[tuple[str, str]]:
    """Return the (policy digest, data digest) pairs already recorded by policy.loaded."""
    return {
        (str(r.body.get("digest")), str(r.body.get("data_digest")))
        for r in entries_of(store, POLICY_LOADED)
    }


def test_result_notes(store: LedgerStore) -> list[dict[str, Any]]:
    """Return the bodies of the `note` entries that record test results."""
    return [
        record.body
        for record in entries_of(store, NOTE)
        if record.body.get("category") == TEST_RESULTS_CATEGORY
    ]


_RFC3339_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RFC3339_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_expiry(value: str) -> datetime | None:
    """Return the expiry instant of a waiver (a date means the end of that UTC day), or None.

    Only RFC 3339 full dates and date-times with an offset parse; anything else (ISO week
    dates, naive times, prose) is None, which makes a waiver count as expired.
    """
    if not (_RFC3339_DATE.match(value) or _RFC3339_TIME.match(value)):
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
        moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment


def waiver_status(expires: Any, now: datetime) -> str:
    """Return active, expired, or malformed (which never applies) for a waiver's expiry."""
    moment = parse_expiry(expires) if isinstance(expires, str) else None
    if moment is None:
        return "malformed"
    return "active" if moment > now else "expired"


RUN_FINISHED = "run.finished"


def run_facts(store: LedgerStore, run_id: str) -> RunFacts:
    """Return what the ledger recorded about a sandbox run, or raise UsageError if it has none."""
    for record in entries_of(store, RUN_FINISHED):
        body = record.body
        if body.get("run_id") != run_id:
            continue
        tests_value = body.get("tests")
        tests: dict[str, Any] = tests_value if isinstance(tests_value, dict) else {}
        violations_value = body.get("violations")
        violations: list[Any] = violations_value if isinstance(violations_value, list) else []
        return RunFacts(
            id=run_id,
            status=str(body.get("status", "unknown")),
            attempts=_count(body.get("attempts"), 1),
            tests_passed=_count(tests.get("passed"), 0),
            tests_failed=_count(tests.get("failed"), 0),
            violations=tuple(
                (str(v.get("guard", "unknown")), str(v.get("detail", "")))
                for v in violations
                if isinstance(v, dict)
            ),
            churn_lines=_count(body.get("churn_lines"), 0),
        )
    raise UsageError(
        f"run {run_id} has no run.finished entry in the ledger",
        hint="pass the id `tidegate run` printed; a run still going or killed before it "
        "finished cannot inform a decision",
    )


def _count(value: Any, default: int) -> int:
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default
    )
