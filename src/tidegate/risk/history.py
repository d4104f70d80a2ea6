"""Test history for flakiness: JUnit results in, `test.results` ledger notes, failure rates out.

A record's test module relates to a touched file when (docs/risk-features.md):
- the module path equals the touched path, or
- the module's *base stem* equals the touched file's base stem, where the base stem of a path
  is its last segment up to the first ``.`` (``foo.test.ts`` -> ``foo``), with one ``test_`` /
  ``Test`` prefix and one ``_test`` / ``_spec`` / ``Test`` / ``Tests`` suffix removed
  (``tests/test_foo.py``, ``foo_test.go``, ``FooTest.java``, ``foo.test.ts`` all relate to a
  touched ``foo.py`` / ``foo.go`` / ``Foo.java`` / ``foo.ts``). Stems compare case-sensitively.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from tidegate.risk.xmlsafe import XmlRefused, parse_untrusted_xml

CATEGORY = "test.results"
MAX_MODULES = 1000  # labels per note: one ledger entry stays small
MAX_MODULE_CHARS = 1024
_COUNTS = re.compile(r"(0|[1-9][0-9]{0,17})/(0|[1-9][0-9]{0,17})")
_PYTHON_TEST_MODULE = re.compile(r"test_\w+|\w+_test")


@dataclass(frozen=True)
class TestOutcome:
    """One test case's result: its id, the module (file) it lives in, whether it passed."""

    __test__ = False  # not a pytest test class, whatever its name

    test: str
    module: str
    passed: bool


class ModuleRecord(NamedTuple):
    """Runs and failures of one test module (from one or more `test.results` notes)."""

    module: str
    runs: int
    failures: int


def module_from_classname(classname: str) -> str:
    """Turn a JUnit classname into a path-ish module (``tests.unit.test_x.TestY`` -> ...x).

    Python runners put ``package.test_module.Class`` there: cut after the last component
    that looks like a test module. Otherwise (Java's ``com.acme.FooTest``) the class is the
    file, so every component is kept.
    """
    parts = [part for part in classname.split(".") if part]
    for index in range(len(parts) - 1, -1, -1):
        if _PYTHON_TEST_MODULE.fullmatch(parts[index]):
            return "/".join(parts[: index + 1])
    return "/".join(parts)


def parse_junit(data: bytes, source: str) -> list[TestOutcome]:
    """Parse JUnit XML (testsuites/testsuite/testcase); skipped cases are left out."""
    outcomes: list[TestOutcome] = []
    case: dict[str, Any] | None = None
    seen_root = False

    line_of: list[Callable[[], int]] = []  # the parser's current line, given by bind()

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal case, seen_root
        line = line_of[0]()
        if not seen_root:
            seen_root = True
            if tag not in ("testsuites", "testsuite"):
                raise XmlRefused(f"root element is <{tag}>, not <testsuites> or <testsuite>", line)
        if tag == "testcase":
            name = attrs.get("name", "").strip()
            if not name:
                raise XmlRefused("<testcase> without a name attribute", line)
            classname = attrs.get("classname", "").strip()
            file = attrs.get("file", "").strip()
            module = posixpath.normpath(file) if file else module_from_classname(classname)
            test = f"{classname}::{name}" if classname else name
            case = {"test": test, "module": module, "failed": False, "skipped": False}
        elif case is not None and tag in ("failure", "error"):
            case["failed"] = True
        elif case is not None and tag == "skipped":
            case["skipped"] = True

    def end(tag: str) -> None:
        nonlocal case
        if tag == "testcase" and case is not None:
            if not case["skipped"]:
                outcomes.append(TestOutcome(case["test"], case["module"], not case["failed"]))
            case = None

    def bind(line: Callable[[], int]) -> tuple[Any, Any, None]:
        line_of.append(line)
        return start, end, None

    parse_untrusted_xml(data, source, "JUnit XML", bind)
    return outcomes


def module_counts(outcomes: Iterable[TestOutcome]) -> list[ModuleRecord]:
    """Aggregate outcomes into runs and failures per module (sorted by module)."""
    runs: dict[str, int] = {}
    failures: dict[str, int] = {}
    for outcome in outcomes:
        runs[outcome.module] = runs.get(outcome.module, 0) + 1
        failures[outcome.module] = failures.get(outcome.module, 0) + (not outcome.passed)
    return [ModuleRecord(module, runs[module], failures[module]) for module in sorted(runs)]


def test_results_note(outcomes: Iterable[TestOutcome], label: str) -> dict[str, Any]:
    """Body of a ledger `note` recording test results: one ``module: runs/failures`` label each.

    Modules with names over MAX_MODULE_CHARS are dropped and, past MAX_MODULES, those with the
    fewest failures; the message says how many were left out.
    """
    every = module_counts(outcomes)
    records = [r for r in every if 0 < len(r.module) <= MAX_MODULE_CHARS]
    kept = sorted(records, key=lambda r: (-r.failures, r.module))[:MAX_MODULES]
    dropped = len(every) - len(kept)
    runs = sum(r.runs for r in kept)
    failures = sum(r.failures for r in kept)
    message = f"test results ({label}): {runs} runs, {failures} failures in {len(kept)} modules"
    if dropped:
        message += f" ({dropped} modules left out)"
    return {
        "message": message,
        "category": CATEGORY,
        "labels": {r.module: f"{r.runs}/{r.failures}" for r in sorted(kept)},
    }


def outcomes_from_note(body: Mapping[str, Any]) -> tuple[list[ModuleRecord], list[str]]:
    """Read a `test.results` note body back: its module records and the labels it skipped."""
    if body.get("category") != CATEGORY:
        return [], [f"note category is {body.get('category')!r}, not {CATEGORY!r}"]
    labels = body.get("labels")
    if not isinstance(labels, Mapping):
        return [], ["note has no labels object"]
    records: list[ModuleRecord] = []
    problems: list[str] = []
    for module, value in labels.items():
        match = _COUNTS.fullmatch(value) if isinstance(value, str) else None
        if not isinstance(module, str) or not module or match is None:
            problems.append(f"label {module!r}: {value!r} is not <runs>/<failures>")
            continue
        runs, failures = int(match.group(1)), int(match.group(2))
        if runs == 0 or failures > runs:
            problems.append(f"label {module!r}: {value!r} needs 0 <= failures <= runs, runs > 0")
            continue
        records.append(ModuleRecord(module, runs, failures))
    return records, problems


_PREFIXES = ("test_", "Test")
_SUFFIXES = ("_test", "_spec", "Tests", "Test")


def base_stem(path: str) -> str:
    """The last segment up to its first dot, without one test prefix and one test suffix."""
    stem = path.rsplit("/", 1)[-1].split(".", 1)[0]
    for prefix in _PREFIXES:
        rest = stem[len(prefix) :]
        # `Test` is a prefix only before a capital (`TestFoo`), not in `Testimony`.
        if stem.startswith(prefix) and rest and (prefix != "Test" or rest[0].isupper()):
            stem = rest
            break
    for suffix in _SUFFIXES:
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    return stem


def relates(module: str, touched: str) -> bool:
    """Whether test ``module`` exercises the touched file (see the module docstring)."""
    if module == touched:
        return True
    stem = base_stem(module)
    return bool(stem) and stem == base_stem(touched)


def flakiness(touched_paths: Iterable[str], records: Sequence[ModuleRecord]) -> dict[str, Any]:
    """The gate input's ``features.flakiness``: failure permille of modules related to the patch."""
    runs: dict[str, int] = {}
    failures: dict[str, int] = {}
    for record in records:
        runs[record.module] = runs.get(record.module, 0) + record.runs
        failures[record.module] = failures.get(record.module, 0) + record.failures
    touched = sorted(set(touched_paths))
    modules: list[dict[str, Any]] = []
    for module in sorted(runs):
        if runs[module] > 0 and any(relates(module, path) for path in touched):
            permille = min(1000, failures[module] * 1000 // runs[module])
            modules.append(
                {
                    "module": module,
                    "runs": runs[module],
                    "failures": failures[module],
                    "permille": permille,
                }
            )
    return {
        "available": bool(records),
        "value": max((m["permille"] for m in modules), default=0),
        "modules": modules,
    }
