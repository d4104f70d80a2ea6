"""Load the labeled corpus (tests/corpus) and score the differ against it."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tidegate.diff.analyze import FileChange, Options
from tidegate.diff.engine import diff_files

CORPUS = Path(__file__).parent / "corpus"


@dataclass(frozen=True)
class Case:
    """One labeled file change."""

    name: str
    path: str
    old_path: str | None
    old: bytes | None
    new: bytes | None
    kinds: frozenset[str]
    max_file_bytes: int | None


def load_cases() -> list[Case]:
    """Return every case under tests/corpus, sorted by name."""
    cases = []
    for spec in sorted(CORPUS.glob("*/*/case.json")):
        data = json.loads(spec.read_text())
        folder = spec.parent
        before = next(iter(sorted(folder.glob("before*"))), None)
        after = next(iter(sorted(folder.glob("after*"))), None)
        cases.append(
            Case(
                name=f"{folder.parent.name}/{folder.name}",
                path=data["path"],
                old_path=data.get("old_path"),
                old=before.read_bytes() if before else None,
                new=after.read_bytes() if after else None,
                kinds=frozenset(data["kinds"]),
                max_file_bytes=data.get("max_file_bytes"),
            )
        )
    return cases


def actual_kinds(case: Case) -> set[str]:
    """Run the differ on one case and return the distinct kinds it reports."""
    options = Options(max_file_bytes=case.max_file_bytes) if case.max_file_bytes else Options()
    change = FileChange(path=case.path, old=case.old, new=case.new, old_path=case.old_path)
    return diff_files([change], options).kinds()


@dataclass
class Score:
    """True positives, false positives and false negatives per kind."""

    tp: Counter[str]
    fp: Counter[str]
    fn: Counter[str]

    def precision(self) -> float:
        found = sum(self.tp.values()) + sum(self.fp.values())
        return sum(self.tp.values()) / found if found else 1.0

    def recall(self) -> float:
        expected = sum(self.tp.values()) + sum(self.fn.values())
        return sum(self.tp.values()) / expected if expected else 1.0

    def table(self) -> str:
        kinds = sorted(set(self.tp) | set(self.fp) | set(self.fn))
        lines = [f"{'kind':40} {'tp':>4} {'fp':>4} {'fn':>4} {'prec':>6} {'recall':>6}"]
        for kind in kinds:
            tp, fp, fn = self.tp[kind], self.fp[kind], self.fn[kind]
            precision = tp / (tp + fp) if tp + fp else 1.0
            recall = tp / (tp + fn) if tp + fn else 1.0
            lines.append(f"{kind:40} {tp:4} {fp:4} {fn:4} {precision:6.2f} {recall:6.2f}")
        lines.append(
            f"{'overall':40} {sum(self.tp.values()):4} {sum(self.fp.values()):4} "
            f"{sum(self.fn.values()):4} {self.precision():6.3f} {self.recall():6.3f}"
        )
        return "\n".join(lines)


def score(cases: list[Case]) -> tuple[Score, list[tuple[str, set[str], set[str]]]]:
    """Score the differ over ``cases``; also return each miss (name, unexpected, missing)."""
    result = Score(Counter(), Counter(), Counter())
    misses = []
    for case in cases:
        found = actual_kinds(case)
        for kind in found & case.kinds:
            result.tp[kind] += 1
        for kind in found - case.kinds:
            result.fp[kind] += 1
        for kind in case.kinds - found:
            result.fn[kind] += 1
        if found != case.kinds:
            misses.append((case.name, found - case.kinds, set(case.kinds - found)))
    return result, misses


if __name__ == "__main__":
    import sys

    selected = [c for c in load_cases() if not sys.argv[1:] or c.name.split("/")[0] in sys.argv[1:]]
    scored, missed = score(selected)
    print(scored.table())
    for name, extra, missing in missed:
        print(f"MISS {name}: extra={sorted(extra)} missing={sorted(missing)}")
    print(len(selected), "cases")
