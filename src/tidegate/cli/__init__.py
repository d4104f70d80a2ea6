"""The `tidegate` command line: thin Typer apps; errors become exit codes in one place."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from tidegate.cli._app import app
from tidegate.cli._console import stderr
from tidegate.errors import TidegateError


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on ``argv`` and return its exit code; the one place errors map to codes."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args or "--verbose" in args
    try:
        # Typer handles its own usage errors (exit 2) and always ends in SystemExit.
        app(args=args, prog_name="tidegate")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except TidegateError as exc:
        if verbose:
            raise
        from rich.markup import escape

        stderr.print(
            f"[bold red]error:[/] {escape(exc.diagnostics())}", highlight=False, soft_wrap=True
        )
        return exc.exit_code
    except KeyboardInterrupt:
        stderr.print("interrupted")
        return 130
    except BrokenPipeError:
        return 0
    return 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())


__all__ = ["main", "run"]
