"""CODEOWNERS: gitignore-style patterns, last match wins, malformed lines skipped and reported."""

from __future__ import annotations

import re

import pytest

from tidegate.risk.codeowners import CodeOwners, find_codeowners, parse_codeowners, pattern_regex

# Expectations for files (not directories) that `git check-ignore` agrees with, plus GitHub's
# documented `docs/*` rule (direct children only).
PATTERN_CASES: list[tuple[str, dict[str, bool]]] = [
    (
        "foo",
        {
            "foo": True,
            "foo/bar": True,
            "bar/foo": True,
            "bar/foo/baz": True,
            "bar/baz": False,
            "foo.txt": False,
        },
    ),
    ("/foo", {"foo": True, "fool": False, "foo/bar": True, "bar/foo": False, "bar/foo/baz": False}),
    (
        "foo/",
        {"foo": False, "foo/bar": True, "bar/foo": False, "bar/foo/baz": True, "bar/baz": False},
    ),
    ("/foo/", {"foo": False, "foo/bar": True, "bar/foo": False, "bar/foo/baz": False}),
    ("foo/bar", {"foo/bar": True, "foo/bart": False, "foo/bar/baz": True, "baz/foo/bar": False}),
    ("/foo/bar", {"foo/bar": True, "foo/bar/baz": True, "baz/foo/bar": False}),
    ("foo/bar/", {"foo/bar": False, "foo/bar/baz": True, "baz/foo/bar/qux": False}),
    (
        "f*",
        {
            "foo": True,
            "foo/bar": True,
            "bar/foo": True,
            "bar/foo/baz": True,
            "bar/baz": False,
            "xfoo": False,
        },
    ),
    ("/f*", {"foo": True, "foo/bar": True, "bar/foo": False}),
    ("f*/", {"foo": False, "foo/bar": True, "bar/foo/baz": True, "xfoo": False}),
    ("f\\*o", {"foo": False, "f*o": True}),
    ("foo/*.txt", {"foo/bar.txt": True, "foo/bar/baz.txt": False, "qux/foo/bar.txt": False}),
    ("f?o", {"foo": True, "fo": False, "fooo": False}),
    (
        "**/foo/bar",
        {"foo/bar": True, "qux/foo/bar": True, "qux/foo/bar/baz": True, "foo/baz/bar": False},
    ),
    (
        "**/*bar*",
        {"bar": True, "foo/bar": True, "foo/rebar": True, "foo/barrio": True, "foo/qux/bar": True},
    ),
    (
        "foo/bar/**",
        {"foo/bar": False, "foo/bar/baz": True, "foo/bar/baz/qux": True, "qux/foo/bar/baz": False},
    ),
    (
        "foo/**/bar",
        {"foo/bar": True, "foo/bar/baz": True, "foo/qux/bar/baz": True, "qux/foo/bar": False},
    ),
    ("foo/**/", {"foo/bar": False, "foo/bar/baz": True}),
    ("docs/*", {"docs/getting-started.md": True, "docs/build-app/troubleshooting.md": False}),
    ("*", {"a": True, "a/b/c.py": True}),
    ("*.js", {"a.js": True, "src/a/b.js": True, "a.jsx": False}),
]


@pytest.mark.parametrize(("pattern", "paths"), PATTERN_CASES)
def test_pattern_semantics(pattern: str, paths: dict[str, bool]) -> None:
    regex = re.compile(pattern_regex(pattern), re.DOTALL)
    for path, expected in paths.items():
        assert (regex.fullmatch(path) is not None) is expected, (pattern, path)


GITHUB_EXAMPLE = """\
# This is a comment.
*       @global-owner1 @global-owner2

*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
"""


def test_last_matching_rule_wins_and_owner_less_rules_unown() -> None:
    owners = parse_codeowners(GITHUB_EXAMPLE)
    assert owners.problems == ()
    assert owners.owners_of("README.md") == ["@global-owner1", "@global-owner2"]
    assert owners.owners_of("src/app.js") == ["@js-owner"]
    assert owners.owners_of("main.go") == ["docs@example.com"]
    assert owners.owners_of("notes.txt") == ["@octo-org/octocats"]
    assert owners.owners_of("build/logs/out.log") == ["@octocat"]  # **/logs comes later
    assert owners.owners_of("docs/index.md") == ["@doctocat"]
    assert owners.owners_of("scripts/run.sh") == ["@doctocat", "@octocat"]
    assert owners.owners_of("apps/web/index.html") == ["@octocat"]
    assert owners.owners_of("apps/github/index.html") == []
    rule = owners.rule_for("apps/github/x")
    assert rule is not None and rule.line == 14


def test_malformed_lines_are_skipped_with_line_numbers() -> None:
    text = "* @all\n!secret.txt @nobody\n[Section]\nsrc/[ab].py @x\nlib/ not-an-owner\nok/ @ok\n"
    owners = parse_codeowners(text, ".github/CODEOWNERS")
    assert [p.split(":")[1] for p in owners.problems] == ["2", "3", "4", "5"]
    assert all(p.startswith(".github/CODEOWNERS:") for p in owners.problems)
    assert "not-an-owner" in owners.problems[3]
    assert owners.owners_of("lib/a.py") == ["@all"]
    assert owners.owners_of("ok/a.py") == ["@ok"]


def test_escaped_hash_starts_a_pattern() -> None:
    owners = parse_codeowners("\\#notes.md @writer\n")
    assert owners.owners_of("#notes.md") == ["@writer"]


def test_no_rules_means_no_owners() -> None:
    assert CodeOwners(()).owners_of("a") == []
    assert parse_codeowners("# only comments\n\n").owners_of("a") == []


def test_find_codeowners_tries_the_github_locations_in_order() -> None:
    files = {"CODEOWNERS": b"* @root\n", "docs/CODEOWNERS": b"* @docs\n"}
    found = find_codeowners(files.get)
    assert found is not None
    assert found.source == "CODEOWNERS"
    assert found.owners_of("x") == ["@root"]
    files[".github/CODEOWNERS"] = b"* @github\n\xff\n"
    found = find_codeowners(files.get)
    assert found is not None and found.owners_of("x") == ["@github"]
    assert find_codeowners({}.get) is None
