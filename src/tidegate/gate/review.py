"""`gate approve` and `gate waive`: signed, RBAC-checked approvals and scoped, expiring waivers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tidegate._time import parse_time
from tidegate.errors import TidegateError, UsageError
from tidegate.gate.check import new_id
from tidegate.gate.records import Recorded, approvals_for, find_decision, parse_expiry
from tidegate.ledger.kinds import GATE_APPROVAL, GATE_WAIVER
from tidegate.ledger.log import AppendRequest, Ledger
from tidegate.rbac import Rbac

WAIVE_PERMISSION = "policies.approve"
APPROVE_PERMISSION = "patches.approve"
_RULE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class Refused(TidegateError):
    """The actor may not do this (RBAC, author approving their own patch); nothing was written."""

    exit_code = 1


@dataclass(frozen=True)
class Approved:
    """A recorded approval."""

    seq: int
    decision_id: str
    roles: tuple[str, ...]
    remaining: list[dict[str, Any]]


def approve(
    ledger: Ledger, rbac: Rbac, decision_id: str, approver: str, comment: str | None
) -> Approved:
    """Record ``approver``'s approval of a decision's patch, if RBAC and authorship allow it."""
    record = find_decision(ledger.store, decision_id)
    body = record.body
    author = str(body["actor"]["id"])
    repository = str(body["subject"]["repository"])
    digest = str(body["subject"]["patch_digest"])
    if approver == author:
        raise Refused(
            f"{approver} is the author of the patch decided in {decision_id}; "
            "an author cannot approve their own patch",
            hint="ask a reviewer who did not write it",
        )
    required = body["decision"].get("required_approvals", [])
    if not required:
        raise Refused(
            f"decision {decision_id} ({body['decision']['action']}) requires no approval",
            hint="approvals apply to decisions whose action is review",
        )
    identity = rbac.resolve(approver, repository)
    if APPROVE_PERMISSION not in identity.permissions:
        raise Refused(
            f"{approver} lacks the {APPROVE_PERMISSION} permission on {repository} "
            f"(roles: {', '.join(identity.roles) or 'none'})"
        )
    wanted = [r["role"] for r in required]
    matching = tuple(role for role in wanted if role in identity.roles)
    if not matching:
        raise Refused(
            f"{approver} holds none of the roles {decision_id} requires "
            f"({', '.join(wanted)}); theirs: {', '.join(identity.roles) or 'none'}"
        )
    earlier = approvals_for(ledger.store, digest)
    if any(a.body.get("approver") == approver for a in earlier):
        raise UsageError(f"{approver} has already approved this patch ({digest[:12]})")
    appended = ledger.append(
        AppendRequest(
            GATE_APPROVAL,
            {
                "decision_id": decision_id,
                "decision_seq": record.seq,
                "patch_digest": digest,
                "repository": repository,
                "approver": approver,
                "roles": list(matching),
                "author": author,
                "comment": comment,
            },
            actor=approver,
        )
    )
    remaining = _remaining(required, earlier, matching, author, approver)
    return Approved(appended.seq, decision_id, matching, remaining)


def _remaining(
    required: list[dict[str, Any]],
    earlier: list[Recorded],
    matching: tuple[str, ...],
    author: str,
    approver: str,
) -> list[dict[str, Any]]:
    """Return each required role with how many approvals it still lacks, this one included.

    Approvers count once per role, by their recorded roles; the author never counts. A re-check
    re-resolves roles with RBAC, so this is what the ledger says now, not a promise.
    """
    approvers: dict[str, set[str]] = {}
    for record in earlier:
        who = str(record.body.get("approver"))
        if who != author:
            for role in record.body.get("roles", []):
                approvers.setdefault(str(role), set()).add(who)
    for role in matching:
        approvers.setdefault(role, set()).add(approver)
    remaining = []
    for item in required:
        missing = int(item["count"]) - len(approvers.get(item["role"], set()))
        if missing > 0:
            remaining.append({"role": item["role"], "count": missing})
    return remaining


@dataclass(frozen=True)
class WaiverRequest:
    """What `gate waive` was asked."""

    rule: str
    path: str | None
    symbol: str | None
    patch_digest: str | None
    expires: str
    actor: str
    reason: str
    repository: str


def validate_waiver(request: WaiverRequest, now: datetime) -> None:
    """Refuse a waiver that is unscoped, malformed or already expired (usage errors)."""
    if not _RULE_ID.match(request.rule):
        raise UsageError(f"rule {request.rule!r} is not a rule id (e.g. tests.weakened)")
    if request.rule == "engine.error":
        raise UsageError("engine.error cannot be waived: the gate fails closed on engine faults")
    if (request.path is None) == (request.symbol is None):
        raise UsageError("scope a waiver with exactly one of --path GLOB or --symbol NAME")
    if request.patch_digest is not None and not _DIGEST.match(request.patch_digest):
        raise UsageError(f"--patch {request.patch_digest!r} is not a 64-hex sha256 patch digest")
    moment = parse_expiry(request.expires)
    if moment is None:
        raise UsageError(
            f"--expires {request.expires!r} is not a date (YYYY-MM-DD) or an RFC 3339 time "
            "with an offset"
        )
    if moment <= now:
        raise UsageError(f"--expires {request.expires} is already past")
    if not request.reason.strip():
        raise UsageError("--reason must say why the rule is waived")


def waive(ledger: Ledger, rbac: Rbac, request: WaiverRequest) -> tuple[int, str]:
    """Record a waiver by an actor allowed to waive rules; return (seq, waiver id)."""
    validate_waiver(request, parse_time(ledger.clock()))
    identity = rbac.resolve(request.actor, request.repository)
    if WAIVE_PERMISSION not in identity.permissions:
        raise Refused(
            f"{request.actor} lacks the {WAIVE_PERMISSION} permission on {request.repository} "
            f"needed to waive rules (roles: {', '.join(identity.roles) or 'none'})"
        )
    waiver_id = new_id("wvr", request.rule, request.actor, request.expires)
    appended = ledger.append(
        AppendRequest(
            GATE_WAIVER,
            {
                "waiver_id": waiver_id,
                "rule": request.rule,
                "path": request.path,
                "symbol": request.symbol,
                "patch_digest": request.patch_digest,
                "repository": request.repository,
                "expires": request.expires,
                "reason": request.reason,
            },
            actor=request.actor,
        )
    )
    return appended.seq, waiver_id
