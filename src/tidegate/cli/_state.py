"""Shared CLI state carried on the Typer context."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from tidegate.config import Settings, load_settings


@dataclass(frozen=True)
class CliState:
    """Global options, available to every command as ``ctx.obj``."""

    home: Path | None
    verbose: bool

    def settings(self) -> Settings:
        """Resolve the settings of the tidegate home in use."""
        return load_settings(self.home)


def state(ctx: typer.Context) -> CliState:
    """Return the CLI state of this invocation."""
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        return CliState(home=None, verbose=False)
    return obj
