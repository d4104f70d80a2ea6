"""The differ's entry point: analyse each file of a patch, then the patch-level passes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tidegate.diff.analyze import FileChange, Options, analyse
from tidegate.diff.compare import MOVE_SIMILARITY, similarity
from tidegate.diff.model import Change, DiffResult, FileDiff, LineRange
from tidegate.diff.patterns import find_patterns
from tidegate.diff.syntax import Definition


@dataclass(frozen=True)
class Leftover:
    """A function that stayed unmatched in its file: just what cross-file moves compare.

    Holding these instead of definitions lets each file's syntax trees be freed as soon as
    the file is done, so memory stays flat however many files a patch has.
    """

    file: FileDiff
    name: str
    qualname: str
    start: int
    end: int
    body_tokens: tuple[str, ...]

    @classmethod
    def of(cls, file: FileDiff, definition: Definition) -> Leftover:
        """Keep a definition's name, lines and body tokens, not its tree."""
        return cls(
            file,
            definition.name,
            definition.qualname,
            definition.start,
            definition.end,
            tuple(definition.body_tokens),
        )


def diff_files(
    changes: Iterable[FileChange],
    options: Options | None = None,
    *,
    base: str | None = None,
    head: str | None = None,
) -> DiffResult:
    """Return the semantic diff of a sequence of changed files (consumed one at a time)."""
    options = options or Options()
    files: list[FileDiff] = []
    removed: list[Leftover] = []
    added: list[Leftover] = []
    for change in changes:
        analysis = analyse(change, options)
        files.append(analysis.file)
        removed.extend(Leftover.of(analysis.file, d) for d in analysis.unmatched_old)
        added.extend(Leftover.of(analysis.file, d) for d in analysis.unmatched_new)
    _cross_file_moves(removed, added)
    result = DiffResult(files=files, base=base, head=head)
    result.patterns = find_patterns(result.changes)
    return result


def _cross_file_moves(removed: list[Leftover], added: list[Leftover]) -> None:
    """Turn a function removed from one file and added to another into function.moved."""
    used: set[int] = set()
    for old in removed:
        best: tuple[float, int] | None = None
        for index, new in enumerate(added):
            if index in used or new.file is old.file or new.name != old.name:
                continue
            score = similarity(old.body_tokens, new.body_tokens, MOVE_SIMILARITY)
            if score >= MOVE_SIMILARITY and (best is None or score > best[0]):
                best = (score, index)
        if best is None:
            continue
        used.add(best[1])
        new = added[best[1]]
        _drop(old.file, "function.removed", old.qualname)
        _drop(new.file, "function.added", new.qualname)
        new.file.changes.append(
            Change(
                kind="function.moved",
                file=new.file.path,
                symbol=new.qualname,
                description=f"`{old.qualname}()` moved here from {old.file.path}",
                old=LineRange(old.start, old.end),
                new=LineRange(new.start, new.end),
                details={"before": f"{old.file.path}:{old.qualname}", "after": new.qualname},
            )
        )


def _drop(file: FileDiff, kind: str, qualname: str) -> None:
    file.changes = [c for c in file.changes if not (c.kind == kind and c.symbol == qualname)]
