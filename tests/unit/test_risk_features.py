"""The gate input's `change` and `features`: built from a real semantic diff, schema-valid."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidegate.diff import FileChange, diff_files
from tidegate.risk.codeowners import parse_codeowners
from tidegate.risk.coverage import parse_coverage
from tidegate.risk.features import (
    RiskContext,
    RunFacts,
    build_change,
    build_features,
    changed_lines,
    run_json,
    saturate,
)
from tidegate.risk.history import ModuleRecord
from tidegate.risk.paths import DEFAULT_SENSITIVE, PathRules
from tidegate.schemas import schema_errors

AWS = "AKIAIOSFODNN7EXAMPLE"

OLD_PAY = b"""\
def charge(amount, currency="EUR"):
    if amount <= 0:
        raise ValueError("amount")
    return {"amount": amount, "currency": currency}
"""
NEW_PAY = b"""\
def charge(amount, currency="USD"):
    if amount < 0:
        raise ValueError("amount")
    return {"amount": amount, "currency": currency}
"""
OLD_TEST = b"""\
from payments.api import charge


def test_charge():
    assert charge(5)["amount"] == 5
    assert charge(5)["currency"] == "EUR"
"""
NEW_TEST = b"""\
from payments.api import charge


def test_charge():
    assert charge(5)["amount"] == 5
"""
NEW_CONFIG = f'AWS_KEY = "{AWS}"\n'.encode()
WORKFLOW = b"name: ci\non: [push]\n"


def _change(path: str, old: bytes | None, new: bytes | None) -> FileChange:
    def count(data: bytes | None) -> int:
        return len(data.splitlines()) if data else 0

    lines = changed_lines(old, new)
    removed = max(count(old) - (count(new) - len(lines)), 0)
    return FileChange(path=path, old=old, new=new, lines_added=len(lines), lines_removed=removed)


CHANGES = [
    _change("src/payments/api.py", OLD_PAY, NEW_PAY),
    _change("tests/test_api.py", OLD_TEST, NEW_TEST),
    _change("src/settings.py", None, NEW_CONFIG),
    _change(".github/workflows/ci.yml", None, WORKFLOW),
    _change("assets/logo.png", b"\x89PNG\x00\x01", b"\x89PNG\x00\x02"),
    _change("src/payments/broken.py", b"x = 1\n", b"def (:\n"),
]

RULES = PathRules(
    criticality=(("src/**", 100), ("src/payments/**", 900)),
    sensitive=DEFAULT_SENSITIVE,
)
OWNERS = parse_codeowners("* @acme/devs\n/src/payments/ @acme/payments @alice\n")
COVERAGE = parse_coverage(
    b"SF:src/payments/api.py\nDA:1,1\nDA:2,0\nDA:3,1\nDA:4,1\nend_of_record\n"
    b"SF:src/settings.py\nDA:1,1\nend_of_record\n",
    "lcov.info",
)
RUN = RunFacts(
    id="r-7",
    status="succeeded",
    attempts=3,
    tests_passed=10,
    tests_failed=1,
    violations=(("network", f"blocked curl with key {AWS}"),),
    churn_lines=1000,
)
HISTORY = [ModuleRecord("tests/test_api.py", 20, 3)]


def _context(**overrides: Any) -> RiskContext:
    values: dict[str, Any] = {
        "paths": RULES,
        "codeowners": OWNERS,
        "coverage": COVERAGE,
        "history": HISTORY,
        "run": RUN,
        "changed": {c.path: changed_lines(c.old, c.new) for c in CHANGES},
    }
    values.update(overrides)
    return RiskContext(**values)


def _input(change: dict[str, Any], features: dict[str, Any], run: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "subject": {
            "repository": "acme/shop",
            "source": "git",
            "base": "a" * 40,
            "head": "b" * 40,
            "patch_digest": "0" * 64,
        },
        "actor": {
            "id": "agent:codex",
            "kind": "agent",
            "roles": ["agent-runner"],
            "permissions": ["agents.run"],
        },
        "change": change,
        "features": features,
        "run": run,
        "approvals": [
            {
                "id": "12",
                "actor": "alice",
                "roles": ["reviewer"],
                "decision_id": "11",
                "time": "2025-01-01T00:00:00Z",
                "comment": None,
            }
        ],
        "waivers": [
            {
                "id": "9",
                "rule": "tests.weakened",
                "path": "tests/**",
                "symbol": None,
                "patch_digest": None,
                "expires": "2099-01-01",
                "actor": "bob",
                "reason": "flaky",
                "status": "active",
            }
        ],
    }


def test_full_input_from_a_real_diff_is_schema_valid() -> None:
    diff = diff_files(CHANGES)
    ctx = _context()
    change = build_change(diff, ctx)
    features = build_features(change, ctx)
    document = _input(change, features, run_json(ctx.run))
    assert schema_errors(document, "gate-input") == []
    assert AWS not in repr(document)


def test_input_without_optional_sources_is_schema_valid() -> None:
    diff = diff_files(CHANGES)
    ctx = RiskContext()
    change = build_change(diff, ctx)
    features = build_features(change, ctx)
    assert schema_errors(_input(change, features, run_json(None)), "gate-input") == []
    assert features["coverage"] == {
        "available": False,
        "value": None,
        "source": None,
        "changed_lines": 0,
        "covered_lines": 0,
        "uncovered": [],
    }
    assert features["ai_behaviour"] == {
        "available": False,
        "value": 0,
        "attempts": 0,
        "churn_lines": 0,
        "violations": 0,
    }
    assert features["flakiness"] == {"available": False, "value": 0, "modules": []}
    assert features["blast_radius"] == {"value": 0, "critical_files": [], "owners": []}


def test_change_object() -> None:
    diff = diff_files(CHANGES)
    change = build_change(diff, _context())
    assert [k["id"] for k in change["kinds"]] == [f"c{i}" for i in range(1, len(diff.changes) + 1)]
    assert [k["kind"] for k in change["kinds"]] == [c.kind for c in diff.changes]
    files = {f["path"]: f for f in change["files"]}
    assert files["src/payments/api.py"]["criticality"] == 900
    assert files["src/payments/api.py"]["owners"] == ["@acme/payments", "@alice"]
    assert files["src/settings.py"]["criticality"] == 100
    assert files["tests/test_api.py"]["criticality"] == 0
    assert files["tests/test_api.py"]["owners"] == ["@acme/devs"]
    assert files[".github/workflows/ci.yml"]["sensitive"] == "ci"
    assert files["src/payments/api.py"]["lines_added"] == 2
    assert change["unparsed"] == [
        {"path": "assets/logo.png", "reason": "binary", "critical": False},
        {"path": "src/payments/broken.py", "reason": "parse_failed", "critical": True},
    ]
    assert change["languages"] == sorted({f.language for f in diff.files if f.language})
    assert change["lines_added"] == sum(f.lines_added for f in diff.files)


def test_renamed_file_keeps_the_old_paths_criticality_and_sensitivity() -> None:
    moved = FileChange(
        path="docs/ci.yml", old=WORKFLOW, new=WORKFLOW, old_path=".github/workflows/ci.yml"
    )
    change = build_change(
        diff_files([moved]),
        _context(paths=PathRules((("**/workflows/**", 700),), DEFAULT_SENSITIVE)),
    )
    assert change["files"][0]["criticality"] == 700
    assert change["files"][0]["sensitive"] == "ci"


def test_features() -> None:
    diff = diff_files(CHANGES)
    ctx = _context()
    change = build_change(diff, ctx)
    features = build_features(change, ctx)
    ids = {k["kind"]: k["id"] for k in change["kinds"]}

    lines = change["lines_added"] + change["lines_deleted"]
    assert features["size"] == {"value": 1000 * lines // (lines + 400), "lines_changed": lines}
    assert features["files_touched"] == {"value": 1000 * 6 // 16, "count": 6}
    assert features["blast_radius"]["value"] == 900 + 50 * 2  # three distinct owners
    assert features["blast_radius"]["owners"] == ["@acme/devs", "@acme/payments", "@alice"]
    assert {f["path"] for f in features["blast_radius"]["critical_files"]} == {
        "src/payments/api.py",
        "src/payments/broken.py",
        "src/settings.py",
    }
    semantic = features["semantic_risk"]
    severe = semantic["counts"]["high"] + semantic["counts"]["crucial"]
    assert semantic["max_significance"] == "crucial"
    assert semantic["value"] == min(1000, 1000 + 25 * (severe - 1))
    assert features["tests_weakened"] == {
        "value": 400,
        "count": 1,
        "changes": [ids["test.assertion_removed"]],
    }
    assert features["secrets_added"] == {"count": 1, "changes": [ids["secret.added"]]}
    assert features["sensitive_files"] == {
        "value": 1000,
        "files": [{"path": ".github/workflows/ci.yml", "category": "ci"}],
    }
    # Changed lines: api.py 1 and 2 (both measured, 2 not run), settings.py 1 (run).
    assert features["coverage"] == {
        "available": True,
        "value": 1000 - 2 * 1000 // 3,
        "source": "lcov",
        "changed_lines": 3,
        "covered_lines": 2,
        "uncovered": [{"file": "src/payments/api.py", "lines": [2]}],
    }
    assert features["flakiness"] == {
        "available": True,
        "value": 150,
        "modules": [{"module": "tests/test_api.py", "runs": 20, "failures": 3, "permille": 150}],
    }
    assert features["ai_behaviour"] == {
        "available": True,
        "value": 150 * 2 + 300 + 400 * 1000 // 2000,
        "attempts": 3,
        "churn_lines": 1000,
        "violations": 1,
    }


def test_a_report_that_measures_no_changed_line_is_available_with_value_zero() -> None:
    diff = diff_files(CHANGES)
    report = parse_coverage(b"SF:other.py\nDA:1,0\nend_of_record\n", "lcov.info")
    ctx = _context(coverage=report)
    features = build_features(build_change(diff, ctx), ctx)
    assert features["coverage"] == {
        "available": True,
        "value": 0,
        "source": "lcov",
        "changed_lines": 0,
        "covered_lines": 0,
        "uncovered": [],
    }


def test_run_json_masks_violation_details() -> None:
    run = run_json(RUN)
    assert run is not None
    assert run["violations"] == [
        {"guard": "network", "detail": "blocked curl with key [MASKED:aws-access-key-id]"}
    ]
    assert run_json(None) is None


@pytest.mark.parametrize(
    ("run", "value"),
    [
        (RunFacts("r", "ok"), 0),
        (RunFacts("r", "ok", attempts=2), 150),
        (
            RunFacts("r", "ok", violations=(("fs", "a"), ("fs", "b"), ("net", "c"), ("net", "d"))),
            1000,
        ),
        (RunFacts("r", "ok", churn_lines=10**9), 399),
    ],
)
def test_ai_behaviour_value(run: RunFacts, value: int) -> None:
    features = build_features(
        build_change(diff_files([]), RiskContext(run=run)), RiskContext(run=run)
    )
    assert features["ai_behaviour"]["value"] == value


@pytest.mark.parametrize(
    ("count", "half", "value"),
    [(0, 400, 0), (400, 400, 500), (1200, 400, 750), (10**12, 10, 999), (-5, 10, 0)],
)
def test_saturate(count: int, half: int, value: int) -> None:
    assert saturate(count, half) == value


@pytest.mark.parametrize(
    ("old", "new", "lines"),
    [
        (None, b"a\nb\n", [1, 2]),
        (b"a\nb\n", None, []),
        (b"a\nb\nc\n", b"a\nB\nc\n", [2]),
        (b"a\nb\nc\n", b"a\nb\nx\ny\nc\n", [3, 4]),
        (b"a\nb\nc\n", b"a\nc\n", []),
        (b"a\nb", b"a\nb\n", []),  # only a final newline added
        (b"a\r\nb\r\n", b"a\nb\n", [1, 2]),
        (b"\xff\xfe\n", b"\xff\xfe\nz\n", [2]),
        (b"", b"", []),
    ],
)
def test_changed_lines(old: bytes | None, new: bytes | None, lines: list[int]) -> None:
    assert changed_lines(old, new) == lines


@settings(max_examples=300)
@given(
    old=st.lists(st.sampled_from(["a", "b", "c", ""]), max_size=12),
    new=st.lists(st.sampled_from(["a", "b", "c", "d", ""]), max_size=12),
)
def test_changed_lines_cover_every_line_not_in_the_old_version(
    old: list[str], new: list[str]
) -> None:
    lines = changed_lines(
        "".join(f"{o}\n" for o in old).encode(), "".join(f"{n}\n" for n in new).encode()
    )
    assert lines == sorted(set(lines))
    assert all(1 <= n <= len(new) for n in lines)
    unchanged = [new[i] for i in range(len(new)) if i + 1 not in lines]
    # The lines left unchanged appear in the old version in the same order.
    it = iter(old)
    assert all(any(line == o for o in it) for line in unchanged)


@settings(max_examples=200)
@given(old=st.binary(max_size=200), new=st.binary(max_size=200))
def test_changed_lines_never_raises(old: bytes, new: bytes) -> None:
    assert all(n >= 1 for n in changed_lines(old, new))


def test_large_file_is_fast() -> None:
    old = b"".join(b"line %d\n" % i for i in range(20000))
    new = old.replace(b"line 10000\n", b"changed\n")
    start = time.perf_counter()
    assert changed_lines(old, new) == [10001]
    assert time.perf_counter() - start < 0.5
