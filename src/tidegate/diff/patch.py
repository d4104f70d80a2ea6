"""Unified diffs: validate, parse (unidiff) and apply hunks to old contents, with exact errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from unidiff.errors import UnidiffParseError
from unidiff.patch import Hunk, PatchSet

from tidegate.diff.analyze import FileChange
from tidegate.errors import UsageError

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_DIFF_START = re.compile(r"^(diff --git |--- |\+\+\+ |@@ |Binary files |GIT binary patch)")

ReadFile = Callable[[str], bytes | None]


class PatchError(UsageError):
    """A patch is malformed, unsafe or does not apply; the message says where."""


@dataclass(frozen=True)
class FilePatch:
    """One file's part of a patch: paths, status flags and hunks (unidiff objects)."""

    path: str
    old_path: str | None
    added: bool
    removed: bool
    binary: bool
    hunks: tuple[Hunk, ...]
    lines_added: int
    lines_removed: int


def _validate(text: str, source: str) -> None:
    """Check hunk headers and hunk lengths, naming the patch line of the first problem."""
    lines = text.splitlines()
    number = 0
    current_file = "?"
    saw_diff = False
    while number < len(lines):
        line = lines[number]
        number += 1
        if _DIFF_START.match(line):
            saw_diff = True
        if line.startswith("+++ "):
            current_file = line[4:].split("\t", 1)[0].strip()
        if not line.startswith("@@"):
            continue
        match = _HUNK.match(line)
        if match is None:
            raise PatchError(f"{source} line {number}: malformed hunk header {line[:60]!r}")
        old_left = int(match.group(2)) if match.group(2) is not None else 1
        new_left = int(match.group(4)) if match.group(4) is not None else 1
        header_line = number
        while old_left > 0 or new_left > 0:
            if number >= len(lines):
                raise PatchError(
                    f"{source} line {header_line}: the hunk for {current_file} is truncated "
                    f"(the patch ends with {old_left} old and {new_left} new lines missing)"
                )
            body = lines[number]
            number += 1
            marker = body[:1]
            if marker in {" ", ""}:
                old_left -= 1
                new_left -= 1
            elif marker == "-":
                old_left -= 1
            elif marker == "+":
                new_left -= 1
            elif marker == "\\":
                continue
            else:
                raise PatchError(
                    f"{source} line {number}: the hunk for {current_file} that starts at line "
                    f"{header_line} ends early ({old_left + (1 if marker else 0)} old and "
                    f"{new_left} new lines missing)"
                )
            if old_left < 0 or new_left < 0:
                raise PatchError(
                    f"{source} line {number}: the hunk for {current_file} that starts at line "
                    f"{header_line} is longer than its header says"
                )
    if text.strip() and not saw_diff:
        raise PatchError(f"{source}: not a unified diff (no ---/+++ headers or hunks found)")


def safe_path(path: str, source: str) -> str:
    """Return a repository-relative POSIX path, refusing absolute paths and ``..``."""
    if "\x00" in path:
        raise PatchError(f"{source}: a file path contains a NUL byte")
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise PatchError(f"{source}: unsafe file path {path!r} (absolute or with ..)")
    return str(pure)


def _strip_prefix(name: str) -> str | None:
    if name in {"/dev/null", ""}:
        return None
    name = name.split("\t", 1)[0]
    if name.startswith(("a/", "b/")):
        return name[2:]
    return name


def parse_patch(text: str, source: str = "patch") -> list[FilePatch]:
    """Parse unified diff text into per-file patches; raise PatchError naming the problem."""
    _validate(text, source)
    try:
        patch_set = PatchSet(text)
    except UnidiffParseError as exc:
        raise PatchError(f"{source}: {exc}") from exc
    files: list[FilePatch] = []
    for item in patch_set:
        old = _strip_prefix(item.source_file or "")
        new = _strip_prefix(item.target_file or "")
        path = new if new is not None and not item.is_removed_file else old
        if path is None:
            raise PatchError(f"{source}: a file entry names neither an old nor a new path")
        path = safe_path(path, source)
        old_path = safe_path(old, source) if old is not None else None
        files.append(
            FilePatch(
                path=path,
                old_path=old_path,
                added=item.is_added_file,
                removed=item.is_removed_file,
                binary=item.is_binary_file,
                hunks=tuple(item),
                lines_added=item.added,
                lines_removed=item.removed,
            )
        )
    return files


def _hunk_lines(hunk: Hunk) -> tuple[list[str], list[str]]:
    """Return the hunk's old and new line lists, honouring "No newline at end of file"."""
    old: list[str] = []
    new: list[str] = []
    last = ""
    for line in hunk:
        kind = line.line_type
        if kind == "\\":
            if last in {" ", "-"} and old:
                old[-1] = _trim(old[-1])
            if last in {" ", "+"} and new:
                new[-1] = _trim(new[-1])
            continue
        if kind in {" ", "-"}:
            old.append(line.value)
        if kind in {" ", "+"}:
            new.append(line.value)
        last = kind
    return old, new


def _trim(line: str) -> str:
    return line.removesuffix("\n").removesuffix("\r")


def _same(a: str, b: str) -> bool:
    return a == b or a.rstrip("\r\n") == b.rstrip("\r\n")


def apply_hunks(old: bytes, hunks: tuple[Hunk, ...], path: str) -> bytes:
    """Apply hunks to ``old``; allow a line offset like patch(1), never fuzz the content."""
    try:
        text = old.decode("utf-8", "surrogateescape")
    except UnicodeDecodeError as exc:  # pragma: no cover - surrogateescape never fails
        raise PatchError(f"{path}: cannot decode the file") from exc
    lines = text.splitlines(keepends=True)
    output: list[str] = []
    cursor = 0
    offset = 0
    for number, hunk in enumerate(hunks, start=1):
        expected, replacement = _hunk_lines(hunk)
        start = max(hunk.source_start - 1, 0) if hunk.source_length else hunk.source_start
        position = _locate(lines, expected, start + offset, cursor)
        if position is None:
            found = lines[start] if start < len(lines) else "(end of file)"
            want = expected[0] if expected else "(nothing)"
            raise PatchError(
                f"hunk {number} of {path} does not apply at line {start + 1}: expected "
                f"{want.rstrip()!r}, found {found.rstrip()!r}",
                hint="the patch was made against different file contents; regenerate it",
            )
        offset = position - start
        output.extend(lines[cursor:position])
        output.extend(replacement)
        cursor = position + len(expected)
    output.extend(lines[cursor:])
    return "".join(output).encode("utf-8", "surrogateescape")


def _locate(lines: list[str], expected: list[str], start: int, floor: int) -> int | None:
    """Find where ``expected`` occurs, nearest to ``start`` and not before ``floor``."""
    if not expected:
        return min(max(start, floor), len(lines))
    limit = len(lines) - len(expected)
    for distance in range(len(lines) + 1):
        for candidate in (start - distance, start + distance) if distance else (start,):
            if floor <= candidate <= limit and all(
                _same(lines[candidate + i], want) for i, want in enumerate(expected)
            ):
                return candidate
        if start - distance < floor and start + distance > limit:
            break
    return None


def changes_from_patch(files: list[FilePatch], read: ReadFile) -> Iterator[FileChange]:
    """Yield each patched file's old and new contents, reading old contents with ``read``."""
    for item in files:
        source = item.old_path or item.path
        old = None if item.added else read(source)
        if old is None and not item.added and not item.binary:
            raise PatchError(
                f"{source}: the patch changes this file but it does not exist in the tree",
                hint="pass --repo with the tree the patch was made against",
            )
        if item.binary:
            yield FileChange(
                path=item.path,
                old=old,
                new=None if item.removed else old,
                old_path=item.old_path if item.old_path != item.path else None,
                binary=True,
            )
            continue
        new = None if item.removed else apply_hunks(old or b"", item.hunks, item.path)
        yield FileChange(
            path=item.path,
            old=old,
            new=new,
            old_path=item.old_path if item.old_path != item.path else None,
            lines_added=item.lines_added,
            lines_removed=item.lines_removed,
        )
