"""`tidegate ledger purge` and `tidegate ledger disclose`: retention and commitments."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tidegate.cli._console import emit, say
from tidegate.cli._ledger import TextOrJson
from tidegate.cli._state import state
from tidegate.config import load_retention
from tidegate.errors import UsageError
from tidegate.home import open_ledger
from tidegate.ledger import commitment, retention

MAX_DISCLOSED_BYTES = 1024 * 1024


def purge(
    ctx: typer.Context,
    before: Annotated[
        str,
        typer.Option(
            "--before",
            metavar="DATE",
            help="Only blobs of entries appended before DATE (YYYY-MM-DD, UTC, or RFC 3339).",
        ),
    ],
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Only entries of this kind (repeatable; default: all)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be purged; write nothing.")
    ] = False,
    ignore_retention: Annotated[
        bool,
        typer.Option(
            "--ignore-retention",
            help="Also purge blobs younger than their kind's [retention] period (still only "
            "before DATE). Recorded in the purge note.",
        ),
    ] = False,
    output: Annotated[TextOrJson, typer.Option("--format", help="text or json.")] = TextOrJson.text,
) -> None:
    """Delete the bytes of blobs past retention and before DATE; entries stay, a note records it."""
    settings = state(ctx).settings()
    policy = load_retention(settings.home)
    cutoff = retention.parse_before(before)
    ledger = open_ledger(settings, writable=not dry_run)
    try:
        result = retention.purge(
            ledger,
            policy,
            before=cutoff,
            kinds=kind,
            ignore_retention=ignore_retention,
            dry_run=dry_run,
        )
    finally:
        ledger.store.close()
    plan = result.plan
    if output is TextOrJson.json:
        emit(json.dumps(result.as_json(), indent=2))
    else:
        for blob in plan.blobs:
            emit(f"{blob.sha256}  {blob.size}  entries {','.join(map(str, blob.entries))}")
    summary = f"{len(plan.blobs)} blob(s), {plan.bytes} bytes, of {plan.entries} entries"
    if dry_run:
        say(f"dry run: would purge {summary}; nothing was written")
    elif result.notes:
        seqs = ", ".join(str(n.seq) for n in result.notes)
        say(f"purged {summary}; recorded in note entry {seqs}")
    else:
        say("nothing to purge")
    if plan.kept_shared:
        say(f"kept {plan.kept_shared} blob(s) also referenced by entries that are not eligible")
    if plan.kinds_without_retention:
        kinds = ", ".join(plan.kinds_without_retention)
        say(f"no retention period for kind(s) {kinds}: their blobs are kept (see [retention])")


def _read_secret_input(path: Path, what: str) -> str:
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(MAX_DISCLOSED_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_DISCLOSED_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{what} file {path}: {exc.strerror}") from exc
    if len(data) > MAX_DISCLOSED_BYTES:
        raise UsageError(f"{what} file {path} is larger than {MAX_DISCLOSED_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what} file {path}: not UTF-8 (byte {exc.start})") from exc


def _one_of(text: str | None, path: Path | None, option: str) -> tuple[str, str]:
    if (text is None) == (path is None):
        raise UsageError(f"give exactly one of --{option} or --{option}-file")
    if path is not None:
        return _read_secret_input(path, option), f"--{option}-file {path}"
    assert text is not None
    return text, f"--{option}"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_value(text: str, source: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:  # the message gives a position, never the value
        raise UsageError(
            f"{source}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
            hint="a string value is quoted JSON, e.g. --value '\"alice@example.com\"'",
        ) from exc
    except ValueError as exc:
        raise UsageError(f"{source}: {exc}") from exc


def disclose(
    ctx: typer.Context,
    seq: Annotated[int, typer.Argument(help="Sequence number of the entry.", min=0)],
    field: Annotated[
        str, typer.Argument(help="The committed field, a JSON Pointer such as /message.")
    ],
    value: Annotated[
        str | None, typer.Option("--value", metavar="JSON", help="The disclosed value, as JSON.")
    ] = None,
    value_file: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Read the disclosed JSON value from FILE (- stdin)."),
    ] = None,
    salt: Annotated[
        str | None,
        typer.Option("--salt", metavar="HEX", help="The commitment's salt, 64 hex digits."),
    ] = None,
    salt_file: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Read the salt from FILE (- stdin); keeps it off argv."),
    ] = None,
    output: Annotated[TextOrJson, typer.Option("--format", help="text or json.")] = TextOrJson.text,
) -> None:
    """Check a disclosed value against the commitment at FIELD of entry SEQ.

    Exit 0 if it matches, 1 if it does not or there is no commitment there, 2 on usage errors.
    """
    if str(value_file) == str(salt_file) == "-":
        raise UsageError("--value-file and --salt-file cannot both read stdin")
    value_text, value_source = _one_of(value, value_file, "value")
    salt_text, _ = _one_of(salt, salt_file, "salt")
    salt_bytes = commitment.parse_salt(salt_text)
    disclosed = _parse_value(value_text, value_source)
    ledger = open_ledger(state(ctx).settings(), writable=False)
    try:
        result = commitment.disclose(ledger.store, seq, field, disclosed, salt_bytes)
    finally:
        ledger.store.close()
    if output is TextOrJson.json:
        emit(json.dumps(result.as_json(), indent=2))
    else:
        emit(result.outcome.value)
    say(result.detail)
    raise typer.Exit(0 if result.outcome is commitment.Outcome.MATCH else 1)
