"""tidegate.gate.patch: the patch digest and changed lines, from a git range and from a diff."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidegate.diff import Options
from tidegate.diff.analyze import FileChange
from tidegate.errors import UsageError
from tidegate.gate.patch import AnalysedPatch, Fingerprint, analyse_patch, analyse_range

CHARGE = '''"""Charging customers."""


def charge(amount, currency="USD", retries=3):
    """Charge ``amount`` in ``currency``."""
    if amount <= 0:
        raise ValueError("amount must be positive")
    return {"amount": amount, "currency": currency, "retries": retries}
'''

TEXT = '''"""Text helpers."""


def shout(text):
    return text.upper() + "!"
'''


def git(repo: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return completed.stdout


class Repo:
    """A throwaway git repository (the only place these tests run git)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True)
        git(root, "init", "-q", "-b", "main")
        git(root, "config", "user.email", "dev@example.com")
        git(root, "config", "user.name", "Dev")

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def remove(self, path: str) -> None:
        (self.root / path).unlink()

    def commit(self, message: str) -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.root, "rev-parse", "HEAD").strip()

    def diff(self, base: str, head: str) -> str:
        return git(self.root, "diff", "--no-ext-diff", "-M", base, head)

    def checkout_copy(self, revision: str, into: Path) -> Path:
        """Export ``revision``'s tree to ``into`` (what a --patch applies to)."""
        archive = subprocess.run(
            ["git", "-C", str(self.root), "archive", "--format=tar", revision],
            capture_output=True,
            check=True,
        ).stdout
        into.mkdir(parents=True)
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
        return into


def range_of(repo: Repo, base: str, head: str) -> AnalysedPatch:
    return analyse_range(repo.root, base, head, Options())


def patch_of(repo: Repo, base: str, head: str, scratch: Path) -> AnalysedPatch:
    tree = repo.checkout_copy(base, scratch)
    return analyse_patch(repo.diff(base, head), tree, Options(), source="change.patch")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    project = Repo(tmp_path / "shop")
    project.write("src/payments/charge.py", CHARGE)
    project.write("src/util/text.py", TEXT)
    project.write("docs/guide.md", "# Guide\n")
    project.commit("initial")
    return project


def test_same_change_has_the_same_digest_as_range_and_as_patch(repo: Repo, tmp_path: Path) -> None:
    base = git(repo.root, "rev-parse", "HEAD").strip()
    repo.write("src/payments/charge.py", CHARGE.replace("retries=3", "retries=0"))
    repo.write("src/util/new.py", "VALUE = 1\n")
    repo.remove("docs/guide.md")
    head = repo.commit("change")
    ranged = range_of(repo, base, head)
    patched = patch_of(repo, base, head, tmp_path / "tree")
    assert ranged.source == "git" and patched.source == "patch"
    assert (ranged.base, ranged.head) == (base, head)
    assert (patched.base, patched.head) == (None, None)
    assert len(ranged.digest) == 64 and int(ranged.digest, 16) >= 0
    assert patched.digest == ranged.digest
    assert patched.changed == ranged.changed


def test_same_rename_has_the_same_digest_as_range_and_as_patch(repo: Repo, tmp_path: Path) -> None:
    base = git(repo.root, "rev-parse", "HEAD").strip()
    repo.remove("src/util/text.py")
    repo.write("src/util/strings.py", TEXT.replace("!", "!!"))
    head = repo.commit("rename")
    ranged = range_of(repo, base, head)
    assert [f.status for f in ranged.diff.files] == ["renamed"]
    assert patch_of(repo, base, head, tmp_path / "tree").digest == ranged.digest


def test_same_content_reached_by_other_commits_has_the_same_digest(repo: Repo) -> None:
    base = git(repo.root, "rev-parse", "HEAD").strip()
    repo.write("src/payments/charge.py", CHARGE.replace("retries=3", "retries=1"))
    repo.commit("step 1")
    repo.write("src/payments/charge.py", CHARGE.replace("retries=3", "retries=0"))
    two_steps = repo.commit("step 2")
    git(repo.root, "checkout", "-q", "-b", "other", base)
    repo.write("src/payments/charge.py", CHARGE.replace("retries=3", "retries=0"))
    one_step = repo.commit("at once, other message")
    assert two_steps != one_step
    assert range_of(repo, base, two_steps).digest == range_of(repo, base, one_step).digest


def test_different_content_has_a_different_digest(repo: Repo) -> None:
    base = git(repo.root, "rev-parse", "HEAD").strip()
    repo.write("src/payments/charge.py", CHARGE.replace("retries=3", "retries=0"))
    zero = repo.commit("zero")
    git(repo.root, "checkout", "-q", "-b", "one", base)
    repo.write("src/payments/charge.py", CHARGE.replace("retries=3", "retries=1"))
    one = repo.commit("one")
    git(repo.root, "checkout", "-q", "-b", "moved", base)
    repo.write("src/payments/charges.py", CHARGE.replace("retries=3", "retries=0"))
    repo.remove("src/payments/charge.py")
    moved = repo.commit("moved")
    digests = {range_of(repo, base, rev).digest for rev in (zero, one, moved)}
    assert len(digests) == 3
    # An empty range has the digest of no files, distinct from all of them.
    empty = range_of(repo, base, base)
    assert empty.diff.files == [] and empty.changed == {}
    assert empty.digest not in digests


def test_changed_lines_are_new_side_line_numbers(repo: Repo) -> None:
    base = git(repo.root, "rev-parse", "HEAD").strip()
    repo.write(
        "src/util/text.py",
        TEXT.replace("    return", "    text = text.strip()\n    return").replace("!", "?"),
    )
    repo.write("src/util/new.py", "A = 1\nB = 2\n")
    repo.remove("docs/guide.md")
    head = repo.commit("edit")
    ranged = range_of(repo, base, head)
    assert ranged.changed == {"src/util/text.py": [5, 6], "src/util/new.py": [1, 2]}


def test_codeowners_are_read_as_of_the_base(repo: Repo) -> None:
    repo.write(".github/CODEOWNERS", "src/payments/** @acme/payments\n")
    base = repo.commit("owners")
    repo.write(".github/CODEOWNERS", "* @mallory\n")
    head = repo.commit("take over")
    assert range_of(repo, base, head).codeowners == "src/payments/** @acme/payments\n"


def test_patch_needs_a_directory(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a directory"):
        analyse_patch("", tmp_path / "missing", Options(), source="x")


# --- the fingerprint itself ------------------------------------------------------------------

contents = st.one_of(st.none(), st.binary(max_size=40))
paths = st.sampled_from(["a.py", "b/c.py", "d.txt", "e/f/g.go", "h.md", "z.py"])


@st.composite
def file_changes(draw: st.DrawFn) -> list[FileChange]:
    chosen = draw(st.lists(paths, min_size=0, max_size=6, unique=True))
    changes = []
    for path in chosen:
        old, new = draw(contents), draw(contents)
        if old is None and new is None:
            new = b""
        renamed = draw(st.one_of(st.none(), st.sampled_from(["old/x.py", "old/y.py"])))
        changes.append(FileChange(path=path, old=old, new=new, old_path=renamed))
    return changes


def fingerprint(changes: list[FileChange]) -> Fingerprint:
    watcher = Fingerprint()
    assert list(watcher.watch(changes)) == changes  # passes every change through, in order
    return watcher


@settings(max_examples=300, deadline=None)
@given(changes=file_changes(), data=st.data())
def test_digest_is_independent_of_file_order(
    changes: list[FileChange], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(changes))
    first, second = fingerprint(changes), fingerprint(shuffled)
    assert first.digest() == second.digest()
    assert first.changed == second.changed


@settings(max_examples=300, deadline=None)
@given(changes=file_changes(), extra=st.binary(min_size=1, max_size=8))
def test_digest_changes_with_any_file_content(changes: list[FileChange], extra: bytes) -> None:
    if not changes:
        return
    before = fingerprint(changes).digest()
    head = changes[0]
    altered = FileChange(
        path=head.path, old=head.old, new=(head.new or b"") + extra, old_path=head.old_path
    )
    assert fingerprint([altered, *changes[1:]]).digest() != before
    if head.old is not None:
        other_base = FileChange(
            path=head.path, old=head.old + extra, new=head.new, old_path=head.old_path
        )
        assert fingerprint([other_base, *changes[1:]]).digest() != before


def test_binary_and_removed_files_have_no_changed_lines() -> None:
    watcher = fingerprint(
        [
            FileChange("logo.png", b"\x89PNG", b"\x89PNG2", binary=True),
            FileChange("gone.py", b"x = 1\n", None),
            FileChange("kept.py", b"x = 1\n", b"x = 1\ny = 2\n"),
        ]
    )
    assert watcher.changed == {"kept.py": [2]}


def test_copied_tree_export_works(repo: Repo, tmp_path: Path) -> None:
    # Guards the helper the range-vs-patch tests rely on.
    tree = repo.checkout_copy("HEAD", tmp_path / "copy")
    assert (tree / "src/util/text.py").read_text() == TEXT
    shutil.rmtree(tree)
