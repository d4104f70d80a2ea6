"""`tidegate diff` end to end on real git repositories: outputs, bad inputs, honest kinds.

Most runs are in process through `tidegate.cli.run` (the one place errors become exit codes);
a few run the installed console script to prove no traceback escapes a real process.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tidegate.cli import run
from tidegate.schemas import schema_errors

TIDEGATE = Path(sys.executable).with_name("tidegate")
SCHEMA = "semantic-diff"


@pytest.fixture(autouse=True)
def plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    for name in ("TIDEGATE_DIR", "TIDEGATE_LEDGER_URL", "TIDEGATE_KEY", "TIDEGATE_ACTOR"):
        monkeypatch.delenv(name, raising=False)


class Repo:
    """A throwaway git repository with helpers to commit whole file sets."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "core.autocrlf", "false")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str) -> str:
        completed = subprocess.run(
            [
                "git",
                "-c",
                "user.name=Test",
                "-c",
                "user.email=test@example.com",
                "-C",
                str(self.path),
                *args,
            ],
            capture_output=True,
            check=True,
        )
        return completed.stdout.decode("utf-8", "surrogateescape")

    def commit(self, files: dict[str, bytes | str | None], message: str = "change") -> str:
        """Write (or with None, delete) files, commit everything, return the commit id."""
        for name, content in files.items():
            target = self.path / name
            if content is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode() if isinstance(content, str) else content)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def move(self, old: str, new: str) -> None:
        (self.path / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", old, new)


class Cli:
    """Runs `tidegate` in process and captures its streams."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def __call__(self, *args: str | Path, stdin: bytes | None = None) -> tuple[int, str, str]:
        self.capsys.readouterr()
        if stdin is not None:
            self.monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = run([str(arg) for arg in args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def json(self, *args: str | Path, stdin: bytes | None = None) -> dict[str, Any]:
        code, out, err = self(*args, "--format", "json", stdin=stdin)
        assert code == 0, err
        assert "Traceback" not in err
        document: dict[str, Any] = json.loads(out)
        assert schema_errors(document, SCHEMA) == []
        return document


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(capsys, monkeypatch)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def error_line(err: str) -> str:
    assert "Traceback" not in err
    assert err.startswith("error: ")
    return err.splitlines()[0]


def kinds_by_file(document: dict[str, Any]) -> dict[str, list[str]]:
    return {
        item["path"]: sorted(change["kind"] for change in item["changes"])
        for item in document["files"]
    }


CLIENT = """\
import requests


def fetch(url, timeout=30):
    response = requests.get(url, timeout=timeout)
    return response.json()


def close():
    return None
"""


# --------------------------------------------------------------------------------------------
# a git range: text and JSON
# --------------------------------------------------------------------------------------------


def test_text_output_lists_each_change_with_kind_and_line(cli: Cli, repo: Repo) -> None:
    base = repo.commit({"client.py": CLIENT, "notes.txt": "v1\n"})
    head = repo.commit({"client.py": CLIENT.replace("timeout=30", "timeout=None")})
    code, out, err = cli("diff", "--base", base, "--head", head, "--repo", repo.path)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "client.py (python, modified, +1 -1)",
        "  high     function.param.default_changed  L4        "
        "default of `timeout` in `fetch()` changed from 30 to None [fetch]",
        "",
        "1 change in 1 file; highest significance: high",
    ]


def test_head_defaults_to_head_and_branches_work(cli: Cli, repo: Repo) -> None:
    repo.commit({"client.py": CLIENT})
    repo.git("branch", "before")
    repo.commit({"client.py": CLIENT.replace("return None", "return 1")})
    code, out, _ = cli("diff", "--base", "before", "--repo", repo.path)
    assert code == 0
    assert "return.value_changed  L10" in out
    assert "`close()` returns `1` instead of `None`" in out


def test_json_output_validates_and_names_the_range(cli: Cli, repo: Repo) -> None:
    base = repo.commit({"client.py": CLIENT})
    repo.commit({"client.py": CLIENT.replace("timeout=30", "timeout=None")})
    document = cli.json("diff", "--base", base, "--head", "HEAD", "--repo", repo.path)
    assert (document["base"], document["head"]) == (base, "HEAD")
    assert document["summary"]["by_kind"] == {"function.param.default_changed": 1}
    assert document["summary"]["max_significance"] == "high"
    (change,) = document["changes"]
    assert change == {
        "kind": "function.param.default_changed",
        "significance": "high",
        "file": "client.py",
        "symbol": "fetch",
        "old": {"start": 4, "end": 4},
        "new": {"start": 4, "end": 4},
        "description": "default of `timeout` in `fetch()` changed from 30 to None",
        "details": change["details"],
    }
    assert document["files"][0]["changes"] == [change]


# --------------------------------------------------------------------------------------------
# a patch: from a file and from stdin, same kinds as the git range
# --------------------------------------------------------------------------------------------


def test_patch_file_and_stdin_give_the_same_changes_as_the_git_range(
    cli: Cli, repo: Repo, tmp_path: Path
) -> None:
    base = repo.commit(
        {
            "client.py": CLIENT,
            "svc/jobs.py": "import time\n\n\ndef run(n):\n    for i in range(n):\n"
            "        time.sleep(1)\n    return n\n",
            "README.md": "# Client\n",
            "old.py": "def legacy():\n    return 1\n",
        }
    )
    repo.commit(
        {
            "client.py": CLIENT.replace("timeout=30", "timeout=None").replace(
                "return None", "raise RuntimeError('closed')"
            ),
            "svc/jobs.py": "import time\n\n\ndef run(n):\n    for i in range(n - 1):\n"
            "        time.sleep(1)\n    return n\n",
            "README.md": "# Client\n\nUsage.\n",
            "old.py": None,
            "added.py": "def fresh(x, y=2):\n    return x * y\n",
        }
    )
    patch = tmp_path / "change.diff"
    patch.write_bytes(repo.git("diff", base, "HEAD").encode("utf-8", "surrogateescape"))
    tree = tmp_path / "tree"  # the base commit checked out on its own
    repo.git("worktree", "add", "-q", "--detach", str(tree), base)

    from_git = cli.json("diff", "--base", base, "--repo", repo.path)
    from_file = cli.json("diff", "--patch", patch, "--repo", tree)
    from_stdin = cli.json("diff", "--patch", "-", "--repo", tree, stdin=patch.read_bytes())

    assert kinds_by_file(from_git) == {
        "README.md": ["docs.only"],
        "added.py": ["file.added", "function.added"],
        "client.py": ["exception.raise_added", "function.param.default_changed"],
        "old.py": ["file.removed", "function.removed"],
        "svc/jobs.py": ["loop.condition_changed"],
    }
    for document in (from_file, from_stdin):
        assert (document["base"], document["head"]) == (None, None)
        assert document["changes"] == from_git["changes"]
        assert document["patterns"] == from_git["patterns"]
        assert kinds_by_file(document) == kinds_by_file(from_git)
        assert document["summary"] == from_git["summary"]

    code, text_git, _ = cli("diff", "--base", base, "--repo", repo.path)
    code_patch, text_patch, _ = cli("diff", "--patch", patch, "--repo", tree)
    assert code == code_patch == 0
    assert text_patch == text_git


def test_an_empty_patch_is_an_empty_diff(cli: Cli, tmp_path: Path) -> None:
    patch = tmp_path / "empty.diff"
    patch.write_bytes(b"")
    document = cli.json("diff", "--patch", patch, "--repo", tmp_path)
    assert document["files"] == [] and document["changes"] == []
    code, out, _ = cli("diff", "--patch", patch, "--repo", tmp_path)
    assert code == 0
    assert out.strip() == "0 changes in 0 files; highest significance: none"


# --------------------------------------------------------------------------------------------
# bad inputs: exit 2, one `error:` line naming the problem, no traceback
# --------------------------------------------------------------------------------------------

GOOD_PATCH = """\
--- a/client.py
+++ b/client.py
@@ -4,3 +4,3 @@
 def fetch(url, timeout=30):
-    response = requests.get(url, timeout=timeout)
+    response = requests.get(url, timeout=timeout, verify=True)
     return response.json()
"""


@pytest.fixture
def checkout(repo: Repo) -> Repo:
    repo.commit({"client.py": CLIENT})
    return repo


def test_good_patch_sanity(cli: Cli, checkout: Repo, tmp_path: Path) -> None:
    patch = tmp_path / "good.diff"
    patch.write_text(GOOD_PATCH)
    document = cli.json("diff", "--patch", patch, "--repo", checkout.path)
    assert document["summary"]["by_kind"] == {"call.args_changed": 1}


@pytest.mark.parametrize(
    ("patch_text", "message"),
    [
        (
            GOOD_PATCH.replace("@@ -4,3 +4,3 @@", "@@ -4,three +4,3 @@"),
            "error: {patch} line 3: malformed hunk header '@@ -4,three +4,3 @@'",
        ),
        (
            "".join(GOOD_PATCH.splitlines(keepends=True)[:5]),
            "error: {patch} line 3: the hunk for client.py is truncated "
            "(the patch ends with 1 old and 2 new lines missing)",
        ),
        (
            GOOD_PATCH.replace("def fetch(url, timeout=30)", "def fetch(url, timeout=60)"),
            "error: hunk 1 of client.py does not apply at line 4: expected "
            "'def fetch(url, timeout=60):', found 'def fetch(url, timeout=30):'",
        ),
        (
            "Please apply my change to client.py, thanks!\n",
            "error: {patch}: not a unified diff (no ---/+++ headers or hunks found)",
        ),
        (
            GOOD_PATCH.replace("a/client.py", "a/../client.py").replace(
                "b/client.py", "b/../client.py"
            ),
            "error: {patch}: unsafe file path '../client.py' (absolute or with ..)",
        ),
        (
            GOOD_PATCH.replace("client.py", "missing.py"),
            "error: missing.py: the patch changes this file but it does not exist in the tree",
        ),
    ],
    ids=["malformed", "truncated", "does-not-apply", "not-a-diff", "traversal", "missing-file"],
)
def test_a_bad_patch_exits_2_with_one_error_line(
    cli: Cli, checkout: Repo, tmp_path: Path, patch_text: str, message: str
) -> None:
    patch = tmp_path / "bad.diff"
    patch.write_text(patch_text)
    code, out, err = cli("diff", "--patch", patch, "--repo", checkout.path)
    assert (code, out) == (2, "")
    assert error_line(err) == message.format(patch=patch)
    # from stdin the message names stdin
    code, _, err = cli("diff", "--patch", "-", "--repo", checkout.path, stdin=patch.read_bytes())
    assert code == 2
    assert error_line(err) == message.format(patch="stdin")


def test_a_missing_patch_file_exits_2(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nope.diff"
    code, out, err = cli("diff", "--patch", missing, "--repo", tmp_path)
    assert (code, out) == (2, "")
    assert error_line(err) == f"error: patch {missing}: No such file or directory"


def test_an_unknown_revision_exits_2(cli: Cli, checkout: Repo) -> None:
    for args in (["--base", "nope"], ["--base", "HEAD", "--head", "v9.9.9"]):
        code, out, err = cli("diff", *args, "--repo", checkout.path)
        assert (code, out) == (2, "")
        bad = args[-1]
        assert error_line(err) == f"error: unknown revision {bad!r} in {checkout.path}"
        assert "hint: fetch it first" in err


def test_a_revision_that_looks_like_an_option_is_refused(cli: Cli, checkout: Repo) -> None:
    code, _, err = cli("diff", "--base=--output=/tmp/x", "--repo", checkout.path)
    assert code == 2
    assert error_line(err) == "error: invalid revision '--output=/tmp/x'"


def test_repo_that_is_not_a_directory_exits_2(cli: Cli, tmp_path: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    for repo in (tmp_path / "absent", a_file):
        code, out, err = cli("diff", "--base", "HEAD", "--repo", repo)
        assert (code, out) == (2, "")
        assert error_line(err) == f"error: --repo {repo}: not a directory"


def test_repo_that_is_not_a_git_repository_says_so(cli: Cli, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    code, _, err = cli("diff", "--base", "HEAD", "--repo", plain)
    assert code == 2
    assert "not a git repository" in error_line(err)


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--head", "HEAD"],
        ["--base", "HEAD", "--patch", "x.diff"],
    ],
    ids=["neither", "head-only", "both"],
)
def test_exactly_one_of_base_and_patch(cli: Cli, checkout: Repo, args: list[str]) -> None:
    code, out, err = cli("diff", *args, "--repo", checkout.path)
    assert (code, out) == (2, "")
    assert error_line(err) == "error: give either --base REV [--head REV] or --patch FILE"


def test_head_without_base_with_a_patch_is_refused(cli: Cli, checkout: Repo) -> None:
    code, _, err = cli("diff", "--patch", "-", "--head", "HEAD", "--repo", checkout.path)
    assert code == 2
    assert error_line(err) == "error: --head needs --base"


# --------------------------------------------------------------------------------------------
# files that cannot be analysed, and changes that are not semantic: truthful kinds, exit 0
# --------------------------------------------------------------------------------------------


def diff_one(
    cli: Cli, repo: Repo, old: dict[str, bytes | str | None], new: dict[str, bytes | str | None]
) -> tuple[dict[str, Any], str]:
    base = repo.commit(old, "old")
    repo.commit(new, "new")
    document = cli.json("diff", "--base", base, "--repo", repo.path)
    code, text, err = cli("diff", "--base", base, "--repo", repo.path)
    assert (code, err) == (0, "")
    return document, text


def test_invalid_utf8_is_parse_failed(cli: Cli, repo: Repo) -> None:
    document, text = diff_one(
        cli,
        repo,
        {"m.py": "def f():\n    return 'a'\n"},
        {"m.py": b"def f():\n    return '\xff\xfe'\n"},
    )
    (item,) = document["files"]
    assert (item["analysed"], item["reason"]) == (False, "parse_failed")
    assert [c["kind"] for c in item["changes"]] == ["parse.failed"]
    assert item["changes"][0]["description"] == "new version: not valid UTF-8 (byte 21, line 2)"
    assert "m.py (python, modified, +1 -1, NOT ANALYSED: parse_failed)" in text


def test_a_50_mb_file_is_too_large(cli: Cli, repo: Repo) -> None:
    line = b"value = compute(1, 2, 3)  # padding to make the file large\n"
    big = line * (50 * 1024 * 1024 // len(line) + 1)
    assert len(big) > 50 * 1024 * 1024
    document, text = diff_one(cli, repo, {"big.py": "x = 1\n"}, {"big.py": big})
    (item,) = document["files"]
    assert (item["analysed"], item["reason"]) == (False, "too_large")
    (change,) = item["changes"]
    assert change["kind"] == "file.too_large"
    assert change["description"] == (
        f"{len(big)} bytes, over the 1048576-byte limit; content not analysed"
    )
    assert "NOT ANALYSED: too_large" in text
    assert document["summary"]["files_not_analysed"] == 1


def test_max_file_bytes_option_lowers_the_limit(cli: Cli, repo: Repo) -> None:
    base = repo.commit({"m.py": "x = 1\n"})
    repo.commit({"m.py": "x = 2\n" + "# pad\n" * 20})
    document = cli.json("diff", "--base", base, "--repo", repo.path, "--max-file-bytes", "50")
    assert document["summary"]["by_kind"] == {"file.too_large": 1}
    code, _, err = cli("diff", "--base", base, "--repo", repo.path, "--max-file-bytes", "0")
    assert code == 2
    assert "Traceback" not in err


def test_a_binary_file_is_file_binary(cli: Cli, repo: Repo) -> None:
    document, text = diff_one(
        cli,
        repo,
        {"logo.png": b"\x89PNG\r\n\x1a\n\x00\x01"},
        {"logo.png": b"\x89PNG\r\n\x1a\n\x00\x02"},
    )
    assert kinds_by_file(document) == {"logo.png": ["file.binary"]}
    assert document["files"][0]["reason"] == "binary"
    assert "logo.png (modified, NOT ANALYSED: binary)" in text


def test_a_deleted_file_is_file_removed(cli: Cli, repo: Repo) -> None:
    document, text = diff_one(cli, repo, {"client.py": CLIENT}, {"client.py": None})
    assert kinds_by_file(document) == {
        "client.py": ["file.removed", "function.removed", "function.removed"]
    }
    assert document["files"][0]["status"] == "removed"
    assert "function `fetch()` removed" in text


def test_a_deleted_binary_file_is_file_removed(cli: Cli, repo: Repo) -> None:
    document, _ = diff_one(cli, repo, {"logo.png": b"\x89PNG\x00\x01"}, {"logo.png": None})
    assert document["files"][0]["status"] == "removed"
    assert "file.removed" in kinds_by_file(document)["logo.png"]


def test_a_renamed_file_is_file_renamed(cli: Cli, repo: Repo) -> None:
    base = repo.commit({"pkg/client.py": CLIENT})
    repo.move("pkg/client.py", "lib/http_client.py")
    repo.commit({})
    document = cli.json("diff", "--base", base, "--repo", repo.path)
    (item,) = document["files"]
    assert (item["path"], item["old_path"], item["status"]) == (
        "lib/http_client.py",
        "pkg/client.py",
        "renamed",
    )
    assert [c["kind"] for c in item["changes"]] == ["file.renamed"]
    code, text, _ = cli("diff", "--base", base, "--repo", repo.path)
    assert code == 0
    assert text.startswith("pkg/client.py -> lib/http_client.py (renamed)\n")


def test_a_renamed_and_edited_file_reports_both(cli: Cli, repo: Repo) -> None:
    base = repo.commit({"pkg/client.py": CLIENT})
    repo.move("pkg/client.py", "lib/client.py")
    repo.commit({"lib/client.py": CLIENT.replace("timeout=30", "timeout=5")})
    document = cli.json("diff", "--base", base, "--repo", repo.path)
    assert kinds_by_file(document) == {
        "lib/client.py": ["file.renamed", "function.param.default_changed"]
    }


def test_a_real_change_in_a_crlf_file_keeps_its_kind(cli: Cli, repo: Repo) -> None:
    old = "def check(a, b=1):\r\n    if a > b:\r\n        return b\r\n    return 0\r\n"
    document, text = diff_one(
        cli, repo, {"crlf.py": old.encode()}, {"crlf.py": old.replace("a > b", "a >= b").encode()}
    )
    assert repo.git("show", "HEAD:crlf.py").count("\r\n") == 4  # git kept the CRLFs
    assert kinds_by_file(document) == {"crlf.py": ["condition.changed"]}
    assert "condition.changed  L2" in text


def test_lf_to_crlf_only_is_formatting(cli: Cli, repo: Repo) -> None:
    old = "def check(a, b=1):\n    return a > b\n"
    document, _ = diff_one(cli, repo, {"m.py": old}, {"m.py": old.replace("\n", "\r\n").encode()})
    assert kinds_by_file(document) == {"m.py": ["formatting.only"]}


def test_gaining_a_trailing_newline_is_formatting_only(cli: Cli, repo: Repo) -> None:
    document, text = diff_one(
        cli,
        repo,
        {"m.py": "def f(a):\n    return a + 1"},
        {"m.py": "def f(a):\n    return a + 1\n"},
    )
    assert kinds_by_file(document) == {"m.py": ["formatting.only"]}
    assert "none     formatting.only" in text


def test_reindenting_mixed_tabs_and_spaces_in_js_is_formatting_only(cli: Cli, repo: Repo) -> None:
    old = (
        "function total(items, tax = 0.2) {\n"
        "\tlet sum = 0;\n"
        "    for (const item of items) {\n"
        "\t    sum += item.price;\n"
        "    }\n"
        "\treturn sum * (1 + tax);\n"
        "}\n"
    )
    new = (
        "function total(items, tax = 0.2) {\n"
        "  let sum = 0;\n"
        "  for (const item of items) {\n"
        "    sum += item.price;\n"
        "  }\n"
        "  return sum * (1 + tax);\n"
        "}\n"
    )
    document, _ = diff_one(cli, repo, {"cart.js": old}, {"cart.js": new})
    assert kinds_by_file(document) == {"cart.js": ["formatting.only"]}
    assert document["files"][0]["language"] == "javascript"


def test_an_unsupported_language_is_language_unsupported(cli: Cli, repo: Repo) -> None:
    document, text = diff_one(
        cli,
        repo,
        {"deploy.sh": "#!/bin/sh\nrm -rf build\n"},
        {"deploy.sh": "#!/bin/sh\nrm -rf /\n"},
    )
    assert kinds_by_file(document) == {"deploy.sh": ["language.unsupported"]}
    assert document["files"][0]["reason"] == "unsupported"
    assert "NOT ANALYSED: unsupported" in text
    assert "no grammar for `.sh` files" in text


def test_a_syntax_error_is_parse_failed_and_not_analysed(cli: Cli, repo: Repo) -> None:
    document, text = diff_one(
        cli,
        repo,
        {"client.py": CLIENT},
        {"client.py": CLIENT.replace("def close():", "def close(:")},
    )
    assert kinds_by_file(document) == {"client.py": ["parse.failed"]}
    item = document["files"][0]
    assert (item["analysed"], item["reason"]) == (False, "parse_failed")
    assert "client.py (python, modified, +1 -1, NOT ANALYSED: parse_failed)" in text
    assert "high     parse.failed" in text
    assert text.rstrip().endswith("highest significance: high; 1 file not analysed")


def test_a_readme_change_is_docs_only(cli: Cli, repo: Repo) -> None:
    document, text = diff_one(
        cli,
        repo,
        {"README.md": "# Tool\n\nInstall it.\n"},
        {"README.md": "# Tool\n\nInstall it with pip.\n\n## Usage\n"},
    )
    assert kinds_by_file(document) == {"README.md": ["docs.only"]}
    assert document["summary"]["max_significance"] == "none"
    assert "README.md (text, modified, +3 -1)" in text


def test_an_added_go_mod_is_reported(repo: Repo) -> None:
    base = repo.commit({"main.go": "package main\n\nfunc main() {}\n"})
    repo.commit({"go.mod": "module example.com/m\n\ngo 1.22\n"})
    completed = subprocess.run(
        [str(TIDEGATE), "diff", "--base", base, "--repo", str(repo.path), "--format", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    assert "Traceback" not in completed.stderr
    assert completed.returncode == 0
    assert "file.added" in json.loads(completed.stdout)["summary"]["by_kind"]


def test_a_submodule_bump_does_not_fail_the_whole_diff(cli: Cli, repo: Repo) -> None:
    base = repo.commit({"client.py": CLIENT})
    repo.commit({"client.py": CLIENT.replace("timeout=30", "timeout=5")})
    # a submodule pointer: the commit it names lives in the submodule's own repository
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{'ab' * 20},vendor/lib")
    repo.git("commit", "-q", "-m", "bump the submodule")
    code, out, err = cli("diff", "--base", base, "--repo", repo.path, "--format", "json")
    assert code == 0, err
    paths = {item["path"] for item in json.loads(out)["files"]}
    assert paths == {"client.py", "vendor/lib"}


# --------------------------------------------------------------------------------------------
# patch-level passes: patterns and moves across files
# --------------------------------------------------------------------------------------------


def sleeper(name: str, seconds: int) -> str:
    return f"def {name}(job):\n    job.start()\n    time.sleep({seconds})\n    return job.done()\n"


def test_the_same_replacement_in_four_functions_of_three_files_is_one_pattern(
    cli: Cli, repo: Repo
) -> None:
    files = {
        "svc/a.py": "import time\n\n\n" + sleeper("wait_a", 1) + "\n\n" + sleeper("poll_a", 2),
        "svc/b.py": "import time\n\n\n" + sleeper("wait_b", 1),
        "svc/c.py": "import time\n\n\n" + sleeper("wait_c", 5),
    }
    base = repo.commit(files)
    repo.commit({k: v.replace("time.sleep(", "asyncio.sleep(") for k, v in files.items()})
    document = cli.json("diff", "--base", base, "--repo", repo.path)
    replaced = [c for c in document["changes"] if c["kind"] == "call.replaced"]
    assert len(replaced) == 4
    (pattern,) = [p for p in document["patterns"] if p["kind"] == "call.replaced"]
    assert pattern["key"] == "time.sleep -> asyncio.sleep"
    assert (pattern["count"], pattern["files"]) == (4, 3)
    assert pattern["sites"] == [
        {"file": "svc/a.py", "line": 6, "symbol": "wait_a"},
        {"file": "svc/a.py", "line": 12, "symbol": "poll_a"},
        {"file": "svc/b.py", "line": 6, "symbol": "wait_b"},
        {"file": "svc/c.py", "line": 6, "symbol": "wait_c"},
    ]
    assert pattern["description"] == (
        "call.replaced time.sleep -> asyncio.sleep at 4 sites in 3 files"
    )
    code, text, _ = cli("diff", "--base", base, "--repo", repo.path)
    assert code == 0
    assert "patterns:\n  call.replaced time.sleep -> asyncio.sleep at 4 sites in 3 files\n" in text


def test_a_function_moved_to_another_file_is_function_moved(cli: Cli, repo: Repo) -> None:
    helper = (
        "def normalize(rows, limit=100):\n"
        "    cleaned = [row.strip() for row in rows if row]\n"
        "    if len(cleaned) > limit:\n"
        "        raise ValueError('too many rows')\n"
        "    return sorted(cleaned)\n"
    )
    main = "def main(rows):\n    return normalize(rows)\n"
    util = "def unrelated():\n    return 0\n"
    base = repo.commit({"app/main.py": helper + "\n\n" + main, "app/util.py": util})
    repo.commit({"app/main.py": main, "app/util.py": util + "\n\n" + helper})
    document = cli.json("diff", "--base", base, "--repo", repo.path)
    kinds = [c["kind"] for c in document["changes"]]
    assert "function.removed" not in kinds and "function.added" not in kinds
    (moved,) = [c for c in document["changes"] if c["kind"] == "function.moved"]
    assert (moved["file"], moved["symbol"]) == ("app/util.py", "normalize")
    assert moved["old"] == {"start": 1, "end": 5}
    assert moved["new"] == {"start": 5, "end": 9}
    assert moved["description"] == "`normalize()` moved here from app/main.py"


# --------------------------------------------------------------------------------------------
# the real console script: no traceback escapes
# --------------------------------------------------------------------------------------------


def run_process(
    *args: str | Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(TIDEGATE), *(str(a) for a in args)],
        input=stdin,
        capture_output=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
        check=False,
    )


def test_console_script_diff_succeeds_as_a_process(repo: Repo) -> None:
    base = repo.commit({"client.py": CLIENT})
    repo.commit({"client.py": CLIENT.replace("timeout=30", "timeout=None")})
    completed = run_process("diff", "--base", base, "--repo", repo.path, "--format", "json")
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert schema_errors(document, SCHEMA) == []
    assert document["summary"]["by_kind"] == {"function.param.default_changed": 1}


def test_console_script_errors_are_one_line_without_traceback(repo: Repo) -> None:
    repo.commit({"client.py": CLIENT})
    bad = run_process("diff", "--base", "no-such-rev", "--repo", repo.path)
    truncated = run_process(
        "diff",
        "--patch",
        "-",
        "--repo",
        repo.path,
        stdin="".join(GOOD_PATCH.splitlines(keepends=True)[:5]).encode(),
    )
    unapplicable = run_process(
        "diff",
        "--patch",
        "-",
        "--repo",
        repo.path,
        stdin=GOOD_PATCH.replace("timeout=30", "timeout=31").encode(),
    )
    for completed, first in (
        (bad, f"error: unknown revision 'no-such-rev' in {repo.path}"),
        (truncated, "error: stdin line 3: the hunk for client.py is truncated"),
        (unapplicable, "error: hunk 1 of client.py does not apply at line 4"),
    ):
        stderr = completed.stderr.decode()
        assert completed.returncode == 2, stderr
        assert completed.stdout == b""
        assert "Traceback" not in stderr
        assert stderr.splitlines()[0].startswith(first), stderr
