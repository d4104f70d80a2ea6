"""Where file contents come from: a git range (one `cat-file --batch` stream) or a directory."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from tidegate.diff.analyze import FileChange
from tidegate.diff.patch import PatchError, ReadFile, safe_path
from tidegate.errors import UsageError

_NULL_SHA = "0" * 40


class GitError(UsageError):
    """A git command failed (bad revision, not a repository); the message says which."""


def _git(repo: Path, *args: str) -> bytes:
    try:
        completed = subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed (needed for --base/--head)") from exc
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(
            f"git {args[0]} failed in {repo}: {message[-1] if message else 'unknown error'}"
        )
    return completed.stdout


def resolve(repo: Path, revision: str) -> str:
    """Return the commit id a revision names, or raise GitError naming the revision."""
    if revision.startswith("-"):
        raise GitError(f"invalid revision {revision!r}")
    try:
        return (
            _git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
            .decode()
            .strip()
        )
    except GitError as exc:
        raise GitError(
            f"unknown revision {revision!r} in {repo}",
            hint="fetch it first (CI checkouts are often shallow: use fetch-depth: 0)",
        ) from exc


class _Blobs:
    """A long-lived `git cat-file --batch` process reading blobs by id."""

    def __init__(self, repo: Path) -> None:
        self.process = subprocess.Popen(
            ["git", "-C", str(repo), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def read(self, sha: str) -> bytes | None:
        if sha == _NULL_SHA:
            return None
        stdin: IO[bytes] = self.process.stdin  # type: ignore[assignment]
        stdout: IO[bytes] = self.process.stdout  # type: ignore[assignment]
        stdin.write(sha.encode() + b"\n")
        stdin.flush()
        header = stdout.readline().split()
        if len(header) != 3:
            raise GitError(f"git cat-file could not read blob {sha}")
        size = int(header[2])
        data = stdout.read(size)
        stdout.read(1)
        return data

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait()


def git_changes(repo: Path, base: str, head: str) -> Iterator[FileChange]:
    """Yield the changed files between two commits, one at a time (rename detection on)."""
    try:
        _git(repo, "rev-parse", "--git-dir")
    except GitError as exc:
        raise GitError(
            f"{repo} is not a git repository", hint="pass --repo with a git checkout"
        ) from exc
    base_id, head_id = resolve(repo, base), resolve(repo, head)
    raw = _git(
        repo, "diff", "--raw", "-z", "-M", "--no-ext-diff", "--no-textconv", base_id, head_id
    )
    numstat = _git(repo, "diff", "--numstat", "-z", "-M", "--no-ext-diff", base_id, head_id)
    counts = _numstat(numstat)
    blobs = _Blobs(repo)
    try:
        for entry in _raw_entries(raw):
            status, old_sha, new_sha, old_path, new_path, old_mode, new_mode = entry
            added, removed, binary = counts.get(new_path, (0, 0, False))
            yield FileChange(
                path=new_path,
                old=None if status == "A" else _content(blobs, old_sha, old_mode),
                new=None if status == "D" else _content(blobs, new_sha, new_mode),
                old_path=old_path if old_path != new_path else None,
                binary=binary,
                lines_added=added,
                lines_removed=removed,
            )
    finally:
        blobs.close()


def _content(blobs: _Blobs, sha: str, mode: str) -> bytes | None:
    """A blob's bytes; a submodule (gitlink) reads as git shows it, its commit id."""
    if mode == "160000":
        return f"Subproject commit {sha}\n".encode()
    return blobs.read(sha)


def _raw_entries(raw: bytes) -> Iterator[tuple[str, str, str, str, str, str, str]]:
    fields = raw.split(b"\x00")
    index = 0
    while index < len(fields) and fields[index]:
        meta = fields[index].decode().split()
        old_mode, new_mode = meta[0].lstrip(":"), meta[1]
        old_sha, new_sha, status = meta[2], meta[3], meta[4][0]
        if status in {"R", "C"}:
            old_path = fields[index + 1].decode("utf-8", "surrogateescape")
            new_path = fields[index + 2].decode("utf-8", "surrogateescape")
            index += 3
        else:
            old_path = new_path = fields[index + 1].decode("utf-8", "surrogateescape")
            index += 2
        if status == "T":  # type change (file <-> symlink): compare as a modification
            status = "M"
        yield status, old_sha, new_sha, old_path, new_path, old_mode, new_mode


def _numstat(data: bytes) -> dict[str, tuple[int, int, bool]]:
    counts: dict[str, tuple[int, int, bool]] = {}
    fields = data.split(b"\x00")
    index = 0
    while index < len(fields) and fields[index]:
        parts = fields[index].decode("utf-8", "surrogateescape").split("\t")
        added, removed = parts[0], parts[1]
        if len(parts) >= 3 and parts[2]:
            path = parts[2]
            index += 1
        else:  # a rename: the old and new paths follow as separate fields
            path = fields[index + 2].decode("utf-8", "surrogateescape")
            index += 3
        binary = added == "-"
        counts[path] = (0 if binary else int(added), 0 if binary else int(removed), binary)
    return counts


def directory_reader(root: Path) -> ReadFile:
    """Return a reader of files under ``root`` that refuses paths escaping it."""
    resolved_root = root.resolve()

    def read(path: str) -> bytes | None:
        relative = safe_path(path, "patch")
        target = (resolved_root / relative).resolve()
        if resolved_root != target and resolved_root not in target.parents:
            raise PatchError(f"{path}: resolves outside {root} (a symlink?)")
        if not target.exists():
            return None
        if not target.is_file():
            raise PatchError(f"{path}: not a regular file in {root}")
        return target.read_bytes()

    return read
