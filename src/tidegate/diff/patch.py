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
    copied: bool = False  # a copy (git -C): old_path is the source, which stays


@dataclass
class _Headers:
    """What git's extended headers say about one file (unidiff does not keep all of it)."""

    copy_from: str | None = None
    new_file: bool = False
    deleted_file: bool = False


def _validate(text: str, source: str) -> dict[str, _Headers]:
    """Check hunk headers and lengths, naming the patch line of the first problem.

    Returns git's extended headers per new path (copies, new and deleted files).
    """
    lines = text.splitlines()
    number = 0
    current_file: str | None = None
    saw_diff = False
    headers: dict[str, _Headers] = {}
    pending = _Headers()
    while number < len(lines):
        line = lines[number]
        number += 1
        if _DIFF_START.match(line):
            saw_diff = True
        if line.startswith("diff --git "):
            pending = _Headers()
            current_file = None
        elif line.startswith("copy from "):
            pending.copy_from = unquote(line[len("copy from ") :])
        elif line.startswith("copy to "):
            headers[unquote(line[len("copy to ") :])] = pending
        elif line.startswith("new file mode"):
            pending.new_file = True
        elif line.startswith("deleted file mode"):
            pending.deleted_file = True
        elif line.startswith("+++ "):
            current_file = _strip_prefix(line[4:]) or _strip_prefix(_previous_old(lines, number))
            if current_file is not None:
                headers.setdefault(current_file, pending)
        if not line.startswith("@@"):
            continue
        match = _HUNK.match(line)
        if match is None:
            raise PatchError(f"{source} line {number}: malformed hunk header {line[:60]!r}")
        if current_file is None:
            raise PatchError(
                f"{source} line {number}: a hunk without ---/+++ file headers before it"
            )
        number = _check_hunk(lines, number, match, current_file, source)
    if text.strip() and not saw_diff:
        raise PatchError(f"{source}: not a unified diff (no ---/+++ headers or hunks found)")
    return headers


def _check_hunk(
    lines: list[str], number: int, match: re.Match[str], current_file: str, source: str
) -> int:
    """Check one hunk's body against its header's line counts; return the next line index."""
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
        marker = body[:1]
        if marker not in {" ", "", "-", "+", "\\"}:
            raise PatchError(
                f"{source} line {number + 1}: the hunk for {current_file} that starts at "
                f"line {header_line} ends early ({old_left} old and {new_left} new lines "
                "missing)"
            )
        number += 1
        if marker in {" ", ""}:
            old_left -= 1
            new_left -= 1
        elif marker == "-":
            old_left -= 1
        elif marker == "+":
            new_left -= 1
        if old_left < 0 or new_left < 0:
            raise PatchError(
                f"{source} line {number}: the hunk for {current_file} that starts at line "
                f"{header_line} is longer than its header says"
            )
    return number


def _previous_old(lines: list[str], number: int) -> str:
    """The ``---`` path just before a ``+++`` line (for deleted files, whose new is /dev/null)."""
    previous = lines[number - 2] if number >= 2 else ""
    return previous[4:] if previous.startswith("--- ") else ""


_ESCAPE = re.compile(rb"\\([0-7]{3}|.)")
_ESCAPES = {
    b"n": b"\n",
    b"t": b"\t",
    b"r": b"\r",
    b'"': b'"',
    b"\\": b"\\",
    b"a": b"\a",
    b"b": b"\b",
    b"f": b"\f",
    b"v": b"\v",
}


def unquote(name: str) -> str:
    """Undo git's C-style quoting of unusual paths (``"caf\\303\\251.py"`` -> ``café.py``)."""
    name = name.strip().removesuffix("\r")
    if len(name) < 2 or not (name.startswith('"') and name.endswith('"')):
        return name
    raw = name[1:-1].encode("utf-8", "surrogateescape")

    def replace(match: re.Match[bytes]) -> bytes:
        code = match.group(1)
        if len(code) == 3 and code.isdigit():
            return bytes([int(code, 8) & 0xFF])
        return _ESCAPES.get(code, code)

    return _ESCAPE.sub(replace, raw).decode("utf-8", "surrogateescape")


def safe_path(path: str, source: str) -> str:
    """Return a repository-relative POSIX path, refusing absolute paths and ``..``."""
    if "\x00" in path:
        raise PatchError(f"{source}: a file path contains a NUL byte")
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise PatchError(f"{source}: unsafe file path {path!r} (absolute or with ..)")
    return str(pure)


def _strip_prefix(name: str) -> str | None:
    """Return a header path without its tab-separated timestamp and ``a/``/``b/`` prefix."""
    name = name.split("\t", 1)[0].rstrip("\r")
    name = unquote(name)
    if name in {"/dev/null", ""}:
        return None
    if name.startswith(("a/", "b/")):
        return name[2:]
    return name


def parse_patch(text: str, source: str = "patch") -> list[FilePatch]:
    """Parse unified diff text into per-file patches; raise PatchError naming the problem."""
    if "\r\n" in text and text.count("\r\n") == text.count("\n"):
        # Saved with CRLF line ends throughout (headers too): the CRs are the transport's.
        text = text.replace("\r\n", "\n")
    headers = _validate(text, source)
    try:
        patch_set = PatchSet(text)
    except UnidiffParseError as exc:
        message = str(exc).strip()
        raise PatchError(f"{source}: {message}") from exc
    files: list[FilePatch] = []
    for item in patch_set:
        old = _strip_prefix(item.source_file or "")
        new = _strip_prefix(item.target_file or "")
        path = new if new is not None else old
        if path is None:
            raise PatchError(f"{source}: a file entry names neither an old nor a new path")
        path = safe_path(path, source)
        meta = headers.get(path, _Headers())
        old_path = safe_path(old, source) if old is not None else None
        if meta.copy_from is not None:
            old_path = safe_path(meta.copy_from, source)
        files.append(
            FilePatch(
                path=path,
                old_path=old_path,
                # The headers decide, not the hunk numbers: `git diff -U0` inserting at the
                # top of an existing file has a hunk `@@ -0,0 +1 @@` too.
                added=old is None or meta.new_file,
                removed=new is None or meta.deleted_file,
                binary=item.is_binary_file,
                hunks=tuple(item),
                lines_added=item.added,
                lines_removed=item.removed,
                copied=meta.copy_from is not None,
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
        if position is None and _locate(lines, expected, start + offset, 0) is not None:
            raise PatchError(
                f"hunk {number} of {path} does not apply: it overlaps the previous hunk or is out of "
                f"order "
                f"(it matches before line {cursor + 1}, where hunk {number - 1} ended)",
                hint="hunks of one file must be sorted and must not overlap",
            )
        if position is None:
            at, want, found = _first_mismatch(lines, expected, start)
            raise PatchError(
                f"hunk {number} of {path} does not apply at line {at + 1}: expected "
                f"{want.rstrip()!r}, found {found.rstrip()!r}",
                hint="the patch was made against different file contents; regenerate it",
            )
        offset = position - start
        output.extend(lines[cursor:position])
        output.extend(replacement)
        cursor = position + len(expected)
    output.extend(lines[cursor:])
    return "".join(output).encode("utf-8", "surrogateescape")


def _first_mismatch(lines: list[str], expected: list[str], start: int) -> tuple[int, str, str]:
    """Return (file line index, expected text, found text) of the first line that differs."""
    for index, want in enumerate(expected):
        at = start + index
        found = lines[at] if at < len(lines) else "(end of file)"
        if at >= len(lines) or not _same(found, want):
            return at, want, found
    return start, expected[0] if expected else "(nothing)", "(nothing)"


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
    """Yield each patched file's old and new contents, reading old contents with ``read``.

    A patch series (``git format-patch --stdout A..B``) may change one file in several
    entries: they apply one after the other and the file is reported once.
    """
    merged: dict[str, FileChange] = {}
    for item in files:
        earlier = merged.get(item.old_path or item.path)
        if earlier is not None and not item.added and earlier.new is not None and not item.binary:
            del merged[item.old_path or item.path]
            new = None if item.removed else apply_hunks(earlier.new, item.hunks, item.path)
            old_path = earlier.old_path or (earlier.path if earlier.path != item.path else None)
            merged[item.path] = FileChange(
                path=item.path,
                old=earlier.old,
                new=new,
                old_path=old_path,
                lines_added=earlier.lines_added + item.lines_added,
                lines_removed=earlier.lines_removed + item.lines_removed,
                declared="removed" if new is None and earlier.old is not None else earlier.declared,
            )
            continue
        merged[item.path] = _change(item, read)
    yield from merged.values()


def _change(item: FilePatch, read: ReadFile) -> FileChange:
    """One patch entry's file change (old contents from ``read``, new ones by applying)."""
    source = item.old_path or item.path
    old = None if item.added and not item.copied else read(source)
    if old is None and not item.added and not item.binary:
        raise PatchError(
            f"{source}: the patch changes this file but it does not exist in the tree",
            hint="pass --repo with the tree the patch was made against",
        )
    old_path = item.old_path if item.old_path != item.path else None
    if item.binary:
        # The new bytes are not in the patch: the file is reported, not analysed.
        status = "added" if item.added else "removed" if item.removed else None
        if status is None:
            status = "renamed" if old_path else "modified"
        return FileChange(
            path=item.path, old=old, new=None, old_path=old_path, binary=True, declared=status
        )
    new = None if item.removed else apply_hunks(old or b"", item.hunks, item.path)
    return FileChange(
        path=item.path,
        old=old,
        new=new,
        old_path=old_path,
        lines_added=item.lines_added,
        lines_removed=item.lines_removed,
        declared="added" if item.copied else None,
    )
