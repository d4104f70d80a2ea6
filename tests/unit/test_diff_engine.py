"""Patch-level passes of the differ: patterns, cross-file moves, honesty, rendering."""

from __future__ import annotations

from tidegate.diff import FileChange, Options, diff_files
from tidegate.diff.render import render_text
from tidegate.schemas import schema_errors

WORKER = """\
import time


def poll_{n}(queue):
    while queue.empty():
        time.sleep(1)
    return queue.get()
"""


def _change(path: str, old: str | None, new: str | None, **extra: object) -> FileChange:
    return FileChange(
        path=path,
        old=old.encode() if old is not None else None,
        new=new.encode() if new is not None else None,
        **extra,  # type: ignore[arg-type]
    )


def test_same_replacement_across_files_is_one_pattern() -> None:
    changes = []
    for n in range(4):
        before = WORKER.format(n=n)
        after = before.replace("time.sleep(1)", "asyncio.sleep(1)").replace(
            "import time", "import asyncio"
        )
        changes.append(_change(f"pkg/worker_{n % 3}_{n}.py", before, after))
    result = diff_files(changes)
    patterns = {(p.kind, p.key): p for p in result.patterns}
    pattern = patterns[("call.replaced", "time.sleep -> asyncio.sleep")]
    assert len(pattern.sites) == 4
    assert pattern.files == 4
    assert "at 4 sites in 4 files" in pattern.description
    # The individual changes stay in the list.
    assert sum(1 for c in result.changes if c.kind == "call.replaced") == 4


def test_two_sites_are_not_a_pattern() -> None:
    changes = [
        _change(f"w{n}.py", WORKER.format(n=n), WORKER.format(n=n).replace("sleep(1)", "sleep(2)"))
        for n in range(2)
    ]
    assert not [p for p in diff_files(changes).patterns if p.kind == "call.args_changed"]


def test_function_moved_between_files() -> None:
    body = "def checksum(data):\n    total = 0\n    for byte in data:\n        total = (total * 31 + byte) % 65521\n    return total\n"
    result = diff_files(
        [
            _change("a.py", "import os\n\n\n" + body, "import os\n"),
            _change("b.py", "X = 1\n", "X = 1\n\n\n" + body),
        ]
    )
    kinds = sorted(c.kind for c in result.changes)
    assert kinds == ["function.moved"]
    moved = result.changes[0]
    assert moved.file == "b.py"
    assert moved.details["before"] == "a.py:checksum"


def test_not_analysed_files_are_never_silent() -> None:
    result = diff_files(
        [
            _change("broken.py", "def f():\n    return 1\n", "def f(:\n    return 1\n"),
            _change("run.sh", "echo a\n", "echo b\n"),
            FileChange(path="logo.png", old=b"\x89PNG\x00\x01", new=b"\x89PNG\x00\x02"),
            _change("big.py", "x = 1\n", "x = 2\n" + "#" * 100),
        ],
        Options(max_file_bytes=50),
    )
    by_file = {f.path: f for f in result.files}
    assert [c.kind for c in by_file["broken.py"].changes] == ["parse.failed"]
    assert "line 1" in by_file["broken.py"].changes[0].description
    assert [c.kind for c in by_file["run.sh"].changes] == ["language.unsupported"]
    assert [c.kind for c in by_file["logo.png"].changes] == ["file.binary"]
    assert [c.kind for c in by_file["big.py"].changes] == ["file.too_large"]
    assert all(not f.analysed for f in result.files)
    assert "NOT ANALYSED: parse_failed" in render_text(result)


def test_invalid_utf8_is_a_parse_failure_naming_the_byte() -> None:
    result = diff_files([FileChange(path="m.py", old=b"x = 1\n", new=b"x = '\xff'\n")])
    (change,) = result.changes
    assert change.kind == "parse.failed"
    assert "UTF-8" in change.description and "byte 5" in change.description


def test_comment_only_and_whitespace_only() -> None:
    source = "def f(a, b=1):\n    # add\n    return a + b\n"
    docs = diff_files([_change("m.py", source, source.replace("# add", "# sum"))])
    assert [c.kind for c in docs.changes] == ["docs.only"]
    layout = diff_files([_change("m.py", source, source.replace("a, b=1", "a,  b = 1") + "\n")])
    assert [c.kind for c in layout.changes] == ["formatting.only"]


def test_text_output_orders_by_significance_with_lines() -> None:
    before = "def fetch(url, timeout=30):\n    return get(url)\n"
    after = "def fetch(url, timeout=None):\n    return get(url)\n\n\ndef extra():\n    pass\n"
    text = render_text(diff_files([_change("c.py", before, after)]))
    lines = text.splitlines()
    assert lines[0] == "c.py (python, modified)"
    assert "function.param.default_changed" in lines[1] and "L1" in lines[1]
    assert "from 30 to None" in lines[1]
    assert "function.added" in lines[2] and "L5-6" in lines[2]
    assert lines[-1] == "2 changes in 1 file; highest significance: high"


def test_json_document_validates() -> None:
    result = diff_files(
        [
            _change("c.py", "def f(a=1):\n    return a\n", "def f(a=2):\n    return a\n"),
            _change("new.py", None, "class A:\n    pass\n"),
            _change("gone.py", "def g():\n    pass\n", None),
            _change("p.json", '{"a": 1}', '{"a": 2, "b": [1]}'),
        ]
    )
    document = result.to_json()
    assert schema_errors(document, "semantic-diff") == []
    assert document["summary"]["max_significance"] == "high"
    assert document["summary"]["by_kind"]["function.param.default_changed"] == 1
