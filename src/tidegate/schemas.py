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


def inline_local_refs(node: Any, defs: dict[str, Any], depth: int = 0) -> Any:
    """Return ``node`` with ``{"$ref": "#/$defs/X"}`` replaced by X itself (non-recursive defs).

    Resolving a reference through the registry costs ~25 us per use; a gate input with hundreds
    of changes uses thousands of them, so inlining makes its validation several times faster.
    """
    if depth > 32:  # a recursive definition: leave the reference to the registry
        return node
    if isinstance(node, dict):
        ref = node.get("$ref")
        if (
            isinstance(ref, str)
            and ref.startswith("#/$defs/")
            and ref[8:] in defs
            and len(node) == 1
        ):
            return inline_local_refs(defs[ref[8:]], defs, depth + 1)
        return {key: inline_local_refs(value, defs, depth) for key, value in node.items()}
    if isinstance(node, list):
        return [inline_local_refs(item, defs, depth) for item in node]
    return node


@cache
def validator(name: str) -> Draft202012Validator:
    """Return a validator for ``schemas/<name>.schema.json``."""
    path = schema_dir() / f"{name}.schema.json"
    schema: dict[str, Any] = json.loads(path.read_text())
    schema = inline_local_refs(schema, schema.get("$defs", {}))
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
