"""GitHub CODEOWNERS: who owns a path (gitignore-style patterns, the last matching rule wins).

Malformed lines are skipped and reported in ``CodeOwners.problems`` with their line numbers,
the way GitHub itself ignores them (and flags them in its UI): an owners file with a typo
must not stop the gate, and the remaining rules are exactly the ones GitHub enforces.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tidegate.globs import translate

LOCATIONS: tuple[str, ...] = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")

_OWNER = re.compile(
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*)(?:/[A-Za-z0-9._-]+)?"  # @user or @org/team
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"  # e-mail address
)
_UNESCAPED_SPACE = re.compile(r"(?<!\\)\s+")


@dataclass(frozen=True)
class Rule:
    """One CODEOWNERS line: its pattern, owners (empty: un-owned) and line number."""

    pattern: str
    owners: tuple[str, ...]
    line: int
    regex: re.Pattern[str]


@dataclass(frozen=True)
class CodeOwners:
    """A parsed CODEOWNERS file: its rules in order and the lines it skipped."""

    rules: tuple[Rule, ...]
    source: str = "CODEOWNERS"
    problems: tuple[str, ...] = ()

    def rule_for(self, path: str) -> Rule | None:
        """Return the last rule whose pattern matches ``path``, or None."""
        for rule in reversed(self.rules):
            if rule.regex.fullmatch(path):
                return rule
        return None

    def owners_of(self, path: str) -> list[str]:
        """Return the owners of ``path`` (empty when no rule or an owner-less rule matches)."""
        rule = self.rule_for(path)
        return list(rule.owners) if rule is not None else []


def pattern_regex(pattern: str) -> str:
    """Return the regex (no anchors) of the files a CODEOWNERS ``pattern`` owns."""
    directory_only = pattern.endswith("/")
    body = pattern[:-1] if directory_only else pattern
    # A slash at the start or in the middle anchors the pattern at the repository root.
    body = body.removeprefix("/") if "/" in body else "**/" + body
    segments = body.split("/")
    if segments[-1] == "**":
        # `dir/**` owns what is inside dir, not a file named dir; `dir/**/` only subdirectories.
        prefix = translate("/".join(segments[:-1]))
        if not prefix:
            return ".+/.+" if directory_only else ".*"
        return prefix + ("/.+/.+" if directory_only else "/.+")
    core = translate(body)
    if directory_only:
        return core + "/.+"
    if segments[-1] == "*" and len(segments) > 1 and segments[-2] != "**":
        # GitHub documents `docs/*` as owning the files directly in docs/, not nested ones.
        return core
    # Like gitignore, a pattern naming a directory owns everything below it.
    return core + "(?:/.*)?"


def parse_codeowners(text: str, source: str = "CODEOWNERS") -> CodeOwners:
    """Parse CODEOWNERS ``text``; malformed lines are skipped and listed in ``problems``."""
    rules: list[Rule] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        tokens = _UNESCAPED_SPACE.split(line)
        pattern, owners = tokens[0], []
        for token in tokens[1:]:
            if token.startswith("#"):
                break  # the rest of the line is a comment
            owners.append(token)
        problem = _pattern_problem(pattern) or next(
            (
                f"`{owner}` is not a @user, @org/team or e-mail owner"
                for owner in owners
                if not _OWNER.fullmatch(owner)
            ),
            None,
        )
        if problem is not None:
            problems.append(f"{source}:{number}: {problem}; line ignored")
            continue
        regex = re.compile(pattern_regex(pattern), re.DOTALL)
        rules.append(Rule(pattern, tuple(owners), number, regex))
    return CodeOwners(tuple(rules), source, tuple(problems))


def _pattern_problem(pattern: str) -> str | None:
    """Why GitHub would reject ``pattern``, or None."""
    if pattern.startswith("!"):
        return "negated patterns (`!`) are not supported"
    if pattern.startswith("[") and pattern.endswith("]"):
        return "sections (`[Name]`) are GitLab syntax, not GitHub"
    if "[" in pattern.replace("\\[", ""):
        return "character ranges (`[...]`) are not supported"
    return None


def find_codeowners(read: Callable[[str], bytes | None]) -> CodeOwners | None:
    """Parse the first CODEOWNERS of LOCATIONS that ``read`` returns, or None if none exists."""
    for location in LOCATIONS:
        data = read(location)
        if data is None:
            continue
        return parse_codeowners(data.decode("utf-8", errors="replace"), location)
    return None
