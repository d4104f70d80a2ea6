"""`tidegate gate` end to end on real git repositories, the default policies and a real ledger."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tidegate.cli import run
from tidegate.config import load_settings
from tidegate.home import open_ledger
from tidegate.ledger.kinds import GATE_APPROVAL, GATE_DECISION, GATE_WAIVER, POLICY_LOADED
from tidegate.ledger.log import AppendRequest
from tidegate.schemas import schema_errors

DEFAULT_POLICIES = Path(__file__).resolve().parents[2] / "policies"
AWS_KEY = "AKIAQ3EGRJ7KXWZPLM4T"

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

TEST_TEXT = """from util.text import shout


def test_shout():
    assert shout("a") == "A!"
    assert shout("") == "!"
"""


def git(repo: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


class Project:
    """A git repository with a tidegate home; runs `tidegate` in process inside it."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root = root
        self.capsys = capsys

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def commit(self, message: str) -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)
        return git(self.root, "rev-parse", "HEAD")

    def __call__(self, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
        self.capsys.readouterr()
        if stdin is not None:
            sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()))
        try:
            code = run(list(args))
        finally:
            sys.stdin = sys.__stdin__
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def check(self, *extra: str, actor: str = "agent:codex") -> tuple[int, dict]:
        code, out, err = self(
            "gate", "check", "--base", "HEAD~1", "--actor", actor, "--format", "json", *extra
        )
        assert out, err
        return code, json.loads(out)

    def entries(self, kind: str) -> list[dict]:
        ledger = open_ledger(load_settings(self.root / ".tidegate"), writable=False)
        try:
            from tidegate.gate.records import entries_of

            return [r.body for r in entries_of(ledger.store, kind)]
        finally:
            ledger.store.close()


@pytest.fixture
def project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Project:
    for name in (
        "TIDEGATE_DIR",
        "TIDEGATE_LEDGER_URL",
        "TIDEGATE_KEY",
        "TIDEGATE_ACTOR",
        "TIDEGATE_OPA_URL",
        "TIDEGATE_REPOSITORY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    root = tmp_path / "shop"
    root.mkdir()
    monkeypatch.chdir(root)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    proj = Project(root, capsys)
    proj.write(".gitignore", ".tidegate/\n")
    proj.write("src/payments/charge.py", CHARGE)
    proj.write("src/util/text.py", TEXT)
    proj.write("tests/test_text.py", TEST_TEXT)
    proj.write("docs/guide.md", "# Guide\n\nHow to charge.\n")
    shutil.copytree(DEFAULT_POLICIES, root / "policies")
    proj.commit("initial")
    code, _, err = proj("init")
    assert code == 0, err
    return proj


def test_docs_only_patch_proceeds(project: Project) -> None:
    project.write("docs/guide.md", "# Guide\n\nHow to charge a customer, step by step.\n")
    project.commit("docs")
    code, report = project.check()
    assert code == 0, report
    assert report["action"] in ("allow", "canary")
    assert report["risk"]["band"] == "low"
    rules = {r["rule"] for r in project.entries(GATE_DECISION)[0]["decision"]["reasons"]}
    assert rules == {"risk.band"}


def test_changed_default_in_critical_module_needs_review(project: Project) -> None:
    project.write("src/payments/charge.py", CHARGE.replace("retries=3", "retries=0"))
    project.commit("no retries")
    code, report = project.check()
    assert code == 10
    decision = report["record"]["decision"]
    assert decision["action"] == "review"
    assert [r["role"] for r in decision["required_approvals"]] == ["reviewer"]
    record = project.entries(GATE_DECISION)[-1]
    assert record["decision_id"] == report["decision_id"]
    risk = {c["feature"]: c for c in decision["risk"]["contributions"]}
    assert risk["blast_radius"]["value"] == 900  # src/payments/** in policies/data/paths.yaml
    code, out, err = project("gate", "why", report["decision_id"], "--format", "json")
    assert code == 0, err
    why = json.loads(out)
    assert schema_errors(why, "gate-why") == []
    removal = why["counterfactual"]
    assert removal["lowered_to"] in ("allow", "canary")
    assert [r["kind"] for r in removal["remove"]] == ["function.param.default_changed"]


def test_removed_assertions_need_review(project: Project) -> None:
    project.write("tests/test_text.py", TEST_TEXT.replace('    assert shout("") == "!"\n', ""))
    project.commit("drop an assertion")
    code, report = project.check()
    assert code == 10
    rules = {r["rule"] for r in report["record"]["decision"]["reasons"]}
    assert "tests.weakened" in rules


def test_added_aws_key_is_denied_and_never_stored(project: Project) -> None:
    project.write("src/util/cloud.py", f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n')
    project.commit("cloud access")
    code, report = project.check()
    assert code == 20
    assert report["action"] == "deny"
    secret = [r for r in report["record"]["decision"]["reasons"] if r["rule"] == "secret.added"]
    assert secret and secret[0]["evidence"][0]["file"] == "src/util/cloud.py"
    database = (project.root / ".tidegate" / "ledger.db").read_bytes()
    wal = project.root / ".tidegate" / "ledger.db-wal"
    stored = database + (wal.read_bytes() if wal.exists() else b"")
    assert AWS_KEY.encode() not in stored
    with sqlite3.connect(project.root / ".tidegate" / "ledger.db") as conn:
        blobs = b"".join(row[0] or b"" for row in conn.execute("SELECT content FROM blob"))
    assert AWS_KEY.encode() not in blobs and b"cloud.py" in blobs


def test_agent_editing_policies_needs_security_review(project: Project) -> None:
    path = project.root / "policies" / "data" / "risk.yaml"
    path.write_text(path.read_text().replace("deny\n", "allow\n", 1))
    project.commit("loosen the gate")
    code, report = project.check()
    assert code == 10
    decision = report["record"]["decision"]
    assert "agent.sensitive_files" in {r["rule"] for r in decision["reasons"]}
    assert "security" in {a["role"] for a in decision["required_approvals"]}
    # The policy that decided is the base's, not the patch's loosened one.
    loaded = project.entries(POLICY_LOADED)
    assert len(loaded) == 1


def test_approval_by_author_is_refused_and_by_reviewer_proceeds(project: Project) -> None:
    project.write("src/payments/charge.py", CHARGE.replace("retries=3", "retries=0"))
    project.commit("no retries")
    code, report = project.check()
    assert code == 10
    decision_id = report["decision_id"]

    code, _, err = project("gate", "approve", decision_id, "--actor", "agent:codex")
    assert code == 1
    assert "author" in err
    code, _, err = project("gate", "approve", decision_id, "--actor", "nobody")
    assert code == 1
    assert "patches.approve" in err
    assert project.entries(GATE_APPROVAL) == []

    code, _, err = project(
        "gate",
        "approve",
        decision_id,
        "--actor",
        "bob",
        "--comment",
        "retries are handled upstream",
    )
    assert code == 0, err
    code, report = project.check()
    assert code == 0, report
    assert report["action"] == "canary"
    assert report["record"]["decision"]["required_approvals"][0]["satisfied"] == 1

    # A changed patch needs new approvals.
    project.write("src/payments/charge.py", CHARGE.replace("retries=3", "retries=1"))
    git(project.root, "add", "-A")
    git(project.root, "commit", "-q", "--amend", "-m", "one retry")
    code, report = project.check()
    assert code == 10


def _append_waiver(project: Project, expires: str, waiver_id: str) -> None:
    ledger = open_ledger(load_settings(project.root / ".tidegate"), writable=True)
    try:
        ledger.append(
            AppendRequest(
                GATE_WAIVER,
                {
                    "waiver_id": waiver_id,
                    "rule": "tests.weakened",
                    "path": "tests/**",
                    "symbol": None,
                    "patch_digest": None,
                    "repository": None,
                    "expires": expires,
                    "reason": "legacy suite being rewritten",
                },
                actor="sec-sam",
            )
        )
    finally:
        ledger.store.close()


def test_waivers_apply_until_they_expire(project: Project) -> None:
    project.write("tests/test_text.py", TEST_TEXT.replace('    assert shout("") == "!"\n', ""))
    project.commit("drop an assertion")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    code, out, err = project(
        "gate",
        "waive",
        "tests.weakened",
        "--path",
        "tests/**",
        "--expires",
        tomorrow,
        "--actor",
        "sec-sam",
        "--reason",
        "legacy suite being rewritten",
    )
    assert code == 0, err
    active_id = out.strip()
    code, report = project.check()
    assert code == 0, report
    assert report["record"]["waivers"]["applied"] == [active_id]

    code, _, err = project(
        "gate",
        "waive",
        "tests.weakened",
        "--path",
        "tests/**",
        "--expires",
        tomorrow,
        "--actor",
        "bob",
        "--reason",
        "x",
    )
    assert code == 1 and "policies.approve" in err
    code, _, err = project(
        "gate",
        "waive",
        "tests.weakened",
        "--path",
        "tests/**",
        "--expires",
        "next week",
        "--actor",
        "sec-sam",
        "--reason",
        "x",
    )
    assert code == 2 and "next week" in err


def test_expired_or_malformed_waiver_no_longer_applies(project: Project) -> None:
    project.write("tests/test_text.py", TEST_TEXT.replace('    assert shout("") == "!"\n', ""))
    project.commit("drop an assertion")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    _append_waiver(project, yesterday, "wvr-" + "1" * 20)
    _append_waiver(project, "soon", "wvr-" + "2" * 20)
    code, report = project.check()
    assert code == 10
    waivers = report["record"]["waivers"]
    assert waivers["applied"] == []
    assert waivers["expired"] == ["wvr-" + "1" * 20, "wvr-" + "2" * 20]
    code, out, _ = project("gate", "check", "--base", "HEAD~1", "--actor", "agent:codex")
    assert code == 10
    assert "expired" in out


def test_broken_rego_fails_closed_with_file_and_line(project: Project, tmp_path: Path) -> None:
    broken = tmp_path / "broken-policies"
    shutil.copytree(DEFAULT_POLICIES, broken)
    (broken / "rules.rego").write_text(
        (broken / "rules.rego").read_text() + "\nbad if {\n  x ==\n}\n"
    )
    project.write("docs/guide.md", "# Guide\n\nChanged.\n")
    project.commit("docs")
    code, report = project.check("--policy", str(broken))
    assert code == 1
    decision = report["record"]["decision"]
    assert decision["action"] == "deny"
    assert [r["rule"] for r in decision["reasons"]] == ["engine.error"]
    assert "rules.rego:" in report["record"]["error"]
    assert project.entries(GATE_DECISION)[-1]["error"] == report["record"]["error"]


def test_every_decision_is_in_the_ledger_and_it_verifies(project: Project) -> None:
    ids = []
    for retries in ("0", "1", "2"):
        project.write("src/payments/charge.py", CHARGE.replace("retries=3", f"retries={retries}"))
        project.commit(f"retries {retries}")
        _, report = project.check()
        ids.append(report["decision_id"])
    recorded = project.entries(GATE_DECISION)
    assert [r["decision_id"] for r in recorded] == ids
    for record in recorded:
        assert schema_errors(record, "ledger/gate.decision") == []
    code, out, err = project("ledger", "verify")
    assert code == 0, err + out


@pytest.mark.parametrize("fmt", ["text", "markdown", "sarif", "github"])
def test_report_formats(project: Project, fmt: str) -> None:
    project.write("src/payments/charge.py", CHARGE.replace("retries=3", "retries=0"))
    project.commit("no retries")
    code, out, err = project(
        "gate", "check", "--base", "HEAD~1", "--actor", "agent:codex", "--format", fmt
    )
    assert code == 10, err
    assert "src/payments/charge.py" in out
    if fmt == "sarif":
        assert json.loads(out)["version"] == "2.1.0"


def test_policy_replay_lists_decisions_that_would_flip(project: Project, tmp_path: Path) -> None:
    project.write("src/payments/charge.py", CHARGE.replace("retries=3", "retries=0"))
    project.commit("no retries")
    code, report = project.check()
    assert code == 10
    stricter = tmp_path / "stricter"
    shutil.copytree(DEFAULT_POLICIES, stricter)
    risk = stricter / "data" / "risk.yaml"
    risk.write_text(risk.read_text().replace("min: 750", "min: 300"))
    code, out, err = project("policy", "replay", "--policy", str(stricter), "--format", "json")
    assert code == 10, err
    changed = json.loads(out)["changed"]
    assert [c["decision_id"] for c in changed] == [report["decision_id"]]
    assert changed[0]["recorded"] == "review" and changed[0]["now"] == "deny"
    code, out, err = project("policy", "replay", "--policy", str(DEFAULT_POLICIES))
    assert code == 0, err


def test_a_sandbox_run_informs_the_gate(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tidegate run` then `gate check --run`: the run's violations reach the policy."""
    if shutil.which("bwrap") is None:
        if os.environ.get("TIDEGATE_REQUIRE_BWRAP") == "1":
            pytest.fail("TIDEGATE_REQUIRE_BWRAP=1 but bwrap is not installed", pytrace=False)
        pytest.skip("bubblewrap is not installed")
    task = tmp_path / "task.json"
    task.write_text(
        json.dumps(
            {
                "id": "edit-docs",
                "repository": {"path": str(project.root), "commit": "HEAD"},
                "paths": ["docs/**"],
                "steps": [
                    {"name": "agent", "run": ["sh", "-c", "echo more >> src/util/text.py"]},
                    {"name": "tests", "run": ["sh", "-c", "echo '3 passed in 0.1s'"]},
                ],
                "determinism": {"clock": "frozen", "epoch": "2026-01-01T00:00:00Z", "seed": 1},
            }
        )
    )
    code, out, err = project("run", str(task))
    assert code == 0, err
    run_id = out.strip()
    assert "violation [paths]: src/util/text.py changed outside the task's paths" in err
    finished = [b for b in project.entries("run.finished") if b["run_id"] == run_id]
    assert finished[0]["tests"] == {"passed": 3, "failed": 0, "steps": ["tests"]}
    project.write("docs/guide.md", "# Guide\n\nHow to charge a customer, step by step.\n")
    project.commit("docs")
    plain_code, _ = project.check()
    assert plain_code == 0  # a docs-only change proceeds on its own
    code, report = project.check("--run", run_id)
    assert code == 10, report
    rules = [reason["rule"] for reason in report["record"]["decision"]["reasons"]]
    assert "run.violations" in rules
    recorded = project.entries("gate.decision")[-1]
    assert recorded["decision"]["action"] == "review"
