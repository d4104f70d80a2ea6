"""Task specs: load YAML or JSON, validate against schemas/task.schema.json, name every error."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tidegate.errors import UsageError
from tidegate.schemas import schema_errors

MAX_SPEC_BYTES = 1 << 20
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


class TaskSpecError(UsageError):
    """A task spec cannot be read or is invalid; the message lists every problem and where."""


@dataclass(frozen=True)
class Step:
    """One command of a task."""

    run: tuple[str, ...]
    name: str = ""
    cwd: str = "."


@dataclass(frozen=True)
class TaskSpec:
    """A validated task spec (the document as loaded is kept for the ledger)."""

    id: str
    repository: Path
    commit: str
    steps: tuple[Step, ...]
    backend: str
    document: dict[str, Any] = field(repr=False)

    @property
    def network(self) -> dict[str, Any]:
        """The network policy (default: none)."""
        value = self.document.get("network", {"mode": "none"})
        return dict(value)

    @property
    def determinism(self) -> dict[str, Any]:
        """Clock, epoch, seed, TZ and locale (defaults: real clock, TZ UTC, C.UTF-8)."""
        return {
            "clock": "real",
            "tz": "UTC",
            "locale": "C.UTF-8",
            **self.document.get("determinism", {}),
        }


def parse_task(data: bytes, source: str, base: Path, *, allow_tag: bool = False) -> TaskSpec:
    """Parse and validate a task spec; ``base`` resolves a relative repository path.

    ``allow_tag`` accepts a docker image named by tag instead of digest (`--allow-tag`).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TaskSpecError(f"{source}: not valid UTF-8 (byte {exc.start})") from exc
    document = _load(text, source)
    if not isinstance(document, dict):
        raise TaskSpecError(f"{source}: a task spec is a mapping, not {type(document).__name__}")
    problems = schema_errors(document, "task")
    problems += _semantic_problems(document, allow_tag) if not problems else []
    if problems:
        listed = "\n  ".join(problems)
        raise TaskSpecError(f"{source}: invalid task spec ({len(problems)} problems):\n  {listed}")
    repository = Path(document["repository"]["path"])
    if not repository.is_absolute():
        repository = base / repository
    steps = tuple(
        Step(run=tuple(step["run"]), name=step.get("name", ""), cwd=step.get("cwd", "."))
        for step in document["steps"]
    )
    return TaskSpec(
        id=document["id"],
        repository=repository,
        commit=document["repository"].get("commit", "HEAD"),
        steps=steps,
        backend=document.get("backend", "bwrap"),
        document=document,
    )


def load_task(path: Path, *, allow_tag: bool = False) -> TaskSpec:
    """Read and validate the task spec file at ``path`` (``allow_tag``: see parse_task)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise TaskSpecError(f"{path}: {exc.strerror}") from exc
    if len(data) > MAX_SPEC_BYTES:
        raise TaskSpecError(f"{path}: larger than {MAX_SPEC_BYTES} bytes")
    return parse_task(data, str(path), path.resolve().parent, allow_tag=allow_tag)


def _load(text: str, source: str) -> Any:
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise TaskSpecError(
                f"{source} line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}"
            ) from exc
    try:
        # Both loaders are the safe ones (libyaml's when built with it): no object tags.
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise TaskSpecError(f"{source}{where}: invalid YAML: {problem}") from exc


def _semantic_problems(document: dict[str, Any], allow_tag: bool) -> list[str]:
    """Rules a JSON Schema says poorly: clocks need an epoch, docker needs a pinned image."""
    problems: list[str] = []
    determinism = document.get("determinism", {})
    if determinism.get("clock") in {"frozen", "start-at"} and "epoch" not in determinism:
        problems.append(f"$.determinism.epoch: required when clock is {determinism['clock']!r}")
    if document.get("backend") == "docker":
        image = document.get("image")
        if not image:
            problems.append("$.image: required with backend 'docker'")
        elif not allow_tag and not _DIGEST.search(image):
            problems.append(
                f"$.image: {image!r} is not pinned by digest (name@sha256:<64 hex>); "
                "a bare tag can change under you (`tidegate run --allow-tag` accepts it)"
            )
    return problems
