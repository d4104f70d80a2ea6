"""Snapshots: the diff of two snapshots is exactly what was done; the patch applies with git."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tidegate.sandbox.snapshot import (
    build_patch,
    diff_snapshots,
    quote_path,
    snapshot,
)

NAMES = st.sampled_from(["a", "b", "c.py", "d.txt", "sp ace", "é", 'q"uote'])
PATHS = st.lists(NAMES, min_size=1, max_size=3).map("/".join)
TEXT = st.text(st.sampled_from("ab \n\r\t é"), max_size=40).map(str.encode)
CONTENT = st.one_of(TEXT, st.binary(max_size=40))


def _tree(draw: st.DrawFn) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for path in draw(st.lists(PATHS, max_size=8)):
        # A path cannot be both a file and a directory: skip prefixes of existing entries.
        if any(p.startswith(path + "/") or path.startswith(p + "/") for p in files):
            continue
        files[path] = draw(CONTENT)
    return files


@st.composite
def trees(draw: st.DrawFn) -> tuple[dict[str, bytes], dict[str, bytes], set[str]]:
    """A tree, the tree after random creates / modifies / deletes, and chmod +x paths."""
    before = _tree(draw)
    after = dict(before)
    for path in list(before):
        action = draw(st.sampled_from(["keep", "modify", "delete"]))
        if action == "modify":
            after[path] = draw(CONTENT)
        elif action == "delete":
            del after[path]
    for path, content in _tree(draw).items():
        if path not in after and not any(
            p.startswith(path + "/") or path.startswith(p + "/") for p in [*after, *before]
        ):
            after[path] = content
    executable = {p for p in after if p in before and draw(st.booleans())}
    return before, after, executable


def _write(root: Path, files: dict[str, bytes], executable: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    for path, content in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        target.chmod(0o755 if path in executable else 0o644)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees())
def test_diff_matches_operations_and_patch_applies(
    case: tuple[dict[str, bytes], dict[str, bytes], set[str]],
) -> None:
    before_files, after_files, executable = case
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        before_root, after_root = base / "before", base / "after"
        before_root.mkdir()
        _write(before_root, before_files)
        before = snapshot(before_root)
        shutil.copytree(before_root, after_root, symlinks=True)
        for path in before_files.keys() - after_files.keys():
            (after_root / path).unlink()
        _write(
            after_root,
            {p: c for p, c in after_files.items() if before_files.get(p) != c or p in executable},
            executable,
        )
        after = snapshot(after_root)
        changes = diff_snapshots(before, after)
        assert changes.created == sorted(after_files.keys() - before_files.keys())
        assert changes.deleted == sorted(before_files.keys() - after_files.keys())
        assert changes.modified == sorted(
            p
            for p in before_files.keys() & after_files.keys()
            if before_files[p] != after_files[p] or p in executable
        )
        patch = build_patch(before_root, before, after_root, after, changes)
        if patch.binary_files or not patch.text:
            assert bool(patch.text) == bool(changes)
            return  # a "Binary files differ" patch is a note, not applicable content
        # The patch applies to the before tree with git and gives the after tree exactly.
        subprocess.run(
            ["git", "apply", "--unsafe-paths", "-p1"],
            cwd=before_root,
            input=patch.text.encode(),
            check=True,
            capture_output=True,
        )
        # git apply leaves empty directories of deleted files; compare files only.
        assert snapshot_contents(before_root) == snapshot_contents(after_root)
        modes = {p: os.stat(before_root / p).st_mode & 0o111 != 0 for p in after_files}
        assert modes == {p: p in executable for p in after_files}


def snapshot_contents(root: Path) -> dict[str, bytes]:
    return {p: (root / p).read_bytes() for p in snapshot(root)}


def test_mtime_only_change_is_not_a_modification_but_same_size_content_is(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"aaaa")
    before = snapshot(tmp_path)
    os.utime(tmp_path / "f", ns=(1, 1))
    assert not diff_snapshots(before, snapshot(tmp_path))
    stamp = before["f"].mtime_ns
    (tmp_path / "f").write_bytes(b"bbbb")
    # A task can put the mtime back: the hash still sees the change.
    os.utime(tmp_path / "f", ns=(stamp, stamp))
    assert diff_snapshots(before, snapshot(tmp_path)).modified == ["f"]


def test_symlinks_are_recorded_not_followed(tmp_path: Path) -> None:
    work = tmp_path / "w"
    work.mkdir()
    (work / "target").write_text("x")
    (work / "link").symlink_to("/etc/passwd")
    (work / "dirlink").symlink_to("/usr")
    before = snapshot(work)
    assert set(before) == {"target", "link", "dirlink"}
    shutil.copytree(work, tmp_path / "b", symlinks=True)
    (work / "link").unlink()
    (work / "link").symlink_to("target")
    after = snapshot(work)
    changes = diff_snapshots(before, after)
    assert changes.modified == ["link"]
    patch = build_patch(tmp_path / "b", before, work, after, changes)
    assert "diff --git a/link b/link\n" in patch.text
    assert "-/etc/passwd\n\\ No newline at end of file\n+target\n" in patch.text


def test_exclude_skips_a_subtree(tmp_path: Path) -> None:
    (tmp_path / ".trace").mkdir()
    (tmp_path / ".trace" / "log").write_text("x")
    (tmp_path / "kept").write_text("y")
    assert set(snapshot(tmp_path, exclude=frozenset({".trace"}))) == {"kept"}


def test_patch_headers_and_missing_newline(tmp_path: Path) -> None:
    before_root, after_root = tmp_path / "a", tmp_path / "b"
    before_root.mkdir()
    after_root.mkdir()
    (before_root / "x.txt").write_text("one\ntwo")
    (after_root / "x.txt").write_text("one\nthree")
    (after_root / "new.bin").write_bytes(b"\0\1\2")
    before, after = snapshot(before_root), snapshot(after_root)
    patch = build_patch(before_root, before, after_root, after, diff_snapshots(before, after))
    assert "diff --git a/new.bin b/new.bin\nnew file mode 100644\n" in patch.text
    assert "Binary files /dev/null and b/new.bin differ\n" in patch.text
    assert "-two\n\\ No newline at end of file\n+three\n\\ No newline at end of file\n" in (
        patch.text
    )
    assert (patch.lines_added, patch.lines_deleted, patch.binary_files) == (1, 1, ["new.bin"])


@pytest.mark.parametrize(
    ("name", "quoted"),
    [("plain.txt", "plain.txt"), ("sp ace", "sp ace"), ('q"x', '"q\\"x"'), ("é", '"\\303\\251"')],
)
def test_quote_path_like_git(name: str, quoted: str) -> None:
    assert quote_path(name) == quoted
