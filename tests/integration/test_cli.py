"""The CLI end to end, in process: the demo flow, exact outputs, and every bad input."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tidegate import __version__
from tidegate.cli import run
from tidegate.ledger.merkle import hash_leaf, verify_inclusion
from tidegate.ledger.note import open_checkpoint, parse_vkey
from tidegate.ledger.proof import parse_inclusion_proof


@pytest.fixture(autouse=True)
def plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    for name in ("TIDEGATE_DIR", "TIDEGATE_LEDGER_URL", "TIDEGATE_KEY", "TIDEGATE_ACTOR"):
        monkeypatch.delenv(name, raising=False)


class Cli:
    """Runs `tidegate` in process in a project directory and captures its streams."""

    def __init__(
        self, cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.cwd = cwd
        self.capsys = capsys
        monkeypatch.chdir(cwd)

    def __call__(self, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
        self.capsys.readouterr()
        if stdin is not None:
            import io

            sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()))
        try:
            code = run(list(args))
        finally:
            sys.stdin = sys.__stdin__
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err


@pytest.fixture
def cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Cli]:
    return Cli(tmp_path, capsys, monkeypatch)


@pytest.fixture
def project(cli: Cli) -> Cli:
    code, _, err = cli("init", "--origin", "cli.example/log")
    assert code == 0, err
    return cli


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def size_of(cli: Cli) -> int:
    code, out, _ = cli("ledger", "log", "--format", "json")
    assert code == 0
    return len(out.splitlines())


def test_version_and_help(cli: Cli) -> None:
    assert cli("--version") == (0, f"tidegate {__version__}\n", "")
    for command in (
        [],
        ["init"],
        ["keys"],
        ["keys", "generate"],
        ["keys", "list"],
        ["keys", "export"],
        ["keys", "rotate"],
        ["ledger"],
        ["ledger", "append"],
        ["ledger", "log"],
        ["ledger", "show"],
        ["ledger", "checkpoint"],
        ["ledger", "prove"],
        ["ledger", "consistency"],
        ["ledger", "verify"],
        ["ledger", "purge"],
        ["ledger", "disclose"],
        ["witness"],
        ["witness", "init"],
        ["witness", "cosign"],
        ["witness", "key"],
    ):
        code, out, _ = cli(*command, "--help")
        assert code == 0
        assert "Usage: tidegate" in out


def test_demo_flow_init_append_checkpoint_prove_verify(project: Cli, tmp_path: Path) -> None:
    home = tmp_path / ".tidegate"
    key_files = list((home / "keys").iterdir())
    assert len(key_files) == 1
    assert stat.S_IMODE(key_files[0].stat().st_mode) == 0o600
    assert (home / "config.toml").is_file()
    assert (home / "trust.json").is_file()

    body = write(tmp_path / "body.json", '{"message": "deployed v1.2", "category": "release"}')
    code, out, _ = project("ledger", "append", "--body", body)
    assert (code, out) == (0, "0\n")
    code, out, _ = project("ledger", "append", "--body", "-", stdin='{"message": "rolled back"}')
    assert (code, out) == (0, "1\n")
    blob = write(tmp_path / "out.txt", "x" * 10000)
    code, out, _ = project(
        "ledger", "append", "--body", body, "--blob", f"stdout={blob}", "--actor", "ci-bot"
    )
    assert (code, out) == (0, "2\n")

    code, out, _ = project("ledger", "log")
    lines = out.splitlines()
    assert len(lines) == 3
    assert re.fullmatch(
        r"\s+2  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z  note\s+ci-bot  [0-9a-f]{16}  [0-9a-f]{16}",
        lines[2],
    )

    code, out, _ = project("ledger", "show", "2")
    shown = json.loads(out)
    assert shown["statement"]["predicate"]["actor"] == "ci-bot"
    assert shown["statement"]["predicate"]["blobs"][0]["size"] == 10000

    code, out, _ = project("ledger", "checkpoint", "--out", str(tmp_path / "cp"))
    assert (code, out) == (0, f"{tmp_path / 'cp'}\n")

    proof_path = tmp_path / "entry1.tlog-proof"
    code, out, _ = project("ledger", "prove", "1", "--out", str(proof_path))
    assert (code, out) == (0, f"{proof_path}\n{proof_path}.entry\n")
    code, vkey, _ = project("keys", "export", "--format", "vkey")
    proof = parse_inclusion_proof(proof_path.read_bytes())
    checkpoint = open_checkpoint(proof.checkpoint, [parse_vkey(vkey.strip())])
    entry = Path(f"{proof_path}.entry").read_bytes()
    verify_inclusion(hash_leaf(entry), 1, checkpoint.size, proof.hashes, checkpoint.root_hash)

    code, out, _ = project("ledger", "verify")
    assert code == 0
    assert out.startswith("ledger intact: 3 entries, root ")
    code, out, _ = project(
        "ledger", "verify", "--trusted-checkpoint", str(tmp_path / "cp"), "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["trusted_checkpoint_size"] == 3


def test_consistency_proof_from_a_kept_checkpoint(project: Cli, tmp_path: Path) -> None:
    body = write(tmp_path / "b.json", '{"message": "x"}')
    for _ in range(3):
        project("ledger", "append", "--body", body)
    project("ledger", "checkpoint", "--out", str(tmp_path / "old"))
    for _ in range(4):
        project("ledger", "append", "--body", body)
    code, _out, err = project(
        "ledger",
        "consistency",
        "--from-checkpoint",
        str(tmp_path / "old"),
        "--out",
        str(tmp_path / "c.proof"),
    )
    assert code == 0, err
    assert (
        (tmp_path / "c.proof")
        .read_bytes()
        .startswith(b"tidegate.dev/consistency-proof@v1\nold 3\n")
    )
    assert project("ledger", "consistency", "--out", "x")[0] == 2


def test_keys_export_list_and_rotate(project: Cli) -> None:
    code, out, _ = project("keys", "export")
    pem, vkey = out.split("-----END PUBLIC KEY-----\n")
    assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    verifier = parse_vkey(vkey.strip())
    assert verifier.name == "cli.example/log"
    code, _old_keyid, _ = project("keys", "generate", "--out", "spare.pem")
    assert code == 0 and stat.S_IMODE(Path("spare.pem").stat().st_mode) == 0o600
    code, listed, _ = project("keys", "list", "--format", "json")
    (only,) = json.loads(listed)["keys"]
    assert only["signing"] is True and only["valid_until"] is None

    body = write(Path("b.json"), '{"message": "before"}')
    project("ledger", "append", "--body", body)
    code, new_keyid, err = project("keys", "rotate", "--reason", "scheduled")
    assert code == 0, err
    project("ledger", "append", "--body", body)
    keys = {
        k["keyid"]: k for k in json.loads(project("keys", "list", "--format", "json")[1])["keys"]
    }
    assert keys[new_keyid.strip()]["signing"] is True
    assert len(keys) == 2
    retired = next(k for k in keys.values() if not k["signing"])
    assert retired["valid_until"] is not None
    code, out, _ = project("ledger", "verify", "--format", "json")
    report = json.loads(out)
    assert code == 0, report["failures"]
    assert sorted(report["keys_used"].values()) == [2, 2]
    code, out, _ = project("ledger", "show", "1")
    assert len(json.loads(out)["signatures"]) == 2


def error_line(err: str) -> str:
    assert "Traceback" not in err
    return err.splitlines()[0]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"message": ', "body {}: invalid JSON at line 1 column 13: Expecting value"),
        ("[1, 2]", "body {}: a note body must be a JSON object, not list"),
        (
            '{"text": "no message"}',
            "body {}: invalid note body: $: 'message' is a required property",
        ),
        ('{"message": 42}', "body {}: invalid note body: $.message: 42 is not of type 'string'"),
    ],
)
def test_bad_bodies_are_refused_and_nothing_is_written(
    project: Cli, tmp_path: Path, body: str, message: str
) -> None:
    path = write(tmp_path / "bad.json", body)
    code, out, err = project("ledger", "append", "--body", path)
    assert (code, out) == (2, "")
    assert error_line(err) == "error: " + message.format(path)
    assert size_of(project) == 0


def test_invalid_utf8_body(project: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b'{"message": "\xff"}')
    code, _, err = project("ledger", "append", "--body", str(path))
    assert code == 2
    assert error_line(err) == f"error: body {path}: not UTF-8 (byte 13)"


def test_unknown_and_reserved_kinds(project: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "b.json", '{"message": "x"}')
    code, _, err = project("ledger", "append", "--kind", "gate.verdict", "--body", path)
    assert code == 2
    assert (
        error_line(err) == "error: unknown entry kind 'gate.verdict'; `ledger append` takes: note"
    )
    code, _, err = project("ledger", "append", "--kind", "key.rotated", "--body", path)
    assert code == 2
    assert "written by its own command" in error_line(err)
    assert size_of(project) == 0


def test_missing_key_file(project: Cli, tmp_path: Path) -> None:
    key = next((tmp_path / ".tidegate" / "keys").iterdir())
    key.unlink()
    body = write(tmp_path / "b.json", '{"message": "x"}')
    code, _, err = project("ledger", "append", "--body", body)
    assert code == 1
    assert error_line(err) == f"error: signing key {key} does not exist"
    assert size_of(project) == 0


def test_key_file_with_loose_permissions(project: Cli, tmp_path: Path) -> None:
    key = next((tmp_path / ".tidegate" / "keys").iterdir())
    key.chmod(0o644)
    body = write(tmp_path / "b.json", '{"message": "x"}')
    code, _, err = project("ledger", "append", "--body", body)
    assert code == 1
    assert (
        error_line(err)
        == f"error: signing key {key} has permissions -rw-r--r--: others can read it"
    )
    assert f"chmod 600 {key}" in err
    assert size_of(project) == 0


def test_key_file_that_is_not_a_key(project: Cli, tmp_path: Path) -> None:
    key = next((tmp_path / ".tidegate" / "keys").iterdir())
    key.write_text("not a key")
    code, _, err = project("ledger", "checkpoint")
    assert code == 1
    assert error_line(err) == f"error: signing key {key} is not an unencrypted PEM private key"


def test_corrupted_database_file(project: Cli, tmp_path: Path) -> None:
    database = tmp_path / ".tidegate" / "ledger.db"
    database.write_bytes(b"this is not a database" * 200)
    for args in (["ledger", "log"], ["ledger", "verify"], ["ledger", "append", "--body", "-"]):
        code, out, err = project(*args, stdin='{"message": "x"}')
        assert code == 1, args
        assert out == ""
        assert error_line(err).startswith(f"error: ledger database sqlite:///{database}: ")
        assert error_line(err).endswith("file is not a database")


def test_not_a_tidegate_ledger(project: Cli, tmp_path: Path) -> None:
    database = tmp_path / ".tidegate" / "ledger.db"
    database.unlink()
    import sqlite3

    sqlite3.connect(database).close()
    code, _, err = project("ledger", "log")
    assert code == 1
    assert error_line(err) == f"error: sqlite:///{database} holds no tidegate ledger"


def test_init_refuses_to_overwrite(project: Cli, tmp_path: Path) -> None:
    code, _, err = project("init")
    assert code == 1
    assert (
        error_line(err)
        == f"error: {tmp_path / '.tidegate'} already exists; refusing to overwrite it"
    )


def test_no_tidegate_home(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("ledger", "log")
    assert code == 1
    assert (
        error_line(err) == f"error: no .tidegate/config.toml in {tmp_path} or any parent directory"
    )


def test_usage_errors_exit_2(project: Cli) -> None:
    assert project("ledger", "show", "-1")[0] == 2
    assert project("ledger", "verify", "--format", "yaml")[0] == 2
    assert project("ledger", "nope")[0] == 2
    code, _, err = project("ledger", "append", "--body", "/nonexistent/body.json")
    assert code == 2
    assert error_line(err) == "error: body /nonexistent/body.json: No such file or directory"


def test_show_missing_entry(project: Cli) -> None:
    code, _, err = project("ledger", "show", "7")
    assert code == 1
    assert error_line(err) == "error: entry 7 does not exist (the ledger has 0 entries)"


def test_empty_ledger_verifies(project: Cli) -> None:
    code, out, _ = project("ledger", "verify")
    assert code == 0
    assert "the ledger has no checkpoint yet" in out


def test_console_script_runs_as_a_process(project: Cli, tmp_path: Path) -> None:
    executable = Path(sys.executable).with_name("tidegate")
    result = subprocess.run(
        [str(executable), "ledger", "verify", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True
    bad = subprocess.run(
        [str(executable), "ledger", "verify", "--trusted-checkpoint", "/nonexistent"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr


def test_verify_shows_progress_on_a_terminal(
    project: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import tidegate.cli._ledger as ledger_cli

    monkeypatch.setattr(ledger_cli, "is_interactive", lambda: True)
    body = write(tmp_path / "b.json", '{"message": "x"}')
    for _ in range(3):
        project("ledger", "append", "--body", body)
    code, out, err = project("ledger", "verify")
    assert code == 0
    assert out.startswith("ledger intact: 3 entries")
    assert "verifying" in err
    assert "3/3" in err


def test_rotation_keeps_the_rest_of_the_config(project: Cli, tmp_path: Path) -> None:
    config = tmp_path / ".tidegate" / "config.toml"
    config.write_text(config.read_text() + "\n[retention]\ndefault_days = 30  # keep a month\n")
    code, new_keyid, _ = project("keys", "rotate")
    assert code == 0
    text = config.read_text()
    assert "default_days = 30  # keep a month" in text
    assert f'key = "keys/{new_keyid.strip()}.pem"' in text
