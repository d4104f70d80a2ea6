"""Pure comparison of a recorded run with its replay: differences and cause hints."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tidegate.sandbox.compare import (
    MAX_DIFF_CHARS,
    RunRecord,
    StepRecord,
    compare_runs,
    token_class,
    unified,
)

PROVENANCE = {"commit": "a" * 40, "kernel": "Linux 6.1", "tools": {"python": "3.11.9"}}


def step(index: int = 0, stdout: bytes = b"", stderr: bytes = b"", code: int = 0) -> StepRecord:
    return StepRecord(
        index, f"s{index}", ("sh", "-c", "x"), code, "ok" if code == 0 else "failed", stdout, stderr
    )


def run(*steps: StepRecord, **extra: Any) -> RunRecord:
    values: dict[str, Any] = {
        "run_id": "run-" + "0" * 20,
        "status": "ok" if all(s.exit_code == 0 for s in steps) else "failed",
        "steps": steps,
        "backend": "bwrap",
        "provenance": PROVENANCE,
        "determinism": {"clock": "real", "tz": "UTC", "locale": "C.UTF-8"},
        "network": {"mode": "none"},
    }
    values.update(extra)
    return RunRecord(**values)


def causes(record: RunRecord, other: RunRecord, what: str) -> list[str]:
    comparison = compare_runs(record, other)
    [difference] = [d for d in comparison.differences if d.what == what]
    return [c.cause for c in difference.causes]


def test_identical_runs() -> None:
    record = run(step(0, b"hello\n"), step(1, b"", b"warn\n"), patch="--- a\n+++ b\n")
    comparison = compare_runs(record, dataclasses.replace(record, run_id="run-" + "1" * 20))
    assert comparison.identical
    assert comparison.differences == ()


def test_exit_code_difference() -> None:
    comparison = compare_runs(run(step(0, code=0)), run(step(0, code=3)))
    whats = [(d.what, d.step) for d in comparison.differences]
    assert ("exit_code", 0) in whats and ("status", 0) in whats
    difference = comparison.differences[0]
    assert "-exit_code: 0" in difference.diff and "+exit_code: 3" in difference.diff
    assert difference.causes  # never empty
    # the run status difference is explained by the step's: not listed twice
    assert ("status", None) not in whats


def test_stdout_timestamp_points_at_time_first() -> None:
    old = run(step(0, b"build at 2026-11-23T16:23:06Z\nepoch 1795000000\nok\n"))
    new = run(step(0, b"build at 2026-11-23T16:24:11Z\nepoch 1795000065\nok\n"))
    comparison = compare_runs(old, new)
    [difference] = comparison.differences
    assert difference.what == "stdout" and difference.step == 0
    assert difference.causes[0].cause == "time"
    assert "not frozen" in difference.causes[0].explanation
    assert "-build at 2026-11-23T16:23:06Z" in difference.diff
    assert "+build at 2026-11-23T16:24:11Z" in difference.diff


def test_random_hex_points_at_randomness() -> None:
    old = run(step(0, b"token 9f2c4e1a7b3d5f60\n"), determinism={"clock": "frozen", "seed": 7})
    new = run(step(0, b"token 01ab77e3c9d2f4a8\n"), determinism={"clock": "frozen", "seed": 7})
    got = causes(old, new, "stdout")
    assert got[0] == "randomness"
    explanation = compare_runs(old, new).differences[0].causes[0].explanation
    assert "seed (7) was set" in explanation and "os.urandom" in explanation
    assert "time" not in got  # frozen clock, no time-like token


def test_unseeded_randomness_says_so() -> None:
    old = run(step(0, b"id 3f2504e0-4f89-41d3-9a0c-0305e82c3301\n"))
    new = run(step(0, b"id 7c9e6679-7425-40de-944b-e07fc1f90ae7\n"))
    difference = compare_runs(old, new).differences[0]
    assert difference.causes[0].cause == "randomness"
    assert "no seed" in difference.causes[0].explanation


def test_reordered_lines_point_at_file_ordering() -> None:
    old = run(step(0, b"a.txt\nb.txt\nc.txt\n"))
    new = run(step(0, b"c.txt\na.txt\nb.txt\n"))
    assert causes(old, new, "stdout")[0] == "file ordering"


def test_provenance_change_points_at_environment() -> None:
    old = run(step(0, b"Python 3.11.9\n"), determinism={"clock": "frozen", "seed": 1})
    changed = {**PROVENANCE, "tools": {"python": "3.11.10"}, "kernel": "Linux 6.2"}
    new = run(
        step(0, b"Python 3.11.10\n"),
        provenance=changed,
        determinism={"clock": "frozen", "seed": 1},
    )
    difference = compare_runs(old, new).differences[0]
    assert difference.causes[0].cause == "environment"
    assert "python '3.11.9' -> '3.11.10'" in difference.causes[0].explanation
    assert "kernel" in difference.causes[0].explanation


def test_env_values_and_network_mode() -> None:
    old_step = dataclasses.replace(step(0, b"x\n"), env={"MODE": "a"})
    new_step = dataclasses.replace(step(0, b"y\n"), env={"MODE": "b"})
    network = {"mode": "allowlist", "allow": ["example.com:443"]}
    comparison = compare_runs(run(old_step, network=network), run(new_step, network=network))
    whats = {d.what for d in comparison.differences}
    assert whats == {"stdout", "environment"}
    names = [c.cause for c in comparison.differences[0].causes]
    assert "environment" in names and "network" in names


def test_files_patch_and_missing_steps() -> None:
    old = run(step(0), step(1), created=("a",), patch="+x\n")
    new = run(step(0), created=("a", "b"), patch="+y\n")
    whats = {(d.what, d.step) for d in compare_runs(old, new).differences}
    assert whats == {("steps", 1), ("files", None), ("patch", None)}


def test_unknown_when_nothing_fits() -> None:
    determinism = {"clock": "frozen", "seed": 1}
    old = run(step(0, b"apple\n"), determinism=determinism)
    new = run(step(0, b"pear\n"), determinism=determinism)
    assert causes(old, new, "stdout") == ["unknown"]


def test_diff_is_bounded_and_bytes_decoded_with_replacement() -> None:
    old = "\n".join(f"line {i}" for i in range(50_000))
    new = "\n".join(f"LINE {i}" for i in range(50_000))
    text = unified(old, new, "a", "b")
    assert len(text) < MAX_DIFF_CHARS + 200
    assert "more diff lines not shown" in text
    comparison = compare_runs(run(step(0, b"\xff\xfe ok\n")), run(step(0, b"\xfe ok\n")))
    assert "\ufffd" in comparison.differences[0].diff


def test_token_classes() -> None:
    assert token_class("2026-11-23") == "time"
    assert token_class("16:23:06") == "time"
    assert token_class("1795000000") == "time"
    assert token_class("1795000000123") == "time"
    assert token_class("deadbeefcafe") == "random"
    assert token_class("0.8444218515250481") == "random"
    assert token_class("42") == "short"
    assert token_class("hello") == "other"


outputs = st.binary(max_size=300)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(outputs, outputs, st.integers(-1, 255)), max_size=4),
    st.text(max_size=200),
    st.lists(st.text(max_size=20), max_size=3),
)
def test_comparing_a_run_with_itself_is_identical(
    steps: list[tuple[bytes, bytes, int]], patch: str, created: list[str]
) -> None:
    record = run(
        *(step(i, out, err, code) for i, (out, err, code) in enumerate(steps)),
        patch=patch,
        created=tuple(created),
    )
    assert compare_runs(record, record).identical
