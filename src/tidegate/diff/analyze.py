"""Per-file analysis: classify a changed file, parse both versions, compare, stay honest."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from tree_sitter import Node, Tree

from tidegate.diff import config_files
from tidegate.diff.compare import Comparer
from tidegate.diff.languages import parser, source_language, support
from tidegate.diff.model import Change, FileDiff
from tidegate.diff.syntax import Definition, TokenRules, iter_nodes, line_of, token_streams

DEFAULT_MAX_FILE_BYTES = 1 << 20
DOC_SUFFIXES = frozenset({".md", ".markdown", ".rst", ".txt", ".adoc", ".asciidoc", ".textile"})
DOC_NAMES = frozenset(
    {
        "license",
        "licence",
        "readme",
        "changelog",
        "changes",
        "authors",
        "notice",
        "contributing",
        "copying",
        "history",
        "news",
        "code_of_conduct",
        "security",
    }
)


@dataclass(frozen=True)
class FileChange:
    """One file of a patch with both versions' bytes (None where the file does not exist)."""

    path: str
    old: bytes | None
    new: bytes | None
    old_path: str | None = None
    binary: bool = False
    lines_added: int = 0
    lines_removed: int = 0
    declared: str | None = None  # the status the source states (binary and copied files)

    @property
    def status(self) -> str:
        """added, removed, renamed or modified."""
        if self.declared is not None:
            return self.declared
        if self.old is None:
            return "added" if self.new is not None else "modified"
        if self.new is None:
            return "removed"
        if self.old_path and self.old_path != self.path:
            return "renamed"
        return "modified"


@dataclass(frozen=True)
class Options:
    """Knobs of the analysis."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES


@dataclass
class Analysis:
    """A file's result plus what the patch-level passes (moves, patterns) need."""

    file: FileDiff
    unmatched_old: list[Definition] = field(default_factory=list)
    unmatched_new: list[Definition] = field(default_factory=list)


def is_documentation(path: str) -> bool:
    """Return whether ``path`` is a prose documentation file."""
    pure = PurePosixPath(path)
    if pure.suffix.lower() in DOC_SUFFIXES and not config_files.is_requirements(path):
        return True
    return pure.name.lower().split(".", 1)[0] in DOC_NAMES and pure.suffix.lower() in {
        "",
        *DOC_SUFFIXES,
    }


def analyse(change: FileChange, options: Options) -> Analysis:
    """Return the semantic analysis of one changed file."""
    result = FileDiff(
        path=change.path,
        old_path=change.old_path if change.old_path != change.path else None,
        status=change.status,
        lines_added=change.lines_added,
        lines_removed=change.lines_removed,
    )
    analysis = Analysis(result)
    _status_change(change, result)
    old, new = change.old, change.new
    if change.binary or _binary(old) or _binary(new):
        _not_analysed(result, "binary", "file.binary", "binary file; content not analysed", change)
        return analysis
    if old == new:
        return analysis
    largest = max(len(old or b""), len(new or b""))
    if largest > options.max_file_bytes:
        _not_analysed(
            result,
            "too_large",
            "file.too_large",
            f"{largest} bytes, over the {options.max_file_bytes}-byte limit; content not analysed",
            change,
        )
        return analysis
    path = change.path
    if config_files.config_language(path) is not None:
        result.language = config_files.config_language(path)
        config_files.analyse(change.old_path or path, path, old, new, result)
        return analysis
    if is_documentation(path):
        result.language = "text"
        result.changes.append(_file_change("docs.only", change, "documentation only"))
        return analysis
    language = source_language(path)
    if language is None:
        suffix = PurePosixPath(path).suffix or PurePosixPath(path).name
        result.analysed = False
        result.reason = "unsupported"
        result.changes.append(
            _file_change("language.unsupported", change, f"no grammar for `{suffix}` files")
        )
        return analysis
    result.language = language
    _analyse_source(change, language, analysis)
    return analysis


def _analyse_source(change: FileChange, language: str, analysis: Analysis) -> None:
    """Parse both versions of a source file and compare their definitions."""
    result, path = analysis.file, change.path
    trees: list[Tree | None] = []
    for label, content in (("old", change.old), ("new", change.new)):
        if content is None:
            trees.append(None)
            continue
        problem = _undecodable(content)
        tree = parser(language).parse(content) if problem is None else None
        if problem is None and tree is not None and tree.root_node.has_error:
            problem = _syntax_error(tree.root_node)
        if problem is not None:
            result.analysed = False
            result.reason = "parse_failed"
            result.changes.append(
                _file_change("parse.failed", change, f"{label} version: {problem}")
            )
            return
        trees.append(tree)
    lang = support(language)
    comparer = Comparer(path, lang)
    old_tree, new_tree = trees
    if old_tree is None or new_tree is None:
        if new_tree is not None:
            definitions = lang.definitions(new_tree.root_node, path)
            comparer.report_added(definitions)
            analysis.unmatched_new = [d for d in definitions if d.kind == "function"]
        elif old_tree is not None:
            definitions = lang.definitions(old_tree.root_node, change.old_path or path)
            comparer.report_removed(definitions)
            analysis.unmatched_old = [d for d in definitions if d.kind == "function"]
        result.changes.extend(comparer.result.changes)
        return
    comparison = comparer.compare(
        lang.definitions(old_tree.root_node, change.old_path or path),
        lang.definitions(new_tree.root_node, path),
    )
    result.changes.extend(comparison.changes)
    if not comparison.code_changed:
        result.changes.extend(_no_code_change(change, old_tree, new_tree, lang.rules))
    analysis.unmatched_old = comparison.unmatched_old
    analysis.unmatched_new = comparison.unmatched_new


def _no_code_change(
    change: FileChange, old_tree: Tree, new_tree: Tree, rules: TokenRules
) -> list[Change]:
    """Classify a file whose definitions all kept their code: docs, formatting or a residual."""
    old_code, old_comments = token_streams(old_tree.root_node, rules)
    new_code, new_comments = token_streams(new_tree.root_node, rules)
    if old_code != new_code:
        return [
            _file_change(
                "module.body_changed", change, "top-level code changed outside any definition"
            )
        ]
    if old_comments != new_comments:
        return [_file_change("docs.only", change, "only comments or docstrings changed")]
    return [_file_change("formatting.only", change, "only whitespace, layout or quoting changed")]


def _status_change(change: FileChange, result: FileDiff) -> None:
    status = change.status
    if status == "added":
        copied = f"file added as a copy of {change.old_path}" if change.old_path else "file added"
        result.changes.append(_file_change("file.added", change, copied))
    elif status == "removed":
        result.changes.append(_file_change("file.removed", change, "file removed"))
    elif status == "renamed":
        result.changes.append(
            Change(
                kind="file.renamed",
                file=change.path,
                symbol="",
                description=f"renamed from {change.old_path}",
                details={"before": change.old_path or "", "after": change.path},
            )
        )


def _not_analysed(
    result: FileDiff, reason: str, kind: str, description: str, change: FileChange
) -> None:
    result.analysed = False
    result.reason = reason
    result.changes.append(_file_change(kind, change, description))


def _file_change(kind: str, change: FileChange, description: str) -> Change:
    return Change(kind=kind, file=change.path, symbol="", description=description)


def _binary(content: bytes | None) -> bool:
    return content is not None and b"\x00" in content[:8192]


def _undecodable(content: bytes) -> str | None:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        return f"not valid UTF-8 (byte {exc.start}, line {line})"
    return None


def _syntax_error(root: Node) -> str:
    """Describe the first ERROR or MISSING node of a tree."""
    for node in iter_nodes(root, lambda n: not n.has_error):
        if node.is_error:
            return f"syntax error at line {line_of(node)}"
        if node.is_missing:
            return f"syntax error at line {line_of(node)} (missing `{node.type}`)"
    return "syntax error"
