"""Engine conformance: every engine gives the same decision, or fails closed, for the same case.

"embedded" (regorus) always runs; "opa" runs against a real OPA server when
TIDEGATE_TEST_OPA_URL names one (loopback only). The reference decisions come from the
embedded engine, and the key facts of each case are pinned so the reference itself is checked.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tidegate.policy.bundle import PolicyBundle, load_bundle
from tidegate.policy.embedded import EmbeddedEngine
from tidegate.policy.engine import UNDEFINED, Engine, decide
from tidegate.policy.errors import PolicyError
from tidegate.schemas import schema_errors

OPA_ENV = "TIDEGATE_TEST_OPA_URL"
NO_OPA = (
    "no OPA server: set TIDEGATE_TEST_OPA_URL=http://127.0.0.1:8181 to run the OPA engine"
    " (OPA is not installable on these machines)"
)
POLICIES = Path(__file__).resolve().parents[1] / "data" / "policies"
DEFAULT_POLICIES = Path(__file__).resolve().parents[2] / "policies"
BASE_INPUT: dict[str, Any] = json.loads((POLICIES / "inputs" / "base.json").read_text())

EngineFactory = Callable[[PolicyBundle], Engine]


def opa_url() -> str | None:
    """Return the test OPA server's URL, refusing anything but loopback."""
    url = os.environ.get(OPA_ENV)
    if url and urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        pytest.fail(f"{OPA_ENV} must be a loopback URL, not {url}")
    return url


@pytest.fixture(params=["embedded", "opa"])
def make_engine(request: pytest.FixtureRequest) -> Iterator[EngineFactory]:
    """Build an engine for a bundle; for OPA that pushes the bundle (so build right before use)."""
    if request.param == "embedded":
        yield EmbeddedEngine
        return
    url = opa_url()
    if not url:
        pytest.skip(NO_OPA)
    from tidegate.policy.opa import OpaEngine

    built: list[OpaEngine] = []

    def build(bundle: PolicyBundle) -> Engine:
        engine = OpaEngine(url, bundle, use_server_bundles=False)
        built.append(engine)
        return engine

    yield build
    for engine in built:
        engine.close()


def variant(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    document = copy.deepcopy(BASE_INPUT)
    change(document)
    return document


def _secret(d: dict[str, Any]) -> None:
    d["features"]["secrets_added"] = {"count": 1, "changes": ["c1"]}


def _not_permitted(d: dict[str, Any]) -> None:
    d["actor"]["permissions"] = []


def _small(d: dict[str, Any]) -> None:
    d["features"]["blast_radius"]["value"] = 0
    d["features"]["semantic_risk"]["value"] = 100
    d["features"]["coverage"].update(available=True, value=0, source="lcov")
    d["features"]["tests_weakened"] = {"value": 0, "count": 0, "changes": []}


def _approved(d: dict[str, Any]) -> None:
    d["approvals"] = [
        {
            "id": "7",
            "actor": "bob",
            "roles": ["reviewer", "senior-reviewer"],
            "decision_id": "dec-1",
            "time": "2025-01-01T00:00:00Z",
        }
    ]


def _waived(d: dict[str, Any]) -> None:
    d["waivers"] = [
        {
            "id": "w1",
            "rule": "tests.weakened",
            "path": "tests/**",
            "symbol": None,
            "patch_digest": d["subject"]["patch_digest"],
            "expires": "2999-01-01T00:00:00Z",
            "actor": "alice",
            "reason": "flaky test rewritten",
            "status": "active",
        },
        {
            "id": "w2",
            "rule": "secret.added",
            "path": "**",
            "symbol": None,
            "patch_digest": None,
            "expires": "2999-01-01T00:00:00Z",
            "actor": "alice",
            "reason": "not waivable",
            "status": "active",
        },
    ]
    _secret(d)


def _sensitive(d: dict[str, Any]) -> None:
    d["features"]["sensitive_files"] = {
        "value": 1000,
        "files": [{"path": ".github/workflows/ci.yml", "category": "ci"}],
    }


# name -> (input, action, reason rules, waived rules)
CASES: dict[str, tuple[dict[str, Any], str, list[str], list[str]]] = {
    "high risk with weakened tests": (BASE_INPUT, "review", ["risk.band", "tests.weakened"], []),
    "secret added": (variant(_secret), "deny", ["risk.band", "secret.added", "tests.weakened"], []),
    "agent without agents.run": (
        variant(_not_permitted),
        "deny",
        ["rbac.not_permitted", "risk.band", "tests.weakened"],
        [],
    ),
    "small change": (variant(_small), "allow", [], []),
    "approved by both roles": (variant(_approved), "canary", ["risk.band", "tests.weakened"], []),
    "waiver applies, unwaivable does not": (
        variant(_waived),
        "deny",
        ["risk.band", "secret.added"],
        ["tests.weakened"],
    ),
    "agent touching CI": (
        variant(_sensitive),
        "review",
        ["agent.sensitive_files", "risk.band", "tests.weakened"],
        [],
    ),
}


@pytest.fixture(scope="module")
def conformance() -> PolicyBundle:
    return load_bundle(POLICIES / "conformance")


@pytest.fixture(scope="module")
def reference(conformance: PolicyBundle) -> dict[str, dict[str, Any]]:
    engine = EmbeddedEngine(conformance)
    return {name: decide(engine, case[0]).decision for name, case in CASES.items()}


def test_every_engine_decides_every_case_identically(
    make_engine: EngineFactory,
    conformance: PolicyBundle,
    reference: dict[str, dict[str, Any]],
) -> None:
    engine = make_engine(conformance)
    for name, (document, action, rules, waived) in CASES.items():
        evaluated = decide(engine, document)
        assert evaluated.error is None, (name, evaluated.error)
        decision = evaluated.decision
        assert schema_errors(decision, "policy-decision") == [], name
        assert decision["action"] == action, name
        assert [r["rule"] for r in decision["reasons"]] == rules, name
        assert [w["rule"] for w in decision["waived"]] == waived, name
        assert decision == reference[name], name


def test_scores_and_rollouts_are_exact(
    make_engine: EngineFactory, conformance: PolicyBundle
) -> None:
    engine = make_engine(conformance)
    decision = decide(engine, BASE_INPUT).decision
    assert decision["risk"]["score"] == 558
    assert decision["risk"]["band"] == "high"
    assert decision["rollout"] == {"strategy": "manual", "percent": 1}
    assert [(c["feature"], c["points"]) for c in decision["risk"]["contributions"]] == [
        ("blast_radius", 270),
        ("coverage", 100),
        ("semantic_risk", 180),
        ("size", 8),
    ]
    approved = decide(engine, CASES["approved by both roles"][0]).decision
    assert [(a["role"], a["count"], a["satisfied"]) for a in approved["required_approvals"]] == [
        ("reviewer", 1, 1),
        ("senior-reviewer", 1, 1),
    ]


def test_queries_agree(make_engine: EngineFactory, conformance: PolicyBundle) -> None:
    engine = make_engine(conformance)
    assert engine.eval_query("data.tidegate.gate.score", BASE_INPUT) == 558
    assert engine.eval_query("data.tidegate.risk.weights.size", BASE_INPUT) == 20
    assert engine.eval_query("input.no_such_field", BASE_INPUT) is UNDEFINED


@pytest.mark.parametrize(
    ("repository", "cause"),
    [
        ("divide-by-zero", "faulty/gate.rego:10"),
        ("conflict", "faulty/gate.rego:1"),
        ("no-rule-matches", "data.tidegate.gate.decision is undefined for this input"),
        ("invalid-decision", "does not match policy-decision.schema.json"),
    ],
)
def test_every_engine_fails_closed_on_a_faulty_policy(
    make_engine: EngineFactory, repository: str, cause: str
) -> None:
    engine = make_engine(load_bundle(POLICIES / "faulty"))
    document = copy.deepcopy(BASE_INPUT)
    document["subject"]["repository"] = repository
    evaluated = decide(engine, document)
    assert evaluated.error is not None and cause in evaluated.error, evaluated.error
    assert evaluated.decision["action"] == "deny"
    assert [r["rule"] for r in evaluated.decision["reasons"]] == ["engine.error"]


def test_every_engine_passes_a_fine_decision_through(make_engine: EngineFactory) -> None:
    engine = make_engine(load_bundle(POLICIES / "faulty"))
    document = copy.deepcopy(BASE_INPUT)
    document["subject"]["repository"] = "fine"
    evaluated = decide(engine, document)
    assert evaluated.error is None
    assert evaluated.decision["rollout"] == {"strategy": "automatic", "percent": 100}


def test_every_engine_refuses_a_module_that_does_not_parse(
    make_engine: EngineFactory, tmp_path: Path
) -> None:
    root = tmp_path / "policies"
    root.mkdir()
    (root / "gate.rego").write_text("package tidegate.gate\n\nimport rego.v1\n\ndecision := {\n")
    with pytest.raises(PolicyError) as caught:
        make_engine(load_bundle(root))
    assert caught.value.message.startswith("policies/gate.rego:"), caught.value.message


# --------------------------------------------------------------------------------------------
# the default policies, when the repository has them
# --------------------------------------------------------------------------------------------


def default_bundle() -> PolicyBundle:
    if not list(DEFAULT_POLICIES.rglob("*.rego")):
        pytest.skip(f"{DEFAULT_POLICIES} has no Rego modules yet")
    return load_bundle(DEFAULT_POLICIES)


REALISTIC = {
    "base": BASE_INPUT,
    "secret": CASES["secret added"][0],
    "small": CASES["small change"][0],
    "approved": CASES["approved by both roles"][0],
    "sensitive": CASES["agent touching CI"][0],
}


def test_the_default_policies_decide_identically_on_every_engine(
    make_engine: EngineFactory,
) -> None:
    bundle = default_bundle()
    reference = EmbeddedEngine(bundle)
    engine = make_engine(bundle)
    for name, document in REALISTIC.items():
        expected = decide(reference, document)
        assert expected.error is None, (name, expected.error)
        evaluated = decide(engine, document)
        assert evaluated.error is None, (name, evaluated.error)
        assert evaluated.decision == expected.decision, name
    assert decide(engine, REALISTIC["secret"]).decision["action"] == "deny"
