"""The differ's entry point: analyse each file of a patch, then the patch-level passes."""

from __future__ import annotations

from collections.abc import Iterable

from tidegate.diff.analyze import Analysis, FileChange, Options, analyse
from tidegate.diff.compare import MOVE_SIMILARITY, similarity
from tidegate.diff.model import Change, DiffResult, LineRange
from tidegate.diff.patterns import find_patterns
from tidegate.diff.syntax import Definition


def diff_files(
    changes: Iterable[FileChange],
    options: Options | None = None,
    *,
    base: str | None = None,
    head: str | None = None,
) -> DiffResult:
    """Return the semantic diff of a sequence of changed files (consumed one at a time)."""
    options = options or Options()
    files = []
    leftovers: list[Analysis] = []
    for change in changes:
        analysis = analyse(change, options)
        files.append(analysis.file)
        if analysis.unmatched_old or analysis.unmatched_new:
            leftovers.append(_slim(analysis))
    _cross_file_moves(leftovers)
    result = DiffResult(files=files, base=base, head=head)
    result.patterns = find_patterns(result.changes)
    return result


def _slim(analysis: Analysis) -> Analysis:
    """Keep only what cross-file move detection needs (tokens, names), not whole trees."""
    for item in (*analysis.unmatched_old, *analysis.unmatched_new):
        _ = item.body_tokens
    return analysis


def _cross_file_moves(analyses: list[Analysis]) -> None:
    """Turn a function removed from one file and added to another into function.moved."""
    removed = [(a, d) for a in analyses for d in a.unmatched_old]
    added = [(a, d) for a in analyses for d in a.unmatched_new]
    used: set[int] = set()
    for source, old in removed:
        best: tuple[float, int] | None = None
        for index, (target, new) in enumerate(added):
            if index in used or target is source or new.name != old.name:
                continue
            score = similarity(old.body_tokens, new.body_tokens)
            if score >= MOVE_SIMILARITY and (best is None or score > best[0]):
                best = (score, index)
        if best is None:
            continue
        used.add(best[1])
        target, new = added[best[1]]
        _drop(source, "function.removed", old)
        _drop(target, "function.added", new)
        target.file.changes.append(
            Change(
                kind="function.moved",
                file=target.file.path,
                symbol=new.qualname,
                description=f"`{old.qualname}()` moved here from {source.file.path}",
                old=LineRange(old.start, old.end),
                new=LineRange(new.start, new.end),
                details={"before": f"{source.file.path}:{old.qualname}", "after": new.qualname},
            )
        )


def _drop(analysis: Analysis, kind: str, definition: Definition) -> None:
    analysis.file.changes = [
        c for c in analysis.file.changes if not (c.kind == kind and c.symbol == definition.qualname)
    ]
