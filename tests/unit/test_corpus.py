"""The differ against the labeled corpus: precision and recall per kind and overall."""

from __future__ import annotations

from tests.corpus_cases import load_cases, score
from tidegate.diff.taxonomy import KINDS

MIN_PRECISION = 0.95
MIN_RECALL = 0.90
MIN_CASES = 150


def test_corpus_is_large_and_covers_every_kind() -> None:
    cases = load_cases()
    assert len(cases) >= MIN_CASES, f"only {len(cases)} labeled cases"
    labeled = {kind for case in cases for kind in case.kinds}
    assert labeled <= set(KINDS), f"unknown kinds in labels: {sorted(labeled - set(KINDS))}"
    missing = set(KINDS) - labeled
    assert not missing, f"kinds without a labeled case: {sorted(missing)}"


def test_every_language_has_cases() -> None:
    groups = {case.name.split("/")[0] for case in load_cases()}
    for group in (
        "python",
        "javascript",
        "typescript",
        "tsx",
        "go",
        "java",
        "rust",
        "c",
        "cpp",
        "config",
    ):
        assert group in groups, group


def test_precision_and_recall_over_the_corpus() -> None:
    result, misses = score(load_cases())
    report = (
        result.table()
        + "\n"
        + "\n".join(
            f"MISS {name}: unexpected {sorted(extra)} missing {sorted(missing)}"
            for name, extra, missing in misses
        )
    )
    print(report)
    assert result.precision() >= MIN_PRECISION, report
    assert result.recall() >= MIN_RECALL, report
