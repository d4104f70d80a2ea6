"""The root `tidegate` app: global options and the registry of subcommands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tidegate import __version__
from tidegate.cli import (
    _diff,
    _doctor,
    _export,
    _gate,
    _init,
    _keys,
    _ledger,
    _policy,
    _replay,
    _retention,
    _run,
    _witness,
)
from tidegate.cli._state import CliState
from tidegate.config import ENV_DIR

app = typer.Typer(
    name="tidegate",
    help="Let AI agents change code under rules that can be proven afterwards.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tidegate {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            envvar=ENV_DIR,
            help=f"The .tidegate directory to use [env: {ENV_DIR}].",
            show_envvar=False,
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show tracebacks on errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Tidegate: a signed, append-only, Merkle-verified ledger of what agents ran and what was decided."""
    ctx.obj = CliState(home=home, verbose=verbose)


app.command("init")(_init.init)
app.command("diff")(_diff.diff)
app.add_typer(_gate.app, name="gate")
app.add_typer(_policy.app, name="policy")
app.command("run")(_run.run_task)
app.command("replay")(_replay.replay)
app.command("doctor")(_doctor.doctor)
app.add_typer(_keys.app, name="keys")
_ledger.app.command("export")(_export.export)
_ledger.app.command("purge")(_retention.purge)
_ledger.app.command("disclose")(_retention.disclose)
app.add_typer(_ledger.app, name="ledger")
app.add_typer(_witness.app, name="witness")
