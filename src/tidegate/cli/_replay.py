"""`tidegate replay`: rerun a recorded run at the same commit and compare (thin command)."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from tidegate.cli._console import emit, say
from tidegate.cli._run import BackendName, pick_backend
from tidegate.cli._state import state
from tidegate.errors import UsageError

if TYPE_CHECKING:
    from tidegate.sandbox.backend import Backend
    from tidegate.sandbox.spec import TaskSpec

EXIT_DIFFERS = 10
"""Like `gate review`: the replay ran but differs, a human should look."""
FAILED_STATUSES = frozenset({"refused", "error"})


class ReplayFormat(StrEnum):
    """Report formats of `tidegate replay`."""

    text = "text"
    json = "json"


def _backend_factory(allow_tag: bool) -> Callable[[str, TaskSpec], Backend]:
    """Return the factory replay uses: the CLI's backends, nothing else."""

    def backend_for(name: str, spec: TaskSpec) -> Backend:
        if name not in {b.value for b in BackendName}:
            raise UsageError(
                f"the run was recorded under backend {name!r}, which `tidegate replay` cannot use",
                hint="pass --backend bwrap or --backend docker",
            )
        return pick_backend(name, spec, allow_tag)

    return backend_for


def replay(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The run to replay (run-...).")],
    backend: Annotated[
        BackendName | None,
        typer.Option("--backend", help="bwrap or docker [default: the recorded one]."),
    ] = None,
    output: Annotated[
        ReplayFormat, typer.Option("--format", help="text or json.")
    ] = ReplayFormat.text,
    allow_tag: Annotated[
        bool,
        typer.Option("--allow-tag", help="Accept a recorded docker image named by tag."),
    ] = False,
) -> None:
    """Rerun a recorded run at the same commit, compare, and record run.replayed.

    Prints the differences' unified diffs (or the comparison as JSON) on stdout, a summary on
    stderr. Exit 0 when identical, 10 when something differs, 1 when the replay could not
    run (refused or error), 2 for an unknown run.
    """
    from tidegate.home import open_ledger
    from tidegate.sandbox.replay import replay_run

    ledger = open_ledger(state(ctx).settings(), writable=True)
    try:
        result = replay_run(
            ledger,
            run_id,
            _backend_factory(allow_tag),
            backend=backend.value if backend else None,
            allow_tag=allow_tag,
        )
    finally:
        ledger.store.close()
    comparison = result.comparison
    if output is ReplayFormat.json:
        emit(json.dumps(result.document(), indent=2, ensure_ascii=False))
    elif comparison.identical:
        emit("identical")
    else:
        for difference in comparison.differences:
            causes = ", ".join(c.cause for c in difference.causes)
            emit(f"### {difference.summary} [likely: {causes}]")
            for cause in difference.causes:
                emit(f"#   {cause.cause}: {cause.explanation}")
            if difference.diff:
                emit(difference.diff)
    verdict = "identical" if comparison.identical else f"{len(comparison.differences)} differences"
    say(
        f"replay {result.run.run_id} of {run_id}: {result.run.status}, {verdict} "
        f"(run.replayed entry {result.replayed_seq})"
    )
    if result.run.error:
        say(f"  {result.run.error}")
    if result.run.status in FAILED_STATUSES:
        raise typer.Exit(1)
    if not comparison.identical:
        raise typer.Exit(EXIT_DIFFERS)
