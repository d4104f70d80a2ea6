"""Run a task: workspace, guards check, then `run.started`, one `run.command` per step and
`run.finished` in the ledger, everything stored passed through the run's Redactor.

Order and choices:

1. The environment contract is resolved and the workspace extracted; a missing variable,
   secret file or commit is a UsageError and nothing is recorded (no run was attempted).
2. ``backend.guards()`` is asked about the first step before anything runs. If it refuses
   (GuardUnavailable), ``run.started`` (with no guards) and ``run.finished`` (status
   ``refused``, the reason in ``error``) are recorded and no step runs: the attempt is evidence.
3. ``run.started`` is durable before the first step starts.
4. Steps run in order; the first step that does not end ``ok`` stops the run and gives it its
   status (``oom`` becomes ``killed`` with a ``memory`` violation). ``wall_seconds`` is the
   budget of the whole run: each step gets what is left of it.
5. ``run.finished`` is appended in a ``finally``: if tidegate is interrupted (Ctrl-C, SIGTERM)
   the status is ``killed``, if tidegate itself fails it is ``error``, and the workspace is
   still compared when it can be.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import platform
import re
import secrets
import signal
import stat
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

from tidegate import __version__
from tidegate.canonical import json_digest
from tidegate.errors import UsageError
from tidegate.globs import first_match
from tidegate.ledger.entry import Subject
from tidegate.ledger.kinds import RUN_COMMAND, RUN_FINISHED, RUN_STARTED
from tidegate.ledger.log import AppendRequest, Ledger
from tidegate.sandbox.backend import (
    Backend,
    CommandResult,
    CommandSpec,
    Guards,
    GuardStatus,
    GuardUnavailable,
    Limits,
)
from tidegate.sandbox.redact import Redactor
from tidegate.sandbox.snapshot import (
    Patch,
    Snapshot,
    SnapshotDiff,
    build_patch,
    diff_snapshots,
    read_entry,
    snapshot,
)
from tidegate.sandbox.spec import TaskSpec
from tidegate.sandbox.workspace import Workspace, materialize

DEFAULT_OUTPUT_BYTES = 1 << 20
MAX_PATCH_BYTES = 64 << 20
MAX_LISTED_FILES = 10_000
MAX_VIOLATIONS = 100


class RunInterrupted(KeyboardInterrupt):
    """SIGTERM arrived while a run was going: unwind like Ctrl-C (run.finished is written,
    the CLI exits 130)."""


@dataclass(frozen=True)
class StepOutcome:
    """One step as run."""

    index: int
    name: str
    result: CommandResult
    seq: int


@dataclass
class RunResult:
    """What `run_task` did; ``patch`` is the masked patch as stored."""

    run_id: str
    status: str
    error: str | None = None
    steps: list[StepOutcome] = field(default_factory=list)
    changes: SnapshotDiff = field(default_factory=SnapshotDiff)
    patch: str = ""
    violations: list[dict[str, str]] = field(default_factory=list)
    tests: dict[str, Any] | None = None
    started_seq: int = -1
    finished_seq: int = -1


@dataclass(frozen=True)
class Contract:
    """The environment a task's steps get, and its secret values by name."""

    env: dict[str, str]
    secrets: dict[str, str]
    passed: list[str]
    set: list[str]


def new_run_id() -> str:
    """Return a fresh run id: ``run-`` and 20 hex digits."""
    return "run-" + secrets.token_hex(10)


def resolve_contract(spec: TaskSpec, host_env: Mapping[str, str], spec_dir: Path) -> Contract:
    """Resolve pass-through, set and secret variables; UsageError naming what is missing."""
    declared = spec.document.get("environment", {})
    env: dict[str, str] = {}
    missing: list[str] = []
    passed = list(declared.get("pass", []))
    for name in passed:
        if name in host_env:
            env[name] = host_env[name]
        else:
            missing.append(f"{name} (pass-through)")
    fixed = dict(declared.get("set", {}))
    env.update(fixed)
    values: dict[str, str] = {}
    for item in declared.get("secrets", []):
        name = item["name"]
        if "from_env" in item:
            if item["from_env"] not in host_env:
                missing.append(f"{name} (secret from ${item['from_env']})")
                continue
            values[name] = host_env[item["from_env"]]
        else:
            path = Path(item["from_file"]).expanduser()
            path = path if path.is_absolute() else spec_dir / path
            try:
                content = path.read_text("utf-8", "surrogateescape")
            except OSError as exc:
                missing.append(f"{name} (secret file {path}: {exc.strerror})")
                continue
            # One trailing newline is the file's, not the secret's (echo > file adds it).
            values[name] = content.removesuffix("\n").removesuffix("\r")
    if missing:
        raise UsageError(
            f"task {spec.id}: the environment contract cannot be met: {', '.join(missing)}",
            hint="set them in tidegate's environment, or fix the task spec's `environment`",
        )
    # Only the contract: the backend adds its fixed variables (PATH, HOME, TMPDIR) and the
    # guards' (TZ, LC_ALL, PYTHONHASHSEED, faketime), which win (tidegate.sandbox.guards).
    env.update(values)
    return Contract(env, values, passed, sorted(fixed))


def limits_of(spec: TaskSpec) -> Limits:
    """Return the per-command limits the spec asks for."""
    declared = spec.document.get("limits", {})
    return Limits(
        wall_seconds=declared.get("wall_seconds"),
        cpu_seconds=declared.get("cpu_seconds"),
        memory_mb=declared.get("memory_mb"),
        processes=declared.get("processes"),
        output_bytes=declared.get("output_bytes", DEFAULT_OUTPUT_BYTES),
    )


def guards_of(spec: TaskSpec) -> Guards:
    """Return the isolation and determinism guards the spec asks for."""
    network = spec.network
    allow = tuple(
        (host, int(port)) for host, port in (a.rsplit(":", 1) for a in network.get("allow", []))
    )
    determinism = spec.determinism
    epoch = determinism.get("epoch")
    seconds = (
        int(datetime.fromisoformat(epoch.replace("Z", "+00:00")).timestamp())
        if isinstance(epoch, str)
        else None
    )
    return Guards(
        network=network.get("mode", "none"),
        allow=allow,
        clock=determinism["clock"],
        epoch=seconds,
        seed=determinism.get("seed"),
        tz=determinism["tz"],
        locale=determinism["locale"],
    )


def _kernel() -> str:
    uname = os.uname()
    return f"{uname.sysname} {uname.release} {uname.version} {uname.machine}"


def _cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _tool_versions(backend: Backend, git_version: str) -> dict[str, str]:
    tools = {"python": platform.python_version(), "tidegate": __version__, "git": git_version}
    # Provenance is evidence, not a precondition: a backend that cannot tell its versions
    # still runs (guards() is where a backend refuses).
    with contextlib.suppress(Exception):
        tools.update({str(k): str(v) for k, v in backend.versions().items()})
    return tools


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Turn SIGTERM into RunInterrupted while a run is going (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise RunInterrupted(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


_PYTEST = re.compile(rb"(\d+) (passed|failed|errors?)\b")
_UNITTEST_RAN = re.compile(rb"^Ran (\d+) tests?", re.MULTILINE)
_UNITTEST_FAILED = re.compile(
    rb"^FAILED \((?:failures=(\d+))?(?:, )?(?:errors=(\d+))?", re.MULTILINE
)


def infer_tests(name: str, stdout: bytes, stderr: bytes) -> tuple[int, int] | None:
    """Return (passed, failed) from a test step's summary line (pytest, unittest), or None."""
    if "test" not in name.lower():
        return None
    tail = stdout[-4096:] + b"\n" + stderr[-4096:]
    lines = [line for line in tail.splitlines() if _PYTEST.search(line)]
    if lines:
        counts = {"passed": 0, "failed": 0}
        for count, word in _PYTEST.findall(lines[-1]):
            counts["passed" if word == b"passed" else "failed"] += int(count)
        return counts["passed"], counts["failed"]
    ran = _UNITTEST_RAN.findall(tail)
    if ran:
        failed = sum(int(a or 0) + int(b or 0) for a, b in _UNITTEST_FAILED.findall(tail))
        return int(ran[-1]) - failed, failed
    return None


def _files_read(trace: Path, redactor: Redactor, launchers: int = 1) -> list[str]:
    """Return the distinct paths the task opened successfully, from a backend's strace log.

    The log starts with the backend's ``launchers`` (their successful execves: bwrap, then an
    allow-list's forwarder) and their setup; the task's part starts at the next successful
    execve, its command.
    """
    found: set[str] = set()
    execs = 0
    with contextlib.suppress(OSError), trace.open("rb") as handle:
        for line in handle:
            match = re.search(
                rb'(open|openat|openat2|creat|execve)\((?:[^,"]*, )?"((?:[^"\\]|\\.)*)"', line
            )
            if not match or re.search(rb"= -1 ", line):
                continue
            if match.group(1) == b"execve" and execs <= launchers:
                execs += 1
            if execs <= launchers:
                continue
            found.add(redactor.text(match.group(2).decode("utf-8", "surrogateescape")))
    return sorted(found)


class _Run:
    """One run's state while it goes (see the module docstring for the order)."""

    def __init__(
        self,
        spec: TaskSpec,
        ledger: Ledger,
        backend: Backend,
        contract: Contract,
        workspace: Workspace,
        *,
        trace_files: bool,
        spec_dir: Path,
    ) -> None:
        self.spec = spec
        self.ledger = ledger
        self.backend = backend
        self.contract = contract
        self.workspace = workspace
        self.trace_files = trace_files
        self.spec_dir = spec_dir
        self.redactor = Redactor(contract.secrets)
        self.result = RunResult(run_id=new_run_id(), status="error")
        self.limits = limits_of(spec)
        self.guards = guards_of(spec)
        self.before: Snapshot = {}
        self.started = time.monotonic()
        self.steps_run = 0
        self.failed_step: int | None = None
        self.violations: list[dict[str, str]] = []

    def command(self, index: int, remaining: float | None) -> CommandSpec:
        step = self.spec.steps[index]
        limits = dataclasses.replace(self.limits, wall_seconds=remaining)
        return CommandSpec(
            step.run,
            step.cwd,
            dict(self.contract.env),
            limits,
            self.guards,
            trace_file=self.trace_path(index) if self.trace_files else None,
        )

    def trace_path(self, index: int) -> Path:
        """Where the backend writes step ``index``'s strace log (outside the workspace)."""
        return self.workspace.scratch / f"trace-step-{index}.txt"

    def started_body(self, guards: list[GuardStatus]) -> dict[str, Any]:
        spec, provenance = self.spec, self.workspace.provenance
        declared = spec.document.get("limits", {})
        return {
            "run_id": self.result.run_id,
            "task_id": spec.id,
            "spec": self.redactor.document(spec.document),
            "spec_digest": json_digest(spec.document),
            "backend": self.backend.name,
            "provenance": self.redactor.document(
                {
                    "repository": provenance.repository,
                    "requested_commit": provenance.requested,
                    "commit": provenance.commit,
                    "dirty": provenance.dirty,
                    "dirty_paths": provenance.dirty_paths,
                    "kernel": _kernel(),
                    "cpu_model": _cpu_model(),
                    "tools": _tool_versions(self.backend, provenance.git_version),
                    "image": spec.document.get("image"),
                }
            ),
            "limits": {
                **dataclasses.asdict(self.limits),
                "workspace_mb": declared.get("workspace_mb"),
            },
            "guards": [
                {"guard": g.guard, "enforced": g.enforced, "how": self.redactor.text(g.how)}
                for g in guards
            ],
            "determinism": self.redactor.document(spec.determinism),
            "network": self.redactor.document(spec.network),
            "environment": {
                "pass": self.contract.passed,
                "set": self.contract.set,
                "secrets": sorted(self.contract.secrets),
            },
            "steps": len(spec.steps),
            "trace_files": self.trace_files,
            "spec_dir": self.redactor.text(str(self.spec_dir)),
        }

    def run_steps(self) -> None:
        budget = self.limits.wall_seconds
        for index, step in enumerate(self.spec.steps):
            remaining = None if budget is None else budget - (time.monotonic() - self.started)
            if remaining is not None and remaining <= 0:
                self.result.status, self.failed_step = "timeout", index
                self.violations.append(
                    {
                        "guard": "wall_time",
                        "detail": f"the run's {budget} s were spent before step {index}",
                    }
                )
                return
            command = self.command(index, remaining)
            outcome = self.backend.run(self.workspace.root, command)
            self.steps_run += 1
            seq = self.record_command(index, command, outcome)
            self.result.steps.append(StepOutcome(index, step.name, outcome, seq))
            if outcome.status != "ok":
                self.failed_step = index
                self.result.status = "killed" if outcome.status == "oom" else outcome.status
                if outcome.status == "oom":
                    self.violations.append(
                        {"guard": "memory", "detail": f"step {index} ran out of memory"}
                    )
                return
        self.result.status = "ok"

    def record_command(self, index: int, command: CommandSpec, outcome: CommandResult) -> int:
        step = self.spec.steps[index]
        redact = self.redactor
        stdout, stderr = redact.bytes(outcome.stdout), redact.bytes(outcome.stderr)
        blobs = {"stdout": stdout, "stderr": stderr}
        files_read: int | None = None
        if self.trace_files:
            paths = _files_read(self.trace_path(index), redact, outcome.launcher_execs)
            blobs["files-read.json"] = json.dumps(paths, indent=1).encode()
            files_read = len(paths)
        violations = [{"guard": g, "detail": redact.text(d)} for g, d in outcome.violations]
        self.violations.extend(violations)
        body = {
            "run_id": self.result.run_id,
            "index": index,
            "name": redact.text(step.name),
            "argv": [redact.text(a) for a in step.run],
            "cwd": redact.text(step.cwd),
            "env": {name: redact.text(value) for name, value in sorted(command.env.items())},
            "exit_code": outcome.exit_code,
            "status": outcome.status,
            "duration_ms": round(max(outcome.duration_ms, 0.0), 3),
            "stdout": {"bytes": len(stdout), "truncated": outcome.stdout_truncated},
            "stderr": {"bytes": len(stderr), "truncated": outcome.stderr_truncated},
            "violations": violations,
            "files_read": files_read,
        }
        if command.guards.network == "allow":
            body["network"] = [
                {
                    "destination": redact.text(use.destination),
                    "address": use.address,
                    "connections": use.connections,
                    "bytes_out": use.bytes_out,
                    "bytes_in": use.bytes_in,
                    "errors": [redact.text(error) for error in use.errors],
                }
                for use in outcome.network
            ]
        return self.ledger.append(AppendRequest(RUN_COMMAND, body, blobs=blobs)).seq

    def compare(self) -> tuple[dict[str, Any] | None, dict[str, bytes], dict[str, Any], int | None]:
        """Snapshot the workspace after the run: patch summary, blobs, semantic diff, bytes."""
        after = snapshot(self.workspace.root)
        changes = diff_snapshots(self.before, after)
        self.result.changes = changes
        patch = build_patch(self.workspace.before, self.before, self.workspace.root, after, changes)
        data = self.redactor.bytes(patch.text.encode("utf-8", "surrogateescape"))
        truncated = len(data) > MAX_PATCH_BYTES
        data = data[:MAX_PATCH_BYTES]
        self.result.patch = data.decode("utf-8", "replace")
        blobs = {"patch.diff": data}
        summary = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "lines_added": patch.lines_added,
            "lines_deleted": patch.lines_deleted,
            "binary_files": [self.redactor.text(p) for p in patch.binary_files[:MAX_LISTED_FILES]],
            "truncated": truncated,
        }
        semantic = self.semantic_diff(after, changes, patch, blobs)
        self.check_scope(changes, after)
        size = sum(s.size for s in after.values() if stat.S_ISREG(s.mode))
        return summary, blobs, semantic, size

    def semantic_diff(
        self, after: Snapshot, changes: SnapshotDiff, patch: Patch, blobs: dict[str, bytes]
    ) -> dict[str, Any]:
        if not changes:
            return {"status": "skipped", "detail": "no file changed"}
        try:
            # Loaded only when something changed: the differ pulls in tree-sitter grammars.
            from tidegate.diff import FileChange, diff_files  # noqa: PLC0415

            def files() -> Iterator[FileChange]:
                for path in changes.paths:
                    old, new = self.before.get(path), after.get(path)
                    if any(s is not None and not stat.S_ISREG(s.mode) for s in (old, new)):
                        continue  # symlinks and special files have no code to analyse
                    yield FileChange(
                        path,
                        read_entry(self.workspace.before, path, old) if old else None,
                        read_entry(self.workspace.root, path, new) if new else None,
                    )

            result = diff_files(files())
            document = self.redactor.document(result.to_json())
        except Exception as exc:  # the differ is optional evidence: never lose the run over it
            return {
                "status": "unavailable",
                "detail": self.redactor.text(f"{type(exc).__name__}: {exc}"),
            }
        blobs["semantic-diff.json"] = json.dumps(document, indent=1, ensure_ascii=False).encode()
        return {"status": "ok", "detail": None}

    def check_scope(self, changes: SnapshotDiff, after: Snapshot) -> None:
        scope = self.spec.document.get("paths")
        if scope:
            outside = [p for p in changes.paths if first_match(scope, p) is None]
            self.violations += [
                {
                    "guard": "paths",
                    "detail": self.redactor.text(f"{p} changed outside the task's paths"),
                }
                for p in outside[:MAX_VIOLATIONS]
            ]
            if len(outside) > MAX_VIOLATIONS:
                self.violations.append(
                    {"guard": "paths", "detail": f"... and {len(outside) - MAX_VIOLATIONS} more"}
                )
        workspace_mb = self.spec.document.get("limits", {}).get("workspace_mb")
        size = sum(s.size for s in after.values() if stat.S_ISREG(s.mode))
        if workspace_mb is not None and size > workspace_mb << 20:
            self.violations.append(
                {
                    "guard": "workspace",
                    "detail": f"the workspace holds {size} bytes, over {workspace_mb} MiB",
                }
            )

    def finish(self, compare: bool) -> None:
        patch: dict[str, Any] | None = None
        blobs: dict[str, bytes] = {}
        semantic: dict[str, Any] = {"status": "skipped", "detail": "the workspace was not compared"}
        size: int | None = None
        if compare:
            try:
                patch, blobs, semantic, size = self.compare()
            except Exception as exc:  # record what is known rather than no run.finished at all
                self.result.status = "error"
                self.result.error = self.redactor.text(f"comparing the workspace failed: {exc}")
        changes = self.result.changes
        listed = [changes.created, changes.modified, changes.deleted]
        tests = self.tests()
        self.result.violations = self.violations
        self.result.tests = tests
        body = {
            "run_id": self.result.run_id,
            "status": self.result.status,
            "error": self.result.error,
            "steps_run": self.steps_run,
            "failed_step": self.failed_step,
            "duration_ms": round((time.monotonic() - self.started) * 1000, 3),
            "files": {
                "created": [self.redactor.text(p) for p in changes.created[:MAX_LISTED_FILES]],
                "modified": [self.redactor.text(p) for p in changes.modified[:MAX_LISTED_FILES]],
                "deleted": [self.redactor.text(p) for p in changes.deleted[:MAX_LISTED_FILES]],
                "truncated": any(len(paths) > MAX_LISTED_FILES for paths in listed),
            },
            "patch": patch,
            "semantic_diff": semantic,
            "violations": self.violations,
            "attempts": 1,
            "tests": tests,
            "churn_lines": 0,
            "workspace_bytes": size,
        }
        subjects = [Subject("patch.diff", patch["sha256"])] if patch else []
        entry = self.ledger.append(
            AppendRequest(RUN_FINISHED, body, blobs=blobs, subjects=subjects)
        )
        self.result.finished_seq = entry.seq

    def tests(self) -> dict[str, Any] | None:
        passed = failed = 0
        names: list[str] = []
        for outcome in self.result.steps:
            counts = infer_tests(outcome.name, outcome.result.stdout, outcome.result.stderr)
            if counts is not None:
                passed, failed = passed + counts[0], failed + counts[1]
                names.append(self.redactor.text(outcome.name))
        return {"passed": passed, "failed": failed, "steps": names} if names else None


def run_task(
    spec: TaskSpec,
    ledger: Ledger,
    backend: Backend,
    *,
    trace_files: bool = False,
    host_env: Mapping[str, str] | None = None,
    spec_dir: Path | None = None,
    workdir: Path | None = None,
) -> RunResult:
    """Run ``spec``'s steps in a fresh workspace under ``backend`` and record it in ``ledger``.

    ``host_env`` (default os.environ) feeds pass-through variables and ``from_env`` secrets;
    ``spec_dir`` resolves relative ``from_file`` secrets (default: the current directory);
    ``workdir`` is where the temporary workspace goes (default: the system's temp directory).
    """
    spec_dir = (spec_dir or Path.cwd()).resolve()
    contract = resolve_contract(spec, os.environ if host_env is None else host_env, spec_dir)
    workspace = materialize(spec.repository, spec.commit, parent=workdir)
    try:
        run = _Run(
            spec, ledger, backend, contract, workspace, trace_files=trace_files, spec_dir=spec_dir
        )
        run.before = snapshot(workspace.root)
        with _sigterm_interrupts():
            return _execute(run)
    finally:
        workspace.remove()


def _execute(run: _Run) -> RunResult:
    try:
        guards = run.backend.guards(run.command(0, run.limits.wall_seconds))
    except GuardUnavailable as exc:
        run.result.started_seq = run.ledger.append(
            AppendRequest(RUN_STARTED, run.started_body([]))
        ).seq
        run.result.status = "refused"
        run.result.error = run.redactor.text(exc.message)
        run.finish(compare=False)
        return run.result
    run.result.started_seq = run.ledger.append(
        AppendRequest(RUN_STARTED, run.started_body(guards))
    ).seq
    compare = True
    try:
        run.run_steps()
    except KeyboardInterrupt as exc:  # RunInterrupted (SIGTERM) included
        run.result.status = "killed"
        run.result.error = f"tidegate was interrupted ({type(exc).__name__})"
        raise
    except BaseException as exc:
        run.result.status = "error"
        run.result.error = run.redactor.text(f"{type(exc).__name__}: {exc}")
        compare = not isinstance(exc, SystemExit)
        raise
    finally:
        run.finish(compare=compare)
    return run.result
