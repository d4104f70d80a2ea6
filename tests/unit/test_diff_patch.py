"""Unified diffs: parse_patch, apply_hunks and changes_from_patch, and what they refuse.

Patches come from real `git diff` runs in throwaway repositories where the format matters
(renames, "\\ No newline at end of file", CRLF, binary files) and are written by hand where the
point is a broken patch.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tidegate.diff import PatchError, diff_patch, diff_patch_in_directory
from tidegate.diff.patch import apply_hunks, changes_from_patch, parse_patch, safe_path
from tidegate.diff.sources import directory_reader
from tidegate.errors import UsageError
from tidegate.schemas import schema_errors

GIT = (
    "git",
    "-c",
    "user.name=Test",
    "-c",
    "user.email=test@example.com",
    "-c",
    "core.autocrlf=false",
)


def git(repo: Path, *args: str) -> bytes:
    completed = subprocess.run(
        [*GIT, "-C", str(repo), *args], capture_output=True, check=True, env=_env()
    )
    return completed.stdout


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", HOME="/nonexistent", LC_ALL="C")
    return env


def write_tree(root: Path, files: dict[str, bytes | None]) -> None:
    for name, content in files.items():
        path = root / name
        if content is None:
            if path.exists():
                path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def make_patch(
    tmp: Path, old: dict[str, bytes], new: dict[str, bytes | None], *args: str
) -> tuple[str, Path]:
    """Commit ``old`` in a fresh repository, apply ``new`` (None deletes), return `git diff`
    of the staged change and a directory holding the old tree."""
    repo = tmp / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    write_tree(repo, old)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "old")
    tree = tmp / "tree"
    tree.mkdir()
    write_tree(tree, old)
    for name, content in new.items():
        if name in old and content is None:
            git(repo, "rm", "-q", name)
    write_tree(repo, new)
    git(repo, "add", "-A")
    text = git(repo, "diff", "--cached", "--no-color", "-M", *args).decode()
    return text, tree


def lines(count: int, fmt: str = "line {}\n") -> bytes:
    return "".join(fmt.format(i) for i in range(1, count + 1)).encode()


SIMPLE = """--- a/f.txt
+++ b/f.txt
@@ -5,3 +5,3 @@
 line 5
-line 6
+LINE SIX
 line 7
"""


# --------------------------------------------------------------------------------------------
# applying hunks
# --------------------------------------------------------------------------------------------


def test_a_git_patch_applies_byte_exactly(tmp_path: Path) -> None:
    old = lines(40)
    new = (
        old.replace(b"line 3\n", b"line three\nline 3b\n")
        .replace(b"line 20\n", b"")
        .replace(b"line 38\n", b"line 38\n\tindented\n")
    )
    text, tree = make_patch(tmp_path, {"f.txt": old}, {"f.txt": new})
    assert text.count("\n@@ ") == 3  # three separate hunks
    (item,) = parse_patch(text)
    assert (item.path, item.old_path, item.added, item.removed, item.binary) == (
        "f.txt",
        "f.txt",
        False,
        False,
        False,
    )
    assert (item.lines_added, item.lines_removed) == (3, 2)
    assert apply_hunks(old, item.hunks, item.path) == new
    (change,) = changes_from_patch(parse_patch(text), directory_reader(tree))
    assert (change.path, change.old, change.new, change.old_path) == ("f.txt", old, new, None)
    assert (change.lines_added, change.lines_removed) == (3, 2)


@pytest.mark.parametrize("shift", [-3, -1, 2, 7])
def test_a_hunk_moved_by_a_few_lines_applies_at_its_offset(shift: int) -> None:
    old = lines(30)
    (item,) = parse_patch(SIMPLE.replace("@@ -5,3 +5,3 @@", f"@@ -{5 + shift},3 +{5 + shift},3 @@"))
    assert apply_hunks(old, item.hunks, "f.txt") == old.replace(b"line 6\n", b"LINE SIX\n")


def test_the_offset_of_one_hunk_carries_to_the_next(tmp_path: Path) -> None:
    old = lines(40)
    new = old.replace(b"line 5\n", b"line five\n").replace(b"line 30\n", b"line thirty\n")
    text, _ = make_patch(tmp_path, {"f.txt": old}, {"f.txt": new})
    drifted = b"extra 1\nextra 2\nextra 3\n" + old  # the tree gained lines at the top
    (item,) = parse_patch(text)
    assert apply_hunks(drifted, item.hunks, "f.txt") == b"extra 1\nextra 2\nextra 3\n" + new


def test_a_hunk_that_does_not_match_names_the_file_hunk_and_line() -> None:
    patch = SIMPLE + "@@ -15,3 +15,3 @@\n line 15\n-line 16\n+LINE 16\n line 17\n"
    (item,) = parse_patch(patch)
    old = lines(30).replace(b"line 15\n", b"line fifteen\n")
    with pytest.raises(PatchError) as caught:
        apply_hunks(old, item.hunks, "f.txt")
    message = str(caught.value)
    assert message.startswith("hunk 2 of f.txt does not apply at line 15:")
    assert "expected 'line 15', found 'line fifteen'" in message
    assert caught.value.hint is not None and "regenerate" in caught.value.hint
    assert isinstance(caught.value, UsageError)  # the CLI maps it to exit 2


def test_a_mismatch_inside_a_hunk_shows_the_line_that_differs() -> None:
    (item,) = parse_patch(SIMPLE.replace("-line 6", "-line 66"))
    with pytest.raises(PatchError) as caught:
        apply_hunks(lines(30), item.hunks, "f.txt")
    message = str(caught.value)
    assert "hunk 1 of f.txt" in message
    assert "expected 'line 66', found 'line 6'" in message


def test_hunks_never_apply_out_of_order_or_fuzzily() -> None:
    overlapping = (
        "--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n-line 1\n+one\n line 2\n"
        "@@ -1,2 +1,2 @@\n-line 1\n+uno\n line 2\n"
    )
    with pytest.raises(PatchError, match=r"^hunk 2 of f\.txt does not apply"):
        apply_hunks(lines(5), parse_patch(overlapping)[0].hunks, "f.txt")
    whitespace = SIMPLE.replace(" line 7\n", " line  7\n")
    with pytest.raises(PatchError, match=r"^hunk 1 of f\.txt"):
        apply_hunks(lines(30), parse_patch(whitespace)[0].hunks, "f.txt")


# --------------------------------------------------------------------------------------------
# malformed patches
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["@@ -5,x +5,3 @@", "@@ 5,3 5,3 @@", "@@ -5,3 @@", "@@ -5,3 +5,3", "@@@ -5 -5 +5 @@@"],
)
def test_a_malformed_hunk_header_names_the_patch_line(header: str) -> None:
    with pytest.raises(PatchError) as caught:
        parse_patch("\n" + SIMPLE.replace("@@ -5,3 +5,3 @@", header), "fix.diff")
    assert str(caught.value) == f"fix.diff line 4: malformed hunk header {header!r}"


def test_a_truncated_hunk_names_the_patch_line_and_what_is_missing() -> None:
    truncated = "".join(SIMPLE.splitlines(keepends=True)[:5])  # ends after "-line 6"
    with pytest.raises(PatchError) as caught:
        parse_patch(truncated)
    message = str(caught.value)
    assert message.startswith("patch line 3: the hunk for ")
    assert "f.txt is truncated (the patch ends with 1 old and 2 new lines missing)" in message


def test_a_hunk_longer_than_its_header_names_the_patch_line() -> None:
    longer = SIMPLE.replace("-line 6\n", "-line 6\n-line 7\n").replace(" line 7\n", " line 8\n")
    with pytest.raises(PatchError) as caught:
        parse_patch(longer)
    message = str(caught.value)
    assert message.startswith("patch line 8: the hunk for ")
    assert message.endswith("that starts at line 3 is longer than its header says")


def test_a_hunk_interrupted_by_other_text_names_the_patch_line() -> None:
    interrupted = SIMPLE.replace("+LINE SIX\n", "this is not a diff line\n+LINE SIX\n")
    with pytest.raises(PatchError) as caught:
        parse_patch(interrupted)
    assert str(caught.value).startswith("patch line 6: the hunk for ")
    assert "that starts at line 3 ends early" in str(caught.value)


def test_a_hunk_interrupted_by_other_text_counts_the_missing_lines() -> None:
    interrupted = SIMPLE.replace("+LINE SIX\n", "this is not a diff line\n+LINE SIX\n")
    with pytest.raises(PatchError, match=r"\(1 old and 2 new lines missing\)"):
        parse_patch(interrupted)


@pytest.mark.parametrize(
    "text",
    [
        "hello world\nthis is not a diff\n",
        "Subject: fix things\n\nI changed f.txt, please apply.\n",
        '{"a": 1}\n',
        "x",
    ],
)
def test_garbage_text_is_not_a_unified_diff(text: str) -> None:
    with pytest.raises(PatchError) as caught:
        parse_patch(text, "notes.txt")
    assert str(caught.value) == (
        "notes.txt: not a unified diff (no ---/+++ headers or hunks found)"
    )


def test_a_hunk_without_file_headers_names_the_patch_line() -> None:
    with pytest.raises(PatchError) as caught:
        parse_patch("@@ -1 +1 @@\n-x = 1\n+x = 2\n")
    assert "patch line 1" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("text", ["", "\n", "\n\n  \n"])
def test_an_empty_patch_is_an_empty_result(text: str) -> None:
    assert parse_patch(text) == []
    result = diff_patch(text, lambda path: pytest.fail(f"read {path}"))
    assert result.files == [] and result.changes == [] and result.patterns == []
    document = result.to_json()
    assert schema_errors(document, "semantic-diff") == []
    assert document["summary"]["changes"] == 0


# --------------------------------------------------------------------------------------------
# paths: traversal and symlinks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "shown"),
    [
        ("/etc/passwd", "/etc/passwd", "/etc/passwd"),
        ("a/../secret", "b/../secret", "../secret"),
        ("a/src/../../secret", "b/src/../../secret", "src/../../secret"),
        ("a/f.txt", "b/../../f.txt", "../../f.txt"),
        ("a/.", "b/.", "."),
    ],
)
def test_absolute_and_dotdot_paths_are_refused(old: str, new: str, shown: str) -> None:
    patch = SIMPLE.replace("a/f.txt", old).replace("b/f.txt", new)
    with pytest.raises(PatchError) as caught:
        parse_patch(patch)
    assert str(caught.value) == f"patch: unsafe file path {shown!r} (absolute or with ..)"


@pytest.mark.parametrize("target", ["../evil.py", "/tmp/evil.py"])
def test_a_rename_out_of_the_tree_is_refused(target: str) -> None:
    patch = (
        f"diff --git a/m.py b/{target}\nsimilarity index 100%\n"
        f"rename from m.py\nrename to {target}\n"
    )
    with pytest.raises(PatchError, match="unsafe file path"):
        parse_patch(patch)


def test_safe_path_normalizes_harmless_paths_and_refuses_nul() -> None:
    assert safe_path("./src//m.py", "p") == "src/m.py"
    with pytest.raises(PatchError, match="NUL byte"):
        safe_path("m\x00.py", "p")


def test_a_symlink_pointing_outside_the_directory_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_bytes(lines(30))
    (root / "f.txt").symlink_to(secret)
    (root / "sub" / "up").symlink_to(tmp_path)  # a directory link escaping the root
    read = directory_reader(root)
    with pytest.raises(PatchError) as caught:
        read("f.txt")
    assert str(caught.value) == f"f.txt: resolves outside {root} (a symlink?)"
    with pytest.raises(PatchError, match="resolves outside"):
        read("sub/up/secret.txt")
    with pytest.raises(PatchError, match="resolves outside"):
        diff_patch_in_directory(SIMPLE, root)
    with pytest.raises(PatchError, match="unsafe file path"):
        read("../secret.txt")


def test_a_symlink_inside_the_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_bytes(lines(30))
    (tmp_path / "f.txt").symlink_to("real.txt")
    (tmp_path / "dir").mkdir()
    read = directory_reader(tmp_path)
    assert read("f.txt") == lines(30)
    assert read("absent.txt") is None
    with pytest.raises(PatchError, match="not a regular file"):
        read("dir")
    (change,) = changes_from_patch(parse_patch(SIMPLE), read)
    assert change.new == lines(30).replace(b"line 6\n", b"LINE SIX\n")


def test_a_patch_to_a_file_missing_from_the_tree_has_a_hint(tmp_path: Path) -> None:
    with pytest.raises(PatchError) as caught:
        diff_patch_in_directory(SIMPLE, tmp_path)
    assert str(caught.value) == (
        "f.txt: the patch changes this file but it does not exist in the tree"
    )
    assert caught.value.hint == "pass --repo with the tree the patch was made against"
    assert "hint: pass --repo" in caught.value.diagnostics()


# --------------------------------------------------------------------------------------------
# added, removed, renamed and binary files
# --------------------------------------------------------------------------------------------

MODULE = b"def fetch(url, timeout=30):\n    return get(url, timeout=timeout)\n"
OTHER = b"def keep():\n    return 1\n"
NEW_MODULE = b"class Store:\n    def get(self, key):\n        return self.items[key]\n"


def test_added_and_deleted_files(tmp_path: Path) -> None:
    text, tree = make_patch(
        tmp_path, {"gone.py": MODULE, "keep.py": OTHER}, {"gone.py": None, "new.py": NEW_MODULE}
    )
    assert "new file mode" in text and "deleted file mode" in text
    files = {item.path: item for item in parse_patch(text)}
    assert files["new.py"].added and not files["new.py"].removed
    assert files["gone.py"].removed and not files["gone.py"].added
    changes = {c.path: c for c in changes_from_patch(list(files.values()), directory_reader(tree))}
    assert (changes["new.py"].old, changes["new.py"].new, changes["new.py"].status) == (
        None,
        NEW_MODULE,
        "added",
    )
    assert (changes["gone.py"].old, changes["gone.py"].new, changes["gone.py"].status) == (
        MODULE,
        None,
        "removed",
    )
    result = diff_patch_in_directory(text, tree)
    by_file = {item.path: item for item in result.files}
    assert by_file["new.py"].status == "added"
    assert sorted(c.kind for c in by_file["new.py"].changes) == [
        "class.added",
        "file.added",
        "function.added",
    ]
    assert by_file["gone.py"].status == "removed"
    assert [c.kind for c in by_file["gone.py"].changes] == ["file.removed", "function.removed"]
    assert schema_errors(result.to_json(), "semantic-diff") == []


def test_a_pure_rename_is_file_renamed_only(tmp_path: Path) -> None:
    text, tree = make_patch(tmp_path, {"old/m.py": MODULE}, {"old/m.py": None, "new/m.py": MODULE})
    assert "rename from old/m.py\nrename to new/m.py\n" in text
    assert "@@" not in text
    (item,) = parse_patch(text)
    assert (item.path, item.old_path, item.added, item.removed) == (
        "new/m.py",
        "old/m.py",
        False,
        False,
    )
    result = diff_patch_in_directory(text, tree)
    (file_diff,) = result.files
    assert (file_diff.path, file_diff.old_path, file_diff.status) == (
        "new/m.py",
        "old/m.py",
        "renamed",
    )
    assert [c.kind for c in file_diff.changes] == ["file.renamed"]
    assert file_diff.changes[0].details == {"before": "old/m.py", "after": "new/m.py"}


def test_a_rename_with_a_content_change_reports_both(tmp_path: Path) -> None:
    before = MODULE + b"\n\n" + OTHER + b"\n\n" + OTHER.replace(b"keep", b"also")
    after = before.replace(b"timeout=30", b"timeout=None")
    text, tree = make_patch(tmp_path, {"a.py": before}, {"a.py": None, "b.py": after})
    assert "rename from a.py\nrename to b.py\n" in text
    assert "--- a/a.py\n+++ b/b.py\n" in text
    result = diff_patch_in_directory(text, tree)
    (file_diff,) = result.files
    assert file_diff.status == "renamed"
    assert sorted(c.kind for c in file_diff.changes) == [
        "file.renamed",
        "function.param.default_changed",
    ]
    default = next(c for c in file_diff.changes if c.kind.startswith("function"))
    assert (default.file, default.symbol, default.new.start if default.new else None) == (
        "b.py",
        "fetch",
        1,
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"a\nb\nc", b"a\nb\nc\n"),  # gains a final newline
        (b"a\nb\nc\n", b"a\nb\nc"),  # loses it
        (b"a\nb\nc", b"a\nB\nc"),  # no newline on either side
        (b"x = 1", b"x = 2"),
        (b"a\r\nb\r\nc", b"a\r\nb\r\nc\r\n"),
        (b"", b"x\n"),
    ],
)
def test_no_newline_at_end_of_file_round_trips(tmp_path: Path, old: bytes, new: bytes) -> None:
    text, tree = make_patch(tmp_path, {"f.py": old}, {"f.py": new})
    assert "\\ No newline at end of file" in text or not old or old.endswith(b"\n")
    (change,) = changes_from_patch(parse_patch(text), directory_reader(tree))
    assert change.new == new


def test_crlf_files_patched_with_crlf_hunks_stay_crlf(tmp_path: Path) -> None:
    old = b"def f(a, b=1):\r\n    return a + b\r\n\r\n\r\ndef g():\r\n    return 2\r\n"
    new = old.replace(b"return 2", b"return 3").replace(b"b=1", b"b=5")
    text, tree = make_patch(tmp_path, {"m.py": old}, {"m.py": new})
    assert "-    return 2\r\n+    return 3\r\n" in text
    (change,) = changes_from_patch(parse_patch(text), directory_reader(tree))
    assert change.new == new
    assert b"\n" not in change.new.replace(b"\r\n", b"")
    kinds = sorted(c.kind for c in diff_patch_in_directory(text, tree).changes)
    assert kinds == ["function.param.default_changed", "return.value_changed"]


def test_a_patch_saved_with_crlf_line_ends_names_the_real_path() -> None:
    patch = "--- a/m.py\r\n+++ b/m.py\r\n@@ -1 +1 @@\r\n-x = 1\r\n+x = 2\r\n"
    try:
        paths = [item.path for item in parse_patch(patch)]
    except PatchError as exc:  # refusing it is fine, as long as the path is shown truthfully
        paths = [str(exc)]
    assert paths == ["m.py"] or "'m.py\\r'" in paths[0]


def test_a_binary_entry_is_file_binary(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    text, tree = make_patch(tmp_path, {"logo.png": png}, {"logo.png": png + b"\x01"})
    assert "Binary files a/logo.png and b/logo.png differ" in text
    (item,) = parse_patch(text)
    assert item.binary and item.hunks == ()
    result = diff_patch_in_directory(text, tree)
    (file_diff,) = result.files
    assert (file_diff.status, file_diff.analysed, file_diff.reason) == (
        "modified",
        False,
        "binary",
    )
    assert [c.kind for c in file_diff.changes] == ["file.binary"]


def test_a_binary_entry_without_git_headers_is_file_binary() -> None:
    patch = "Binary files a/logo.png and b/logo.png differ\n"
    result = diff_patch(patch, lambda path: b"\x89PNG\x00" if path == "logo.png" else None)
    assert [c.kind for c in result.changes] == ["file.binary"]


def test_an_added_binary_file_is_added_and_binary() -> None:
    patch = (
        "diff --git a/new.png b/new.png\nnew file mode 100644\nindex 0000000..1111111\n"
        "Binary files /dev/null and b/new.png differ\n"
    )
    result = diff_patch(patch, lambda path: None)
    (file_diff,) = result.files
    assert file_diff.status == "added"
    assert sorted(c.kind for c in file_diff.changes) == ["file.added", "file.binary"]


def test_a_deleted_binary_file_is_removed() -> None:
    patch = (
        "diff --git a/logo.png b/logo.png\ndeleted file mode 100644\nindex 1111111..0000000\n"
        "Binary files a/logo.png and /dev/null differ\n"
    )
    result = diff_patch(patch, lambda path: b"\x89PNG\x00" if path == "logo.png" else None)
    (file_diff,) = result.files
    assert file_diff.status == "removed"
    assert "file.removed" in {c.kind for c in file_diff.changes}


# --------------------------------------------------------------------------------------------
# zero-context patches (git diff -U0): a hunk at line 0 is not a new file
# --------------------------------------------------------------------------------------------


def test_zero_context_insert_at_the_top_is_a_modification(tmp_path: Path) -> None:
    old = b"x = 1\ny = 2\n"
    new = b"import os\n" + old
    text, tree = make_patch(tmp_path, {"m.py": old}, {"m.py": new}, "-U0")
    assert "@@ -0,0 +1 @@" in text and "new file mode" not in text
    (change,) = changes_from_patch(parse_patch(text), directory_reader(tree))
    assert (change.status, change.old, change.new) == ("modified", old, new)


def test_zero_context_delete_at_the_top_is_a_modification(tmp_path: Path) -> None:
    old = b"x = 1\ny = 2\nz = 3\n"
    text, tree = make_patch(tmp_path, {"m.py": old}, {"m.py": b"z = 3\n"}, "-U0")
    assert "@@ -1,2 +0,0 @@" in text and "deleted file mode" not in text
    result = diff_patch_in_directory(text, tree)
    (file_diff,) = result.files
    assert file_diff.status == "modified"
    assert "file.removed" not in {c.kind for c in file_diff.changes}


def test_zero_context_changes_in_the_middle_apply(tmp_path: Path) -> None:
    old = lines(20)
    new = old.replace(b"line 7\n", b"line seven\n").replace(b"line 12\n", b"")
    text, tree = make_patch(tmp_path, {"f.txt": old}, {"f.txt": new}, "-U0")
    (change,) = changes_from_patch(parse_patch(text), directory_reader(tree))
    assert change.new == new


def test_hunk_errors_name_the_repository_path() -> None:
    truncated = "".join(SIMPLE.splitlines(keepends=True)[:5])
    with pytest.raises(PatchError, match=r"the hunk for f\.txt is truncated"):
        parse_patch(truncated)


def test_a_quoted_non_ascii_path_is_unquoted(tmp_path: Path) -> None:
    text, tree = make_patch(tmp_path, {}, {"café menu.py": b"def f(a=1):\n    return a\n"})
    assert '"b/caf\\303\\251 menu.py"' in text
    (item,) = parse_patch(text)
    assert item.path == "café menu.py"
    result = diff_patch_in_directory(text, tree)
    assert sorted(result.kinds()) == ["file.added", "function.added"]


def test_a_copied_file_is_not_a_rename(tmp_path: Path) -> None:
    text, tree = make_patch(tmp_path, {"m.py": MODULE}, {"copy.py": MODULE}, "-C", "-C")
    assert "copy from m.py\ncopy to copy.py\n" in text
    result = diff_patch_in_directory(text, tree)
    (file_diff,) = result.files
    assert file_diff.status == "added"
    assert "file.renamed" not in {c.kind for c in file_diff.changes}


def test_an_overlapping_hunk_says_why_it_does_not_apply() -> None:
    overlapping = (
        "--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n-line 1\n+one\n line 2\n"
        "@@ -1,2 +1,2 @@\n-line 1\n+uno\n line 2\n"
    )
    with pytest.raises(PatchError) as caught:
        apply_hunks(lines(5), parse_patch(overlapping)[0].hunks, "f.txt")
    assert "(nothing)" not in str(caught.value)


def test_two_entries_for_one_file_are_not_two_files(tmp_path: Path) -> None:
    first = SIMPLE
    second = "--- a/f.txt\n+++ b/f.txt\n@@ -20,3 +20,3 @@\n line 20\n-line 21\n+LINE 21\n line 22\n"
    (tmp_path / "f.txt").write_bytes(lines(30))
    try:
        result = diff_patch_in_directory(first + second, tmp_path)
    except PatchError:
        return  # refusing a series is an honest answer
    assert [item.path for item in result.files] == ["f.txt"]
