"""Every JSON Schema tidegate ships is a valid 2020-12 schema with a unique $id."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from tidegate.schemas import schema_dir, schema_errors

SCHEMAS = sorted(schema_dir().rglob("*.schema.json"))


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: str(p.relative_to(schema_dir())))
def test_schema_is_valid_2020_12(path) -> None:
    document = json.loads(path.read_text())
    Draft202012Validator.check_schema(document)
    relative = path.relative_to(schema_dir()).as_posix()
    assert document["$id"] == f"https://tidegate.dev/schemas/{relative}"


def test_ids_are_unique_and_cross_file_refs_resolve() -> None:
    ids = [json.loads(p.read_text())["$id"] for p in SCHEMAS]
    assert len(ids) == len(set(ids))
    bad_decision = {"action": "maybe"}
    errors = schema_errors({"decision": bad_decision}, "ledger/gate.decision")
    assert any("$.decision.action" in e for e in errors)
