"""Task specs: examples load, every schema error is named by its JSON path, bad input is clean."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidegate.sandbox.spec import TaskSpecError, load_task, parse_task

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "tasks"
MINIMAL = {"id": "t1", "repository": {"path": "."}, "steps": [{"run": ["true"]}]}


def _parse(document: object) -> object:
    return parse_task(json.dumps(document).encode(), "spec.json", Path("/base"))


@pytest.mark.parametrize("example", sorted(EXAMPLES.iterdir()), ids=lambda p: p.name)
def test_examples_load(example: Path) -> None:
    spec = load_task(example)
    assert spec.id == example.stem
    assert spec.steps
    assert spec.repository.is_absolute()


def test_defaults_and_relative_repository() -> None:
    spec = _parse(MINIMAL)
    assert spec.backend == "bwrap"
    assert spec.commit == "HEAD"
    assert spec.repository == Path("/base")
    assert spec.network == {"mode": "none"}
    assert spec.determinism["tz"] == "UTC"


def test_every_schema_error_is_listed_with_its_path() -> None:
    bad = {
        "id": "has space",
        "repository": {"path": ""},
        "steps": [{"run": []}, {"run": ["ok"], "shell": True}],
        "limits": {"memory_mb": 1},
        "network": {"mode": "allow"},
    }
    with pytest.raises(TaskSpecError) as caught:
        _parse(bad)
    message = str(caught.value)
    for path in (
        "$.id",
        "$.repository.path",
        "$.steps[0].run",
        "$.steps[1]",
        "$.limits.memory_mb",
        "$.network",
    ):
        assert path in message, path
    assert "problems" in message


def test_frozen_clock_needs_an_epoch_and_docker_a_pinned_image() -> None:
    with pytest.raises(TaskSpecError, match=r"\$\.determinism\.epoch: required"):
        _parse({**MINIMAL, "determinism": {"clock": "frozen"}})
    with pytest.raises(TaskSpecError, match=r"\$\.image: .*not pinned by digest"):
        _parse({**MINIMAL, "backend": "docker", "image": "debian:12"})
    with pytest.raises(TaskSpecError, match=r"\$\.image: required"):
        _parse({**MINIMAL, "backend": "docker"})


def test_secret_needs_exactly_one_source() -> None:
    with pytest.raises(TaskSpecError, match=r"\$\.environment\.secrets\[0\]"):
        _parse({**MINIMAL, "environment": {"secrets": [{"name": "K"}]}})


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"id: [unclosed\n", r"spec\.yaml line \d+ column \d+: invalid YAML"),
        (b'{"id": ', r"line 1 column \d+: invalid JSON"),
        (b"\xff\xfe", r"not valid UTF-8 \(byte 0\)"),
        (b"- a\n- b\n", r"a task spec is a mapping, not list"),
    ],
)
def test_malformed_files_name_the_problem(data: bytes, expected: str) -> None:
    with pytest.raises(TaskSpecError, match=expected):
        parse_task(data, "spec.yaml", Path("/"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TaskSpecError, match="No such file"):
        load_task(tmp_path / "absent.yaml")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    with contextlib.suppress(TaskSpecError):
        parse_task(data, "spec", Path("/"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            sorted(
                {
                    *MINIMAL,
                    "limits",
                    "network",
                    "determinism",
                    "environment",
                    "backend",
                    "image",
                    "x",
                }
            )
        ),
        json_values,
        max_size=6,
    )
)
def test_arbitrary_documents_are_accepted_or_rejected_cleanly(document: dict[str, object]) -> None:
    message = ""
    try:
        spec = _parse({**MINIMAL, **document})
    except TaskSpecError as exc:
        message = str(exc)
    if message:
        assert "$" in message
    else:
        assert spec.steps


def test_allow_tag_accepts_a_bare_tag_and_nothing_else() -> None:
    document = {**MINIMAL, "backend": "docker", "image": "debian:12"}
    spec = parse_task(json.dumps(document).encode(), "t.json", Path("/"), allow_tag=True)
    assert spec.document["image"] == "debian:12"
    with pytest.raises(TaskSpecError, match=r"\$\.image: required"):
        parse_task(
            json.dumps({**MINIMAL, "backend": "docker"}).encode(),
            "t.json",
            Path("/"),
            allow_tag=True,
        )
