"""What every policy engine offers, and `decide`: one gate input in, one valid decision out.

`decide` never raises for a policy problem. An input that fails its schema, an engine error,
an undefined decision or a decision that fails its schema all give the fail-closed document
(deny, one `engine.error` reason naming the cause) and the cause (docs/gate.md, "Fail closed").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from tidegate.policy.errors import PolicyError
from tidegate.schemas import schema_errors

DECISION_PATH: Final = "tidegate/gate/decision"
DECISION_QUERY: Final = "data.tidegate.gate.decision"
INPUT_SCHEMA: Final = "gate-input"
DECISION_SCHEMA: Final = "policy-decision"
# `policy eval --query Q` evaluates `QUERY_VAR := (Q)` on every engine, so OPA's query API
# (which answers with bindings only) and regorus give the same values.
QUERY_VAR: Final = "tidegate_query_value"
MAX_SCHEMA_ERRORS: Final = 3


class Undefined:
    """The type of UNDEFINED: a query that produced no value (not null, not false)."""

    _instance: Undefined | None = None

    def __new__(cls) -> Undefined:
        """Return the one instance, so ``is UNDEFINED`` always works."""
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        """Show the sentinel by name."""
        return "UNDEFINED"

    def __bool__(self) -> bool:
        """Undefined is never truthy (a test rule that is undefined fails)."""
        return False


UNDEFINED: Final = Undefined()


@dataclass(frozen=True)
class EngineInfo:
    """Which engine decided: its name (embedded, opa), version and URL (OPA, credentials masked)."""

    name: str
    version: str
    url: str | None = None


class Engine(Protocol):
    """A policy engine loaded with one bundle, ready to evaluate inputs."""

    @property
    def info(self) -> EngineInfo:
        """Return the engine's identity, recorded with every decision."""
        ...

    def evaluate(self, input_doc: Mapping[str, Any]) -> Any:
        """Return the raw value of data.tidegate.gate.decision, or UNDEFINED; PolicyError on failure."""
        ...

    def eval_query(self, query: str, input_doc: Mapping[str, Any]) -> Any:
        """Return the value of one Rego expression (a list when it has several), or UNDEFINED."""
        ...


@dataclass(frozen=True)
class EvaluatedDecision:
    """A schema-valid decision; ``error`` is the cause when the decision is the fail-closed one."""

    decision: dict[str, Any]
    error: str | None

    @property
    def failed_closed(self) -> bool:
        """Whether the decision is the fail-closed deny."""
        return self.error is not None


def fail_closed(cause: str) -> dict[str, Any]:
    """Return the deny decision that stands in when no policy decision can be trusted."""
    return {
        "action": "deny",
        "rollout": {"strategy": "none", "percent": 0},
        "required_approvals": [],
        "reasons": [
            {
                "rule": "engine.error",
                "message": f"the policy could not decide, so the patch is denied: {cause}",
                "severity": "critical",
                "action": "deny",
                "evidence": [],
            }
        ],
        "waived": [],
        "risk": {"score": 1000, "band": "critical", "contributions": []},
    }


def _schema_problem(document: object, schema: str, what: str) -> str | None:
    """Return one line describing why ``document`` fails ``schema``, or None if it is valid."""
    errors = schema_errors(document, schema)
    if not errors:
        return None
    shown = "; ".join(errors[:MAX_SCHEMA_ERRORS])
    more = len(errors) - MAX_SCHEMA_ERRORS
    suffix = f" (and {more} more)" if more > 0 else ""
    return f"{what} does not match {schema}.schema.json: {shown}{suffix}"


def decide(
    engine: Engine, input_doc: Mapping[str, Any], *, input_checked: bool = False
) -> EvaluatedDecision:
    """Evaluate the decision for ``input_doc``; every failure yields the fail-closed deny.

    ``input_checked`` skips the input's schema check for an input derived from one that
    passed it (the counterfactuals of `gate why` evaluate hundreds of them).
    """
    problem = None if input_checked else _schema_problem(input_doc, INPUT_SCHEMA, "the gate input")
    if problem is not None:
        return EvaluatedDecision(fail_closed(problem), problem)
    try:
        value = engine.evaluate(input_doc)
    except PolicyError as exc:
        return EvaluatedDecision(fail_closed(exc.message), exc.message)
    except Exception as exc:  # a gate fails closed on anything the engine does
        cause = f"{engine.info.name} engine failed: {type(exc).__name__}: {exc}"
        return EvaluatedDecision(fail_closed(cause), cause)
    if value is UNDEFINED:
        cause = f"{DECISION_QUERY} is undefined for this input"
        return EvaluatedDecision(fail_closed(cause), cause)
    problem = _schema_problem(value, DECISION_SCHEMA, f"the decision ({DECISION_QUERY})")
    if problem is not None:
        return EvaluatedDecision(fail_closed(problem), problem)
    return EvaluatedDecision(value, None)


def wrap_query(query: str) -> str:
    """Return the query every engine evaluates for `policy eval --query` (one expression)."""
    if not query.strip():
        raise PolicyError("the query is empty")
    return f"{QUERY_VAR} := ({query}\n)"


def query_result(values: list[Any]) -> Any:
    """Return UNDEFINED for no result, the value for one, the list of values for several."""
    if not values:
        return UNDEFINED
    if len(values) == 1:
        return values[0]
    return values
