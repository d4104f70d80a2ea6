"""Test history: JUnit parsing, `test.results` notes and back, flakiness of touched modules."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidegate.errors import UsageError
from tidegate.risk import history
from tidegate.risk.history import ModuleRecord, TestOutcome
from tidegate.schemas import schema_errors

# The shape pytest --junitxml writes (with junit_family=xunit1, which adds `file`).
PYTEST_JUNIT = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="5" time="0.1">
<testcase classname="tests.unit.test_calc" name="test_add" file="tests/unit/test_calc.py" line="3" time="0.001" />
<testcase classname="tests.unit.test_calc.TestDiv" name="test_zero" file="tests/unit/test_calc.py" line="9" time="0.001"><failure message="assert 1 == 2">assert 1 == 2</failure></testcase>
<testcase classname="tests.unit.test_calc" name="test_skip" file="tests/unit/test_calc.py" line="12" time="0.0"><skipped type="pytest.skip" message="later">skip</skipped></testcase>
<testcase classname="tests.unit.test_io.TestRead" name="test_read" time="0.002"><error message="boom">Traceback</error></testcase>
<testcase classname="tests.unit.test_io" name="test_write" time="0.002" />
</testsuite></testsuites>
"""

# The shape Maven surefire writes: a single <testsuite> root, classname = the test class.
SUREFIRE = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="com.acme.PriceTest" tests="2" failures="0" errors="0" skipped="0">
  <properties><property name="java.version" value="21"/></properties>
  <testcase name="rounds" classname="com.acme.PriceTest" time="0.01"/>
  <testcase name="adds" classname="com.acme.PriceTest" time="0.01"/>
</testsuite>
"""


def test_parse_pytest_junit() -> None:
    outcomes = history.parse_junit(PYTEST_JUNIT, "junit.xml")
    assert outcomes == [
        TestOutcome("tests.unit.test_calc::test_add", "tests/unit/test_calc.py", True),
        TestOutcome("tests.unit.test_calc.TestDiv::test_zero", "tests/unit/test_calc.py", False),
        TestOutcome("tests.unit.test_io.TestRead::test_read", "tests/unit/test_io", False),
        TestOutcome("tests.unit.test_io::test_write", "tests/unit/test_io", True),
    ]


def test_parse_surefire_junit() -> None:
    outcomes = history.parse_junit(SUREFIRE, "TEST-com.acme.PriceTest.xml")
    assert {o.module for o in outcomes} == {"com/acme/PriceTest"}
    assert all(o.passed for o in outcomes)


@pytest.mark.parametrize(
    ("classname", "module"),
    [
        ("tests.unit.test_calc.TestDiv", "tests/unit/test_calc"),
        ("pkg.calc_test", "pkg/calc_test"),
        ("com.acme.PriceTest", "com/acme/PriceTest"),
        ("", ""),
    ],
)
def test_module_from_classname(classname: str, module: str) -> None:
    assert history.module_from_classname(classname) == module


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "junit.xml:1: not well-formed JUnit XML"),
        (b"<html/>", "junit.xml:1: root element is <html>"),
        (
            b"<testsuite>\n<testcase classname='a'/></testsuite>",
            "junit.xml:2: <testcase> without a name",
        ),
        (b"<testsuite><testcase name='a'>", "not well-formed JUnit XML"),
        (b'<!DOCTYPE t [<!ENTITY x "y">]><testsuite/>', "junit.xml:1: DOCTYPE and ENTITY"),
    ],
)
def test_malformed_junit_is_a_usage_error(data: bytes, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        history.parse_junit(data, "junit.xml")
    assert message in caught.value.message


@settings(max_examples=500)
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_parse_or_raise_usage_error(data: bytes) -> None:
    with contextlib.suppress(UsageError):
        history.parse_junit(data, "fuzz.xml")


junit_fragments = st.lists(
    st.sampled_from(
        [
            "<testcase name='t' classname='a.test_b'>",
            "<testcase name='u' file='x_test.go'/>",
            "<testcase>",
            "</testcase>",
            "<failure/>",
            "<skipped/>",
            "<testsuite>",
            "</testsuite>",
            "&amp;",
            "&bogus;",
            "<![CDATA[x]]>",
        ]
    ),
    max_size=10,
)


@settings(max_examples=500)
@given(parts=junit_fragments)
def test_junit_like_input_parses_or_raises_usage_error(parts: list[str]) -> None:
    data = ("<testsuites>" + "".join(parts) + "</testsuites>").encode()
    try:
        outcomes = history.parse_junit(data, "fuzz.xml")
    except UsageError:
        return
    assert all(isinstance(o, TestOutcome) for o in outcomes)


def test_note_round_trip_and_schema() -> None:
    outcomes = history.parse_junit(PYTEST_JUNIT, "junit.xml")
    body = history.test_results_note(outcomes, "run r-42")
    assert body == {
        "message": "test results (run r-42): 4 runs, 2 failures in 2 modules",
        "category": "test.results",
        "labels": {"tests/unit/test_calc.py": "2/1", "tests/unit/test_io": "2/1"},
    }
    assert schema_errors(body, "ledger/note") == []
    records, problems = history.outcomes_from_note(body)
    assert records == [
        ModuleRecord("tests/unit/test_calc.py", 2, 1),
        ModuleRecord("tests/unit/test_io", 2, 1),
    ]
    assert problems == []


def test_note_caps_its_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "MAX_MODULES", 2)
    outcomes = [
        TestOutcome("t", "a", True),
        TestOutcome("t", "b", False),
        TestOutcome("t", "c", False),
        TestOutcome("t", "x" * 2000, False),
    ]
    body = history.test_results_note(outcomes, "ci")
    assert body["labels"] == {"b": "1/1", "c": "1/1"}
    assert body["message"].endswith("(2 modules left out)")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"message": "x", "category": "rollback"}, "not 'test.results'"),
        ({"message": "x", "category": "test.results"}, "no labels"),
    ],
)
def test_other_notes_yield_nothing(body: dict[str, Any], problem: str) -> None:
    records, problems = history.outcomes_from_note(body)
    assert records == []
    assert problem in problems[0]


def test_malformed_labels_are_reported_not_raised() -> None:
    body = {
        "message": "x",
        "category": "test.results",
        "labels": {
            "ok.py": "3/1",
            "neg.py": "-1/0",
            "more_failures.py": "1/2",
            "zero_runs.py": "0/0",
            "text.py": "three/one",
            "withheld.py": {"commitment": "sha256:" + "0" * 64},
            "": "1/0",
            "huge.py": "9" * 30 + "/1",
        },
    }
    records, problems = history.outcomes_from_note(body)
    assert records == [ModuleRecord("ok.py", 3, 1)]
    assert len(problems) == 7


@pytest.mark.parametrize(
    ("path", "stem"),
    [
        ("tests/test_calc.py", "calc"),
        ("pkg/calc_test.go", "calc"),
        ("src/PriceTest.java", "Price"),
        ("src/TestPrice.java", "Price"),
        ("src/PriceTests.cs", "Price"),
        ("web/calc.test.ts", "calc"),
        ("web/calc.spec.ts", "calc"),
        ("spec/calc_spec.rb", "calc"),
        ("src/Testimony.java", "Testimony"),
        ("src/calc.py", "calc"),
        ("test_", "test_"),
    ],
)
def test_base_stem(path: str, stem: str) -> None:
    assert history.base_stem(path) == stem


def test_flakiness_relates_modules_to_touched_files() -> None:
    records = [
        ModuleRecord("tests/unit/test_calc.py", 8, 1),
        ModuleRecord("tests/unit/test_calc.py", 2, 1),  # a second note: summed
        ModuleRecord("src/io.py", 4, 1),  # same path as a touched file
        ModuleRecord("tests/test_other.py", 10, 10),  # unrelated
    ]
    result = history.flakiness(["src/pkg/calc.py", "src/io.py"], records)
    assert result == {
        "available": True,
        "value": 250,
        "modules": [
            {"module": "src/io.py", "runs": 4, "failures": 1, "permille": 250},
            {"module": "tests/unit/test_calc.py", "runs": 10, "failures": 2, "permille": 200},
        ],
    }


def test_flakiness_without_history_is_unavailable() -> None:
    assert history.flakiness(["a.py"], []) == {"available": False, "value": 0, "modules": []}
    related_to_nothing = history.flakiness(["a.py"], [ModuleRecord("tests/test_b.py", 3, 3)])
    assert related_to_nothing == {"available": True, "value": 0, "modules": []}
