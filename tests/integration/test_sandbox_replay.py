"""`replay_run` and `tidegate replay` end to end: a real git repository and SQLite ledger.

Most tests run through the unsandboxed test backend of test_sandbox_run; one goes through
the real BwrapBackend (skipped without bwrap unless TIDEGATE_REQUIRE_BWRAP=1).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import LedgerFixture
from tests.integration.conftest import git
from tests.integration.test_sandbox_run import (
    UnsandboxedTestBackend,
    blob,
    entries,
    make_spec,
)
from tidegate.errors import UsageError
from tidegate.ledger.verify import verify_ledger
from tidegate.sandbox.backend import Backend
from tidegate.sandbox.replay import replay_run
from tidegate.sandbox.run import run_task
from tidegate.sandbox.spec import TaskSpec

DETERMINISTIC = "printf 'def add(a, b):\\n    return a - b\\n' > src/app.py && ls && echo done"
RANDOM = ["python3", "-c", "import os; print(os.urandom(16).hex())"]


def unsandboxed(name: str, spec: TaskSpec) -> Backend:
    return UnsandboxedTestBackend()


def test_deterministic_task_replays_identical_and_links_both_runs(
    repo: Path, ledger: LedgerFixture
) -> None:
    spec = make_spec(repo, [["sh", "-c", DETERMINISTIC], ["sh", "-c", "echo warn >&2"]])
    original = run_task(spec, ledger.ledger, UnsandboxedTestBackend(), host_env={})
    assert original.status == "ok"
    # A later commit must not matter: the replay checks out the commit the run resolved.
    (repo / "README.md").write_text("changed later\n")
    git(repo, "commit", "-qam", "later")

    result = replay_run(ledger.ledger, original.run_id, unsandboxed, host_env={})
    assert result.identical, result.comparison.differences
    assert result.run.run_id != original.run_id

    recorded = entries(ledger)
    kinds = [kind for _, kind, _, _ in recorded]
    assert kinds.count("run.started") == 2 and kinds[-1] == "run.replayed"
    _, _, body, blobs = recorded[-1]
    assert body == {
        "run_id": result.run.run_id,
        "replay_of": original.run_id,
        "original_seq": original.finished_seq,
        "replay_seq": result.run.finished_seq,
        "backend": "unsandboxed-test",
        "status": "ok",
        "identical": True,
        "differences": [],
    }
    assert blobs == {}
    started = [b for _, k, b, _ in recorded if k == "run.started"]
    assert started[0]["spec_digest"] == started[1]["spec_digest"]
    assert started[1]["provenance"]["requested_commit"] == started[0]["provenance"]["commit"]
    assert verify_ledger(ledger.store, ledger.trust).ok
    document = result.document()
    assert document["identical"] is True and document["replay_of"] == original.run_id


def test_urandom_output_differs_with_randomness(repo: Path, ledger: LedgerFixture) -> None:
    spec = make_spec(repo, [RANDOM])
    original = run_task(spec, ledger.ledger, UnsandboxedTestBackend(), host_env={})
    result = replay_run(ledger.ledger, original.run_id, unsandboxed, host_env={})
    assert not result.identical
    [difference] = result.comparison.differences
    assert (difference.what, difference.step) == ("stdout", 0)
    assert difference.causes[0].cause == "randomness"
    recorded = entries(ledger)
    _, kind, body, blobs = recorded[-1]
    assert kind == "run.replayed" and body["identical"] is False
    assert body["differences"][0]["causes"][0]["cause"] == "randomness"
    assert "diff" not in body["differences"][0]  # no raw output in the body
    diff = blob(ledger, blobs["differences.diff"]).decode()
    assert "original/step-0/stdout" in diff and diff == result.diff


def test_secret_is_masked_in_differences(repo: Path, ledger: LedgerFixture) -> None:
    secret = "hunter2-Sup3r-s3cret-VALUE-9f8e7d"
    spec = make_spec(
        repo,
        [["sh", "-c", 'echo "$K"; python3 -c "import os; print(os.urandom(8).hex())"']],
        environment={"secrets": [{"name": "K", "from_env": "K"}]},
    )
    original = run_task(spec, ledger.ledger, UnsandboxedTestBackend(), host_env={"K": secret})
    result = replay_run(ledger.ledger, original.run_id, unsandboxed, host_env={"K": secret})
    assert not result.identical
    assert secret not in result.diff and "[MASKED:K]" in result.diff


def test_unknown_run_is_a_usage_error(ledger: LedgerFixture) -> None:
    with pytest.raises(UsageError, match="run-0123456789abcdef0123"):
        replay_run(ledger.ledger, "run-0123456789abcdef0123", unsandboxed, host_env={})
    assert ledger.store.size() == 0


def test_frozen_clock_and_seed_replay_identical_on_each_backend(
    repo: Path, ledger: LedgerFixture, backend: Backend
) -> None:
    """The shared suite's determinism claim, end to end through the ledger, per real backend."""
    program = (
        "import random; print(random.random(), random.randint(0, 10**9));"
        " print(sorted({'pear', 'apple', 'fig'})); print(list({'pear', 'apple', 'fig'}))"
    )
    spec = make_spec(
        repo,
        [["sh", "-c", "date +%s"], ["python3", "-c", program]],
        determinism={"clock": "frozen", "epoch": "2030-01-01T00:00:00Z", "seed": 1},
    )
    original = run_task(spec, ledger.ledger, backend, host_env={})
    assert original.status == "ok", original.error
    result = replay_run(ledger.ledger, original.run_id, lambda name, s: backend, host_env={})
    assert result.backend == backend.name
    assert result.identical, [d.summary + "\n" + d.diff for d in result.comparison.differences]
    recorded = entries(ledger)
    assert blob(ledger, recorded[1][3]["stdout"]) == b"1893456000\n"


def test_urandom_differs_with_randomness_on_each_backend(
    repo: Path, ledger: LedgerFixture, backend: Backend
) -> None:
    spec = make_spec(
        repo, [RANDOM], determinism={"clock": "frozen", "epoch": "2030-01-01T00:00:00Z", "seed": 1}
    )
    original = run_task(spec, ledger.ledger, backend, host_env={})
    assert original.status == "ok", original.error
    result = replay_run(ledger.ledger, original.run_id, lambda name, s: backend, host_env={})
    assert not result.identical
    [difference] = result.comparison.differences
    assert difference.causes[0].cause == "randomness"
    assert "seed" in difference.causes[0].explanation


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from tidegate.cli import run

    for name in ("TIDEGATE_DIR", "TIDEGATE_LEDGER_URL", "TIDEGATE_KEY", "TIDEGATE_ACTOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    home = tmp_path / "project"
    home.mkdir()
    monkeypatch.chdir(home)
    assert run(["init", "--origin", "replay.example/log"]) == 0
    # No sandbox in CLI tests: both `run` and `replay` get the unsandboxed test backend.
    monkeypatch.setattr("tidegate.cli._run.pick_backend", lambda *args: UnsandboxedTestBackend())
    monkeypatch.setattr("tidegate.cli._replay.pick_backend", lambda *args: UnsandboxedTestBackend())
    return home


def _cli_run(project: Path, repo: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    from tidegate.cli import run

    spec = {
        "id": "t",
        "repository": {"path": str(repo)},
        "steps": [{"name": "s", "run": argv}],
    }
    (project / "task.json").write_text(json.dumps(spec))
    capsys.readouterr()
    assert run(["run", "task.json"]) == 0
    return capsys.readouterr().out.strip()


def test_cli_exit_codes(project: Path, repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tidegate.cli import run

    steady = _cli_run(project, repo, ["sh", "-c", "echo steady"], capsys)
    assert run(["replay", steady, "--backend", "bwrap"]) == 0
    out, err = capsys.readouterr()
    assert out == "identical\n" and f"of {steady}" in err

    noisy = _cli_run(project, repo, RANDOM, capsys)
    assert run(["replay", noisy, "--backend", "bwrap"]) == 10
    out, _ = capsys.readouterr()
    assert "randomness" in out and "original/step-0/stdout" in out

    assert run(["replay", noisy, "--backend", "bwrap", "--format", "json"]) == 10
    document = json.loads(capsys.readouterr().out)
    assert document["replay_of"] == noisy and document["identical"] is False
    assert document["differences"][0]["causes"][0]["cause"] == "randomness"

    assert run(["replay", "run-0123456789abcdef0123"]) == 2
    assert "run-0123456789abcdef0123" in capsys.readouterr().err
    # the recorded backend is the test one, which the CLI cannot pick by itself
    assert run(["replay", steady]) == 2


def test_relative_secret_file_is_read_where_the_original_run_read_it(
    repo: Path, ledger: LedgerFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec_dir = tmp_path / "specs"
    spec_dir.mkdir()
    (spec_dir / "token.txt").write_text("file-secret-Value-0123456789\n")
    spec = make_spec(
        repo,
        [["sh", "-c", 'echo "token: $TOKEN"']],
        environment={"secrets": [{"name": "TOKEN", "from_file": "token.txt"}]},
    )
    original = run_task(
        spec, ledger.ledger, UnsandboxedTestBackend(), host_env={}, spec_dir=spec_dir
    )
    assert original.status == "ok", original.error
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no token.txt here: the recorded spec_dir must be used
    result = replay_run(ledger.ledger, original.run_id, unsandboxed, host_env={})
    assert result.run.status == "ok", result.run.error
    assert result.identical
    started = [body for _, kind, body, _ in entries(ledger) if kind == "run.started"]
    assert started[0]["spec_dir"] == str(spec_dir.resolve())
