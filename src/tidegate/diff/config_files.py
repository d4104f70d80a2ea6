"""JSON, YAML and TOML documents and dependency manifests: key paths and dependency kinds."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import Any

import yaml

from tidegate.diff.model import Change, FileDiff, LineRange
from tidegate.secrets import credential_kinds

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")
_GO_REQUIRE = re.compile(r"^\s*(?:require\s+)?([^\s()]+)\s+(v[^\s]+)")
_YAML_COMMENT = re.compile(r"(?:^|\s)#(.*)$")
# libyaml's safe loader when PyYAML was built with it (8x faster), else the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ParseFailure(Exception):
    """A configuration document does not parse; the message says where."""


def is_requirements(path: str) -> bool:
    """Return whether ``path`` is a pip requirements file."""
    name = PurePosixPath(path).name.lower()
    return name.startswith("requirements") and name.endswith((".txt", ".in"))


def config_language(path: str) -> str | None:
    """Return json, yaml, toml, requirements or go.mod for a structured file, else None."""
    pure = PurePosixPath(path)
    suffix = pure.suffix.lower()
    if is_requirements(path):
        return "requirements"
    if pure.name == "go.mod":
        return "go.mod"
    return {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}.get(suffix)


# -- parsing --------------------------------------------------------------------------------


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise ParseFailure(f"not valid UTF-8 (byte {exc.start}, line {line})") from exc


def _load(language: str, source: str) -> Any:
    if language == "json":
        try:
            return json.loads(source)
        except json.JSONDecodeError as exc:
            raise ParseFailure(f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    if language == "yaml":
        try:
            documents = list(yaml.load_all(source, Loader=_YAML_LOADER))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or "syntax error"
            raise ParseFailure(f"invalid YAML{where}: {problem}") from exc
        return documents[0] if len(documents) == 1 else documents
    if language == "toml":
        try:
            return tomllib.loads(source)
        except tomllib.TOMLDecodeError as exc:
            raise ParseFailure(f"invalid TOML: {exc}") from exc
    if language == "requirements":
        return _requirements(source)
    return _go_mod(source)


def _requirements(source: str) -> dict[str, Any]:
    packages: dict[str, str] = {}
    for raw in source.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = _REQUIREMENT.match(line)
        if match:
            packages[_package(match.group(1))] = match.group(3).strip()
    return {"requirements": packages}


def _go_mod(source: str) -> dict[str, Any]:
    requires: dict[str, str] = {}
    other: list[str] = []
    in_block = False
    for raw in source.splitlines():
        line = raw.split("//", 1)[0].strip()
        if not line:
            continue
        if line.startswith("require ("):
            in_block = True
            continue
        if in_block and line == ")":
            in_block = False
            continue
        if in_block or line.startswith("require "):
            match = _GO_REQUIRE.match(line)
            if match:
                requires[match.group(1)] = match.group(2)
            continue
        other.append(line)
    return {"require": requires, "directives": other}


def _package(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# -- dependencies -------------------------------------------------------------------------


def _dependency_sections(path: str, data: Any) -> dict[str, dict[str, str]]:
    """Return {section path: {package: constraint}} and remove those sections from ``data``."""
    name = PurePosixPath(path).name
    sections: dict[str, dict[str, str]] = {}
    if not isinstance(data, dict):
        return sections

    def take(
        container: dict[str, Any], key: str, label: str, parse: Callable[[Any], dict[str, str]]
    ) -> None:
        if key in container:
            sections[label] = parse(container.pop(key))

    if name == "package.json":
        for key in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
            take(data, key, key, _mapping)
    elif name == "pyproject.toml":
        project = data.get("project")
        if isinstance(project, dict):
            take(project, "dependencies", "project.dependencies", _pep508_list)
            optional = project.get("optional-dependencies")
            if isinstance(optional, dict):
                for group in list(optional):
                    take(optional, group, f"project.optional-dependencies.{group}", _pep508_list)
                if not optional:
                    project.pop("optional-dependencies")
        poetry = data.get("tool", {}).get("poetry") if isinstance(data.get("tool"), dict) else None
        if isinstance(poetry, dict):
            take(poetry, "dependencies", "tool.poetry.dependencies", _mapping)
            take(poetry, "dev-dependencies", "tool.poetry.dev-dependencies", _mapping)
            groups = poetry.get("group")
            if isinstance(groups, dict):
                for group, body in groups.items():
                    if isinstance(body, dict):
                        take(
                            body,
                            "dependencies",
                            f"tool.poetry.group.{group}.dependencies",
                            _mapping,
                        )
    elif name == "Cargo.toml":
        for key in ("dependencies", "dev-dependencies", "build-dependencies"):
            take(data, key, key, _mapping)
        targets = data.get("target")
        if isinstance(targets, dict):
            for target, body in targets.items():
                if isinstance(body, dict):
                    for key in ("dependencies", "dev-dependencies", "build-dependencies"):
                        take(body, key, f"target.{target}.{key}", _mapping)
    elif config_language(path) == "requirements":
        sections["requirements"] = data.pop("requirements", {})
    elif name == "go.mod":
        sections["require"] = data.pop("require", {})
    return sections


def _mapping(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    result: dict[str, str] = {}
    for package, spec in value.items():
        if isinstance(spec, dict):
            version = spec.get("version", "")
            rest = {k: v for k, v in spec.items() if k != "version"}
            result[str(package)] = str(version) + (
                f" {json.dumps(rest, sort_keys=True)}" if rest else ""
            )
        else:
            result[str(package)] = str(spec)
    return result


def _pep508_list(value: Any) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in value if isinstance(value, list) else []:
        match = _REQUIREMENT.match(str(item))
        if match:
            result[_package(match.group(1))] = match.group(3).strip()
    return result


# -- comparison -----------------------------------------------------------------------------


def _walk(path: str, old: Any, new: Any) -> Iterator[tuple[str, str, Any, Any]]:
    """Yield (kind, key path, old value, new value) for the deepest differing keys."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in new:
            child = _join(path, str(key))
            if key not in old:
                yield "added", child, None, new[key]
            else:
                yield from _walk(child, old[key], new[key])
        for key in old:
            if key not in new:
                yield "removed", _join(path, str(key)), old[key], None
        return
    if isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            child = f"{path}[{index}]"
            if index >= len(old):
                yield "added", child, None, new[index]
            elif index >= len(new):
                yield "removed", child, old[index], None
            else:
                yield from _walk(child, old[index], new[index])
        return
    if type(old) is not type(new) or old != new:
        yield "changed", path, old, new


def _join(path: str, key: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_\-]+", key):
        return f"{path}.{key}" if path else key
    quoted = json.dumps(key)
    return f"{path}.{quoted}" if path else quoted


def _strings(value: Any, name: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, str(key))
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, name)


def _show(value: Any) -> str:
    shown = json.dumps(value, sort_keys=True, default=str)
    return shown if len(shown) <= 60 else shown[:59] + "…"


class _Lines:
    """Finds the line of a key path in a document's text (evidence, best effort)."""

    def __init__(self, source: str | None) -> None:
        self.lines = source.splitlines() if source else []

    def find(self, key_path: str) -> int | None:
        leaf = re.split(r"[.\[]", key_path.rstrip("]"))[-1].strip('"')
        if not self.lines or not leaf:
            return None
        pattern = re.compile(r"""^\s*(-\s+)?["']?""" + re.escape(leaf) + r"""["']?\s*[:=]""")
        for number, line in enumerate(self.lines, start=1):
            if pattern.search(line):
                return number
        fallback = re.compile(re.escape(leaf))
        for number, line in enumerate(self.lines, start=1):
            if fallback.search(line):
                return number
        return None


def analyse(
    old_path: str, path: str, old: bytes | None, new: bytes | None, result: FileDiff
) -> None:
    """Append config and dependency changes (or parse.failed) for one document to ``result``."""
    language = config_language(path) or "json"
    sources: list[str | None] = []
    values: list[Any] = []
    for label, content in (("old", old), ("new", new)):
        if content is None:
            sources.append(None)
            values.append(None)
            continue
        try:
            source = _decode(content)
            values.append(_load(language, source))
            sources.append(source)
        except ParseFailure as exc:
            result.analysed = False
            result.reason = "parse_failed"
            result.changes.append(Change("parse.failed", path, "", f"{label} version: {exc}"))
            return
    old_value, new_value = values
    old_source, new_source = sources
    if old_source is None or new_source is None:
        # Added or removed manifests still report their dependencies.
        old_value = old_value if old_value is not None else _empty_like(new_value)
        new_value = new_value if new_value is not None else _empty_like(old_value)
    old_lines, new_lines = _Lines(old_source), _Lines(new_source)
    old_deps = _dependency_sections(old_path, old_value)
    new_deps = _dependency_sections(path, new_value)
    emitted = len(result.changes)
    _dependency_changes(path, old_deps, new_deps, old_lines, new_lines, result)
    if old_source is not None and new_source is not None:
        for kind, key_path, before, after in _walk("", old_value, new_value):
            old_line = old_lines.find(key_path) if before is not None else None
            new_line = new_lines.find(key_path) if after is not None else None
            if kind == "added":
                description = f"`{key_path}` added: {_show(after)}"
            elif kind == "removed":
                description = f"`{key_path}` removed (was {_show(before)})"
            else:
                description = f"`{key_path}` changed from {_show(before)} to {_show(after)}"
            result.changes.append(
                Change(
                    f"config.key_{kind}",
                    path,
                    key_path,
                    description,
                    old=LineRange(old_line, old_line) if old_line else None,
                    new=LineRange(new_line, new_line) if new_line else None,
                    details={"key": key_path},
                )
            )
            if after is not None:
                _secrets(path, key_path, before, after, new_line, result)
    elif new_source is not None:
        for name, value in _strings(new_value, ""):
            _secret_value(path, name, value, new_lines.find(name) if name else None, result)
    unexplained = len(result.changes) == emitted and old_source != new_source
    if unexplained and old_source is not None and new_source is not None:
        comments_differ = _comments(language, old_source) != _comments(language, new_source)
        kind = "docs.only" if comments_differ else "formatting.only"
        description = "only comments changed" if comments_differ else "only layout changed"
        result.changes.append(Change(kind, path, "", description))


def _empty_like(value: Any) -> Any:
    return {} if isinstance(value, dict) or value is None else type(value)()


def _dependency_changes(
    path: str,
    old: dict[str, dict[str, str]],
    new: dict[str, dict[str, str]],
    old_lines: _Lines,
    new_lines: _Lines,
    result: FileDiff,
) -> None:
    for section in sorted(set(old) | set(new)):
        before, after = old.get(section, {}), new.get(section, {})
        for package, version in after.items():
            line = new_lines.find(package)
            span = LineRange(line, line) if line else None
            if package not in before:
                result.changes.append(
                    Change(
                        "dependency.added",
                        path,
                        package,
                        f"dependency `{package}` {version} added to {section}".replace("  ", " "),
                        new=span,
                        details={"package": package, "section": section, "after": version},
                    )
                )
            elif before[package] != version:
                old_line = old_lines.find(package)
                result.changes.append(
                    Change(
                        "dependency.version_changed",
                        path,
                        package,
                        f"`{package}` in {section}: {before[package] or '(any)'} -> {version or '(any)'}",
                        old=LineRange(old_line, old_line) if old_line else None,
                        new=span,
                        details={
                            "package": package,
                            "section": section,
                            "before": before[package],
                            "after": version,
                        },
                    )
                )
        for package in before:
            if package not in after:
                line = old_lines.find(package)
                result.changes.append(
                    Change(
                        "dependency.removed",
                        path,
                        package,
                        f"dependency `{package}` removed from {section}",
                        old=LineRange(line, line) if line else None,
                        details={"package": package, "section": section},
                    )
                )


def _secrets(
    path: str, key_path: str, before: Any, after: Any, line: int | None, result: FileDiff
) -> None:
    old_values = {value for _, value in _strings(before, "")}
    leaf = re.split(r"[.\[]", key_path)[-1].strip('"]')
    for name, value in _strings(after, leaf):
        if value not in old_values:
            _secret_value(path, name or leaf, value, line, result)


def _secret_value(path: str, name: str, value: str, line: int | None, result: FileDiff) -> None:
    for detector in credential_kinds(name, value):
        result.changes.append(
            Change(
                "secret.added",
                path,
                name,
                f"credential-looking value ({detector}) added",
                new=LineRange(line, line) if line else None,
                details={"detector": detector},
            )
        )


def _comments(language: str, source: str) -> list[str]:
    if language in {"yaml", "toml", "requirements"}:
        return [
            m.group(1).strip() for line in source.splitlines() if (m := _YAML_COMMENT.search(line))
        ]
    if language == "go.mod":
        return [line.split("//", 1)[1].strip() for line in source.splitlines() if "//" in line]
    return []
