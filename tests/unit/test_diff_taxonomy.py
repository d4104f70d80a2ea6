"""The taxonomy, its documentation and the JSON schema agree."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tidegate.diff.taxonomy import KINDS, Significance

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `([a-z_.]+)` \| (none|low|medium|high|crucial) \|", re.MULTILINE)


def test_every_kind_is_documented_with_its_significance() -> None:
    documented = dict(ROW.findall((ROOT / "docs" / "change-kinds.md").read_text()))
    assert documented == {kind.id: kind.significance.label for kind in KINDS.values()}


def test_schema_enumerates_exactly_the_kinds() -> None:
    schema = json.loads((ROOT / "schemas" / "semantic-diff.schema.json").read_text())
    assert sorted(schema["$defs"]["kind"]["enum"]) == sorted(KINDS)
    assert schema["$defs"]["significance"]["enum"] == [level.label for level in Significance]


def test_ids_are_dotted_and_grouped() -> None:
    for kind_id, kind in KINDS.items():
        assert re.fullmatch(r"[a-z]+(\.[a-z_]+)+", kind_id), kind_id
        assert kind.group == kind_id.split(".")[0]
        assert kind.summary
