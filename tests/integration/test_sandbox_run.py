"""`run_task` end to end on a real git repository and a real SQLite ledger.

The orchestration is tested through ``UnsandboxedTestBackend``, a backend defined here that runs
each command directly with subprocess in the workspace (no isolation at all: it exists only
so these tests do not depend on bubblewrap); one test runs through the real BwrapBackend.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LedgerFixture
from tidegate.errors import UsageError
from tidegate.ledger.entry import parse_entry
from tidegate.ledger.verify import verify_ledger
from tidegate.sandbox.backend import (
    CommandResult,
    CommandSpec,
    GuardStatus,
    GuardUnavailable,
)
from tidegate.sandbox.run import run_task
from tidegate.sandbox.spec import TaskSpec, parse_task

SECRET = "hunter2-Sup3r-s3cret-VALUE-9f8e7d"
TEST_PATH = "/usr/local/bin:/usr/bin:/bin"


class UnsandboxedTestBackend:
    """The tests' backend: runs the command directly (NO sandbox), with the contract env."""

    name = "unsandboxed-test"

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse
        self.ran: list[tuple[str, ...]] = []

    def guards(self, command: CommandSpec) -> list[GuardStatus]:
        if command.trace_file is not None:
            raise GuardUnavailable("guard 'trace' cannot be enforced: test backend", guard="trace")
        if self.refuse:
            raise GuardUnavailable(
                f"guard {self.refuse!r} cannot be enforced: test refusal", guard=self.refuse
            )
        return [GuardStatus("filesystem", False, "not sandboxed (test backend)")]

    def versions(self) -> dict[str, str]:
        return {"unsandboxed-test": "0"}

    def run(self, workspace: Path, command: CommandSpec) -> CommandResult:
        self.ran.append(command.argv)
        env = {"PATH": TEST_PATH, **command.env}
        started = time.monotonic()
        cap = command.limits.output_bytes
        try:
            done = subprocess.run(
                list(command.argv),
                cwd=workspace / command.cwd,
                env=env,
                capture_output=True,
                timeout=command.limits.wall_seconds,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            return CommandResult(
                "timeout", None, (time.monotonic() - started) * 1000, exc.stdout or b"", b""
            )
        return CommandResult(
            "ok" if done.returncode == 0 else "failed",
            done.returncode,
            (time.monotonic() - started) * 1000,
            done.stdout[:cap],
            done.stderr[:cap],
            stdout_truncated=len(done.stdout) > cap,
            stderr_truncated=len(done.stderr) > cap,
        )


def make_spec(repo: Path, steps: list[list[str]], **extra: Any) -> TaskSpec:
    document = {
        "id": "t",
        "repository": {"path": str(repo)},
        "steps": [{"name": f"step{i}", "run": argv} for i, argv in enumerate(steps)],
        **extra,
    }
    return parse_task(json.dumps(document).encode(), "spec.json", repo)


def entries(fixture: LedgerFixture) -> list[tuple[int, str, dict[str, Any], dict[str, str]]]:
    found = []
    for seq in range(fixture.store.size()):
        stored = fixture.store.entry(seq)
        assert stored is not None
        parsed = parse_entry(stored.envelope)
        found.append((seq, parsed.kind, parsed.body, {b.name: b.sha256 for b in parsed.blobs}))
    return found


def blob(fixture: LedgerFixture, digest: str) -> bytes:
    content = fixture.store.blobs([digest])[digest].content
    assert content is not None
    return content


EDIT = (
    "printf 'def add(a, b):\\n    return a - b\\n' > src/app.py && rm old.txt"
    " && mkdir -p new && printf 'fresh\\n' > new/file.txt && printf '\\0\\1' > data.bin"
    " && chmod -x run.sh && echo edited"
)


def test_ok_run_records_started_commands_finished_with_patch(
    repo: Path, ledger: LedgerFixture, tmp_path: Path
) -> None:
    backend = UnsandboxedTestBackend()
    spec = make_spec(repo, [["sh", "-c", EDIT], ["sh", "-c", "echo second >&2"]])
    result = run_task(spec, ledger.ledger, backend, host_env={})
    assert result.status == "ok"
    assert result.run_id.startswith("run-")
    assert len(result.run_id) == 24
    assert result.changes.created == ["data.bin", "new/file.txt"]
    assert result.changes.modified == ["run.sh", "src/app.py"]
    assert result.changes.deleted == ["old.txt"]

    recorded = entries(ledger)
    assert [kind for _, kind, _, _ in recorded] == [
        "run.started",
        "run.command",
        "run.command",
        "run.finished",
    ]
    started, first, second, finished = (body for _, _, body, _ in recorded)
    assert {b["run_id"] for b in (started, first, second, finished)} == {result.run_id}
    assert len(started["provenance"]["commit"]) == 40
    assert started["provenance"]["dirty"] is False
    assert started["backend"] == "unsandboxed-test"
    assert started["guards"] == [
        {"guard": "filesystem", "enforced": False, "how": "not sandboxed (test backend)"}
    ]
    assert "python" in started["provenance"]["tools"]
    assert first["argv"] == ["sh", "-c", EDIT]
    assert (first["exit_code"], first["status"]) == (0, "ok")
    assert blob(ledger, recorded[1][3]["stdout"]) == b"edited\n"
    assert blob(ledger, recorded[2][3]["stderr"]) == b"second\n"
    assert finished["status"] == "ok"
    assert finished["files"]["created"] == ["data.bin", "new/file.txt"]
    assert finished["patch"]["binary_files"] == ["data.bin"]
    assert finished["semantic_diff"]["status"] == "ok"
    assert finished["attempts"] == 1

    patch = blob(ledger, recorded[3][3]["patch.diff"])
    assert patch.decode() == result.patch
    assert "diff --git a/src/app.py b/src/app.py" in result.patch
    assert "-    return a + b\n+    return a - b\n" in result.patch
    assert "old mode 100755\nnew mode 100644" in result.patch
    assert "deleted file mode 100644" in result.patch
    semantic = json.loads(blob(ledger, recorded[3][3]["semantic-diff.json"]))
    assert any(f["path"] == "src/app.py" for f in semantic["files"])

    # The patch (text files) applies to the original tree with git and gives the result.
    check = tmp_path / "check"
    subprocess.run(["git", "clone", "-q", str(repo), str(check)], check=True)
    text_only = (
        result.patch.split("diff --git a/data.bin")[0]
        + "diff --git a/new/file.txt"
        + (result.patch.split("diff --git a/new/file.txt")[1])
    )
    subprocess.run(["git", "-C", str(check), "apply"], input=text_only.encode(), check=True)
    assert (check / "src/app.py").read_text() == "def add(a, b):\n    return a - b\n"
    assert not (check / "old.txt").exists()

    report = verify_ledger(ledger.store, ledger.trust)
    assert report.ok, report.failures


def test_first_failing_step_stops_the_run(repo: Path, ledger: LedgerFixture) -> None:
    backend = UnsandboxedTestBackend()
    spec = make_spec(repo, [["sh", "-c", "echo a > a.txt; exit 3"], ["touch", "never"]])
    result = run_task(spec, ledger.ledger, backend, host_env={})
    assert result.status == "failed"
    assert len(backend.ran) == 1
    kinds = [kind for _, kind, _, _ in entries(ledger)]
    assert kinds == ["run.started", "run.command", "run.finished"]
    finished = entries(ledger)[-1][2]
    assert (finished["failed_step"], finished["steps_run"]) == (0, 1)
    assert finished["files"]["created"] == ["a.txt"]
    assert entries(ledger)[1][2]["exit_code"] == 3


def test_secret_printed_by_the_task_never_reaches_the_database(
    repo: Path, ledger: LedgerFixture, tmp_path: Path
) -> None:
    import base64

    encoded = base64.b64encode(SECRET.encode()).decode()
    script = (
        'echo "token=$API_KEY"; echo "$API_KEY" >&2; printf "%s" "$API_KEY" > leaked.txt;'
        f" echo {encoded}; echo ghp_{'a' * 36}"
    )
    spec = make_spec(
        repo,
        [["sh", "-c", script, SECRET]],
        environment={"secrets": [{"name": "API_KEY", "from_env": "HOST_KEY"}], "set": {"X": "1"}},
        prompt=f"do not print {SECRET}",
    )
    result = run_task(spec, ledger.ledger, UnsandboxedTestBackend(), host_env={"HOST_KEY": SECRET})
    assert result.status == "ok"
    assert result.changes.created == ["leaked.txt"]
    recorded = entries(ledger)
    command = recorded[1][2]
    assert command["env"] == {"API_KEY": "[MASKED:API_KEY]", "X": "1"}
    assert command["argv"][-1] == "[MASKED:API_KEY]"
    stdout = blob(ledger, recorded[1][3]["stdout"])
    assert b"token=[MASKED:API_KEY]" in stdout
    assert b"[MASKED:github-token]" in stdout
    assert "[MASKED:API_KEY]" in result.patch
    assert recorded[0][2]["environment"]["secrets"] == ["API_KEY"]
    ledger.store.close()
    # Every byte the ledger holds: the SQLite file and its WAL, if any.
    for path in tmp_path.glob("ledger.db*"):
        data = path.read_bytes()
        assert SECRET.encode() not in data, path
        assert encoded[4:-4].encode() not in data, path
        assert b"ghp_" + b"a" * 36 not in data


def test_missing_contract_variable_is_named_and_nothing_runs(
    repo: Path, ledger: LedgerFixture
) -> None:
    backend = UnsandboxedTestBackend()
    spec = make_spec(
        repo,
        [["true"]],
        environment={"pass": ["NOPE_PASS"], "secrets": [{"name": "S", "from_file": "missing"}]},
    )
    with pytest.raises(UsageError, match="NOPE_PASS") as caught:
        run_task(spec, ledger.ledger, backend, host_env={}, spec_dir=repo)
    assert "secret file" in caught.value.message
    assert backend.ran == []
    assert ledger.store.size() == 0


def test_secret_from_file(repo: Path, ledger: LedgerFixture, tmp_path: Path) -> None:
    (tmp_path / "key.txt").write_text(SECRET + "\n")
    spec = make_spec(
        repo,
        [["sh", "-c", 'echo "[$K]"']],
        environment={"secrets": [{"name": "K", "from_file": "key.txt"}]},
    )
    run_task(spec, ledger.ledger, UnsandboxedTestBackend(), host_env={}, spec_dir=tmp_path)
    assert blob(ledger, entries(ledger)[1][3]["stdout"]) == b"[[MASKED:K]]\n"


def test_refused_guard_records_a_refused_run_and_runs_nothing(
    repo: Path, ledger: LedgerFixture
) -> None:
    backend = UnsandboxedTestBackend(refuse="network")
    result = run_task(make_spec(repo, [["touch", "x"]]), ledger.ledger, backend, host_env={})
    assert result.status == "refused"
    assert backend.ran == []
    recorded = entries(ledger)
    assert [kind for _, kind, _, _ in recorded] == ["run.started", "run.finished"]
    assert recorded[0][2]["guards"] == []
    assert recorded[1][2]["status"] == "refused"
    assert "network" in recorded[1][2]["error"]
    assert recorded[1][2]["patch"] is None


def test_timeout_paths_violation_and_tests_inference(repo: Path, ledger: LedgerFixture) -> None:
    spec = make_spec(
        repo,
        [
            ["sh", "-c", "echo x > outside.txt; echo '===== 3 passed, 1 failed in 0.1s ====='"],
            ["sleep", "5"],
        ],
        paths=["src/**"],
        limits={"wall_seconds": 1},
    )
    spec = TaskSpec(
        spec.id,
        spec.repository,
        spec.commit,
        (spec.steps[0].__class__(run=spec.steps[0].run, name="tests"), spec.steps[1]),
        spec.backend,
        spec.document,
    )
    result = run_task(spec, ledger.ledger, UnsandboxedTestBackend(), host_env={})
    assert result.status == "timeout"
    finished = entries(ledger)[-1][2]
    assert finished["failed_step"] == 1
    assert finished["tests"] == {"passed": 3, "failed": 1, "steps": ["tests"]}
    assert {"guard": "paths", "detail": "outside.txt changed outside the task's paths"} in (
        finished["violations"]
    )


def test_dirty_repository_is_recorded_and_not_copied(repo: Path, ledger: LedgerFixture) -> None:
    (repo / "README.md").write_text("local change\n")
    result = run_task(
        make_spec(repo, [["cat", "README.md"]]),
        ledger.ledger,
        UnsandboxedTestBackend(),
        host_env={},
    )
    started = entries(ledger)[0][2]
    assert started["provenance"]["dirty"] is True
    assert started["provenance"]["dirty_paths"] == ["README.md"]
    assert blob(ledger, entries(ledger)[1][3]["stdout"]) == b"hello\n"
    assert result.changes.paths == []


def test_interrupted_tidegate_still_records_run_finished_killed(
    repo: Path, ledger: LedgerFixture
) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals need the main thread")
    spec = make_spec(repo, [["sleep", "5"]])
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        with pytest.raises(BaseException) as caught:
            run_task(spec, ledger.ledger, UnsandboxedTestBackend(), host_env={})
    finally:
        timer.cancel()
    assert type(caught.value).__name__ == "RunInterrupted"
    recorded = entries(ledger)
    assert [kind for _, kind, _, _ in recorded] == ["run.started", "run.finished"]
    assert recorded[-1][2]["status"] == "killed"
    assert verify_ledger(ledger.store, ledger.trust).ok


def test_trace_files_records_what_a_step_opened(repo: Path, ledger: LedgerFixture) -> None:
    """strace runs outside the sandbox (the task itself may not ptrace) and follows it in."""
    missing = [tool for tool in ("bwrap", "strace") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("TIDEGATE_REQUIRE_BWRAP") == "1":
            pytest.fail(f"TIDEGATE_REQUIRE_BWRAP=1 but {missing} not installed", pytrace=False)
        pytest.skip(f"{missing} not installed")
    from tidegate.sandbox.bwrap import BwrapBackend

    spec = make_spec(repo, [["cat", "README.md"]])
    result = run_task(spec, ledger.ledger, BwrapBackend(), trace_files=True, host_env={})
    assert result.status == "ok", result.error
    started, command = entries(ledger)[0][2], entries(ledger)[1]
    assert any(g["guard"] == "trace" and g["enforced"] for g in started["guards"])
    _, _, body, blobs = command
    assert body["argv"] == ["cat", "README.md"]
    opened = json.loads(blob(ledger, blobs["files-read.json"]))
    assert "README.md" in opened or "/workspace/README.md" in opened, opened
    assert not any("bwrap" in path for path in opened), (
        opened
    )  # the launcher's setup is not the task's
    assert body["files_read"] == len(opened)
    assert result.changes.paths == []  # the trace log lives outside the workspace


def test_allow_list_run_records_traffic_and_traces_only_the_task(
    repo: Path, ledger: LedgerFixture
) -> None:
    """A run with network allow records per-destination traffic in run.command; with
    --trace-files the forwarder's own start-up (its python) is not counted as the task's."""
    missing = [tool for tool in ("bwrap", "strace") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("TIDEGATE_REQUIRE_BWRAP") == "1":
            pytest.fail(f"TIDEGATE_REQUIRE_BWRAP=1 but {missing} not installed", pytrace=False)
        pytest.skip(f"{missing} not installed")
    from tidegate.sandbox.bwrap import BwrapBackend

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]

    def answer() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(conn.recv(100).upper())

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    fetch = (
        f"import socket; c = socket.create_connection(('127.0.0.1', {port}), timeout=10); "
        "c.sendall(b'quiet'); print(c.recv(100).decode())"
    )
    spec = make_spec(
        repo,
        [["cat", "README.md"], ["/usr/bin/python3", "-S", "-c", fetch]],
        network={"mode": "allow", "allow": [f"127.0.0.1:{port}"]},
    )
    try:
        result = run_task(spec, ledger.ledger, BwrapBackend(), trace_files=True, host_env={})
    finally:
        server.close()
        thread.join(10)
    assert result.status == "ok", result.error
    recorded = entries(ledger)
    started = recorded[0][2]
    network = next(g for g in started["guards"] if g["guard"] == "network")
    assert f"127.0.0.1:{port}" in network["how"] and network["enforced"]
    cat, fetched = recorded[1][2], recorded[2][2]
    assert cat["network"][0]["connections"] == 0
    assert fetched["network"] == [
        {
            "destination": f"127.0.0.1:{port}",
            "address": f"127.0.0.1:{port}",
            "connections": 1,
            "bytes_out": 5,
            "bytes_in": 5,
            "errors": [],
        }
    ]
    assert blob(ledger, recorded[2][3]["stdout"]) == b"QUIET\n"
    opened = json.loads(blob(ledger, recorded[1][3]["files-read.json"]))
    assert "README.md" in opened or "/workspace/README.md" in opened, opened
    assert not any("tidegate_forwarder" in path or "python3" in path for path in opened), opened
    assert verify_ledger(ledger.store, ledger.trust).ok


def test_trace_files_is_refused_by_a_backend_that_cannot_trace(
    repo: Path, ledger: LedgerFixture
) -> None:
    spec = make_spec(repo, [["true"]])
    result = run_task(spec, ledger.ledger, UnsandboxedTestBackend(), trace_files=True, host_env={})
    assert result.status == "refused"
    assert "trace" in (result.error or "")
    assert [e[1] for e in entries(ledger)] == ["run.started", "run.finished"]


def test_real_bwrap_backend(repo: Path, ledger: LedgerFixture) -> None:
    if shutil.which("bwrap") is None:
        pytest.skip("bwrap is not installed")
    try:
        from tidegate.sandbox.bwrap import BwrapBackend
    except ImportError:
        pytest.skip("tidegate.sandbox.bwrap is not available")
    spec = make_spec(
        repo,
        [["sh", "-c", 'echo "$K"; echo changed >> README.md; date +%Y']],
        environment={"secrets": [{"name": "K", "from_env": "K"}]},
        determinism={"clock": "frozen", "epoch": "2030-01-01T00:00:00Z", "seed": 1},
    )
    try:
        result = run_task(spec, ledger.ledger, BwrapBackend(), host_env={"K": SECRET})
    except GuardUnavailable as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"bwrap cannot run here: {exc}")
    if result.status == "refused":
        pytest.skip(f"bwrap refused here: {result.error}")
    assert result.status == "ok", result.error
    recorded = entries(ledger)
    assert recorded[0][2]["backend"] == "bwrap"
    assert recorded[0][2]["guards"]
    stdout = blob(ledger, recorded[1][3]["stdout"])
    assert stdout.startswith(b"[MASKED:K]\n"), stdout
    assert result.changes.modified == ["README.md"]
    assert "+changed" in result.patch
    assert verify_ledger(ledger.store, ledger.trust).ok


def test_unknown_commit_is_a_usage_error(repo: Path, ledger: LedgerFixture) -> None:
    spec = make_spec(repo, [["true"]])
    spec = TaskSpec(spec.id, spec.repository, "deadbeef", spec.steps, spec.backend, spec.document)
    with pytest.raises(UsageError, match="deadbeef"):
        run_task(spec, ledger.ledger, UnsandboxedTestBackend(), host_env={})
    assert ledger.store.size() == 0
