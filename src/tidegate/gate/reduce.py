"""The gate input a patch would have had without some of its changes (for `gate why`)."""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from tidegate.risk.features import RiskContext, build_features
from tidegate.risk.paths import PathRules

KEPT_FEATURES = ("coverage", "flakiness", "ai_behaviour")
"""Features that describe the tests and the run, not the changes: kept as recorded."""


def without_changes(input_doc: dict[str, Any], removed: Set[str]) -> dict[str, Any]:
    """Return a copy of ``input_doc`` with the change ids in ``removed`` taken out.

    A file left with no change is no longer touched. Features derived from the changes are
    recomputed with the recorded criticality levels; the others are kept as recorded.
    """
    # Shallow copies: only `change` and `features` are rebuilt, nothing shared is mutated.
    document = dict(input_doc)
    change = dict(document["change"])
    document["change"] = change
    kinds = [k for k in change["kinds"] if k["id"] not in removed]
    remaining = {k["file"] for k in kinds}
    gone = {k["file"] for k in change["kinds"] if k["id"] in removed} - remaining
    files = [f for f in change["files"] if f["path"] not in gone]
    change["kinds"] = kinds
    change["files"] = files
    change["lines_added"] = sum(f["lines_added"] for f in files)
    change["lines_deleted"] = sum(f["lines_deleted"] for f in files)
    change["languages"] = sorted({f["language"] for f in files if f["language"]})
    change["unparsed"] = [u for u in change["unparsed"] if u["path"] not in gone]
    recorded = document["features"]
    # Each recorded critical file keeps its recorded level and glob (matched by its own path).
    critical = {item["path"]: item for item in recorded["blast_radius"]["critical_files"]}
    criticality = tuple((path, item["level"]) for path, item in critical.items())
    features = build_features(change, RiskContext(paths=PathRules(criticality=criticality)))
    for item in features["blast_radius"]["critical_files"]:
        item["glob"] = critical.get(item["path"], item)["glob"]
    for name in KEPT_FEATURES:
        features[name] = recorded[name]
    document["features"] = features
    return document
