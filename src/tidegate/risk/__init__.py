"""Risk features of a patch: path rules, code owners, coverage, test history, the gate's inputs.

Everything here is pure except ``load_coverage``; the gate reads files and calls these.
"""

from __future__ import annotations

from tidegate.risk.codeowners import CodeOwners, find_codeowners, parse_codeowners
from tidegate.risk.coverage import CoverageReport, FileCoverage, load_coverage, parse_coverage
from tidegate.risk.features import (
    RiskContext,
    RunFacts,
    build_change,
    build_features,
    changed_lines,
    run_json,
)
from tidegate.risk.history import (
    ModuleRecord,
    TestOutcome,
    flakiness,
    outcomes_from_note,
    parse_junit,
)
from tidegate.risk.paths import DEFAULT_SENSITIVE, PathRules, path_rules

__all__ = [
    "DEFAULT_SENSITIVE",
    "CodeOwners",
    "CoverageReport",
    "FileCoverage",
    "ModuleRecord",
    "PathRules",
    "RiskContext",
    "RunFacts",
    "TestOutcome",
    "build_change",
    "build_features",
    "changed_lines",
    "find_codeowners",
    "flakiness",
    "load_coverage",
    "outcomes_from_note",
    "parse_codeowners",
    "parse_coverage",
    "parse_junit",
    "path_rules",
    "run_json",
]
