"""`decide` fails closed on every policy fault; the embedded engine is exact and deterministic."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tidegate.policy.bundle import load_bundle
from tidegate.policy.embedded import EmbeddedEngine, regorus_message
from tidegate.policy.engine import UNDEFINED, EngineInfo, decide, fail_closed
from tidegate.policy.errors import PolicyError
from tidegate.schemas import schema_errors

POLICIES = Path(__file__).resolve().parents[1] / "data" / "policies"
BASE_INPUT: dict[str, Any] = json.loads((POLICIES / "inputs" / "base.json").read_text())


def gate_input(repository: str = "shop") -> dict[str, Any]:
    document = copy.deepcopy(BASE_INPUT)
    document["subject"]["repository"] = repository
    return document


@pytest.fixture(scope="module")
def conformance() -> EmbeddedEngine:
    return EmbeddedEngine(load_bundle(POLICIES / "conformance"))


@pytest.fixture(scope="module")
def faulty() -> EmbeddedEngine:
    return EmbeddedEngine(load_bundle(POLICIES / "faulty"))


def assert_failed_closed(decision: Mapping[str, Any], cause: str) -> None:
    """The fail-closed document, exactly, and valid against the decision schema."""
    assert schema_errors(decision, "policy-decision") == []
    assert decision == fail_closed(cause)
    assert decision["action"] == "deny"
    assert decision["rollout"] == {"strategy": "none", "percent": 0}
    assert decision["risk"] == {"score": 1000, "band": "critical", "contributions": []}
    (reason,) = decision["reasons"]
    assert (reason["rule"], reason["severity"], reason["action"]) == (
        "engine.error",
        "critical",
        "deny",
    )
    assert cause in reason["message"]


# --------------------------------------------------------------------------------------------
# decide: a valid decision passes through; every fault fails closed
# --------------------------------------------------------------------------------------------


def test_a_valid_decision_is_returned_as_is(conformance: EmbeddedEngine) -> None:
    evaluated = decide(conformance, gate_input())
    assert (evaluated.error, evaluated.failed_closed) == (None, False)
    assert schema_errors(evaluated.decision, "policy-decision") == []
    assert evaluated.decision["action"] == "review"
    assert evaluated.decision["risk"]["score"] == 558
    assert [r["rule"] for r in evaluated.decision["reasons"]] == ["risk.band", "tests.weakened"]


def test_division_by_zero_fails_closed_naming_the_line(faulty: EmbeddedEngine) -> None:
    evaluated = decide(faulty, gate_input("divide-by-zero"))
    assert evaluated.error == "faulty/gate.rego:10:15: divide by zero"
    assert_failed_closed(evaluated.decision, evaluated.error)


def test_conflicting_rule_values_fail_closed(faulty: EmbeddedEngine) -> None:
    evaluated = decide(faulty, gate_input("conflict"))
    assert (
        evaluated.error
        == "faulty/gate.rego:14:1: rule conflicts with rule at faulty/gate.rego:12:1"
    )
    assert_failed_closed(evaluated.decision, evaluated.error)


def test_an_undefined_decision_fails_closed(faulty: EmbeddedEngine) -> None:
    evaluated = decide(faulty, gate_input("no-rule-matches"))
    assert evaluated.error == "data.tidegate.gate.decision is undefined for this input"
    assert_failed_closed(evaluated.decision, evaluated.error)


def test_a_decision_that_fails_its_schema_fails_closed(faulty: EmbeddedEngine) -> None:
    evaluated = decide(faulty, gate_input("invalid-decision"))
    assert evaluated.error is not None
    assert evaluated.error.startswith(
        "the decision (data.tidegate.gate.decision) does not match policy-decision.schema.json:"
        " $: 'rollout' is a required property"
    )
    assert evaluated.error.endswith("(and 2 more)")
    assert_failed_closed(evaluated.decision, evaluated.error)


def test_an_input_that_fails_its_schema_fails_closed_before_evaluating() -> None:
    class Refusing:
        info = EngineInfo("refusing", "0")

        def evaluate(self, input_doc: Mapping[str, Any]) -> Any:
            raise AssertionError("an invalid input must not be evaluated")

        def eval_query(self, query: str, input_doc: Mapping[str, Any]) -> Any:
            raise AssertionError

    document = gate_input()
    document["features"]["size"]["value"] = 1001
    evaluated = decide(Refusing(), document)
    assert evaluated.error == (
        "the gate input does not match gate-input.schema.json:"
        " $.features.size.value: 1001 is greater than the maximum of 1000"
    )
    assert_failed_closed(evaluated.decision, evaluated.error)


def test_an_unsafe_variable_fails_closed_at_evaluation(tmp_path: Path) -> None:
    # regorus analyses rules lazily: the error surfaces when the decision is evaluated.
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "gate.rego").write_text(
        "package tidegate.gate\n\nimport rego.v1\n\ndecision := y\n"
    )
    evaluated = decide(EmbeddedEngine(load_bundle(tmp_path / "policies")), gate_input())
    assert evaluated.error is not None
    assert evaluated.error.startswith("policies/gate.rego:5:13: var y is unsafe")
    assert_failed_closed(evaluated.decision, evaluated.error)


def test_any_engine_exception_fails_closed() -> None:
    class Crashing:
        info = EngineInfo("crashing", "0")

        def evaluate(self, input_doc: Mapping[str, Any]) -> Any:
            raise KeyError("boom")

        def eval_query(self, query: str, input_doc: Mapping[str, Any]) -> Any:
            raise AssertionError

    evaluated = decide(Crashing(), gate_input())
    assert evaluated.error == "crashing engine failed: KeyError: 'boom'"
    assert_failed_closed(evaluated.decision, evaluated.error)


def test_a_policy_error_from_the_engine_fails_closed() -> None:
    class Failing:
        info = EngineInfo("failing", "0")

        def evaluate(self, input_doc: Mapping[str, Any]) -> Any:
            raise PolicyError("OPA at http://127.0.0.1:9: cannot connect")

        def eval_query(self, query: str, input_doc: Mapping[str, Any]) -> Any:
            raise AssertionError

    evaluated = decide(Failing(), gate_input())
    assert_failed_closed(evaluated.decision, "OPA at http://127.0.0.1:9: cannot connect")


# --------------------------------------------------------------------------------------------
# the embedded engine
# --------------------------------------------------------------------------------------------


def test_the_engine_names_itself(conformance: EmbeddedEngine) -> None:
    assert conformance.info.name == "embedded"
    assert conformance.info.version.startswith("regorus 0.")
    assert conformance.info.url is None


def test_evaluation_is_deterministic_and_keeps_no_state_between_inputs(
    conformance: EmbeddedEngine,
) -> None:
    first = json.dumps(conformance.evaluate(gate_input()), sort_keys=True)
    other = gate_input()
    other["features"]["secrets_added"] = {"count": 1, "changes": ["c1"]}
    denied = conformance.evaluate(other)
    assert denied["action"] == "deny"
    again = [json.dumps(conformance.evaluate(gate_input()), sort_keys=True) for _ in range(20)]
    rebuilt = EmbeddedEngine(load_bundle(POLICIES / "conformance"))
    assert set(again) == {first}
    assert json.dumps(rebuilt.evaluate(gate_input()), sort_keys=True) == first


def test_undefined_is_a_sentinel_not_a_value(faulty: EmbeddedEngine) -> None:
    assert faulty.evaluate(gate_input("nothing")) is UNDEFINED
    assert not UNDEFINED
    assert repr(UNDEFINED) == "UNDEFINED"


def test_eval_query_values(conformance: EmbeddedEngine) -> None:
    document = gate_input()
    assert conformance.eval_query("data.tidegate.gate.score", document) == 558
    assert conformance.eval_query("input.subject.repository", document) == "shop"
    assert conformance.eval_query("input.no.such.thing", document) is UNDEFINED
    assert conformance.eval_query("input.features.size.value > 1", document) is True
    assert conformance.eval_query("input.change.kinds[_].id", document) == ["c1", "c2"]


def test_eval_query_errors_are_one_line(conformance: EmbeddedEngine) -> None:
    with pytest.raises(PolicyError) as caught:
        conformance.eval_query("1 +", gate_input())
    assert "\n" not in caught.value.message
    assert caught.value.message.startswith("<query.rego>:")
    with pytest.raises(PolicyError, match="the query is empty"):
        conformance.eval_query("  ", gate_input())


def test_regorus_diagnostics_become_one_line() -> None:
    text = (
        "\n--> policies/gate.rego:4:11\n  |\n4 | divz := 1 / input.z\n  |           ^\n"
        "error: divide by zero"
    )
    assert regorus_message(RuntimeError(text)) == "policies/gate.rego:4:11: divide by zero"
    assert regorus_message(RuntimeError("plain failure\nsecond line")) == (
        "plain failure second line"
    )
    assert regorus_message(RuntimeError("")) == "unknown regorus error"
