"""Workspace snapshots: every file's size, mtime, mode and SHA-256; their diff; the unified patch.

Every snapshot hashes every file: a task controls its files' mtimes (``touch -d``), so a
size/mtime shortcut would let it hide a change. Reading in 1 MiB chunks keeps memory flat.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 1 << 20
BINARY_SNIFF = 8000  # git's own heuristic: a NUL in the first 8000 bytes means binary
LINK_MODE = 0o120000


@dataclass(frozen=True)
class FileState:
    """One workspace entry: size, mtime, full st_mode and SHA-256 (of a symlink: its target)."""

    size: int
    mtime_ns: int
    mode: int
    sha256: str


Snapshot = dict[str, FileState]
"""Relative POSIX path -> state; directories are not entries (a patch cannot carry them)."""


def _hash_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _walk(
    root: str, prefix: str, exclude: frozenset[str]
) -> Iterator[tuple[str, os.DirEntry[str]]]:
    with os.scandir(root) as entries:
        for entry in entries:
            relative = prefix + entry.name
            if relative in exclude:
                continue
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(entry.path, relative + "/", exclude)
            else:
                yield relative, entry


def snapshot(root: Path, *, exclude: frozenset[str] = frozenset()) -> Snapshot:
    """Return the state of every file under ``root`` (symlinks not followed; ``exclude``:
    relative paths skipped with everything below them)."""
    result: Snapshot = {}
    for relative, entry in _walk(str(root), "", exclude):
        info = entry.stat(follow_symlinks=False)
        if stat.S_ISREG(info.st_mode):
            digest = _hash_file(entry.path)
        elif stat.S_ISLNK(info.st_mode):
            digest = hashlib.sha256(os.fsencode(os.readlink(entry.path))).hexdigest()
        else:
            # FIFOs, sockets, devices: present and typed, but with no content to compare.
            digest = ""
        result[relative] = FileState(info.st_size, info.st_mtime_ns, info.st_mode, digest)
    return result


@dataclass(frozen=True)
class SnapshotDiff:
    """Paths created, modified (content or mode) and deleted between two snapshots, sorted."""

    created: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def paths(self) -> list[str]:
        """Every changed path, sorted."""
        return sorted([*self.created, *self.modified, *self.deleted])

    def __bool__(self) -> bool:
        return bool(self.created or self.modified or self.deleted)


def diff_snapshots(before: Mapping[str, FileState], after: Mapping[str, FileState]) -> SnapshotDiff:
    """Compare two snapshots; an mtime-only change is not a modification."""
    created = sorted(after.keys() - before.keys())
    deleted = sorted(before.keys() - after.keys())
    modified = sorted(
        path
        for path in before.keys() & after.keys()
        if (before[path].sha256, before[path].mode) != (after[path].sha256, after[path].mode)
    )
    return SnapshotDiff(created, modified, deleted)


def git_mode(mode: int) -> str:
    """Return the mode git records: 120000 (symlink), 100755 (any exec bit) or 100644."""
    if stat.S_ISLNK(mode):
        return "120000"
    return "100755" if mode & 0o111 else "100644"


def read_entry(root: Path, relative: str, state: FileState) -> bytes:
    """Return the content a patch shows for an entry: file bytes, or a symlink's target."""
    path = root / relative
    if stat.S_ISLNK(state.mode):
        return os.fsencode(os.readlink(path))
    if stat.S_ISREG(state.mode):
        return path.read_bytes()
    return b""


def is_binary(data: bytes) -> bool:
    """Return whether a patch should say 'Binary files differ' rather than show lines."""
    if b"\0" in data[:BINARY_SNIFF]:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@dataclass
class Patch:
    """A git-style unified patch of a workspace, with its line counts."""

    text: str = ""
    lines_added: int = 0
    lines_deleted: int = 0
    binary_files: list[str] = field(default_factory=list)


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\t": "\\t", "\n": "\\n"}


def quote_path(name: str) -> str:
    """Return ``name`` as git writes it in patch headers: C-quoted when it has quotes,
    backslashes, control or non-ASCII characters (octal bytes), else as is."""
    if all(" " <= c < "\x7f" and c not in '"\\' for c in name):
        return name
    out = []
    for char in name:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif " " <= char < "\x7f":
            out.append(char)
        else:
            out.extend(f"\\{byte:03o}" for byte in os.fsencode(char))
    return '"' + "".join(out) + '"'


def _name(prefix: str, path: str) -> str:
    quoted = quote_path(path)
    return f'"{prefix}{quoted[1:]}' if quoted.startswith('"') else f"{prefix}{path}"


def _lines(data: bytes) -> list[str]:
    # Only "\n" ends a line in a patch (str.splitlines would also split on \r, \x0c, U+2028).
    parts = data.decode("utf-8").split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    return [*lines, parts[-1]] if parts[-1] else lines


def _hunks(old: bytes, new: bytes, patch: Patch) -> list[str]:
    out: list[str] = []
    body = difflib.unified_diff(_lines(old), _lines(new), n=3, lineterm="\n")
    for line in body:
        if line.startswith(("---", "+++")):
            continue  # the file headers are written by the caller, git style
        if line.startswith("+"):
            patch.lines_added += 1
        elif line.startswith("-"):
            patch.lines_deleted += 1
        # A last line without its newline gets git's marker, so `git apply` restores it exactly.
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return out


def build_patch(
    before_root: Path,
    before: Mapping[str, FileState],
    after_root: Path,
    after: Mapping[str, FileState],
    changes: SnapshotDiff,
) -> Patch:
    """Return the unified patch from ``before_root`` to ``after_root`` (git-style headers;
    binary files noted as such; a mode-only change outside git's modes has no section)."""
    patch = Patch()
    parts: list[str] = []
    for path in changes.paths:
        old_state, new_state = before.get(path), after.get(path)
        old = read_entry(before_root, path, old_state) if old_state else None
        new = read_entry(after_root, path, new_state) if new_state else None
        old_mode = git_mode(old_state.mode) if old_state else None
        new_mode = git_mode(new_state.mode) if new_state else None
        if old == new and old_mode == new_mode:
            continue
        header = [f"diff --git {_name('a/', path)} {_name('b/', path)}\n"]
        if old_mode is None:
            header.append(f"new file mode {new_mode}\n")
        elif new_mode is None:
            header.append(f"deleted file mode {old_mode}\n")
        elif old_mode != new_mode:
            header += [f"old mode {old_mode}\n", f"new mode {new_mode}\n"]
        if old == new:
            parts += header
            continue
        old_name = _name("a/", path) if old is not None else "/dev/null"
        new_name = _name("b/", path) if new is not None else "/dev/null"
        if is_binary(old or b"") or is_binary(new or b""):
            patch.binary_files.append(path)
            parts += [*header, f"Binary files {old_name} and {new_name} differ\n"]
            continue
        hunks = _hunks(old or b"", new or b"", patch)
        parts += header
        if hunks:  # an empty file created or deleted has a header and no hunk, as in git
            parts += [f"--- {old_name}\n", f"+++ {new_name}\n", *hunks]
    patch.text = "".join(parts)
    return patch
