"""`tidegate init`: create the .tidegate home."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tidegate.cli._console import emit, say
from tidegate.config import ENV_LEDGER_URL
from tidegate.home import init_home
from tidegate.ledger.store import describe_url


def init(
    directory: Annotated[
        Path, typer.Argument(help="Directory to create .tidegate/ in.", file_okay=False)
    ] = Path("."),
    origin: Annotated[
        str | None, typer.Option(help="The log's checkpoint origin (default: a fresh unique name).")
    ] = None,
    ledger_url: Annotated[
        str | None,
        typer.Option(
            "--ledger-url",
            envvar=ENV_LEDGER_URL,
            show_envvar=False,
            help=f"Ledger database URL (default: SQLite in .tidegate/) [env: {ENV_LEDGER_URL}].",
        ),
    ] = None,
) -> None:
    """Create .tidegate/: config.toml, an Ed25519 signing key (0600), trust.json, the ledger.

    Refuses to overwrite an existing .tidegate/ or ledger.
    """
    result = init_home(directory.resolve(), origin=origin, ledger_url=ledger_url)
    say(f"created {result.home}")
    say(f"  signing key {result.keyid} in {result.key_path} (mode 0600)")
    say(f"  ledger {describe_url(result.ledger_url)}, origin {result.origin}")
    emit(str(result.home))
