"""JSON Schemas (2020-12) of the documents that cross tidegate's boundaries."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

_CANDIDATES = (
    Path(__file__).resolve().parent / "_schemas",  # installed wheel
    Path(__file__).resolve().parents[2] / "schemas",  # source checkout / editable install
)


def schema_dir() -> Path:
    """Return the directory holding the schemas."""
    for candidate in _CANDIDATES:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("tidegate's schemas directory is missing from this installation")


@cache
def _registry() -> Registry:
    """Every schema by its $id, so cross-file $refs resolve offline."""
    resources = []
    for path in sorted(schema_dir().rglob("*.schema.json")):
        document = json.loads(path.read_text())
        resources.append((document["$id"], Resource.from_contents(document)))
    return Registry().with_resources(resources)


@cache
def validator(name: str) -> Draft202012Validator:
    """Return a validator for ``schemas/<name>.schema.json``."""
    path = schema_dir() / f"{name}.schema.json"
    schema: dict[str, Any] = json.loads(path.read_text())
    # No check_schema here: checking a schema against the meta-schema costs ~50 ms each, on
    # every command; tests/unit/test_schemas.py checks every schema once instead.
    return Draft202012Validator(schema, registry=_registry())


def schema_errors(instance: object, name: str) -> list[str]:
    """Return one message per schema violation, each prefixed by its JSON path ($...)."""
    checker = validator(name)
    if checker.is_valid(instance):
        return []
    errors = sorted(checker.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{error.json_path}: {error.message}" for error in errors]
