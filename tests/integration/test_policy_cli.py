"""`tidegate policy test` and `tidegate policy eval` end to end, through `tidegate.cli.run`."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tidegate.cli import run
from tidegate.cli._app import app as root_app
from tidegate.cli._policy import app as policy_app
from tidegate.schemas import schema_errors

POLICIES = Path(__file__).resolve().parents[1] / "data" / "policies"
BASE_INPUT = POLICIES / "inputs" / "base.json"


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `tidegate policy` reachable even before cli/_app.py registers it."""
    if not any(group.name == "policy" for group in root_app.registered_groups):
        root_app.add_typer(policy_app, name="policy")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("TIDEGATE_OPA_URL", raising=False)


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
        assert "Traceback" not in captured.err
        return code, captured.out, captured.err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(capsys, monkeypatch)


def input_with(repository: str, tmp_path: Path) -> Path:
    document: dict[str, Any] = json.loads(BASE_INPUT.read_text())
    document["subject"]["repository"] = repository
    path = tmp_path / f"{repository}.json"
    path.write_text(json.dumps(document))
    return path


# --------------------------------------------------------------------------------------------
# policy test
# --------------------------------------------------------------------------------------------


def test_all_tests_pass_exit_zero(cli: Cli) -> None:
    code, out, err = cli("policy", "test", POLICIES / "conformance")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith(
        "PASS  tidegate.gate_test.test_small_change_is_allowed (conformance/gate_test.rego:7, "
    )
    assert "1 test: 1 passed, 0 failed, 0 errors" in lines
    assert any(line.startswith("  conformance/gate.rego: ") for line in lines)


def test_failures_exit_one_and_json_lists_each_test(cli: Cli) -> None:
    code, out, _ = cli("policy", "test", POLICIES / "testrunner", "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["summary"] == {"total": 6, "passed": 2, "failed": 3, "errors": 1, "ok": False}
    statuses = {t["rule"]: t["status"] for t in document["tests"]}
    assert statuses["test_divides_by_zero"] == "ERROR"
    assert statuses["test_is_undefined"] == "FAIL"
    assert document["coverage"]["files"][0]["file"] == "testrunner/gate.rego"


def test_no_coverage(cli: Cli) -> None:
    code, out, _ = cli("policy", "test", POLICIES / "conformance", "--no-coverage")
    assert code == 0
    assert "coverage" not in out


def test_the_default_directory_is_policies_of_the_current_directory(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(POLICIES / "conformance", tmp_path / "policies")
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli("policy", "test")
    assert code == 0
    assert "(policies/gate_test.rego:7, " in out


def test_a_missing_directory_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    code, out, err = cli("policy", "test", tmp_path / "nope")
    assert (code, out) == (2, "")
    assert err.startswith(f"error: policy directory {tmp_path / 'nope'} does not exist")


def test_a_broken_module_exits_one_naming_the_line(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "policies"
    root.mkdir()
    (root / "gate.rego").write_text("package tidegate.gate\n\nx := [1,\n\ny := 2\n")
    code, _, err = cli("policy", "test", root)
    assert code == 1
    assert err.startswith("error: policies/gate.rego:5:3: ")


# --------------------------------------------------------------------------------------------
# policy eval
# --------------------------------------------------------------------------------------------


def test_eval_prints_the_decision(cli: Cli) -> None:
    code, out, err = cli(
        "policy", "eval", "--input", BASE_INPUT, "--policy", POLICIES / "conformance"
    )
    assert (code, err) == (0, "")
    decision = json.loads(out)
    assert schema_errors(decision, "policy-decision") == []
    assert (decision["action"], decision["risk"]["score"]) == ("review", 558)


def test_eval_reads_stdin_and_prints_text(cli: Cli) -> None:
    code, out, _ = cli(
        "policy",
        "eval",
        "--input",
        "-",
        "--policy",
        POLICIES / "conformance",
        "--format",
        "text",
        stdin=BASE_INPUT.read_bytes(),
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[:3] == ["action: review", "rollout: manual 1%", "risk: 558 (high)"]
    assert (
        "  review medium   tests.weakened: 1 test change(s) weaken the tests"
        + (" [1 x reviewer, then allow]")
        in lines
    )


@pytest.mark.parametrize(
    ("repository", "cause"),
    [
        ("divide-by-zero", "failed closed: faulty/gate.rego:10:15: divide by zero"),
        ("no-rule-matches", "failed closed: data.tidegate.gate.decision is undefined"),
    ],
)
def test_eval_fails_closed_with_exit_one(
    cli: Cli, tmp_path: Path, repository: str, cause: str
) -> None:
    path = input_with(repository, tmp_path)
    code, out, err = cli("policy", "eval", "--input", path, "--policy", POLICIES / "faulty")
    assert code == 1
    decision = json.loads(out)
    assert decision["action"] == "deny"
    assert decision["reasons"][0]["rule"] == "engine.error"
    assert err.startswith(cause)


def test_eval_fails_closed_on_an_unloadable_bundle(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "policies"
    (root / "data").mkdir(parents=True)
    (root / "gate.rego").write_text("package tidegate.gate\n")
    (root / "data" / "risk.yaml").write_text("a: [1\n")
    code, out, err = cli("policy", "eval", "--input", BASE_INPUT, "--policy", root)
    assert code == 1
    assert json.loads(out)["action"] == "deny"
    assert err.startswith("failed closed: policies/data/risk.yaml:2:1: invalid YAML")


def test_eval_query_prints_the_raw_value(cli: Cli) -> None:
    args = ("policy", "eval", "--input", BASE_INPUT, "--policy", POLICIES / "conformance")
    code, out, _ = cli(*args, "--query", "data.tidegate.gate.risk.weights")
    assert code == 0
    assert json.loads(out) == {"blast_radius": 30, "coverage": 20, "semantic_risk": 30, "size": 20}
    code, out, err = cli(*args, "--query", "input.nothing")
    assert (code, out) == (1, "")
    assert err.strip() == "undefined: input.nothing"
    code, out, err = cli(*args, "--query", "1 +")
    assert (code, out) == (1, "")
    assert err.startswith("error: <query.rego>:")


def test_eval_bad_input_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    args = ("policy", "eval", "--policy", POLICIES / "conformance", "--input")
    code, _, err = cli(*args, bad)
    assert code == 2
    assert err.startswith(f"error: input {bad} is not JSON")
    code, _, err = cli(*args, tmp_path / "missing.json")
    assert code == 2
    code, _, err = cli(*args, "-", stdin=b"[1, 2]")
    assert (code, err.strip()) == (2, "error: input stdin must be a JSON object")


def test_eval_with_an_unreachable_opa_fails_closed(cli: Cli) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, out, err = cli(
        "policy",
        "eval",
        "--input",
        BASE_INPUT,
        "--policy",
        POLICIES / "conformance",
        "--opa-url",
        f"http://u:secret@127.0.0.1:{port}",
    )
    assert code == 1
    assert json.loads(out)["action"] == "deny"
    assert err.startswith(f"failed closed: OPA at http://***@127.0.0.1:{port}: cannot connect")
    assert "secret" not in out + err


def test_the_policy_command_module_imports_no_engine() -> None:
    # The CLI must start fast: engines, YAML and HTTP load only inside the commands.
    code = (
        "import sys, tidegate.cli._policy; "
        "print(sorted(m for m in ('regorus', 'opa_client', 'requests', 'yaml', 'tidegate.policy')"
        " if m in sys.modules))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"
