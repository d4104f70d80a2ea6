"""Cross-cutting patterns: the same transformation at several sites, reported once."""

from __future__ import annotations

from tidegate.diff.model import Change, Pattern, Site

MIN_SITES = 3

# For each kind, the details that make two changes "the same transformation".
_SIGNATURES: dict[str, tuple[str, ...]] = {
    "call.replaced": ("before", "after"),
    "call.added": ("callee",),
    "call.removed": ("callee",),
    "call.args_changed": ("callee", "before", "after"),
    "import.replaced": ("before", "after"),
    "import.added": ("module",),
    "import.removed": ("module",),
    "exception.raise_type_changed": ("before", "after"),
    "exception.handler_changed": ("before", "after"),
    "function.param.default_changed": ("param", "before", "after"),
    "function.param.added": ("param",),
    "function.param.removed": ("param",),
    "function.decorator.added": ("decorator",),
    "function.decorator.removed": ("decorator",),
    "security.sensitive_call": ("marker",),
    "test.assertion_removed": (),
    "test.skip_added": (),
    "dependency.version_changed": ("package", "before", "after"),
    "concurrency.changed": (),
}


def _key(change: Change) -> str | None:
    fields = _SIGNATURES.get(change.kind)
    if fields is None:
        return None
    values = [change.details.get(name, "") for name in fields]
    if change.kind in {
        "call.replaced",
        "import.replaced",
        "exception.raise_type_changed",
        "exception.handler_changed",
    }:
        return f"{values[0]} -> {values[1]}"
    if change.kind in {
        "call.args_changed",
        "function.param.default_changed",
        "dependency.version_changed",
    }:
        return f"{values[0]}: {values[1]} -> {values[2]}"
    return " ".join(values)


def find_patterns(changes: list[Change], min_sites: int = MIN_SITES) -> list[Pattern]:
    """Group changes with the same kind and transformation seen at ``min_sites`` or more sites."""
    groups: dict[tuple[str, str], list[Change]] = {}
    for change in changes:
        key = _key(change)
        if key is None:
            continue
        groups.setdefault((change.kind, key), []).append(change)
    patterns: list[Pattern] = []
    for (kind, key), members in groups.items():
        sites = tuple(
            sorted(
                {Site(c.file, c.line, c.symbol) for c in members},
                key=lambda s: (s.file, s.line, s.symbol),
            )
        )
        if len(sites) < min_sites:  # several changes on one line are one site
            continue
        files = len({site.file for site in sites})
        label = f"{kind} {key}".rstrip()
        description = f"{label} at {len(sites)} sites in {files} file{'s' if files != 1 else ''}"
        patterns.append(Pattern(kind=kind, key=key, description=description, sites=sites))
    patterns.sort(key=lambda p: (-len(p.sites), p.kind, p.key))
    return patterns
