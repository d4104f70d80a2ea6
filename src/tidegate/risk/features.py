"""The gate input's `change` and `features` objects (pure: no I/O; formulas in docs/risk-features.md).

Every feature ``value`` is an integer 0..1000, 1000 the most risky. Saturating curves
``1000*n // (n + k)`` map unbounded counts so that ``n = k`` scores 500 and no count reaches
1000; weights and thresholds live in the policy data, not here.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tidegate.risk.codeowners import CodeOwners
from tidegate.risk.coverage import CoverageReport
from tidegate.risk.history import ModuleRecord, flakiness
from tidegate.risk.paths import PathRules
from tidegate.secrets import mask_credentials

if TYPE_CHECKING:  # the differ's package is heavy (tree-sitter); only its types are needed
    from tidegate.diff.model import Change, DiffResult, FileDiff

PERMILLE = 1000
SIZE_HALF = 400  # lines changed scoring 500
FILES_HALF = 10  # files touched scoring 500
OWNER_SPREAD = 50  # blast radius added per owner beyond the first
# Significance labels in ascending order (tidegate.diff.taxonomy.Significance) and weights.
SIGNIFICANCE_WEIGHTS: Mapping[str, int] = {
    "none": 0,
    "low": 100,
    "medium": 300,
    "high": 600,
    "crucial": 1000,
}
SEVERE_EXTRA = 25  # semantic risk added per high-or-crucial change beyond the first
WEAKENED_KINDS = frozenset(
    {"test.assertion_removed", "test.assertion_weakened", "test.removed", "test.skip_added"}
)
WEAKENED_EACH = 400
LEAK_KIND = "secret.added"
ATTEMPT_EACH = 150  # ai behaviour added per attempt beyond the first
VIOLATION_EACH = 300
CHURN_MAX = 400  # ai behaviour's churn term tends to this
CHURN_HALF = 1000  # churned lines at which the churn term is CHURN_MAX / 2

__all__ = [
    "RiskContext",
    "RunFacts",
    "build_change",
    "build_features",
    "changed_lines",
    "run_json",
]


@dataclass(frozen=True)
class RunFacts:
    """What the sandbox run that produced the patch recorded."""

    id: str
    status: str
    attempts: int = 1
    tests_passed: int = 0
    tests_failed: int = 0
    violations: tuple[tuple[str, str], ...] = ()  # (guard, detail)
    churn_lines: int = 0  # lines written by earlier attempts and discarded


@dataclass(frozen=True)
class RiskContext:
    """Everything besides the diff that the features draw on; absent sources stay None/empty."""

    paths: PathRules = field(default_factory=PathRules)
    codeowners: CodeOwners | None = None
    coverage: CoverageReport | None = None
    history: Sequence[ModuleRecord] = ()
    run: RunFacts | None = None
    changed: Mapping[str, Sequence[int]] = field(default_factory=dict)


def _lines(content: bytes) -> list[str]:
    """Lines split on LF only (the numbering coverage tools use); never raises."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def changed_lines(old: bytes | None, new: bytes | None) -> list[int]:
    """1-based new-side numbers of the lines the patch added or modified."""
    if new is None:
        return []
    after = _lines(new)
    if old is None:
        return list(range(1, len(after) + 1))
    before = _lines(old)
    # Trim the common head and tail first: edits are local, and difflib is quadratic.
    head = 0
    limit = min(len(before), len(after))
    while head < limit and before[head] == after[head]:
        head += 1
    tail = 0
    while tail < limit - head and before[len(before) - 1 - tail] == after[len(after) - 1 - tail]:
        tail += 1
    middle_old = before[head : len(before) - tail]
    middle_new = after[head : len(after) - tail]
    if not middle_old:
        return list(range(head + 1, head + len(middle_new) + 1))
    matcher = difflib.SequenceMatcher(None, middle_old, middle_new, autojunk=False)
    result: list[int] = []
    for tag, _, _, start, end in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            result.extend(range(head + start + 1, head + end + 1))
    return result


def _criticality(item: FileDiff, rules: PathRules) -> tuple[int, str] | None:
    """The highest criticality of the file's path or old path."""
    found = [rules.criticality_of(p) for p in (item.path, item.old_path) if p]
    matches = [match for match in found if match is not None]
    return max(matches, key=lambda match: match[0]) if matches else None


def _sensitive(item: FileDiff, rules: PathRules) -> str | None:
    """The sensitive category of the path, else of the old path (moving a policy away counts)."""
    for path in (item.path, item.old_path):
        if path:
            category = rules.sensitive_category(path)
            if category is not None:
                return category
    return None


def _change_json(identifier: str, change: Change) -> dict[str, Any]:
    """One ``change.kinds`` entry; free text is masked so no credential reaches the input."""
    return {
        "id": identifier,
        "kind": change.kind,
        "significance": change.level.label,
        "file": change.file,
        "symbol": mask_credentials(change.symbol),
        "line": change.line,
        "old": change.old.to_json() if change.old else None,
        "new": change.new.to_json() if change.new else None,
        "description": mask_credentials(change.description),
        "details": {key: mask_credentials(value) for key, value in change.details.items()},
    }


def build_change(diff: DiffResult, ctx: RiskContext) -> dict[str, Any]:
    """The gate input's ``change`` object: files with criticality, owners and sensitivity."""
    files: list[dict[str, Any]] = []
    unparsed: list[dict[str, Any]] = []
    for item in diff.files:
        critical = _criticality(item, ctx.paths)
        level = critical[0] if critical else 0
        owners = ctx.codeowners.owners_of(item.path) if ctx.codeowners else []
        files.append(
            {
                "path": item.path,
                "old_path": item.old_path,
                "status": item.status,
                "language": item.language,
                "analysed": item.analysed,
                "reason": item.reason,
                "lines_added": item.lines_added,
                "lines_deleted": item.lines_removed,
                "criticality": level,
                "owners": owners,
                "sensitive": _sensitive(item, ctx.paths),
            }
        )
        if not item.analysed:
            unparsed.append(
                {"path": item.path, "reason": item.reason or "unknown", "critical": level > 0}
            )
    return {
        "files": files,
        "lines_added": sum(item.lines_added for item in diff.files),
        "lines_deleted": sum(item.lines_removed for item in diff.files),
        "languages": sorted({item.language for item in diff.files if item.language}),
        "kinds": [
            _change_json(f"c{index}", change) for index, change in enumerate(diff.changes, 1)
        ],
        "patterns": [
            {"kind": p.kind, "description": p.description, "sites": len(p.sites)}
            for p in diff.patterns
        ],
        "unparsed": unparsed,
    }


def saturate(count: int, half: int, ceiling: int = PERMILLE) -> int:
    """``ceiling * count // (count + half)``: 0 at 0, ceiling/2 at ``half``, below ceiling."""
    count = max(count, 0)
    return ceiling * count // (count + half)


def _size(change: Mapping[str, Any]) -> dict[str, Any]:
    lines = change["lines_added"] + change["lines_deleted"]
    return {"value": saturate(lines, SIZE_HALF), "lines_changed": lines}


def _files_touched(change: Mapping[str, Any]) -> dict[str, Any]:
    count = len(change["files"])
    return {"value": saturate(count, FILES_HALF), "count": count}


def _blast_radius(change: Mapping[str, Any], ctx: RiskContext) -> dict[str, Any]:
    critical: list[dict[str, Any]] = []
    owners: set[str] = set()
    for item in change["files"]:
        owners.update(item["owners"])
        found = [ctx.paths.criticality_of(p) for p in (item["path"], item["old_path"]) if p]
        matches = [match for match in found if match is not None and match[0] > 0]
        if matches:
            level, glob = max(matches, key=lambda match: match[0])
            critical.append({"path": item["path"], "level": level, "glob": glob})
    top = max((entry["level"] for entry in critical), default=0)
    value = min(PERMILLE, top + OWNER_SPREAD * (len(owners) - 1)) if owners else top
    return {"value": value, "critical_files": critical, "owners": sorted(owners)}


def _semantic_risk(change: Mapping[str, Any]) -> dict[str, Any]:
    counts = dict.fromkeys(SIGNIFICANCE_WEIGHTS, 0)
    for kind in change["kinds"]:
        counts[kind["significance"]] += 1
    top = max((label for label in counts if counts[label]), key=list(counts).index, default="none")
    severe = counts["high"] + counts["crucial"]
    value = SIGNIFICANCE_WEIGHTS[top]
    if severe:
        value = min(PERMILLE, value + SEVERE_EXTRA * (severe - 1))
    return {"value": value, "max_significance": top, "counts": counts}


def _coverage(change: Mapping[str, Any], ctx: RiskContext) -> dict[str, Any]:
    report = ctx.coverage
    if report is None:
        return {
            "available": False,
            "value": None,
            "source": None,
            "changed_lines": 0,
            "covered_lines": 0,
            "uncovered": [],
        }
    measured_total = covered_total = 0
    uncovered: list[dict[str, Any]] = []
    for item in change["files"]:
        lines = ctx.changed.get(item["path"], ())
        record = report.get(item["path"])
        if record is None or not lines:
            continue
        measured = {line for line in lines if line in record.measured}
        covered = {line for line in measured if line in record.covered}
        measured_total += len(measured)
        covered_total += len(covered)
        if measured - covered:
            uncovered.append({"file": item["path"], "lines": sorted(measured - covered)})
    value = PERMILLE - covered_total * PERMILLE // measured_total if measured_total else 0
    return {
        "available": True,
        "value": value,
        "source": report.format,
        "changed_lines": measured_total,
        "covered_lines": covered_total,
        "uncovered": uncovered,
    }


def _ai_behaviour(run: RunFacts | None) -> dict[str, Any]:
    if run is None:
        return {"available": False, "value": 0, "attempts": 0, "churn_lines": 0, "violations": 0}
    attempts = max(run.attempts, 0)
    churn = max(run.churn_lines, 0)
    value = (
        ATTEMPT_EACH * max(attempts - 1, 0)
        + VIOLATION_EACH * len(run.violations)
        + saturate(churn, CHURN_HALF, CHURN_MAX)
    )
    return {
        "available": True,
        "value": min(PERMILLE, value),
        "attempts": attempts,
        "churn_lines": churn,
        "violations": len(run.violations),
    }


def build_features(change: Mapping[str, Any], ctx: RiskContext) -> dict[str, Any]:
    """The gate input's ``features`` object, from build_change's output and the context."""
    kinds = change["kinds"]
    weakened = [kind["id"] for kind in kinds if kind["kind"] in WEAKENED_KINDS]
    secrets = [kind["id"] for kind in kinds if kind["kind"] == LEAK_KIND]
    sensitive = [
        {"path": item["path"], "category": item["sensitive"]}
        for item in change["files"]
        if item["sensitive"] is not None
    ]
    touched = [p for item in change["files"] for p in (item["path"], item["old_path"]) if p]
    return {
        "size": _size(change),
        "files_touched": _files_touched(change),
        "blast_radius": _blast_radius(change, ctx),
        "semantic_risk": _semantic_risk(change),
        "coverage": _coverage(change, ctx),
        "flakiness": flakiness(touched, ctx.history),
        "ai_behaviour": _ai_behaviour(ctx.run),
        "tests_weakened": {
            "value": min(PERMILLE, WEAKENED_EACH * len(weakened)),
            "count": len(weakened),
            "changes": weakened,
        },
        "sensitive_files": {"value": PERMILLE if sensitive else 0, "files": sensitive},
        "secrets_added": {"count": len(secrets), "changes": secrets},
    }


def run_json(run: RunFacts | None) -> dict[str, Any] | None:
    """The gate input's ``run`` object (violation details masked), or None without a run."""
    if run is None:
        return None
    return {
        "id": run.id,
        "status": run.status,
        "attempts": max(run.attempts, 0),
        "tests_passed": max(run.tests_passed, 0),
        "tests_failed": max(run.tests_failed, 0),
        "violations": [
            {"guard": guard, "detail": mask_credentials(detail)} for guard, detail in run.violations
        ],
    }
