"""The semantic diff's result documents: changes with evidence, per-file results, patterns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tidegate.diff.taxonomy import KINDS, Significance

SCHEMA_ID = "https://tidegate.dev/schemas/semantic-diff.schema.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class LineRange:
    """An inclusive 1-based line range in one version of a file."""

    start: int
    end: int

    def to_json(self) -> dict[str, int]:
        """Return the range as ``{"start", "end"}``."""
        return {"start": self.start, "end": self.end}

    def label(self) -> str:
        """Return ``12`` or ``12-15`` for text output."""
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"


@dataclass(frozen=True)
class Change:
    """One semantic change: its kind, where it is (both versions) and what it means."""

    kind: str
    file: str
    symbol: str
    description: str
    old: LineRange | None = None
    new: LineRange | None = None
    details: dict[str, str] = field(default_factory=dict)
    significance: Significance | None = None

    @property
    def level(self) -> Significance:
        """The change's significance (the kind's default unless overridden)."""
        if self.significance is not None:
            return self.significance
        return KINDS[self.kind].significance

    @property
    def line(self) -> int:
        """The most useful single line: the new one when the change exists there."""
        if self.new is not None:
            return self.new.start
        return self.old.start if self.old is not None else 0

    def to_json(self) -> dict[str, Any]:
        """Return the change as a JSON object (see schemas/semantic-diff.schema.json)."""
        document: dict[str, Any] = {
            "kind": self.kind,
            "significance": self.level.label,
            "file": self.file,
            "symbol": self.symbol,
            "old": self.old.to_json() if self.old else None,
            "new": self.new.to_json() if self.new else None,
            "description": self.description,
        }
        if self.details:
            document["details"] = dict(self.details)
        return document


@dataclass
class FileDiff:
    """The analysis of one file of the patch: its status, language and changes."""

    path: str
    status: str  # added | removed | modified | renamed
    old_path: str | None = None
    language: str | None = None
    analysed: bool = True
    reason: str | None = None  # why not analysed: binary, too_large, unsupported, parse_failed
    lines_added: int = 0
    lines_removed: int = 0
    changes: list[Change] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the file's result as a JSON object."""
        return {
            "path": self.path,
            "old_path": self.old_path,
            "status": self.status,
            "language": self.language,
            "analysed": self.analysed,
            "reason": self.reason,
            "lines_added": self.lines_added,
            "lines_removed": self.lines_removed,
            "changes": [change.to_json() for change in sort_changes(self.changes)],
        }


@dataclass(frozen=True)
class Site:
    """One place a pattern occurs."""

    file: str
    line: int
    symbol: str

    def to_json(self) -> dict[str, Any]:
        """Return the site as a JSON object."""
        return {"file": self.file, "line": self.line, "symbol": self.symbol}


@dataclass(frozen=True)
class Pattern:
    """The same transformation at several sites, reported once."""

    kind: str
    key: str
    description: str
    sites: tuple[Site, ...]

    @property
    def files(self) -> int:
        """How many distinct files the pattern spans."""
        return len({site.file for site in self.sites})

    def to_json(self) -> dict[str, Any]:
        """Return the pattern as a JSON object."""
        return {
            "kind": self.kind,
            "key": self.key,
            "description": self.description,
            "count": len(self.sites),
            "files": self.files,
            "sites": [site.to_json() for site in self.sites],
        }


@dataclass
class DiffResult:
    """The whole semantic diff of a patch."""

    files: list[FileDiff]
    patterns: list[Pattern] = field(default_factory=list)
    base: str | None = None
    head: str | None = None

    @property
    def changes(self) -> list[Change]:
        """Every change of every file, most significant first."""
        return sort_changes([change for item in self.files for change in item.changes])

    def kinds(self) -> set[str]:
        """The distinct kind ids present."""
        return {change.kind for item in self.files for change in item.changes}

    def max_significance(self) -> Significance:
        """The highest significance of any change (``none`` for an empty diff)."""
        levels = [change.level for item in self.files for change in item.changes]
        return max(levels, default=Significance.NONE)

    def to_json(self) -> dict[str, Any]:
        """Return the document validated by schemas/semantic-diff.schema.json."""
        changes = self.changes
        by_kind: dict[str, int] = {}
        by_significance = {level.label: 0 for level in Significance}
        for change in changes:
            by_kind[change.kind] = by_kind.get(change.kind, 0) + 1
            by_significance[change.level.label] += 1
        return {
            "$schema": SCHEMA_ID,
            "version": FORMAT_VERSION,
            "base": self.base,
            "head": self.head,
            "summary": {
                "files": len(self.files),
                "files_not_analysed": sum(1 for item in self.files if not item.analysed),
                "lines_added": sum(item.lines_added for item in self.files),
                "lines_removed": sum(item.lines_removed for item in self.files),
                "changes": len(changes),
                "max_significance": self.max_significance().label,
                "by_kind": dict(sorted(by_kind.items())),
                "by_significance": by_significance,
            },
            "files": [item.to_json() for item in self.files],
            "changes": [change.to_json() for change in changes],
            "patterns": [pattern.to_json() for pattern in self.patterns],
        }


def sort_changes(changes: list[Change]) -> list[Change]:
    """Order changes most significant first, then by file, line and kind (stable output)."""
    return sorted(changes, key=lambda c: (-c.level, c.file, c.line, c.kind, c.symbol))
