"""`gate why`: the rules, evidence and features behind a decision, and what would have lowered it."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

from tidegate.errors import TidegateError, UsageError
from tidegate.gate.policy_source import LoadedPolicy, load_policy
from tidegate.gate.records import Recorded, approvals_for, decision_input, entries_of, find_decision
from tidegate.gate.reduce import without_changes
from tidegate.gate.replay import ACTION_RANK
from tidegate.ledger.kinds import POLICY_LOADED
from tidegate.ledger.store import LedgerStore
from tidegate.policy.engine import Engine, decide

MAX_CANDIDATES = 16
MAX_EVALUATIONS = 400
MAX_SUBSET = 3
_SIGNIFICANCE_RANK = {"crucial": 0, "high": 1, "medium": 2, "low": 3, "none": 4}


def candidates(input_doc: dict[str, Any], decision: dict[str, Any]) -> list[str]:
    """Return the change ids worth removing, most likely to matter first.

    Changes cited by the reasons that set the outcome come first, then every other change by
    significance: a risk score is moved by all changes, a rule only by the ones it cites.
    """
    action = decision["action"]
    cited: list[str] = []
    for reason in decision.get("reasons", []):
        if reason["action"] == action:
            cited.extend(e["change"] for e in reason.get("evidence", []) if "change" in e)
    kinds = input_doc["change"]["kinds"]
    ranked = sorted(kinds, key=lambda k: (_SIGNIFICANCE_RANK.get(k["significance"], 5), k["id"]))
    ordered = list(dict.fromkeys([*cited, *(k["id"] for k in ranked)]))
    return ordered[:MAX_CANDIDATES]


def smallest_lowering_set(
    units: Sequence[str], evaluate: Callable[[frozenset[str]], str], action: str
) -> dict[str, Any]:
    """Search subsets of ``units`` by size for the smallest whose removal lowers ``action``.

    Exhaustive up to MAX_SUBSET units within MAX_EVALUATIONS evaluations; past that, a greedy
    removal in candidate order, reported as not exhaustive (it may not be the smallest).
    """
    searched = 0
    for size in range(1, min(MAX_SUBSET, len(units)) + 1):
        for subset in combinations(units, size):
            if searched >= MAX_EVALUATIONS:
                break
            searched += 1
            lowered = evaluate(frozenset(subset))
            if ACTION_RANK[lowered] < ACTION_RANK[action]:
                return {
                    "remove": list(subset),
                    "lowered_to": lowered,
                    "searched": searched,
                    "exhaustive": True,
                }
    removed: list[str] = []
    for unit in units:
        removed.append(unit)
        searched += 1
        lowered = evaluate(frozenset(removed))
        if ACTION_RANK[lowered] < ACTION_RANK[action]:
            return {
                "remove": removed,
                "lowered_to": lowered,
                "searched": searched,
                "exhaustive": False,
            }
    return {"remove": [], "lowered_to": None, "searched": searched, "exhaustive": False}


def recorded_engine(
    store: LedgerStore, record: Recorded, current: LoadedPolicy
) -> tuple[Engine | None, str]:
    """Return an engine for the policy that made the decision, and a note on which one it is."""
    policy = record.body["policy"]
    digest, data_digest = policy["digest"], policy["data_digest"]
    same = current.bundle is not None and (current.bundle.digest, current.bundle.data_digest) == (
        digest,
        data_digest,
    )
    if same and current.engine is not None:
        return current.engine, "re-evaluated with the policy that decided (same digests)"
    for loaded in entries_of(store, POLICY_LOADED):
        if (loaded.body.get("digest"), loaded.body.get("data_digest")) != (digest, data_digest):
            continue
        blobs = store.blobs(list(loaded.blobs.values()))
        with tempfile.TemporaryDirectory(prefix="tidegate-policy-") as scratch:
            root = Path(scratch)
            for item in loaded.body["files"]:
                blob = blobs.get(item["sha256"])
                if blob is None or blob.content is None or not _safe_relative(item["path"]):
                    break
                target = root / item["path"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(blob.content)
            else:
                rebuilt = load_policy(root)
                if rebuilt.engine is not None:
                    return (
                        rebuilt.engine,
                        f"re-evaluated with the recorded policy (entry {loaded.seq})",
                    )
    if current.engine is not None:
        return current.engine, (
            f"the deciding policy ({digest[:12]}) is not recoverable from the ledger; "
            f"re-evaluated with the current policy ({current.digest[:12]})"
        )
    return None, f"no policy engine: {current.error}"


def counterfactual(
    input_doc: dict[str, Any], decision: dict[str, Any], engine: Engine | None, note: str
) -> dict[str, Any] | None:
    """Return the smallest set of changes whose removal lowers the outcome, or None."""
    action = decision["action"]
    if action == "allow":
        return None
    if engine is None:
        return {"lowered_to": None, "remove": [], "searched": 0, "exhaustive": False, "note": note}
    by_id = {k["id"]: k for k in input_doc["change"]["kinds"]}

    baseline = decide(engine, input_doc)
    if baseline.error is not None:
        return {
            "lowered_to": None,
            "remove": [],
            "searched": 1,
            "exhaustive": False,
            "note": note + f"; the recorded input does not evaluate cleanly now: {baseline.error}",
        }
    now = str(baseline.decision["action"])
    if now != action:
        # The policy, not the patch, moved the outcome: removing changes explains nothing.
        return {
            "lowered_to": now if ACTION_RANK[now] < ACTION_RANK[action] else None,
            "remove": [],
            "searched": 1,
            "exhaustive": False,
            "note": note + f"; with every change kept this policy already decides {now}, "
            f"not the recorded {action}: the policy differs, the changes are not the cause",
        }

    def evaluate(removed: frozenset[str]) -> str:
        reduced = without_changes(input_doc, removed)
        return str(decide(engine, reduced, input_checked=True).decision["action"])

    found = smallest_lowering_set(candidates(input_doc, decision), evaluate, action)
    remove = [
        {
            "change": cid,
            "kind": by_id[cid]["kind"],
            "file": by_id[cid]["file"],
            "line": by_id[cid]["line"],
            "symbol": by_id[cid]["symbol"],
            "description": by_id[cid]["description"],
        }
        for cid in found["remove"]
    ]
    if found["lowered_to"] is None:
        note += "; no subset of the patch's changes lowers the outcome (it does not depend on them)"
    return {**found, "remove": remove, "note": note}


def features_of(input_doc: dict[str, Any], decision: dict[str, Any]) -> list[dict[str, Any]]:
    """Return each risk feature with its contribution and the raw details behind it."""
    contributions = {c["feature"]: c for c in decision["risk"]["contributions"]}
    features = []
    for name, details in sorted(input_doc["features"].items()):
        contribution = contributions.get(name, {})
        features.append(
            {
                "feature": name,
                "value": contribution.get("value", details.get("value")),
                "weight": contribution.get("weight", 0),
                "points": contribution.get("points", 0),
                "details": details,
            }
        )
    return features


def _safe_relative(path: str) -> bool:
    """Whether a recorded policy file path stays inside the directory it is rebuilt in."""
    parts = Path(path).parts
    return bool(parts) and not Path(path).is_absolute() and ".." not in parts


def explain(store: LedgerStore, decision_id: str, current: LoadedPolicy) -> dict[str, Any]:
    """Return the why document of a recorded decision (schemas/gate-why.schema.json)."""
    record = find_decision(store, decision_id)
    body = record.body
    decision = body["decision"]
    try:
        input_doc: dict[str, Any] | None = decision_input(store, record)
    except UsageError:
        input_doc = None
    present = [
        {"actor": a.body["approver"], "roles": a.body["roles"], "time": a.time, "seq": a.seq}
        for a in approvals_for(store, body["subject"]["patch_digest"])
    ]
    document: dict[str, Any] = {
        "decision_id": decision_id,
        "seq": record.seq,
        "action": decision["action"],
        "time": record.time,
        "subject": body["subject"],
        "actor": body["actor"],
        "error": body.get("error"),
        "rules": decision["reasons"],
        "waived": decision["waived"],
        "risk": {"score": decision["risk"]["score"], "band": decision["risk"]["band"]},
        "rollout": decision["rollout"],
        "features": features_of(input_doc, decision) if input_doc else [],
        "approvals": {"required": decision["required_approvals"], "present": present},
        "counterfactual": None,
    }
    if body.get("error"):
        document["counterfactual"] = {
            "lowered_to": None,
            "remove": [],
            "searched": 0,
            "exhaustive": False,
            "note": f"the gate failed closed ({body['error']}); no change of the patch lowers "
            "that: fix the policy or its data and check again",
        }
        return document
    if input_doc is None:
        document["counterfactual"] = {
            "lowered_to": None,
            "remove": [],
            "searched": 0,
            "exhaustive": False,
            "note": "the decision's input was purged; it cannot be re-evaluated",
        }
        return document
    try:
        engine, note = recorded_engine(store, record, current)
    except TidegateError as exc:
        engine, note = None, exc.message
    document["counterfactual"] = counterfactual(input_doc, decision, engine, note)
    return document
