"""Workspaces: the task's repository at its commit, extracted twice (the run's copy and a
pristine copy the patch is computed against), plus the provenance of what was extracted.

The workspace is a plain directory (``git archive``), not a worktree or clone: the task sees
exactly the committed tree, no ``.git`` pointing back at the host repository, and uncommitted
changes of the host repository are never part of it (they are recorded as ``dirty``).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tidegate.errors import UsageError

MAX_DIRTY_LISTED = 100
BEFORE_DIR = "before"
WORK_DIR = "work"


@dataclass(frozen=True)
class Provenance:
    """Where a workspace came from."""

    repository: str
    requested: str
    commit: str
    dirty: bool
    dirty_paths: list[str] = field(default_factory=list)  # at most MAX_DIRTY_LISTED
    git_version: str = ""


@dataclass
class Workspace:
    """A materialized workspace: ``root`` is what the task may change, ``before`` stays pristine."""

    base: Path
    provenance: Provenance

    @property
    def root(self) -> Path:
        """The directory the task runs in (the only writable one)."""
        return self.base / WORK_DIR

    @property
    def before(self) -> Path:
        """The tree as extracted, never touched by the task."""
        return self.base / BEFORE_DIR

    @property
    def scratch(self) -> Path:
        """A directory of tidegate's own beside the workspace (never visible to the task)."""
        path = self.base / "scratch"
        path.mkdir(mode=0o700, exist_ok=True)
        return path

    def remove(self) -> None:
        """Delete the workspace (both copies and the scratch directory)."""
        # A task may leave read-only directories behind; make them writable to delete them.
        for directory in (self.root, self.before):
            for path in [directory, *directory.rglob("*")] if directory.exists() else []:
                if path.is_dir() and not path.is_symlink():
                    path.chmod(0o700)
        shutil.rmtree(self.base, ignore_errors=True)


def _git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, check=False, timeout=120
        )
    except FileNotFoundError as exc:
        raise UsageError("git is not installed; a task's repository cannot be read") from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(
            f"repository {repo}: git {' '.join(args)} failed: {detail[-1] if detail else '?'}"
        )
    return done.stdout.decode("utf-8", "surrogateescape")


def provenance(repo: Path, commit: str) -> Provenance:
    """Resolve ``commit`` in ``repo`` and note whether the working tree has local changes."""
    if not repo.is_dir():
        raise UsageError(f"repository {repo}: not a directory")
    resolved = _git(repo, "rev-parse", "--verify", "--end-of-options", f"{commit}^{{commit}}")
    status = _git(repo, "status", "--porcelain", "-z", "--untracked-files=normal")
    dirty: list[str] = []
    items = iter(status.split("\0"))
    for item in items:
        if len(item) > 3:
            dirty.append(item[3:])
            if item[0] in "RC":
                next(items, None)  # -z writes a rename's source as the next item, unprefixed
    version = _git(repo, "--version").strip()
    return Provenance(
        repository=str(repo.resolve()),
        requested=commit,
        commit=resolved.strip(),
        dirty=bool(dirty),
        dirty_paths=dirty[:MAX_DIRTY_LISTED],
        git_version=version,
    )


def _extract(repo: Path, commit: str, dest: Path) -> None:
    dest.mkdir()
    archive = subprocess.Popen(
        ["git", "-C", str(repo), "archive", "--format=tar", commit],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert archive.stdout is not None
    tar = subprocess.run(
        ["tar", "-x", "-C", str(dest), "--no-same-owner"],
        stdin=archive.stdout,
        capture_output=True,
        check=False,
    )
    archive.stdout.close()
    error = archive.stderr.read() if archive.stderr else b""
    if archive.wait() != 0 or tar.returncode != 0:
        message = (error or tar.stderr).decode("utf-8", "replace").strip()
        raise UsageError(f"repository {repo}: cannot extract {commit}: {message}")


def materialize(repo: Path, commit: str, *, parent: Path | None = None) -> Workspace:
    """Extract ``repo`` at ``commit`` into a fresh temporary workspace (and its pristine copy)."""
    found = provenance(repo, commit)
    base = Path(tempfile.mkdtemp(prefix="tidegate-run-", dir=parent))
    workspace = Workspace(base, found)
    try:
        # Extracted twice rather than copied: the same speed, and no copy can follow a link.
        _extract(repo, found.commit, workspace.before)
        _extract(repo, found.commit, workspace.root)
    except BaseException:
        workspace.remove()
        raise
    return workspace
