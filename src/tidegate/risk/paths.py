"""The `paths` data document: criticality levels and sensitive categories of path globs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tidegate.errors import ConfigError
from tidegate.globs import glob_match

SENSITIVE_CATEGORIES: tuple[str, ...] = ("policy", "ci", "waiver", "ledger_config", "codeowners")
MAX_LEVEL = 1000

# What policies/data/paths.yaml ships with (a test keeps the two equal). Waiver data comes
# first: the first matching glob names the category, and waiver data under .tidegate/ or
# policies/ is a waiver before it is configuration or policy. Top-level files are listed next
# to their `**/` form because OPA's glob.match needs both.
DEFAULT_SENSITIVE: tuple[tuple[str, str], ...] = (
    (".tidegate/waivers/**", "waiver"),
    ("policies/data/waivers.yaml", "waiver"),
    ("policies/data/waivers.json", "waiver"),
    ("waivers.yaml", "waiver"),
    ("waivers.json", "waiver"),
    ("**/waivers.yaml", "waiver"),
    ("**/waivers.json", "waiver"),
    ("policies/**", "policy"),
    (".github/workflows/**", "ci"),
    (".github/actions/**", "ci"),
    (".gitlab-ci.yml", "ci"),
    (".gitlab/ci/**", "ci"),
    (".circleci/**", "ci"),
    ("Jenkinsfile", "ci"),
    ("**/Jenkinsfile", "ci"),
    ("azure-pipelines.yml", "ci"),
    (".buildkite/**", "ci"),
    (".tidegate/**", "ledger_config"),
    ("**/.tidegate/**", "ledger_config"),
    ("CODEOWNERS", "codeowners"),
    ("**/CODEOWNERS", "codeowners"),
)


@dataclass(frozen=True)
class PathRules:
    """Criticality (glob, level) and sensitive (glob, category) rules, in data-file order."""

    criticality: tuple[tuple[str, int], ...] = ()
    sensitive: tuple[tuple[str, str], ...] = ()

    def criticality_of(self, path: str) -> tuple[int, str] | None:
        """Return (level, glob) of the highest-level glob matching ``path`` (first on ties)."""
        best: tuple[int, str] | None = None
        for glob, level in self.criticality:
            if (best is None or level > best[0]) and glob_match(glob, path):
                best = (level, glob)
        return best

    def sensitive_category(self, path: str) -> str | None:
        """Return the category of the first sensitive glob matching ``path``, or None."""
        for glob, category in self.sensitive:
            if glob_match(glob, path):
                return category
        return None


def path_rules(data: Mapping[str, Any], name: str = "paths") -> PathRules:
    """Read the ``paths`` data document; raise ConfigError naming the key path of a bad item."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{name}: must be a mapping with `criticality` and `sensitive` lists")
    unknown = sorted(str(key) for key in data if key not in ("criticality", "sensitive"))
    if unknown:
        raise ConfigError(
            f"{name}.{unknown[0]}: unknown key (expected `criticality` and `sensitive`)"
        )
    criticality = tuple(
        (_glob(item, where), _level(item, where))
        for where, item in _items(data, "criticality", name, ("glob", "level"))
    )
    sensitive = tuple(
        (_glob(item, where), _category(item, where))
        for where, item in _items(data, "sensitive", name, ("glob", "category"))
    )
    return PathRules(criticality, sensitive)


def _items(
    data: Mapping[str, Any], key: str, name: str, fields: tuple[str, str]
) -> list[tuple[str, Mapping[str, Any]]]:
    """The list under ``key`` as (key path, item) pairs; each item a mapping of ``fields``."""
    items = data.get(key, [])
    if items is None:
        return []
    if not isinstance(items, list):
        raise ConfigError(f"{name}.{key}: must be a list of {{{fields[0]}, {fields[1]}}} items")
    result: list[tuple[str, Mapping[str, Any]]] = []
    for index, item in enumerate(items):
        where = f"{name}.{key}[{index}]"
        if not isinstance(item, Mapping):
            raise ConfigError(f"{where}: must be a mapping with `{fields[0]}` and `{fields[1]}`")
        extra = sorted(str(k) for k in item if k not in fields)
        if extra:
            raise ConfigError(
                f"{where}.{extra[0]}: unknown key (expected {fields[0]}, {fields[1]})"
            )
        result.append((where, item))
    return result


def _glob(item: Mapping[str, Any], where: str) -> str:
    """The item's non-empty `glob` string."""
    glob = item.get("glob")
    if not isinstance(glob, str) or not glob:
        raise ConfigError(f"{where}.glob: must be a non-empty string (got {glob!r})")
    return glob


def _level(item: Mapping[str, Any], where: str) -> int:
    """The item's integer `level` in 0..1000."""
    level = item.get("level")
    # bool is an int subclass; `level: true` is a typo, not 1.
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= MAX_LEVEL:
        raise ConfigError(f"{where}.level: must be an integer 0..{MAX_LEVEL} (got {level!r})")
    return level


def _category(item: Mapping[str, Any], where: str) -> str:
    """The item's `category`, one of SENSITIVE_CATEGORIES."""
    category = item.get("category")
    if category not in SENSITIVE_CATEGORIES:
        raise ConfigError(
            f"{where}.category: must be one of {', '.join(SENSITIVE_CATEGORIES)} (got {category!r})"
        )
    return str(category)
