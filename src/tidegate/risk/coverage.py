"""Coverage reports: coverage.py JSON, Cobertura XML and lcov, read into one line-level map.

Every problem with a report is a UsageError naming the file and the line (or JSON path): the
report is something the user passed on the command line, so a bad one is a bad request.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from tidegate.errors import UsageError
from tidegate.risk.xmlsafe import XmlRefused, parse_untrusted_xml

MAX_REPORT_BYTES = 256 * 1024 * 1024
COVERAGE_PY_JSON = "coverage.py-json"
COBERTURA_XML = "cobertura-xml"
LCOV = "lcov"
FORMATS: tuple[str, ...] = (COVERAGE_PY_JSON, COBERTURA_XML, LCOV)

_LCOV_KEYS = frozenset(
    {"TN", "SF", "VER", "FN", "FNDA", "FNF", "FNH", "FNL", "FNA", "DA", "LF", "LH"}
    | {"BRDA", "BRF", "BRH", "MCDC", "MCF", "MCH"}
)


@dataclass(frozen=True)
class FileCoverage:
    """One file's executable (measured) lines and the subset that ran (covered)."""

    measured: frozenset[int]
    covered: frozenset[int]


@dataclass(frozen=True)
class CoverageReport:
    """A coverage report: repo-relative posix path -> FileCoverage, plus its format name."""

    format: str
    files: Mapping[str, FileCoverage]
    source: str = ""

    def get(self, path: str) -> FileCoverage | None:
        """Return the coverage of ``path`` (repo-relative), or None if the report lacks it."""
        return self.files.get(path)


class _Accumulator:
    """Line sets per file, merged when a file appears more than once (Cobertura classes)."""

    def __init__(self) -> None:
        self.measured: dict[str, set[int]] = {}
        self.covered: dict[str, set[int]] = {}

    def add(self, path: str, line: int, hit: bool) -> None:
        """Record that ``line`` of ``path`` is executable and whether it ran."""
        self.measured.setdefault(path, set()).add(line)
        covered = self.covered.setdefault(path, set())
        if hit:
            covered.add(line)

    def touch(self, path: str) -> None:
        """Record a file with no executable lines."""
        self.measured.setdefault(path, set())
        self.covered.setdefault(path, set())

    def report(self, fmt: str, source: str) -> CoverageReport:
        """Freeze into a CoverageReport."""
        files = {
            path: FileCoverage(frozenset(lines), frozenset(self.covered[path]))
            for path, lines in self.measured.items()
        }
        return CoverageReport(fmt, files, source)


def load_coverage(path: Path, repo_root: Path | None = None) -> CoverageReport:
    """Read and parse the coverage report at ``path`` (format auto-detected)."""
    try:
        size = path.stat().st_size
        if size > MAX_REPORT_BYTES:
            raise UsageError(_too_large(str(path), size))
        with path.open("rb") as stream:
            data = stream.read(MAX_REPORT_BYTES + 1)
    except OSError as error:
        raise UsageError(
            f"{path}: cannot read the coverage report: {error.strerror or error}"
        ) from error
    if len(data) > MAX_REPORT_BYTES:
        raise UsageError(_too_large(str(path), len(data)))
    return parse_coverage(data, str(path), repo_root)


def _too_large(source: str, size: int) -> str:
    return (
        f"{source}: coverage report is {size} bytes, over the {MAX_REPORT_BYTES}-byte limit; "
        "report only the files the patch touches"
    )


def detect_format(data: bytes) -> str | None:
    """Return the report format ``data`` looks like, or None."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return COVERAGE_PY_JSON
    if head.startswith(b"<"):
        return COBERTURA_XML
    first = head.split(b"\n", 1)[0].strip()
    if first == b"end_of_record" or first.split(b":", 1)[0].decode("latin-1") in _LCOV_KEYS:
        return LCOV
    return None


def parse_coverage(data: bytes, source: str, repo_root: Path | None = None) -> CoverageReport:
    """Parse report bytes; ``source`` names the file in messages, ``repo_root`` relativizes."""
    if len(data) > MAX_REPORT_BYTES:
        raise UsageError(_too_large(source, len(data)))
    roots = _roots(repo_root)
    fmt = detect_format(data)
    if fmt == COVERAGE_PY_JSON:
        return _parse_json(data, source, roots)
    if fmt == COBERTURA_XML:
        return _parse_cobertura(data, source, roots, repo_root)
    if fmt == LCOV:
        return _parse_lcov(data, source, roots)
    what = "empty" if not data.strip() else "not coverage.py JSON, Cobertura XML or lcov"
    raise UsageError(
        f"{source}: coverage report is {what}",
        hint="produce one with `coverage json`, `coverage xml` or `coverage lcov`",
    )


def _roots(repo_root: Path | None) -> tuple[PurePosixPath, ...]:
    """The repository root as written and resolved (reports may hold either form)."""
    if repo_root is None:
        return ()
    roots = [PurePosixPath(repo_root.absolute().as_posix())]
    resolved = PurePosixPath(repo_root.resolve().as_posix())
    if resolved not in roots:
        roots.append(resolved)
    return tuple(roots)


def _inside(name: str, roots: tuple[PurePosixPath, ...]) -> str | None:
    """``name`` (absolute) relative to the first root containing it, or None."""
    pure = PurePosixPath(posixpath.normpath(name))
    for root in roots:
        if pure != root and pure.is_relative_to(root):
            return pure.relative_to(root).as_posix()
    return None


def repo_path(name: str, roots: tuple[PurePosixPath, ...]) -> str:
    """Normalize a report's file name: repo-relative when inside a root, else as written."""
    if name.startswith("/"):
        inside = _inside(name, roots)
        return inside if inside is not None else posixpath.normpath(name)
    return posixpath.normpath(name)


def _line_number(value: str | None) -> int | None:
    """A positive line number from XML or lcov text, or None."""
    # 18 digits bound int()'s work (and its limit on long digit strings).
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        number = int(value)
        return number if number >= 1 else None
    return None


def _count(value: str) -> int | None:
    """A non-negative hit count (lcov and Cobertura write integers), or None."""
    value = value.strip()
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def _decode(data: bytes, source: str) -> str:
    """Strict UTF-8 (a BOM allowed); a bad byte is reported with its line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UsageError(f"{source}:{line}: coverage report is not valid UTF-8") from error


def _parse_json(data: bytes, source: str, roots: tuple[PurePosixPath, ...]) -> CoverageReport:
    """coverage.py's `coverage json`: files -> executed_lines / missing_lines."""
    text = _decode(data, source)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{source}:{error.lineno}: not valid JSON: {error.msg}") from error
    except ValueError as error:  # an integer literal too long to convert
        raise UsageError(f"{source}: not usable JSON: {error}") from error
    except RecursionError as error:
        raise UsageError(f"{source}: JSON nested too deeply") from error
    if not isinstance(document, dict) or not isinstance(document.get("files"), dict):
        raise UsageError(
            f"{source}: $.files: not a coverage.py JSON report (no `files` object)",
            hint="produce one with `coverage json`",
        )
    lines = _Accumulator()
    for name, entry in document["files"].items():
        where = f"$.files[{json.dumps(name)}]"
        if not isinstance(entry, dict):
            raise UsageError(f"{source}: {where}: must be an object")
        executed = _json_lines(entry, "executed_lines", source, where)
        missing = _json_lines(entry, "missing_lines", source, where)
        path = repo_path(name, roots)
        lines.touch(path)
        for line in executed:
            lines.add(path, line, True)
        for line in missing:
            lines.add(path, line, False)
    return lines.report(COVERAGE_PY_JSON, source)


def _json_lines(entry: dict[str, Any], key: str, source: str, where: str) -> list[int]:
    """The list of line numbers at ``entry[key]``."""
    values = entry.get(key)
    if not isinstance(values, list):
        raise UsageError(f"{source}: {where}.{key}: must be a list of line numbers")
    numbers: list[int] = []
    for index, value in enumerate(values):
        # JSON line numbers are numbers: a string or a boolean means a different file format.
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UsageError(
                f"{source}: {where}.{key}[{index}]: {value!r} is not a line number (>= 1)"
            )
        numbers.append(value)
    return numbers


def _parse_lcov(data: bytes, source: str, roots: tuple[PurePosixPath, ...]) -> CoverageReport:
    """lcov tracefiles: SF: opens a record, DA:<line>,<hits> lines, end_of_record closes."""
    text = _decode(data, source)
    lines = _Accumulator()
    current: str | None = None
    opened_at = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        if line == "end_of_record":
            if current is None:
                raise UsageError(f"{source}:{number}: end_of_record outside a record (no SF:)")
            current = None
            continue
        key, colon, value = line.partition(":")
        if not colon or key not in _LCOV_KEYS:
            raise UsageError(f"{source}:{number}: not an lcov line: {line[:80]!r}")
        if key == "SF":
            if current is not None:
                raise UsageError(
                    f"{source}:{number}: SF: before the end_of_record of the record at line "
                    f"{opened_at}"
                )
            if not value.strip():
                raise UsageError(f"{source}:{number}: SF: without a file name")
            current, opened_at = repo_path(value.strip(), roots), number
            lines.touch(current)
        elif key == "DA":
            if current is None:
                raise UsageError(f"{source}:{number}: DA: outside a record (no SF:)")
            fields = value.split(",")
            line_number = _line_number(fields[0].strip())
            hits = _count(fields[1]) if len(fields) >= 2 else None
            if line_number is None or hits is None or len(fields) > 3:
                raise UsageError(
                    f"{source}:{number}: DA: wants <line>,<hits>[,<checksum>], got {value[:80]!r}"
                )
            lines.add(current, line_number, hits > 0)
    if current is not None:
        raise UsageError(
            f"{source}:{opened_at}: truncated lcov record: SF: {current} has no end_of_record"
        )
    return lines.report(LCOV, source)


class _Cobertura:
    """expat handlers collecting <source> texts and each <class>'s (line, hit) records."""

    def __init__(self, line: Callable[[], int]) -> None:
        self.line = line
        self.sources: list[str] = []
        self.classes: list[tuple[str, list[tuple[int, bool]]]] = []
        self.text: list[str] | None = None
        self.current: list[tuple[int, bool]] | None = None
        self.seen_root = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        """Open an element."""
        line = self.line()
        if not self.seen_root:
            self.seen_root = True
            if tag != "coverage":
                raise XmlRefused(f"root element is <{tag}>, not a Cobertura <coverage>", line)
        if tag == "source":
            self.text = []
        elif tag == "class":
            filename = attrs.get("filename")
            if not filename:
                raise XmlRefused("<class> without a filename attribute", line)
            self.current = []
            self.classes.append((filename, self.current))
        elif tag == "line" and self.current is not None:
            number = _line_number(attrs.get("number"))
            hits = _count(attrs.get("hits", ""))
            if number is None or hits is None:
                raise XmlRefused(
                    f"<line number={attrs.get('number')!r} hits={attrs.get('hits')!r}>: "
                    "wants a line number >= 1 and a hit count >= 0",
                    line,
                )
            self.current.append((number, hits > 0))

    def end(self, tag: str) -> None:
        """Close an element."""
        if tag == "source" and self.text is not None:
            self.sources.append("".join(self.text).strip())
            self.text = None
        elif tag == "class":
            self.current = None

    def characters(self, chunk: str) -> None:
        """Collect a <source>'s text."""
        if self.text is not None:
            self.text.append(chunk)


def _parse_cobertura(
    data: bytes, source: str, roots: tuple[PurePosixPath, ...], repo_root: Path | None
) -> CoverageReport:
    """Cobertura XML (coverage.py `coverage xml`): <sources>, then class/lines/line elements."""
    handlers: list[_Cobertura] = []

    def bind(line: Callable[[], int]) -> tuple[Any, Any, Any]:
        handlers.append(_Cobertura(line))
        return handlers[0].start, handlers[0].end, handlers[0].characters

    parse_untrusted_xml(data, source, "XML", bind)
    handler = handlers[0]
    lines = _Accumulator()
    for filename, records in handler.classes:
        path = _cobertura_path(filename, handler.sources, roots, repo_root)
        lines.touch(path)
        for number, hit in records:
            lines.add(path, number, hit)
    return lines.report(COBERTURA_XML, source)


def _cobertura_path(
    filename: str,
    sources: list[str],
    roots: tuple[PurePosixPath, ...],
    repo_root: Path | None,
) -> str:
    """A class filename joined to the <source> that puts it inside the repository."""
    if filename.startswith("/") or not sources:
        return repo_path(filename, roots)
    candidates: list[str] = []
    for base in sources:
        if not base:
            continue
        joined = posixpath.join(base, filename)
        if base.startswith("/"):
            inside = _inside(joined, roots)
            if inside is not None:
                candidates.append(inside)
        else:
            candidates.append(posixpath.normpath(joined))
    if not candidates:
        # No source lies in this checkout (a report from another machine): the filename is
        # the best guess, and it is what coverage.py writes relative to the project root.
        return posixpath.normpath(filename)
    if len(candidates) > 1 and repo_root is not None:
        for candidate in candidates:
            if (repo_root / candidate).is_file():
                return candidate
    return candidates[0]
