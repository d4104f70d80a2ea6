"""The language registry: which grammar and support module handle a path."""

from __future__ import annotations

from functools import cache
from pathlib import PurePosixPath

from tree_sitter import Language, Parser

from tidegate.diff.languages.base import LanguageSupport

EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".java": "java",
    ".rs": "rust",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
}
SOURCE_LANGUAGES = frozenset(EXTENSIONS.values())


def source_language(path: str) -> str | None:
    """Return the source language of ``path`` by its extension, or None."""
    return EXTENSIONS.get(PurePosixPath(path).suffix.lower())


@cache
def support(name: str) -> LanguageSupport:
    """Return the support object of a source language (imported on first use)."""
    if name == "python":
        from tidegate.diff.languages.python import Python

        return Python()
    if name in {"javascript", "typescript", "tsx"}:
        from tidegate.diff.languages.javascript import JavaScript

        return JavaScript(name)
    if name == "go":
        from tidegate.diff.languages.golang import Go

        return Go()
    if name == "java":
        from tidegate.diff.languages.java import Java

        return Java()
    if name == "rust":
        from tidegate.diff.languages.rust import Rust

        return Rust()
    if name in {"c", "cpp"}:
        from tidegate.diff.languages.clike import CLike

        return CLike(name)
    raise KeyError(name)


@cache
def parser(name: str) -> Parser:
    """Return a parser for a source language (one per process, reused)."""
    return Parser(Language(support(name).parser_language()))
