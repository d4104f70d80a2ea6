"""The Rego test runner: PASS only for true, FAIL for false or undefined, ERROR with its cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from tidegate.policy.bundle import load_bundle
from tidegate.policy.errors import PolicyError
from tidegate.policy.testing import TestReport, render_text, run_tests

POLICIES = Path(__file__).resolve().parents[1] / "data" / "policies"
PREFIX = "tidegate.gate_test."


@pytest.fixture(scope="module")
def report() -> TestReport:
    return run_tests(load_bundle(POLICIES / "testrunner", with_tests=True))


def test_every_test_rule_is_found_in_line_order_with_its_status(report: TestReport) -> None:
    assert [(r.case.name.removeprefix(PREFIX), r.case.line, r.status) for r in report.results] == [
        ("test_four_files_are_too_many", 7, "PASS"),
        ("test_expects_the_wrong_label", 11, "FAIL"),
        ("test_divides_by_zero", 15, "ERROR"),
        ("test_is_undefined", 19, "FAIL"),
        ("test_one_file_is_small", 23, "PASS"),
        ("test_false_value", 28, "FAIL"),
    ]
    assert {r.case.file for r in report.results} == {"testrunner/gate_test.rego"}
    assert all(r.duration_ms >= 0 for r in report.results)
    assert (report.count("PASS"), report.count("FAIL"), report.count("ERROR")) == (2, 3, 1)
    assert not report.ok


def test_messages_say_why(report: TestReport) -> None:
    by_rule = {r.case.rule: r for r in report.results}
    assert by_rule["test_four_files_are_too_many"].message is None
    assert by_rule["test_is_undefined"].message == "undefined"
    assert by_rule["test_false_value"].message == "value is false, not true"
    assert by_rule["test_divides_by_zero"].message == ("testrunner/gate.rego:7:14: divide by zero")
    assert by_rule["test_one_file_is_small"].prints == (
        "testrunner/gate_test.rego:24: checking one file",
    )


def test_coverage_is_reported_per_module_not_for_tests(report: TestReport) -> None:
    assert report.coverage is not None
    (module,) = report.coverage
    assert module.file == "testrunner/gate.rego"
    assert 5 in module.covered  # too_many, evaluated by the passing test
    assert set(module.covered).isdisjoint(module.not_covered)
    assert 0 < module.percent <= 100
    assert report.coverage_percent == module.percent


def test_json_report_shape(report: TestReport) -> None:
    document = report.to_json()
    assert document["summary"] == {"total": 6, "passed": 2, "failed": 3, "errors": 1, "ok": False}
    first = document["tests"][0]
    assert first["name"] == PREFIX + "test_four_files_are_too_many"
    assert (first["file"], first["line"], first["status"]) == (
        "testrunner/gate_test.rego",
        7,
        "PASS",
    )
    assert document["coverage"]["files"][0]["file"] == "testrunner/gate.rego"


def test_text_report(report: TestReport) -> None:
    lines = render_text(report).splitlines()
    assert lines[0].startswith(
        "PASS  tidegate.gate_test.test_four_files_are_too_many (testrunner/gate_test.rego:7, "
    )
    assert lines[2].startswith("ERROR tidegate.gate_test.test_divides_by_zero")
    assert lines[2].endswith(": testrunner/gate.rego:7:14: divide by zero")
    assert "6 tests: 2 passed, 3 failed, 1 error" in lines
    assert any(line.startswith("coverage: ") for line in lines)


def test_all_passing_is_ok_and_coverage_can_be_off() -> None:
    result = run_tests(load_bundle(POLICIES / "conformance", with_tests=True), coverage=False)
    assert [r.status for r in result.results] == ["PASS"]
    assert result.ok
    assert result.coverage is None
    assert result.to_json()["coverage"] is None
    assert "coverage" not in render_text(result)


def test_no_tests_is_not_ok(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "a.rego").write_text(
        "package tidegate.a\n\ntest_not_in_a_test_file := true\n"
    )
    result = run_tests(load_bundle(tmp_path / "p", with_tests=True))
    assert result.results == ()
    assert not result.ok
    assert "no tests found" in render_text(result)


def test_incremental_tests_and_other_packages(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "sub").mkdir(parents=True)
    (root / "a.rego").write_text("package tidegate.a\n\nimport rego.v1\n\nx := 1\n")
    (root / "sub" / "a_test.rego").write_text(
        "package tidegate.sub_test\n\nimport rego.v1\n\n"
        "test_twice if data.tidegate.a.x == 2\n\n"
        "test_twice if data.tidegate.a.x == 1\n"
    )
    result = run_tests(load_bundle(root, with_tests=True))
    (only,) = result.results
    assert (only.case.name, only.case.line, only.status) == (
        "tidegate.sub_test.test_twice",
        5,
        "PASS",
    )
    assert only.case.file == "p/sub/a_test.rego"


def test_a_test_file_that_does_not_parse_is_a_policy_error(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "a.rego").write_text("package tidegate.a\n")
    (root / "a_test.rego").write_text("package tidegate.a_test\n\ntest_x if {\n")
    with pytest.raises(PolicyError, match=r"^p/a_test\.rego:\d+:\d+: "):
        run_tests(load_bundle(root, with_tests=True))
