"""Replay a recorded run: rebuild its task from the ledger, run it again at the same commit,
compare the two (tidegate.sandbox.compare) and record ``run.replayed``.

The replay is an ordinary run with its own run.started/run.command/run.finished entries. The
spec is the one run.started stored (masked); secrets are stored only by name and source, so
the contract re-reads their values from the host environment or files at replay time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tidegate.errors import UsageError
from tidegate.gate.records import Recorded, entries_of
from tidegate.ledger.entry import Subject
from tidegate.ledger.kinds import RUN_COMMAND, RUN_FINISHED, RUN_REPLAYED, RUN_STARTED
from tidegate.ledger.log import AppendRequest, Ledger
from tidegate.ledger.store import LedgerStore
from tidegate.sandbox.backend import Backend
from tidegate.sandbox.compare import Comparison, RunRecord, StepRecord, compare_runs, render_diff
from tidegate.sandbox.run import RunResult, run_task
from tidegate.sandbox.spec import TaskSpec, TaskSpecError, parse_task

BackendFactory = Callable[[str, TaskSpec], Backend]


@dataclass(frozen=True)
class LoadedRun:
    """A run read back from the ledger: its entries' bodies and the comparison's view."""

    run_id: str
    started: Recorded
    commands: tuple[Recorded, ...]
    finished: Recorded
    finished_digest: str  # SHA-256 of the run.finished envelope
    record: RunRecord


@dataclass(frozen=True)
class ReplayResult:
    """What `replay_run` did."""

    original: LoadedRun
    replay: LoadedRun
    run: RunResult
    comparison: Comparison
    backend: str
    replayed_seq: int
    diff: str  # the masked unified diffs, as stored in the blob differences.diff

    @property
    def identical(self) -> bool:
        """Whether the replay matched the original run."""
        return self.comparison.identical

    def document(self) -> dict[str, Any]:
        """Return the comparison document `tidegate replay --format json` prints."""
        return {
            "run_id": self.replay.run_id,
            "replay_of": self.original.run_id,
            "original_seq": self.original.finished.seq,
            "replay_seq": self.replay.finished.seq,
            "replayed_seq": self.replayed_seq,
            "backend": self.backend,
            "status": self.run.status,
            "identical": self.identical,
            "differences": [d.as_json(with_diff=True) for d in self.comparison.differences],
        }


def _of_run(store: LedgerStore, kind: str, run_id: str) -> list[Recorded]:
    return [r for r in entries_of(store, kind) if r.body.get("run_id") == run_id]


def _blob(store: LedgerStore, record: Recorded, name: str, run_id: str) -> bytes:
    digest = record.blobs.get(name)
    if digest is None:
        return b""
    blob = store.blobs([digest]).get(digest)
    if blob is None or blob.content is None:
        raise UsageError(
            f"run {run_id}: the {name} of entry {record.seq} was purged; it cannot be compared"
        )
    return blob.content


def load_run(store: LedgerStore, run_id: str) -> LoadedRun:
    """Read a run's entries back; UsageError naming the run when it is unknown or unfinished."""
    started = _of_run(store, RUN_STARTED, run_id)
    finished = _of_run(store, RUN_FINISHED, run_id)
    if not started:
        raise UsageError(
            f"run {run_id} is not in the ledger",
            hint="pass a run id `tidegate run` printed (run-...)",
        )
    if not finished:
        raise UsageError(f"run {run_id} has no run.finished entry: it never finished")
    start, end = started[-1], finished[-1]
    commands = tuple(sorted(_of_run(store, RUN_COMMAND, run_id), key=lambda r: r.body["index"]))
    steps = tuple(
        StepRecord(
            index=int(c.body["index"]),
            name=str(c.body.get("name", "")),
            argv=tuple(c.body.get("argv", ())),
            exit_code=c.body.get("exit_code"),
            status=str(c.body.get("status")),
            stdout=_blob(store, c, "stdout", run_id),
            stderr=_blob(store, c, "stderr", run_id),
            env=dict(c.body.get("env", {})),
        )
        for c in commands
    )
    files = end.body.get("files") or {}
    patch = _blob(store, end, "patch.diff", run_id).decode("utf-8", "replace")
    body = start.body
    record = RunRecord(
        run_id=run_id,
        status=str(end.body.get("status")),
        steps=steps,
        created=tuple(files.get("created", ())),
        modified=tuple(files.get("modified", ())),
        deleted=tuple(files.get("deleted", ())),
        patch=patch,
        backend=str(body.get("backend", "")),
        provenance=dict(body.get("provenance") or {}),
        guards=tuple(body.get("guards") or ()),
        determinism=dict(body.get("determinism") or {}),
        network=dict(body.get("network") or {}),
    )
    stored = store.entry(end.seq)
    envelope = stored.envelope if stored is not None else b""
    return LoadedRun(run_id, start, commands, end, hashlib.sha256(envelope).hexdigest(), record)


def rebuild_spec(run: LoadedRun, *, allow_tag: bool = False) -> TaskSpec:
    """Return the run's task spec, pinned to the commit the run resolved (not e.g. HEAD).

    ``allow_tag`` accepts a recorded docker image named by tag (recorded by `run --allow-tag`;
    the tag may name another image now, which the comparison then reports as environment).
    """
    document = run.started.body.get("spec")
    provenance = run.started.body.get("provenance") or {}
    if not isinstance(document, dict):
        raise UsageError(f"run {run.run_id}: its run.started entry holds no task spec")
    commit = provenance.get("commit")
    if not isinstance(commit, str) or not commit:
        raise UsageError(f"run {run.run_id}: its run.started entry records no commit")
    repository = Path(str(provenance.get("repository") or document["repository"]["path"]))
    try:
        spec = parse_task(
            json.dumps(document).encode(),
            f"run {run.run_id} (spec)",
            repository,
            allow_tag=allow_tag,
        )
    except TaskSpecError as exc:
        raise UsageError(f"run {run.run_id}: the recorded spec is invalid: {exc.message}") from exc
    # The document stays as recorded (same spec_digest); only where and what to check out is
    # pinned, from what the original run resolved.
    return dataclasses.replace(spec, repository=repository, commit=commit)


def replay_run(
    ledger: Ledger,
    run_id: str,
    backend_factory: BackendFactory,
    *,
    backend: str | None = None,
    host_env: Mapping[str, str] | None = None,
    spec_dir: Path | None = None,
    workdir: Path | None = None,
    allow_tag: bool = False,
) -> ReplayResult:
    """Replay run ``run_id`` under ``backend`` (default: the recorded one) and record it.

    ``spec_dir`` (default: the directory the original run recorded) resolves relative secret
    files; ``host_env`` (default os.environ) gives pass-through variables and env secrets.
    """
    store = ledger.store
    original = load_run(store, run_id)
    spec = rebuild_spec(original, allow_tag=allow_tag)
    name = backend or str(original.started.body.get("backend") or spec.backend)
    chosen = backend_factory(name, spec)
    env = os.environ if host_env is None else host_env
    # Relative secret files are read where the original run read them (recorded), not from
    # wherever replay happens to run.
    recorded_dir = original.started.body.get("spec_dir")
    directory = spec_dir or (Path(recorded_dir) if isinstance(recorded_dir, str) else Path.cwd())
    result = run_task(spec, ledger, chosen, host_env=env, spec_dir=directory, workdir=workdir)
    replay = load_run(store, result.run_id)
    # Both records are read back from the ledger: every output, patch and environment value in
    # them was masked when it was stored, so the comparison needs no masking of its own.
    comparison = compare_runs(original.record, replay.record)
    diff = render_diff(comparison)
    body = {
        "run_id": result.run_id,
        "replay_of": run_id,
        "original_seq": original.finished.seq,
        "replay_seq": replay.finished.seq,
        "backend": chosen.name,
        "status": result.status,
        "identical": comparison.identical,
        "differences": [d.as_json() for d in comparison.differences],
    }
    blobs = {"differences.diff": diff.encode("utf-8", "surrogateescape")} if diff else {}
    subjects = [
        Subject("original.run.finished", original.finished_digest),
        Subject("replay.run.finished", replay.finished_digest),
    ]
    entry = ledger.append(AppendRequest(RUN_REPLAYED, body, blobs=blobs, subjects=subjects))
    return ReplayResult(original, replay, result, comparison, chosen.name, entry.seq, diff)
