"""The reviewer's text summary of a semantic diff (pure string building)."""

from __future__ import annotations

from tidegate.diff.model import Change, DiffResult, FileDiff, sort_changes


def _where(change: Change) -> str:
    if change.new is not None:
        return f"L{change.new.label()}"
    if change.old is not None:
        return f"was L{change.old.label()}"
    return ""


def _file_header(item: FileDiff) -> str:
    parts = [item.status]
    if item.language:
        parts.insert(0, item.language)
    if item.lines_added or item.lines_removed:
        parts.append(f"+{item.lines_added} -{item.lines_removed}")
    if not item.analysed:
        parts.append(f"NOT ANALYSED: {item.reason}")
    name = f"{item.old_path} -> {item.path}" if item.old_path else item.path
    return f"{name} ({', '.join(parts)})"


def render_text(result: DiffResult) -> str:
    """Return per file and symbol one line per change, most significant first, with lines."""
    lines: list[str] = []
    files = sorted(
        result.files,
        key=lambda f: (-max((c.level for c in f.changes), default=0), f.path),
    )
    for item in files:
        lines.append(_file_header(item))
        changes = sort_changes(item.changes)
        if not changes:
            lines.append("  (no semantic change)")
        width = max((len(c.kind) for c in changes), default=0)
        for change in changes:
            symbol = f" [{change.symbol}]" if change.symbol else ""
            lines.append(
                f"  {change.level.label:<8} {change.kind:<{width}}  {_where(change):<10}"
                f"{change.description}{symbol}"
            )
    if result.patterns:
        lines.append("")
        lines.append("patterns:")
        for pattern in result.patterns:
            lines.append(f"  {pattern.description}")
    changes = result.changes
    not_analysed = sum(1 for f in result.files if not f.analysed)
    lines.append("")
    summary = (
        f"{len(changes)} change{'s' if len(changes) != 1 else ''} in {len(result.files)} "
        f"file{'s' if len(result.files) != 1 else ''}; highest significance: "
        f"{result.max_significance().label}"
    )
    if not_analysed:
        summary += f"; {not_analysed} file{'s' if not_analysed != 1 else ''} not analysed"
    lines.append(summary)
    return "\n".join(lines) + "\n"
