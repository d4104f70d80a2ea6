"""The semantic differ: what a patch changes, by kind, with evidence (tree-sitter based).

The gate and the runner call these functions; the CLI renders their results.
"""

from __future__ import annotations

from pathlib import Path

from tidegate.diff.analyze import DEFAULT_MAX_FILE_BYTES, FileChange, Options
from tidegate.diff.engine import diff_files
from tidegate.diff.model import Change, DiffResult, FileDiff, LineRange, Pattern, Site
from tidegate.diff.patch import PatchError, ReadFile, changes_from_patch, parse_patch
from tidegate.diff.sources import GitError, directory_reader, git_changes
from tidegate.diff.taxonomy import KINDS, Kind, Significance

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "KINDS",
    "Change",
    "DiffResult",
    "FileChange",
    "FileDiff",
    "GitError",
    "Kind",
    "LineRange",
    "Options",
    "PatchError",
    "Pattern",
    "Significance",
    "Site",
    "diff_files",
    "diff_git",
    "diff_patch",
    "diff_patch_in_directory",
]


def diff_patch(
    patch: str, read_old: ReadFile, options: Options | None = None, *, source: str = "patch"
) -> DiffResult:
    """Diff a unified patch, reading each file's old content with ``read_old(path)``."""
    files = parse_patch(patch, source)
    return diff_files(changes_from_patch(files, read_old), options)


def diff_patch_in_directory(
    patch: str, root: Path, options: Options | None = None, *, source: str = "patch"
) -> DiffResult:
    """Diff a unified patch applied to the files under ``root``."""
    return diff_patch(patch, directory_reader(root), options, source=source)


def diff_git(
    repo: Path, base: str, head: str = "HEAD", options: Options | None = None
) -> DiffResult:
    """Diff two commits of a git repository (contents streamed one file at a time)."""
    return diff_files(git_changes(repo, base, head), options, base=base, head=head)
