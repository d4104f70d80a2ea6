"""`policy replay`: re-evaluate recorded decisions with the current policy; list what would flip."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tidegate._time import parse_time
from tidegate.errors import UsageError
from tidegate.gate.records import decision_input, entries_of
from tidegate.ledger.kinds import GATE_DECISION
from tidegate.ledger.store import LedgerStore
from tidegate.policy.engine import Engine, decide

ACTION_RANK = {"allow": 0, "canary": 1, "review": 2, "deny": 3}


@dataclass(frozen=True)
class Flip:
    """A recorded decision whose action the current policy would change."""

    decision_id: str
    seq: int
    time: str
    recorded: str
    now: str
    rules_added: list[str]
    rules_removed: list[str]
    error: str | None

    def as_json(self) -> dict[str, Any]:
        """Return the flip as a JSON object."""
        return {
            "decision_id": self.decision_id,
            "seq": self.seq,
            "time": self.time,
            "recorded": self.recorded,
            "now": self.now,
            "direction": "stricter"
            if ACTION_RANK[self.now] > ACTION_RANK[self.recorded]
            else "looser",
            "rules_added": self.rules_added,
            "rules_removed": self.rules_removed,
            "error": self.error,
        }


@dataclass
class ReplayReport:
    """What a replay found: decisions re-evaluated, those that flip, those that could not be."""

    replayed: int = 0
    unchanged: int = 0
    flips: list[Flip] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """Return the report as a JSON object."""
        return {
            "replayed": self.replayed,
            "unchanged": self.unchanged,
            "changed": [flip.as_json() for flip in self.flips],
            "skipped": self.skipped,
        }


def parse_since(value: str) -> datetime:
    """Parse --since: a date (YYYY-MM-DD, midnight UTC) or an RFC 3339 time."""
    text = f"{value}T00:00:00Z" if len(value) == 10 else value
    try:
        return parse_time(text)
    except ValueError as exc:
        raise UsageError(f"--since {value!r} is not a date or an RFC 3339 time") from exc


def _rules(decision: dict[str, Any]) -> set[str]:
    return {str(reason["rule"]) for reason in decision.get("reasons", [])}


def replay(
    store: LedgerStore,
    engine: Engine,
    *,
    since: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReplayReport:
    """Re-evaluate every recorded decision (from ``since``) with ``engine``."""
    report = ReplayReport()
    for record in entries_of(store, GATE_DECISION):
        if since is not None and parse_time(record.time) < since:
            continue
        body = record.body
        decision_id = str(body.get("decision_id"))
        try:
            input_doc = decision_input(store, record)
        except UsageError as exc:
            report.skipped.append(
                {"decision_id": decision_id, "seq": record.seq, "why": exc.message}
            )
            continue
        evaluated = decide(engine, input_doc)
        report.replayed += 1
        if progress is not None:
            progress(report.replayed)
        old = body["decision"]
        new = evaluated.decision
        if old["action"] == new["action"]:
            report.unchanged += 1
            continue
        report.flips.append(
            Flip(
                decision_id,
                record.seq,
                record.time,
                str(old["action"]),
                str(new["action"]),
                sorted(_rules(new) - _rules(old)),
                sorted(_rules(old) - _rules(new)),
                evaluated.error,
            )
        )
    return report
