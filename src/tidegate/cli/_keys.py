"""`tidegate keys`: generate, list, export and rotate signing keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tidegate.cli._console import emit, say
from tidegate.cli._state import state
from tidegate.errors import KeyFileError, UsageError
from tidegate.home import rotate_key
from tidegate.ledger.keys import generate_key, load_key, public_key_pem, write_key
from tidegate.ledger.note import NoteVerifier
from tidegate.ledger.trust import load_trust

app = typer.Typer(help="Generate, list, export and rotate signing keys.", no_args_is_help=True)


@app.command()
def generate(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Where to write the new private key (mode 0600).")
    ],
) -> None:
    """Generate a standalone Ed25519 key file (for another runner or a witness); prints its id."""
    key = generate_key()
    write_key(key, out)
    say(f"wrote private key {key.keyid} to {out} (mode 0600)")
    emit(key.keyid)


@app.command("list")
def list_keys(
    ctx: typer.Context,
    output: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """List the keys of the trust file with their validity windows."""
    settings = state(ctx).settings()
    trust = load_trust(settings.trust_path)
    try:
        signing = load_key(settings.key_path).keyid
    except KeyFileError:
        signing = None
    rows = [
        {
            "keyid": k.keyid,
            "valid_from": k.valid_from,
            "valid_until": k.valid_until,
            "signing": k.keyid == signing,
        }
        for k in trust.keys
    ]
    if output == "json":
        emit(json.dumps({"origin": trust.origin, "keys": rows}, indent=2))
        return
    if output != "text":
        raise UsageError(f"unknown format {output!r}: use text or json")
    for row in rows:
        marker = "*" if row["signing"] else " "
        until = row["valid_until"] or "(current)"
        emit(f"{marker} {row['keyid']}  {row['valid_from']} .. {until}")


@app.command()
def export(
    ctx: typer.Context,
    keyid: Annotated[
        str | None, typer.Option(help="Key to export (default: the signing key).")
    ] = None,
    output: Annotated[str, typer.Option("--format", help="all, pem or vkey.")] = "all",
) -> None:
    """Print a public key as PEM and as a C2SP note verifier key (name+keyid+base64)."""
    if output not in ("all", "pem", "vkey"):
        raise UsageError(f"unknown format {output!r}: use all, pem or vkey")
    settings = state(ctx).settings()
    trust = load_trust(settings.trust_path)
    wanted = keyid or load_key(settings.key_path).keyid
    trusted = trust.key(wanted)
    if trusted is None:
        raise UsageError(f"key {wanted} is not in the trust file {settings.trust_path}")
    if output in ("all", "pem"):
        emit(public_key_pem(trusted.public_key).rstrip("\n"))
    if output in ("all", "vkey"):
        emit(NoteVerifier(trust.origin, trusted.public_key).vkey())


@app.command()
def rotate(
    ctx: typer.Context,
    reason: Annotated[
        str | None, typer.Option(help="Why the key is rotated (recorded in the ledger).")
    ] = None,
) -> None:
    """Replace the signing key: a key.rotated entry signed by the old and the new key."""
    settings = state(ctx).settings()
    result = rotate_key(settings, reason=reason)
    say(f"rotated {result.old_keyid} -> {result.new_keyid} at entry {result.entry.seq}")
    say(f"new key in {result.new_key_path} (mode 0600); the old key file can now be archived")
    emit(result.new_keyid)
