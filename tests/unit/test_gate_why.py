"""tidegate.gate.why and .reduce: candidate order, the counterfactual search, reduced inputs.

Explanations of real recorded decisions (git repository, ledger, policy changes, purged
inputs) are in tests/integration/test_gate_check.py.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tidegate.gate.policy_source import load_policy
from tidegate.gate.reduce import KEPT_FEATURES, without_changes
from tidegate.gate.replay import ACTION_RANK
from tidegate.gate.why import (
    MAX_CANDIDATES,
    MAX_EVALUATIONS,
    MAX_SUBSET,
    candidates,
    counterfactual,
    features_of,
    smallest_lowering_set,
)
from tidegate.policy.engine import decide
from tidegate.risk.features import RiskContext, build_features
from tidegate.risk.paths import path_rules
from tidegate.schemas import schema_errors

ROOT = Path(__file__).resolve().parents[2]
GATE_DATA = ROOT / "tests" / "data" / "gate"
DEFAULT_POLICIES = ROOT / "policies"
ACTIONS = ["allow", "canary", "review", "deny"]


def kind(
    identifier: str, file: str, significance: str = "medium", name: str = "function.body_changed"
) -> dict[str, Any]:
    return {
        "id": identifier,
        "kind": name,
        "significance": significance,
        "file": file,
        "symbol": "f",
        "line": 1,
        "old": None,
        "new": {"start": 1, "end": 2},
        "description": f"{name} in {file}",
        "details": {},
    }


def sample_input() -> dict[str, Any]:
    """The review sample, made consistent with the real feature rules (c3 weakens a test,
    c5 adds a secret in a new file), its features recomputed the way `gate check` does."""
    document: dict[str, Any] = json.loads((GATE_DATA / "input-review.json").read_text())
    change = document["change"]
    change["kinds"][2]["kind"] = "test.assertion_removed"
    change["files"].append(
        {
            "path": "src/cloud.py",
            "old_path": None,
            "status": "added",
            "language": "python",
            "analysed": True,
            "reason": None,
            "lines_added": 1,
            "lines_deleted": 0,
            "criticality": 0,
            "owners": [],
            "sensitive": None,
        }
    )
    change["kinds"].append(kind("c5", "src/cloud.py", "crucial", "secret.added"))
    change["lines_added"] += 1
    recorded = document["features"]
    rules = path_rules({"criticality": [{"glob": "src/auth/**", "level": 800}]})
    features = build_features(change, RiskContext(paths=rules))
    for name in KEPT_FEATURES:
        features[name] = recorded[name]
    document["features"] = features
    assert schema_errors(document, "gate-input") == []
    return document


# --- reduce ------------------------------------------------------------------------------------


def test_removing_nothing_keeps_the_input() -> None:
    document = sample_input()
    assert without_changes(document, set()) == document


def test_removing_the_only_change_of_a_file_drops_the_file() -> None:
    document = sample_input()
    original = copy.deepcopy(document)
    reduced = without_changes(document, {"c3"})
    assert document == original  # the input is not modified
    change = reduced["change"]
    assert [k["id"] for k in change["kinds"]] == ["c1", "c2", "c4", "c5"]
    assert [f["path"] for f in change["files"]] == [
        "src/auth/session.py",
        "assets/logo.png",
        "src/cloud.py",
    ]
    assert (change["lines_added"], change["lines_deleted"]) == (41, 6)
    features = reduced["features"]
    assert features["tests_weakened"] == {"value": 0, "count": 0, "changes": []}
    assert features["semantic_risk"]["counts"]["medium"] == 0
    assert features["files_touched"]["count"] == 3
    assert features["size"]["lines_changed"] == 47
    assert schema_errors(reduced, "gate-input") == []


def test_a_file_stays_while_any_of_its_changes_remains() -> None:
    reduced = without_changes(sample_input(), {"c1", "c2"})
    change = reduced["change"]
    assert "src/auth/session.py" in [f["path"] for f in change["files"]]
    assert [k["id"] for k in change["kinds"]] == ["c3", "c4", "c5"]
    assert reduced["features"]["blast_radius"]["value"] == 800  # c4 still touches it
    # Lines stay those of the file: the differ does not attribute lines to changes.
    assert change["lines_added"] == 43
    semantic = reduced["features"]["semantic_risk"]
    assert semantic["counts"] == {"none": 0, "low": 1, "medium": 1, "high": 0, "crucial": 1}
    assert semantic["max_significance"] == "crucial"  # c5


def test_features_are_recomputed_from_what_remains() -> None:
    document = sample_input()
    assert document["features"]["secrets_added"] == {"count": 1, "changes": ["c5"]}
    assert document["features"]["semantic_risk"]["max_significance"] == "crucial"
    reduced = without_changes(document, {"c1", "c2", "c4", "c5"})
    features = reduced["features"]
    assert features["secrets_added"] == {"count": 0, "changes": []}
    assert features["semantic_risk"]["max_significance"] == "medium"
    assert features["semantic_risk"]["value"] < document["features"]["semantic_risk"]["value"]
    assert features["blast_radius"]["value"] == 0
    assert features["blast_radius"]["critical_files"] == []
    # Files with no change at all (a binary the differ could not analyse) are not removed.
    paths = [f["path"] for f in reduced["change"]["files"]]
    assert paths == ["tests/test_session.py", "assets/logo.png"]
    assert reduced["change"]["unparsed"] == document["change"]["unparsed"]
    assert reduced["change"]["languages"] == ["python"]
    assert schema_errors(reduced, "gate-input") == []


def test_run_and_test_features_are_kept_as_recorded() -> None:
    document = sample_input()
    reduced = without_changes(document, {"c1", "c2", "c3", "c4", "c5"})
    for name in KEPT_FEATURES:
        assert reduced["features"][name] == document["features"][name]
    # Recomputing would have said "no run": the recorded run is kept.
    assert reduced["features"]["ai_behaviour"]["available"] is True
    assert reduced["change"]["kinds"] == []
    assert [f["path"] for f in reduced["change"]["files"]] == ["assets/logo.png"]
    assert reduced["change"]["languages"] == []
    for key in ("subject", "actor", "run", "approvals", "waivers", "version"):
        assert reduced[key] == document[key]
    assert schema_errors(reduced, "gate-input") == []


@settings(max_examples=100, deadline=None)
@given(removed=st.sets(st.sampled_from(["c1", "c2", "c3", "c4", "c5", "c99"])))
def test_any_reduction_is_a_valid_input_keeping_exactly_the_touched_files(
    removed: set[str],
) -> None:
    document = sample_input()
    reduced = without_changes(document, removed)
    assert schema_errors(reduced, "gate-input") == []
    kept = [k for k in document["change"]["kinds"] if k["id"] not in removed]
    assert reduced["change"]["kinds"] == kept
    with_changes = {k["file"] for k in document["change"]["kinds"]}
    expected = [
        f["path"]
        for f in document["change"]["files"]
        if f["path"] not in with_changes or f["path"] in {k["file"] for k in kept}
    ]
    assert [f["path"] for f in reduced["change"]["files"]] == expected
    # Removing more never raises a change-derived feature.
    for feature in ("size", "files_touched", "blast_radius", "semantic_risk", "tests_weakened"):
        assert reduced["features"][feature]["value"] <= document["features"][feature]["value"]


def test_removing_nothing_reproduces_blast_radius_globs() -> None:
    rules = path_rules(yaml.safe_load((DEFAULT_POLICIES / "data" / "paths.yaml").read_text()))
    files = [
        {
            "path": path,
            "old_path": None,
            "status": "modified",
            "language": "python",
            "analysed": True,
            "reason": None,
            "lines_added": 1,
            "lines_deleted": 1,
            "criticality": 800,
            "owners": [],
            "sensitive": None,
        }
        for path in ("a/auth/z.py", "auth/b.py")
    ]
    change = {
        "files": files,
        "lines_added": 2,
        "lines_deleted": 2,
        "languages": ["python"],
        "kinds": [kind("c1", "a/auth/z.py"), kind("c2", "auth/b.py")],
        "patterns": [],
        "unparsed": [],
    }
    features = build_features(change, RiskContext(paths=rules))
    recorded = {f["path"]: f["glob"] for f in features["blast_radius"]["critical_files"]}
    assert recorded == {"a/auth/z.py": "**/auth/**", "auth/b.py": "auth/**"}
    document = json.loads((GATE_DATA / "input-review.json").read_text())
    document["change"], document["features"] = change, features
    reduced = without_changes(document, set())
    assert reduced["features"]["blast_radius"] == features["blast_radius"]


# --- candidates --------------------------------------------------------------------------------


def decision(action: str, reasons: list[dict[str, Any]]) -> dict[str, Any]:
    return {"action": action, "reasons": reasons}


def reason(action: str, *changes: str) -> dict[str, Any]:
    return {
        "rule": "r",
        "action": action,
        "evidence": [{"file": "f", "change": c} for c in changes] + [{"file": "no-change"}],
    }


def test_candidates_put_changes_cited_by_deciding_reasons_first() -> None:
    document = {
        "change": {
            "kinds": [
                kind("c1", "a", "low"),
                kind("c2", "a", "crucial"),
                kind("c3", "a", "medium"),
                kind("c4", "a", "high"),
                kind("c5", "a", "none"),
                kind("c6", "a", "high"),
            ]
        }
    }
    result = candidates(
        document,
        decision(
            "review", [reason("canary", "c1"), reason("review", "c5", "c3"), reason("review", "c5")]
        ),
    )
    # Cited by a review reason, in citation order (once), then by significance, then id.
    assert result == ["c5", "c3", "c2", "c4", "c6", "c1"]
    # With no citing reason, pure significance order.
    assert candidates(document, decision("deny", [])) == ["c2", "c4", "c6", "c3", "c1", "c5"]


def test_candidates_are_capped() -> None:
    kinds = [kind(f"c{i:02d}", "a", "low") for i in range(1, 31)]
    kinds.append(kind("c99", "a", "crucial"))
    result = candidates({"change": {"kinds": kinds}}, decision("review", [reason("review", "c30")]))
    assert len(result) == MAX_CANDIDATES
    assert result[:3] == ["c30", "c99", "c01"]
    assert len(set(result)) == len(result)


# --- smallest_lowering_set ---------------------------------------------------------------------


def monotone_oracle(
    families: list[tuple[frozenset[str], str]], action: str
) -> Callable[[frozenset[str]], str]:
    """Removing any superset of a family's set lowers the action to (at most) its level."""

    def evaluate(removed: frozenset[str]) -> str:
        reached = [level for needed, level in families if needed <= removed]
        return min(reached, key=ACTION_RANK.__getitem__) if reached else action

    return evaluate


def lowers(evaluate: Callable[[frozenset[str]], str], subset: frozenset[str], action: str) -> bool:
    return ACTION_RANK[evaluate(subset)] < ACTION_RANK[action]


@st.composite
def search_cases(draw: st.DrawFn) -> tuple[list[str], list[tuple[frozenset[str], str]], str]:
    units = [f"c{i}" for i in range(draw(st.integers(0, 9)))]
    action = draw(st.sampled_from(["canary", "review", "deny"]))
    lower = [a for a in ACTIONS if ACTION_RANK[a] < ACTION_RANK[action]]
    families = draw(
        st.lists(
            st.tuples(
                st.frozensets(st.sampled_from(units), min_size=1, max_size=6)
                if units
                else st.nothing(),
                st.sampled_from(lower),
            ),
            max_size=4,
        )
        if units
        else st.just([])
    )
    return units, families, action


@settings(max_examples=400, deadline=None)
@given(case=search_cases())
def test_smallest_lowering_set_is_minimal_when_exhaustive(
    case: tuple[list[str], list[tuple[frozenset[str], str]], str],
) -> None:
    units, families, action = case
    calls: list[frozenset[str]] = []
    oracle = monotone_oracle(families, action)

    def evaluate(removed: frozenset[str]) -> str:
        calls.append(removed)
        return oracle(removed)

    found = smallest_lowering_set(units, evaluate, action)
    assert found["searched"] == len(calls)
    smallest = next(
        (
            size
            for size in range(1, len(units) + 1)
            if any(lowers(oracle, frozenset(s), action) for s in combinations(units, size))
        ),
        None,
    )
    if smallest is None:
        assert found == {
            "remove": [],
            "lowered_to": None,
            "searched": len(calls),
            "exhaustive": False,
        }
        return
    removed = frozenset(found["remove"])
    assert found["lowered_to"] == oracle(removed)
    assert lowers(oracle, removed, action)
    assert set(found["remove"]) <= set(units)
    if smallest <= MAX_SUBSET:
        # Brute force: nothing smaller lowers it, and it is reported as exhaustive.
        assert found["exhaustive"] is True
        assert len(found["remove"]) == smallest
    else:
        assert found["exhaustive"] is False
        assert len(found["remove"]) >= smallest


def test_greedy_fallback_removes_in_candidate_order() -> None:
    units = ["c1", "c2", "c3", "c4", "c5"]
    oracle = monotone_oracle([(frozenset({"c1", "c2", "c3", "c4"}), "canary")], "review")
    found = smallest_lowering_set(units, oracle, "review")
    # 5 + 10 + 10 subsets of up to 3 units, then 4 greedy steps.
    assert found == {
        "remove": ["c1", "c2", "c3", "c4"],
        "lowered_to": "canary",
        "searched": 25 + 4,
        "exhaustive": False,
    }


def test_search_stops_exhaustive_part_at_the_evaluation_budget() -> None:
    units = [f"c{i:02d}" for i in range(MAX_CANDIDATES)]
    oracle = monotone_oracle([(frozenset(units[-3:]), "allow")], "deny")
    found = smallest_lowering_set(units, oracle, "deny")
    assert found["searched"] <= MAX_EVALUATIONS + len(units)
    # The lowering triple is the last one by candidate order, past the budget: greedy finds
    # the whole list instead, and says the result may not be the smallest.
    assert found["exhaustive"] is False
    assert found["remove"] == units and found["lowered_to"] == "allow"


def test_first_lowering_subset_wins_even_if_it_lowers_less() -> None:
    oracle = monotone_oracle(
        [(frozenset({"c2"}), "review"), (frozenset({"c1", "c2"}), "allow")], "deny"
    )
    found = smallest_lowering_set(["c1", "c2"], oracle, "deny")
    assert found == {"remove": ["c2"], "lowered_to": "review", "searched": 2, "exhaustive": True}


# --- counterfactual and features on the real engine ------------------------------------------


@pytest.fixture(scope="module")
def engine() -> Any:
    loaded = load_policy(DEFAULT_POLICIES)
    assert loaded.engine is not None, loaded.error
    return loaded.engine


def test_counterfactual_names_the_changes_to_remove(engine: Any) -> None:
    document = sample_input()
    document["approvals"] = []
    decided = decide(engine, document)
    assert decided.error is None
    assert decided.decision["action"] == "deny"  # c5 adds a secret
    found = counterfactual(document, decided.decision, engine, "note")
    assert found is not None and found["exhaustive"] is True
    assert [r["change"] for r in found["remove"]] == ["c5"]
    assert found["remove"][0] == {
        "change": "c5",
        "kind": "secret.added",
        "file": "src/cloud.py",
        "line": 1,
        "symbol": "f",
        "description": "secret.added in src/cloud.py",
    }
    assert ACTION_RANK[found["lowered_to"]] < ACTION_RANK["deny"]
    again = decide(engine, without_changes(document, {"c5"}))
    assert again.decision["action"] == found["lowered_to"]
    assert found["note"] == "note"


def test_counterfactual_of_allow_is_none_and_without_engine_says_why(engine: Any) -> None:
    document = sample_input()
    assert counterfactual(document, {"action": "allow"}, engine, "x") is None
    assert counterfactual(document, {"action": "review", "reasons": []}, None, "no engine") == {
        "lowered_to": None,
        "remove": [],
        "searched": 0,
        "exhaustive": False,
        "note": "no engine",
    }


def test_counterfactual_when_no_subset_lowers(engine: Any) -> None:
    document = sample_input()
    document["actor"] = {"id": "agent:x", "kind": "agent", "roles": [], "permissions": []}
    decided = decide(engine, document)
    assert decided.decision["action"] == "deny"  # rbac.not_permitted stands on its own
    found = counterfactual(document, decided.decision, engine, "n")
    assert found is not None and found["lowered_to"] is None and found["remove"] == []
    assert "no subset of the patch's changes lowers the outcome" in found["note"]


def test_features_of_pairs_each_feature_with_its_contribution(engine: Any) -> None:
    document = sample_input()
    decided = decide(engine, document).decision
    features = features_of(document, decided)
    assert [f["feature"] for f in features] == sorted(document["features"])
    by_name = {f["feature"]: f for f in features}
    for contribution in decided["risk"]["contributions"]:
        item = by_name[contribution["feature"]]
        assert (item["value"], item["weight"], item["points"]) == (
            contribution["value"],
            contribution["weight"],
            contribution["points"],
        )
    # secrets_added is a rule, not a weighted feature: no contribution.
    assert by_name["secrets_added"]["weight"] == 0 and by_name["secrets_added"]["points"] == 0
    assert by_name["secrets_added"]["details"] == document["features"]["secrets_added"]
