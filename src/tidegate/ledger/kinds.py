"""Entry kinds and the schema each kind's body must satisfy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tidegate.errors import EntryRejected
from tidegate.schemas import schema_errors

NOTE = "note"
KEY_ROTATED = "key.rotated"
GATE_DECISION = "gate.decision"
GATE_APPROVAL = "gate.approval"
GATE_WAIVER = "gate.waiver"
POLICY_LOADED = "policy.loaded"
RUN_STARTED = "run.started"
RUN_COMMAND = "run.command"
RUN_FINISHED = "run.finished"
RUN_REPLAYED = "run.replayed"
"""Run kinds (written by `tidegate run`); verify's completeness checks pair them by run_id."""

KIND_SCHEMAS: Mapping[str, str] = {
    NOTE: "ledger/note",
    KEY_ROTATED: "ledger/key.rotated",
    GATE_DECISION: "ledger/gate.decision",
    GATE_APPROVAL: "ledger/gate.approval",
    GATE_WAIVER: "ledger/gate.waiver",
    POLICY_LOADED: "ledger/policy.loaded",
    RUN_STARTED: "ledger/run.started",
    RUN_COMMAND: "ledger/run.command",
    RUN_FINISHED: "ledger/run.finished",
    RUN_REPLAYED: "ledger/run.replayed",
}
"""Kinds this version can append, with their body schema under schemas/."""

PURGE_CATEGORY = "retention.purge"
"""The category of the `note` entries that record a purge; verify accepts a blob without
content only when such a note lists its digest."""

USER_APPENDABLE = frozenset({NOTE})
"""Kinds `tidegate ledger append` accepts; the others are written by their own commands."""


def validate_body(kind: str, body: Any, *, source: str = "body") -> dict[str, Any]:
    """Return ``body`` if it is valid for ``kind``; raise EntryRejected naming each problem."""
    if kind not in KIND_SCHEMAS:
        known = ", ".join(sorted(KIND_SCHEMAS))
        raise EntryRejected(f"unknown entry kind {kind!r}", hint=f"known kinds: {known}")
    if not isinstance(body, dict):
        raise EntryRejected(
            f"{source}: a {kind} body must be a JSON object, not {type(body).__name__}"
        )
    errors = schema_errors(body, KIND_SCHEMAS[kind])
    if errors:
        raise EntryRejected(f"{source}: invalid {kind} body: {'; '.join(errors)}")
    return body
