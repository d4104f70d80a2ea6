"""Path globs as the gate uses them: `/` separates, `*` `?` `[..]` stay in a segment, `**` crosses.

The dialect (docs/gate.md): ``*`` matches any run of characters except ``/``, ``?`` one such
character, ``[abc]`` / ``[a-z]`` / ``[!abc]`` (or ``[^abc]``) one character of a class (never
``/``), ``\\x`` the character ``x`` literally. ``**`` as a whole segment matches zero or more
whole segments, so ``**/X`` also matches a top-level ``X`` and ``a/**`` also matches ``a``.
Anywhere else ``**`` is just two ``*``. Braces are not special: write one glob per alternative.
OPA's ``glob.match`` does not let ``**/`` match nothing, which is why the default data lists
both ``**/X`` and ``X``; tidegate accepts either form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["compile_glob", "first_match", "glob_match", "translate", "translate_segment"]

_GLOBSTAR = "**"


def translate_segment(segment: str) -> str:
    """Return the regex (no anchors) matching one path segment against ``segment``."""
    out: list[str] = []
    index, size = 0, len(segment)
    while index < size:
        char = segment[index]
        if char == "*":
            out.append("[^/]*")
            # Runs of stars mean the same as one star inside a segment.
            while index + 1 < size and segment[index + 1] == "*":
                index += 1
        elif char == "?":
            out.append("[^/]")
        elif char == "\\" and index + 1 < size:
            index += 1
            out.append(re.escape(segment[index]))
        elif char == "[":
            klass, end = _char_class(segment, index)
            if klass is None:
                out.append(re.escape(char))
            else:
                out.append(klass)
                index = end
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def _char_class(segment: str, start: int) -> tuple[str | None, int]:
    """Translate ``[...]`` starting at ``start``; (None, start) when it is not closed."""
    size = len(segment)
    index = start + 1
    negate = index < size and segment[index] in "!^"
    if negate:
        index += 1
    members: list[str] = []
    first = True
    while index < size:
        char = segment[index]
        if char == "]" and not first:
            if not members:
                return ("[^/]" if negate else "(?!)"), index
            body = "".join(members)
            # Segments never contain `/`, but a negated class must still refuse it.
            return (f"[^/{body}]" if negate else f"[{body}]"), index
        if char == "\\" and index + 1 < size:
            index += 1
            char = segment[index]
        if index + 2 < size and segment[index + 1] == "-" and segment[index + 2] != "]":
            high_at = index + 2
            if segment[high_at] == "\\" and high_at + 1 < size:
                high_at += 1
            high = segment[high_at]
            if char <= high:
                members.append(f"{re.escape(char)}-{re.escape(high)}")
            index = high_at + 1
        else:
            members.append(re.escape(char))
            index += 1
        first = False
    return None, start


def translate(pattern: str) -> str:
    """Return the regex (no anchors) equivalent to the whole-path glob ``pattern``."""
    segments: list[str] = []
    for segment in pattern.split("/"):
        # Consecutive `**` segments mean the same as one (and avoid regex blow-up).
        if segment == _GLOBSTAR and segments and segments[-1] == _GLOBSTAR:
            continue
        segments.append(segment)
    out: list[str] = []
    after_globstar = False
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment == _GLOBSTAR:
            if index == last:
                out.append(".*" if index == 0 else "(?:/[^/]*)*")
            else:
                if index > 0:
                    out.append("/")
                out.append("(?:[^/]*/)*")
            after_globstar = True
            continue
        if index > 0 and not after_globstar:
            out.append("/")
        out.append(translate_segment(segment))
        after_globstar = False
    return "".join(out)


@lru_cache(maxsize=4096)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """Return the compiled, anchored regex of ``pattern`` (cached)."""
    return re.compile(translate(pattern), re.DOTALL)


def glob_match(pattern: str, path: str) -> bool:
    """Return whether the whole of ``path`` matches ``pattern``."""
    return compile_glob(pattern).fullmatch(path) is not None


def first_match(patterns: Iterable[str], path: str) -> str | None:
    """Return the first of ``patterns`` that matches ``path``, or None."""
    for pattern in patterns:
        if glob_match(pattern, path):
            return pattern
    return None
