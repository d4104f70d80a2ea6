"""Path globs: `/` separates, `*` `?` `[..]` stay in a segment, `**` spans zero or more segments."""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidegate.globs import first_match, glob_match

CASES = [
    ("src/payments/**", "src/payments/api.py", True),
    ("src/payments/**", "src/payments/a/b/c.py", True),
    ("src/payments/**", "src/payments", True),  # `**` may match nothing
    ("src/payments/**", "src/paymentsx/a.py", False),
    ("src/payments/**", "lib/src/payments/a.py", False),
    ("**/CODEOWNERS", "CODEOWNERS", True),  # top level too (OPA needs both forms)
    ("**/CODEOWNERS", ".github/CODEOWNERS", True),
    ("**/CODEOWNERS", "a/b/CODEOWNERS", True),
    ("**/CODEOWNERS", "a/CODEOWNERS.bak", False),
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("a/**/b", "a/x/y/c", False),
    ("a/**/**/b", "a/b", True),
    ("**", "", True),
    ("**", "any/thing/at/all", True),
    ("*", "file.py", True),
    ("*", "dir/file.py", False),
    ("*.py", "a/b.py", False),
    ("**/*.py", "a/b.py", True),
    ("**/*.py", "b.py", True),
    ("src/*.py", "src/a.py", True),
    ("src/*.py", "src/a/b.py", False),
    ("f?o", "foo", True),
    ("f?o", "f/o", False),
    ("f?o", "fooo", False),
    ("[Ffb]oo", "Foo", True),
    ("[Ffb]oo", "too", False),
    ("[!ab]c", "cc", True),
    ("[!ab]c", "ac", False),
    ("[^ab]c", "ac", False),
    ("[a-c]x", "bx", True),
    ("[a-c]x", "dx", False),
    ("[]]x", "]x", True),
    ("[x", "[x", True),  # an unclosed class is literal
    ("a\\*", "a*", True),
    ("a\\*", "ab", False),
    ("a**b", "axxb", True),  # `**` inside a segment is one `*`
    ("a**b", "ax/xb", False),
    (".github/workflows/**", ".github/workflows/ci.yml", True),
    ("policies/**", "policies/data/paths.yaml", True),
    ("{a,b}", "a", False),  # braces are literal in this dialect
    ("{a,b}", "{a,b}", True),
    ("a.b", "axb", False),  # regex metacharacters are literal
    ("(a)+", "(a)+", True),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), CASES)
def test_reference_cases(pattern: str, path: str, expected: bool) -> None:
    assert glob_match(pattern, path) is expected


def test_first_match_returns_the_first_matching_pattern() -> None:
    patterns = ["docs/**", "**/*.py", "src/**"]
    assert first_match(patterns, "src/a.py") == "**/*.py"
    assert first_match(patterns, "src/a.rs") == "src/**"
    assert first_match(patterns, "lib/a.rs") is None
    assert first_match([], "a") is None


def _reference(pattern: list[str], path: list[str]) -> bool:
    """Segment-by-segment matcher written independently of the regex translation."""
    if not pattern:
        return not path
    if pattern[0] == "**":
        return any(_reference(pattern[1:], path[i:]) for i in range(len(path) + 1))
    return bool(path) and fnmatchcase(path[0], pattern[0]) and _reference(pattern[1:], path[1:])


segment_tokens = st.sampled_from(["a", "b", ".", "*", "?", "[ab]", "[!a]", "[a-c]", "ab*"])
pattern_segments = st.one_of(
    st.just("**"), st.lists(segment_tokens, min_size=0, max_size=3).map("".join)
)
patterns = st.lists(pattern_segments, min_size=1, max_size=5).map("/".join)
paths = st.lists(st.text("abc.", max_size=4), min_size=1, max_size=5).map("/".join)


@settings(max_examples=1500)
@given(pattern=patterns, path=paths)
def test_matches_the_reference_matcher(pattern: str, path: str) -> None:
    assert glob_match(pattern, path) is _reference(pattern.split("/"), path.split("/"))


@settings(max_examples=300)
@given(path=paths)
def test_globstar_prefix_matches_at_any_depth(path: str) -> None:
    last = path.rsplit("/", maxsplit=1)[-1]
    assert glob_match("**", path)
    assert glob_match(
        "**/" + last.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]"), path
    )


@settings(max_examples=300)
@given(pattern=st.text(max_size=20), path=st.text(max_size=20))
def test_arbitrary_patterns_never_raise(pattern: str, path: str) -> None:
    assert isinstance(glob_match(pattern, path), bool)
