"""`tidegate run`: run a task spec in a sandbox and record it in the ledger (thin command)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tidegate.cli._console import emit, say
from tidegate.cli._state import state
from tidegate.errors import UsageError

if TYPE_CHECKING:
    from tidegate.sandbox.backend import Backend
    from tidegate.sandbox.spec import TaskSpec


class BackendName(StrEnum):
    """Sandbox backends `tidegate run` knows."""

    bwrap = "bwrap"
    docker = "docker"


def pick_backend(name: str, spec: TaskSpec, allow_tag: bool) -> Backend:
    """Return the backend called ``name``; UsageError when it is not available here."""
    if name == "bwrap":
        try:
            from tidegate.sandbox.bwrap import BwrapBackend
        except ImportError as exc:
            raise UsageError(f"the bwrap backend is not available: {exc}") from exc
        return BwrapBackend()
    try:
        from tidegate.sandbox import docker
    except ImportError as exc:
        raise UsageError(
            f"the docker backend is not available: {exc}",
            hint="pip install docker, or use --backend bwrap",
        ) from exc
    backend: Backend = docker.DockerBackend(image=spec.document.get("image"), allow_tag=allow_tag)
    return backend


def run_task(
    ctx: typer.Context,
    task: Annotated[Path, typer.Argument(help="The task spec (YAML or JSON).")],
    backend: Annotated[
        BackendName | None,
        typer.Option("--backend", help="bwrap or docker [default: the spec's, else bwrap]."),
    ] = None,
    allow_tag: Annotated[
        bool,
        typer.Option("--allow-tag", help="Accept a docker image named by tag, not digest."),
    ] = False,
    trace_files: Annotated[
        bool, typer.Option("--trace-files", help="Record the files each step opens (strace).")
    ] = False,
) -> None:
    """Run a task's steps in a sandbox; record run.started, run.command and run.finished.

    The network is the spec's: none, or an allow-list of host:port that tidegate's egress
    proxy forwards to and nothing else. Prints the run id on stdout (a summary on stderr).
    Exit 0 when the run's status is ok,
    1 when it failed, timed out, was killed, refused or errored, 2 for an invalid spec.
    """
    from tidegate.home import open_ledger
    from tidegate.sandbox.run import run_task as run
    from tidegate.sandbox.spec import load_task

    spec = load_task(task, allow_tag=allow_tag)
    chosen = pick_backend(backend.value if backend else spec.backend, spec, allow_tag)
    ledger = open_ledger(state(ctx).settings(), writable=True)
    try:
        result = run(spec, ledger, chosen, trace_files=trace_files, spec_dir=task.resolve().parent)
    finally:
        ledger.store.close()
    changes = result.changes
    say(
        f"run {result.run_id}: {result.status} ({len(result.steps)}/{len(spec.steps)} steps; "
        f"{len(changes.created)} created, {len(changes.modified)} modified, "
        f"{len(changes.deleted)} deleted)"
    )
    if result.error:
        say(f"  {result.error}")
    for violation in result.violations:
        say(f"  violation [{violation['guard']}]: {violation['detail']}")
    emit(result.run_id)
    if result.status != "ok":
        raise typer.Exit(1)
