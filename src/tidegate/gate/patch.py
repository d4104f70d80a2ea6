"""The patch under decision: its semantic diff, its content fingerprint and its changed lines."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tidegate.diff import DiffResult, FileChange, Options, diff_files
from tidegate.diff.patch import changes_from_patch, parse_patch
from tidegate.diff.sources import directory_reader, git_changes, resolve
from tidegate.errors import UsageError
from tidegate.risk.features import changed_lines

CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


def _digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


@dataclass
class Fingerprint:
    """Accumulates the patch digest and changed lines as the differ consumes files."""

    track_lines: bool = True
    items: list[list[str | None]] = field(default_factory=list)
    changed: dict[str, list[int]] = field(default_factory=dict)

    def watch(self, changes: Iterable[FileChange]) -> Iterator[FileChange]:
        """Yield ``changes`` unchanged, recording each file's identity and changed lines."""
        for change in changes:
            self.items.append(
                [
                    change.old_path or change.path,
                    change.path,
                    change.status,
                    _digest(change.old),
                    _digest(change.new),
                ]
            )
            # Changed lines only serve coverage; diffing every file's lines costs ~10% of a check.
            if self.track_lines and change.new is not None and not change.binary:
                self.changed[change.path] = changed_lines(change.old, change.new)
            yield change

    def digest(self) -> str:
        """Return the patch digest: sha256 over the sorted file identities (docs/gate.md)."""
        canonical = json.dumps(sorted(self.items, key=lambda i: (str(i[1]), str(i[0]))))
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class AnalysedPatch:
    """A patch with everything the gate derives from its content."""

    source: str  # git | patch
    base: str | None
    head: str | None
    digest: str
    diff: DiffResult
    changed: dict[str, list[int]]
    codeowners: str | None


def _git_show(repo: Path, revision: str, path: str) -> bytes | None:
    completed = subprocess.run(
        ["git", "-C", str(repo), "show", f"{revision}:{path}"],
        capture_output=True,
        check=False,
    )
    return completed.stdout if completed.returncode == 0 else None


def _codeowners(read: Iterable[bytes | None]) -> str | None:
    for data in read:
        if data is not None:
            return data.decode("utf-8", "replace")
    return None


def analyse_range(
    repo: Path, base: str, head: str, options: Options, *, track_lines: bool = True
) -> AnalysedPatch:
    """Diff ``base..head`` of ``repo``; CODEOWNERS is read as of the base (before the change)."""
    base_id, head_id = resolve(repo, base), resolve(repo, head)
    watcher = Fingerprint(track_lines)
    result = diff_files(
        watcher.watch(git_changes(repo, base_id, head_id)), options, base=base_id, head=head_id
    )
    owners = _codeowners(_git_show(repo, base_id, p) for p in CODEOWNERS_PATHS)
    return AnalysedPatch("git", base_id, head_id, watcher.digest(), result, watcher.changed, owners)


def analyse_patch(
    text: str, root: Path, options: Options, *, source: str, track_lines: bool = True
) -> AnalysedPatch:
    """Diff a unified patch applied to the files under ``root`` (CODEOWNERS as found there)."""
    if not root.is_dir():
        raise UsageError(f"--repo {root}: not a directory")
    read = directory_reader(root)
    watcher = Fingerprint(track_lines)
    result = diff_files(watcher.watch(changes_from_patch(parse_patch(text, source), read)), options)
    owners = _codeowners(read(p) for p in CODEOWNERS_PATHS)
    return AnalysedPatch("patch", None, None, watcher.digest(), result, watcher.changed, owners)
