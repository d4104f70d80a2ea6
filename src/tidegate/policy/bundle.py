"""Load a policy directory: Rego modules, Rego tests and data documents, with their digests.

The layout (docs/gate.md): ``*.rego`` modules anywhere under the root (hidden directories
and the top-level ``data/`` excepted), ``*_test.rego`` tests, and ``data/NAME.json|yaml|yml``
documents placed at ``data.tidegate.NAME``. Everything that is wrong is a PolicyError that
names the file (and the line when there is one): a gate must be able to say what is broken.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tidegate.canonical import json_digest
from tidegate.policy.errors import PolicyError

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_FILES = 2000

DATA_DIR = "data"
DATA_SUFFIXES = (".json", ".yaml", ".yml")
TEST_SUFFIX = "_test.rego"
_STEM = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PACKAGE = re.compile(r"^[ \t]*package[ \t]+([A-Za-z0-9_.]+)", re.MULTILINE)


@dataclass(frozen=True)
class PolicyFile:
    """One file of a bundle: its path relative to the root (posix), text and sha256 of bytes."""

    path: str
    text: str
    sha256: str


@dataclass(frozen=True)
class PolicyBundle:
    """A loaded policy directory; ``digest`` and ``data_digest`` identify what decided."""

    root: Path
    modules: tuple[PolicyFile, ...]
    tests: tuple[PolicyFile, ...]
    data_files: tuple[PolicyFile, ...]
    data: Mapping[str, Any] = field(default_factory=dict)
    digest: str = ""
    data_digest: str = ""

    def source_name(self, path: str) -> str:
        """Return how messages name a bundle file: the root's name, then the relative path."""
        return f"{self.root.name}/{path}" if self.root.name else path


def files_digest(files: tuple[PolicyFile, ...]) -> str:
    """Return sha256 over the canonical JSON list of [path, sha256], sorted by path."""
    return json_digest(sorted([f.path, f.sha256] for f in files))


def load_bundle(root: Path, *, with_tests: bool = False) -> PolicyBundle:
    """Load the policy directory ``root``; PolicyError names what is wrong and where."""
    if not root.exists():
        raise PolicyError(f"policy directory {root} does not exist")
    if not root.is_dir():
        raise PolicyError(f"policy directory {root} is not a directory")
    reader = _Reader(root)
    module_paths, test_paths = reader.rego_paths()
    if not module_paths:
        raise PolicyError(
            f"policy directory {root} has no Rego modules (*.rego other than *_test.rego)"
        )
    modules = tuple(reader.read_text(p) for p in module_paths)
    tests = tuple(reader.read_text(p) for p in test_paths) if with_tests else ()
    data_files, data = reader.load_data()
    reader.check_package_collisions(modules + tests, data_files)
    return PolicyBundle(
        root=root,
        modules=modules,
        tests=tests,
        data_files=data_files,
        data=data,
        digest=files_digest(modules),
        data_digest=files_digest(data_files),
    )


class _Reader:
    """Reads one bundle within the caps; its messages name files as ``ROOTNAME/PATH``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.real_root = root.resolve()
        self.prefix = f"{root.name}/" if root.name else ""
        self.files = 0
        self.size = 0

    def name(self, rel: str) -> str:
        """Return how messages name the bundle file ``rel``."""
        return self.prefix + rel

    def take(self, rel: str, size: int) -> None:
        """Account for one file of ``size`` bytes; a hostile directory cannot exhaust memory."""
        self.files += 1
        self.size += size
        if self.files > MAX_FILES:
            raise PolicyError(f"{self.name(rel)}: the bundle has more than {MAX_FILES} files")
        if self.size > MAX_TOTAL_BYTES:
            raise PolicyError(
                f"{self.name(rel)}: the bundle is larger than {MAX_TOTAL_BYTES} bytes"
            )

    def inside(self, path: Path, rel: str) -> Path:
        """Resolve ``path``; refuse a broken symlink or one that leads outside the bundle."""
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            raise PolicyError(f"{self.name(rel)}: broken or looping symlink") from exc
        if not target.is_relative_to(self.real_root):
            raise PolicyError(
                f"{self.name(rel)}: symlink points outside the policy directory (to {target})"
            )
        return target

    def rego_paths(self) -> tuple[list[str], list[str]]:
        """Return the relative paths of the modules and of the tests, each sorted."""
        modules: list[str] = []
        tests: list[str] = []
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            here = Path(dirpath)
            at_top = here == self.root
            kept = []
            for name in sorted(dirnames):
                if name.startswith(".") or (at_top and name == DATA_DIR):
                    continue
                path = here / name
                if path.is_symlink():
                    # Refuse escapes; a link that stays inside is not followed (its target is
                    # walked where it really is, and following could loop).
                    self.inside(path, path.relative_to(self.root).as_posix())
                    continue
                kept.append(name)
            dirnames[:] = kept
            for name in sorted(filenames):
                if name.startswith(".") or not name.endswith(".rego"):
                    continue
                rel = (here / name).relative_to(self.root).as_posix()
                (tests if name.endswith(TEST_SUFFIX) else modules).append(rel)
        return sorted(modules), sorted(tests)

    def read_bytes(self, rel: str) -> bytes:
        """Read one bundle file within the caps, refusing symlinks that escape the root."""
        path = self.root / rel
        target = self.inside(path, rel) if path.is_symlink() else path
        if not target.is_file():
            raise PolicyError(f"{self.name(rel)}: not a regular file")
        try:
            with open(target, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise PolicyError(f"{self.name(rel)}: cannot be read: {exc.strerror}") from exc
        if len(data) > MAX_FILE_BYTES:
            raise PolicyError(f"{self.name(rel)}: larger than {MAX_FILE_BYTES} bytes")
        self.take(rel, len(data))
        return data

    def read_text(self, rel: str) -> PolicyFile:
        """Read a bundle file as a PolicyFile (UTF-8 text and the sha256 of its bytes)."""
        data = self.read_bytes(rel)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise PolicyError(
                f"{self.name(rel)}:{line}: invalid UTF-8 at byte offset {exc.start} ({exc.reason})"
            ) from exc
        return PolicyFile(rel, text, hashlib.sha256(data).hexdigest())

    def load_data(self) -> tuple[tuple[PolicyFile, ...], dict[str, Any]]:
        """Load ``data/*.json|yaml|yml``, each document at its file's stem."""
        directory = self.root / DATA_DIR
        if not directory.exists() and not directory.is_symlink():
            return (), {}
        if directory.is_symlink():
            self.inside(directory, DATA_DIR)
        if not directory.is_dir():
            raise PolicyError(f"{self.name(DATA_DIR)}: not a directory")
        by_stem: dict[str, str] = {}
        files: list[PolicyFile] = []
        data: dict[str, Any] = {}
        for entry in sorted(directory.iterdir(), key=lambda p: p.name):
            if entry.name.startswith(".") or entry.suffix not in DATA_SUFFIXES:
                continue
            rel = f"{DATA_DIR}/{entry.name}"
            stem = entry.name[: -len(entry.suffix)]
            if not _STEM.match(stem):
                raise PolicyError(
                    f"{self.name(rel)}: data file names must be Rego identifiers"
                    " (letters, digits, _)"
                )
            if stem in by_stem:
                raise PolicyError(
                    f"{self.name(rel)}: {self.name(by_stem[stem])} already provides"
                    f" data.tidegate.{stem} (one data file per name)"
                )
            by_stem[stem] = rel
            policy_file = self.read_text(rel)
            document = _parse_data(self.name(rel), policy_file.text)
            if not isinstance(document, dict):
                raise PolicyError(
                    f"{self.name(rel)}: a data document must be an object (mapping),"
                    f" not {_kind(document)}"
                )
            _check_json_value(self.name(rel), document, "$")
            files.append(policy_file)
            data[stem] = document
        return tuple(files), data

    def check_package_collisions(
        self, rego: tuple[PolicyFile, ...], data_files: tuple[PolicyFile, ...]
    ) -> None:
        """Refuse a package under data.tidegate.NAME when data/NAME provides that document."""
        stems = {f.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]: f.path for f in data_files}
        for module in rego:
            for match in _PACKAGE.finditer(module.text):
                parts = match.group(1).split(".")
                if len(parts) >= 2 and parts[0] == "tidegate" and parts[1] in stems:
                    line = module.text.count("\n", 0, match.start()) + 1
                    raise PolicyError(
                        f"{self.name(module.path)}:{line}: package {match.group(1)} collides"
                        f" with {self.name(stems[parts[1]])} (data.tidegate.{parts[1]})"
                    )


def _parse_data(rel: str, text: str) -> Any:
    """Parse a JSON or YAML data document, naming line:column on a syntax error."""
    if rel.endswith(".json"):
        try:
            return json.loads(text, object_pairs_hook=_unique_pairs)
        except json.JSONDecodeError as exc:
            raise PolicyError(f"{rel}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
        except _DuplicateKey as exc:
            raise PolicyError(f"{rel}: invalid JSON: duplicate key {exc.key!r}") from exc
    try:
        return yaml.load(text, Loader=_DataLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise PolicyError(f"{rel}{where}: invalid YAML: {problem}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{rel}: invalid YAML: {exc}") from exc


class _DuplicateKey(Exception):
    """A JSON object repeats a key (the last one would silently win)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Build a JSON object, refusing repeated keys."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _DataLoader(_BaseLoader):  # type: ignore[misc]
    """SafeLoader that keeps dates as strings and refuses duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Construct a mapping, refusing a key that appears twice."""
        self.flatten_mapping(node)
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                break  # an unhashable key: the base constructor reports it with its mark
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        result: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return result


# Dates would become datetime objects, which JSON (and so Rego) has no type for: the data
# means the text that was written.
_DataLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _kind(value: object) -> str:
    """Name a parsed value's JSON kind for messages."""
    if value is None:
        return "null (an empty document)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def _check_json_value(rel: str, value: object, where: str) -> None:
    """Refuse values JSON cannot carry (non-string keys, NaN, binary, sets)."""
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PolicyError(f"{rel}: {where} is {value}, which JSON cannot represent")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_json_value(rel, item, f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise PolicyError(
                    f"{rel}: {where} has the key {key!r}, which is not a string (quote it in YAML)"
                )
            _check_json_value(rel, item, f"{where}.{key}")
        return
    raise PolicyError(f"{rel}: {where} is a {type(value).__name__}, which JSON cannot represent")
