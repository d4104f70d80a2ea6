"""`tidegate policy test`: run the bundle's Rego unit tests with regorus, with line coverage.

A test is a rule named ``test_*`` (a plain rule: not a function, not a set) in a
``*_test.rego`` module. It is evaluated with the modules, the tests and the data loaded, and
passes only when its value is ``true``: undefined or false is a FAIL, an evaluation error is
an ERROR (with regorus's message, file:line:col).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from tidegate.policy.bundle import PolicyBundle
from tidegate.policy.embedded import build_regorus, regorus_message

Status = Literal["PASS", "FAIL", "ERROR"]
TEST_PREFIX = "test_"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class TestCase:
    """One test rule: its package, name, and where it is defined."""

    __test__: ClassVar[bool] = False  # not a pytest class, whatever its name

    package: str
    rule: str
    file: str
    line: int
    query: str

    @property
    def name(self) -> str:
        """Return ``package.rule``."""
        return f"{self.package}.{self.rule}"


@dataclass(frozen=True)
class TestResult:
    """The outcome of one test."""

    __test__: ClassVar[bool] = False

    case: TestCase
    status: Status
    duration_ms: float
    message: str | None
    prints: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the result as a JSON object (``policy test --format json``)."""
        return {
            "name": self.case.name,
            "package": self.case.package,
            "rule": self.case.rule,
            "file": self.case.file,
            "line": self.case.line,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "message": self.message,
            "prints": list(self.prints),
        }


@dataclass(frozen=True)
class FileCoverage:
    """Line coverage of one non-test module over the whole test run."""

    file: str
    covered: tuple[int, ...]
    not_covered: tuple[int, ...]

    @property
    def percent(self) -> float:
        """Return covered lines as a percentage of coverable lines (100 when none)."""
        total = len(self.covered) + len(self.not_covered)
        return 100.0 if total == 0 else 100.0 * len(self.covered) / total

    def to_json(self) -> dict[str, Any]:
        """Return the coverage of this file as a JSON object."""
        return {
            "file": self.file,
            "covered": list(self.covered),
            "not_covered": list(self.not_covered),
            "percent": round(self.percent, 2),
        }


@dataclass(frozen=True)
class TestReport:
    """Every test's result, in file and line order, and the modules' coverage."""

    __test__: ClassVar[bool] = False

    results: tuple[TestResult, ...]
    coverage: tuple[FileCoverage, ...] | None

    def count(self, status: Status) -> int:
        """Return how many tests ended with ``status``."""
        return sum(1 for result in self.results if result.status == status)

    @property
    def ok(self) -> bool:
        """Whether there was at least one test and every test passed."""
        return bool(self.results) and all(r.status == "PASS" for r in self.results)

    @property
    def coverage_percent(self) -> float | None:
        """Return covered lines over coverable lines of all modules, as a percentage."""
        if self.coverage is None:
            return None
        covered = sum(len(f.covered) for f in self.coverage)
        total = covered + sum(len(f.not_covered) for f in self.coverage)
        return 100.0 if total == 0 else 100.0 * covered / total

    def to_json(self) -> dict[str, Any]:
        """Return the report as a JSON document (``policy test --format json``)."""
        document: dict[str, Any] = {
            "tests": [result.to_json() for result in self.results],
            "summary": {
                "total": len(self.results),
                "passed": self.count("PASS"),
                "failed": self.count("FAIL"),
                "errors": self.count("ERROR"),
                "ok": self.ok,
            },
            "coverage": None,
        }
        if self.coverage is not None:
            percent = self.coverage_percent
            document["coverage"] = {
                "percent": None if percent is None else round(percent, 2),
                "files": [f.to_json() for f in self.coverage],
            }
        return document


def _ref_path(node: Any) -> list[str]:
    """Return the segments of a regorus AST reference (``a.b["c"]``)."""
    if not isinstance(node, dict) or len(node) != 1:
        raise ValueError("not a reference")
    kind, body = next(iter(node.items()))
    if kind == "Var":
        return [str(body["value"])]
    if kind == "RefDot":
        return [*_ref_path(body["refr"]), str(body["field"][1])]
    if kind == "RefBrack":
        index = body["index"]
        if isinstance(index, dict) and "String" in index:
            return [*_ref_path(body["refr"]), str(index["String"]["value"])]
    raise ValueError(f"unsupported reference {kind}")


def _query(segments: list[str]) -> str:
    """Return the Rego reference ``data.<segments>``, bracketing non-identifiers."""
    parts = ["data"]
    for segment in segments:
        parts.append(f".{segment}" if _IDENTIFIER.match(segment) else f"[{json.dumps(segment)}]")
    return "".join(parts)


def discover_tests(bundle: PolicyBundle, ast: list[dict[str, Any]]) -> list[TestCase]:
    """Return the test rules of the bundle's test modules, in file and line order."""
    test_files = {bundle.source_name(f.path) for f in bundle.tests}
    cases: dict[tuple[str, str], TestCase] = {}
    for module in ast:
        file = module["source"]["file"]
        if file not in test_files:
            continue
        package = _ref_path(module["ast"]["package"]["refr"])
        for rule in module["ast"]["rules"]:
            head = rule.get("Spec", {}).get("head", {})
            # Only plain rules (`test_x if ...`): functions take arguments and set rules
            # (`contains`) have no single value to be true.
            compr = head.get("Compr")
            if not isinstance(compr, dict) or "Var" not in compr.get("refr", {}):
                continue
            name = str(compr["refr"]["Var"]["value"])
            if not name.startswith(TEST_PREFIX):
                continue
            key = (".".join(package), name)
            # An incremental test (several bodies) is one test, at its first definition.
            if key not in cases:
                cases[key] = TestCase(
                    package=key[0],
                    rule=name,
                    file=file,
                    line=int(compr["span"]["line"]),
                    query=_query([*package, name]),
                )
    return sorted(cases.values(), key=lambda c: (c.file, c.line, c.rule))


def _coverage(bundle: PolicyBundle, report: dict[str, Any]) -> tuple[FileCoverage, ...]:
    """Return per-module coverage from regorus's report (modules it omits have no lines)."""
    by_file = {entry["path"]: entry for entry in report.get("files", [])}
    files = []
    for module in bundle.modules:
        name = bundle.source_name(module.path)
        entry = by_file.get(name, {})
        covered = sorted(set(entry.get("covered", [])))
        not_covered = sorted(set(entry.get("not_covered", [])) - set(covered))
        files.append(FileCoverage(name, tuple(covered), tuple(not_covered)))
    return tuple(files)


def run_tests(bundle: PolicyBundle, *, coverage: bool = True) -> TestReport:
    """Run every test of ``bundle`` (load it with_tests=True); PolicyError if it does not parse."""
    engine = build_regorus(bundle, with_tests=True, coverage=coverage)
    engine.set_gather_prints(True)
    cases = discover_tests(bundle, json.loads(engine.get_ast_as_json()))
    results = []
    for case in cases:
        started = time.perf_counter()
        try:
            raw = engine.eval_query_as_json(case.query)
        except RuntimeError as exc:
            status: Status = "ERROR"
            message: str | None = regorus_message(exc)
        else:
            values = [r["expressions"][0]["value"] for r in json.loads(raw).get("result", [])]
            if values == [True]:
                status, message = "PASS", None
            elif not values:
                status, message = "FAIL", "undefined"
            else:
                status, message = "FAIL", f"value is {json.dumps(values[0])}, not true"
        duration_ms = (time.perf_counter() - started) * 1000.0
        prints = tuple(str(line) for line in engine.take_prints())
        results.append(TestResult(case, status, duration_ms, message, prints))
    report = (
        _coverage(bundle, json.loads(engine.get_coverage_report_as_json())) if coverage else None
    )
    return TestReport(tuple(results), report)


def _ranges(lines: tuple[int, ...]) -> str:
    """Return ``1-3, 7`` for the lines 1, 2, 3, 7."""
    spans: list[list[int]] = []
    for line in lines:
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def render_text(report: TestReport) -> str:
    """Return the report for a terminal: one line per test, a summary, then coverage."""
    lines = []
    for result in report.results:
        case = result.case
        line = (
            f"{result.status:<5} {case.name} ({case.file}:{case.line}, {result.duration_ms:.2f} ms)"
        )
        if result.message:
            line += f": {result.message}"
        lines.append(line)
        lines.extend(f"      print: {text}" for text in result.prints)
    total = len(report.results)
    if total == 0:
        lines.append("no tests found (rules named test_* in *_test.rego files)")
    lines.append(
        f"{total} test{'s' if total != 1 else ''}: {report.count('PASS')} passed,"
        f" {report.count('FAIL')} failed, {report.count('ERROR')} error"
        f"{'s' if report.count('ERROR') != 1 else ''}"
    )
    if report.coverage is not None:
        lines.append(f"coverage: {report.coverage_percent or 0.0:.1f}%")
        for item in report.coverage:
            covered = len(item.covered)
            total_lines = covered + len(item.not_covered)
            text = f"  {item.file}: {item.percent:.1f}% ({covered}/{total_lines} lines)"
            if item.not_covered:
                text += f"; not covered: {_ranges(item.not_covered)}"
            lines.append(text)
    return "\n".join(lines) + "\n"
