"""`gate check`: a patch becomes a gate input, a policy decision, and a signed ledger entry."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tidegate._time import parse_time
from tidegate.canonical import canonical_json
from tidegate.diff import Options
from tidegate.gate.outcome import exit_code
from tidegate.gate.patch import AnalysedPatch, analyse_patch, analyse_range
from tidegate.gate.policy_source import LoadedPolicy
from tidegate.gate.records import (
    Recorded,
    approvals_for,
    recorded_policies,
    run_facts,
    test_result_notes,
    waiver_status,
    waivers_for,
)
from tidegate.ledger.entry import Subject
from tidegate.ledger.kinds import GATE_DECISION, POLICY_LOADED
from tidegate.ledger.log import AppendRequest, Ledger
from tidegate.policy.engine import decide, fail_closed
from tidegate.rbac import Identity, Rbac, load_rbac
from tidegate.risk.codeowners import parse_codeowners
from tidegate.risk.coverage import load_coverage
from tidegate.risk.features import RiskContext, build_change, build_features, run_json
from tidegate.risk.history import outcomes_from_note
from tidegate.risk.paths import PathRules, path_rules
from tidegate.secrets import mask_document

INPUT_VERSION = 1
INPUT_BLOB = "input.json"


@dataclass(frozen=True)
class CheckRequest:
    """What `gate check` was asked: a git range or a patch, by whom, with what context."""

    repo: Path
    repository: str
    actor: str
    base: str | None = None
    head: str | None = None
    patch_text: str | None = None
    patch_source: str = "patch"
    run_id: str | None = None
    coverage: Path | None = None
    max_file_bytes: int = 1 << 20


@dataclass(frozen=True)
class CheckResult:
    """A recorded decision: the ledger entry's body, its sequence number and the exit code."""

    seq: int
    record: dict[str, Any]
    input_doc: dict[str, Any]

    @property
    def exit_code(self) -> int:
        """0 proceed (allow, canary), 10 review required, 20 denied, 1 could not decide."""
        return exit_code(self.record)


def new_id(prefix: str, *parts: str) -> str:
    """Return a fresh id ``prefix-<20 hex>`` bound to ``parts`` and 80 random bits."""
    seed = "\x00".join(parts).encode() + os.urandom(10)
    return f"{prefix}-{hashlib.sha256(seed).hexdigest()[:20]}"


def _rbac(policy: LoadedPolicy) -> tuple[Rbac, str | None]:
    try:
        return load_rbac(policy.data.get("rbac", {})), None
    except Exception as exc:  # any data fault must fail closed, not crash
        return Rbac({}, {}), f"policy data rbac: {exc}"


def _paths(policy: LoadedPolicy) -> tuple[PathRules, str | None]:
    try:
        return path_rules(policy.data.get("paths", {})), None
    except Exception as exc:  # any data fault must fail closed, not crash
        return path_rules({}), f"policy data paths: {exc}"


def approvals_input(
    records: list[Recorded], author: str, rbac: Rbac, repository: str
) -> list[dict[str, Any]]:
    """Return the input's approvals: one per approver who is not the author, roles as of now."""
    latest: dict[str, Recorded] = {}
    for record in records:
        approver = str(record.body.get("approver"))
        if approver != author:
            latest[approver] = record
    approvals = []
    for approver, record in sorted(latest.items()):
        roles = rbac.resolve(approver, repository).roles
        if not roles:
            continue
        approvals.append(
            {
                "id": str(record.seq),
                "actor": approver,
                "roles": list(roles),
                "decision_id": str(record.body.get("decision_id")),
                "time": record.time,
                "comment": record.body.get("comment"),
            }
        )
    return approvals


def waivers_input(records: list[Recorded], now: datetime) -> list[dict[str, Any]]:
    """Return the input's waivers with their status as of ``now``."""
    return [
        {
            "id": str(record.body.get("waiver_id")),
            "rule": str(record.body.get("rule")),
            "path": record.body.get("path"),
            "symbol": record.body.get("symbol"),
            "patch_digest": record.body.get("patch_digest"),
            "expires": str(record.body.get("expires")),
            "actor": record.actor,
            "reason": str(record.body.get("reason")),
            "status": waiver_status(record.body.get("expires"), now),
        }
        for record in records
    ]


def analyse(request: CheckRequest) -> AnalysedPatch:
    """Run the semantic differ over the request's range or patch."""
    options = Options(max_file_bytes=request.max_file_bytes)
    lines = request.coverage is not None
    if request.patch_text is not None:
        return analyse_patch(
            request.patch_text,
            request.repo,
            options,
            source=request.patch_source,
            track_lines=lines,
        )
    assert request.base is not None
    return analyse_range(
        request.repo, request.base, request.head or "HEAD", options, track_lines=lines
    )


def build_input(
    request: CheckRequest,
    patch: AnalysedPatch,
    identity: Identity,
    paths: PathRules,
    ledger: Ledger,
    rbac: Rbac,
) -> dict[str, Any]:
    """Assemble the gate input (schemas/gate-input.schema.json), secrets masked."""
    store = ledger.store
    history = [o for body in test_result_notes(store) for o in outcomes_from_note(body)[0]]
    context = RiskContext(
        paths=paths,
        codeowners=parse_codeowners(patch.codeowners) if patch.codeowners else None,
        coverage=load_coverage(request.coverage, request.repo) if request.coverage else None,
        history=history,
        run=run_facts(store, request.run_id) if request.run_id else None,
        changed=patch.changed,
    )
    change = build_change(patch.diff, context)
    now = parse_time(ledger.clock())
    document = {
        "version": INPUT_VERSION,
        "subject": {
            "repository": request.repository,
            "source": patch.source,
            "base": patch.base,
            "head": patch.head,
            "patch_digest": patch.digest,
        },
        "actor": identity.as_input(),
        "change": change,
        "features": build_features(change, context),
        "run": run_json(context.run),
        "approvals": approvals_input(
            approvals_for(store, patch.digest), identity.id, rbac, request.repository
        ),
        "waivers": waivers_input(waivers_for(store, request.repository, patch.digest), now),
    }
    masked: dict[str, Any] = mask_document(document)
    return masked


def waiver_report(input_doc: dict[str, Any], decision: dict[str, Any]) -> dict[str, list[str]]:
    """Return which waivers applied, which had expired (or were malformed), which matched nothing."""
    applied = sorted({str(w["waiver"]) for w in decision.get("waived", [])})
    expired = sorted(w["id"] for w in input_doc.get("waivers", []) if w["status"] != "active")
    unused = sorted(
        w["id"]
        for w in input_doc.get("waivers", [])
        if w["status"] == "active" and w["id"] not in applied
    )
    return {"applied": applied, "expired": expired, "unused": unused}


def summary(input_doc: dict[str, Any]) -> dict[str, int]:
    """Return the size summary recorded with a decision."""
    change = input_doc.get("change", {})
    return {
        "files": len(change.get("files", [])),
        "lines_added": int(change.get("lines_added", 0)),
        "lines_deleted": int(change.get("lines_deleted", 0)),
        "changes": len(change.get("kinds", [])),
    }


def _record_policy(ledger: Ledger, policy: LoadedPolicy) -> None:
    """Append policy.loaded the first time a policy and data digest decide (with the files)."""
    bundle = policy.bundle
    if bundle is None or (bundle.digest, bundle.data_digest) in recorded_policies(ledger.store):
        return
    files = [(f, "policy") for f in bundle.modules] + [(f, "data") for f in bundle.data_files]
    ledger.append(
        AppendRequest(
            POLICY_LOADED,
            {
                "digest": bundle.digest,
                "data_digest": bundle.data_digest,
                "source": policy.source,
                "files": [{"path": f.path, "sha256": f.sha256, "role": role} for f, role in files],
            },
            blobs={f.path: f.text.encode() for f, _ in files},
        )
    )


def check(request: CheckRequest, ledger: Ledger, policy: LoadedPolicy) -> CheckResult:
    """Decide about a patch and record the decision; a policy fault fails closed, recorded."""
    rbac, rbac_error = _rbac(policy)
    paths, paths_error = _paths(policy)
    identity = rbac.resolve(request.actor, request.repository)
    patch = analyse(request)
    input_doc = build_input(request, patch, identity, paths, ledger, rbac)
    problem = policy.error or rbac_error or paths_error
    if problem is not None or policy.engine is None:
        decision, error = fail_closed(problem or "no policy engine"), problem
    else:
        evaluated = decide(policy.engine, input_doc)
        decision, error = evaluated.decision, evaluated.error
    input_bytes = canonical_json(input_doc)
    input_digest = hashlib.sha256(input_bytes).hexdigest()
    decision_id = new_id("dec", input_digest, policy.digest)
    info = policy.engine_info()
    engine: dict[str, Any] = {"name": info.name, "version": info.version}
    if info.url:
        engine["url"] = info.url
    record: dict[str, Any] = {
        "decision_id": decision_id,
        "subject": input_doc["subject"],
        "actor": {"id": identity.id, "kind": identity.kind, "roles": list(identity.roles)},
        "input_digest": input_digest,
        "run_id": request.run_id,
        "decision": decision,
        "engine": engine,
        "policy": {
            "digest": policy.digest,
            "data_digest": policy.data_digest,
            "source": policy.source,
        },
        "error": error,
        "waivers": waiver_report(input_doc, decision),
        "summary": summary(input_doc),
    }
    _record_policy(ledger, policy)
    appended = ledger.append(
        AppendRequest(
            GATE_DECISION,
            record,
            subjects=[
                Subject("patch", input_doc["subject"]["patch_digest"]),
                Subject("input", input_digest),
            ],
            blobs={INPUT_BLOB: input_bytes},
        )
    )
    return CheckResult(appended.seq, record, json.loads(input_bytes))
