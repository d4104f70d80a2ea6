"""`tidegate ledger`: append, log, show, checkpoint, prove and verify."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tidegate.cli._console import emit, emit_bytes, is_interactive, read_input, say, stderr
from tidegate.cli._export import findings_lines, run_bundle_verify, verdict_suffix
from tidegate.cli._state import state
from tidegate.config import ENV_ACTOR
from tidegate.errors import FormatError, TidegateError, UsageError
from tidegate.home import open_ledger, open_store, verification_trust
from tidegate.ledger.commitment import CommittedField, commit_fields
from tidegate.ledger.kinds import KIND_SCHEMAS, USER_APPENDABLE, validate_body
from tidegate.ledger.log import AppendRequest, Ledger, read_entry
from tidegate.ledger.note import open_checkpoint
from tidegate.ledger.proof import parse_consistency_proof
from tidegate.ledger.trust import load_trust
from tidegate.ledger.verify import VerifyReport, verify_ledger
from tidegate.ledger.witness import load_witness_key

app = typer.Typer(help="Append to, inspect, prove and verify the ledger.", no_args_is_help=True)

MAX_BODY_BYTES = 1024 * 1024


class TextOrJson(StrEnum):
    """Output formats of listing and report commands."""

    text = "text"
    json = "json"


@contextmanager
def _ledger(ctx: typer.Context, *, writable: bool) -> Iterator[Ledger]:
    ledger = open_ledger(state(ctx).settings(), writable=writable)
    try:
        yield ledger
    finally:
        ledger.store.close()


def _parse_body(data: bytes, source: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise UsageError(f"body {source}: not UTF-8 (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"body {source}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc


@app.command()
def append(
    ctx: typer.Context,
    body: Annotated[str, typer.Option("--body", help="JSON body file, or - for stdin.")],
    kind: Annotated[
        str, typer.Option("--kind", help="Entry kind; only `note` is appended by hand.")
    ] = "note",
    actor: Annotated[
        str | None,
        typer.Option(
            envvar=ENV_ACTOR, show_envvar=False, help=f"Actor to record [env: {ENV_ACTOR}]."
        ),
    ] = None,
    blob: Annotated[
        list[str] | None,
        typer.Option(
            "--blob",
            metavar="NAME=FILE",
            help="Attach FILE as a content-addressed blob called NAME (repeatable).",
        ),
    ] = None,
    commit: Annotated[
        list[str] | None,
        typer.Option(
            "--commit",
            metavar="FIELD",
            help="Store FIELD (a JSON Pointer such as /message) as a salted-hash commitment; "
            "prints the secret salts once, as JSON (repeatable).",
        ),
    ] = None,
) -> None:
    """Append one signed entry; prints its sequence number once it is durable.

    With --commit, prints {"seq": N, "commitments": [...]} instead: keep the salts privately.
    """
    if kind not in USER_APPENDABLE:
        appendable = ", ".join(sorted(USER_APPENDABLE))
        if kind in KIND_SCHEMAS:
            raise UsageError(
                f"kind {kind!r} is written by its own command; `ledger append` takes: {appendable}"
            )
        raise UsageError(f"unknown entry kind {kind!r}; `ledger append` takes: {appendable}")
    source = "stdin" if body == "-" else body
    parsed = validate_body(
        kind,
        _parse_body(read_input(body, "body", MAX_BODY_BYTES), source),
        source=f"body {source}",
    )
    committed: list[CommittedField] = []
    if commit:
        parsed, committed = commit_fields(parsed, commit)
        validate_body(kind, parsed, source=f"body {source} with commitments")
    blobs: dict[str, bytes] = {}
    for item in blob or []:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise UsageError(f"--blob {item!r}: expected NAME=FILE")
        blobs[name] = read_input(path, "blob", 256 * 1024 * 1024)
    with _ledger(ctx, writable=True) as ledger:
        entry = ledger.append(AppendRequest(kind, parsed, actor=actor, blobs=blobs))
    say(f"appended entry {entry.seq} ({entry.kind}) leaf {entry.leaf_hash.hex()}")
    if committed:
        emit(json.dumps({"seq": entry.seq, "commitments": [c.as_json() for c in committed]}))
    else:
        emit(str(entry.seq))


@app.command("log")
def log_entries(
    ctx: typer.Context,
    since: Annotated[int, typer.Option(help="First sequence number to list.", min=0)] = 0,
    limit: Annotated[
        int | None, typer.Option(help="List at most this many entries.", min=1)
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Only entries of this kind.")] = None,
    output: Annotated[
        TextOrJson, typer.Option("--format", help="text or json (JSON Lines).")
    ] = TextOrJson.text,
) -> None:
    """List entries: sequence number, time, kind, actor, signing key, leaf hash."""
    with _ledger(ctx, writable=False) as ledger:
        shown = 0
        for chunk in ledger.store.entries(since, kind=kind, chunk=500):
            for entry in chunk:
                if limit is not None and shown >= limit:
                    return
                shown += 1
                if output is TextOrJson.json:
                    row = {
                        "seq": entry.seq,
                        "time": entry.time,
                        "kind": entry.kind,
                        "actor": entry.actor,
                        "keyid": entry.keyid,
                        "leaf_hash": entry.leaf_hash.hex(),
                    }
                    emit(json.dumps(row))
                else:
                    emit(
                        f"{entry.seq:>8}  {entry.time}  {entry.kind:<12}  {entry.actor}  "
                        f"{entry.keyid}  {entry.leaf_hash.hex()[:16]}"
                    )


@app.command()
def show(
    ctx: typer.Context,
    seq: Annotated[int, typer.Argument(help="Sequence number of the entry.", min=0)],
    raw: Annotated[
        bool, typer.Option("--raw", help="Print the entry's exact bytes instead.")
    ] = False,
) -> None:
    """Show one entry: the decoded in-toto statement, its signatures and leaf hash."""
    with _ledger(ctx, writable=False) as ledger:
        stored = ledger.store.entry(seq) if raw else None
        if stored is not None:  # exact bytes, even of an entry that no longer parses
            emit_bytes(stored.envelope)
            return
        entry, parsed = read_entry(ledger.store, seq)
    document = {
        "seq": entry.seq,
        "leaf_hash": entry.leaf_hash.hex(),
        "signatures": [
            {"keyid": k, "sig": base64.b64encode(s).decode()} for k, s in parsed.signatures
        ],
        "statement": parsed.statement,
    }
    emit(json.dumps(document, indent=2, ensure_ascii=False))


@app.command()
def checkpoint(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the checkpoint here instead of stdout."),
    ] = None,
    add_cosignature: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Instead of signing, store a witness's cosignature: the cosigned checkpoint "
            "(`witness cosign -o`) or its cosignature line (- for stdin).",
        ),
    ] = None,
    witness_key: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="With --add-cosignature: the witness's verifier key; its cosignature must "
            "verify (repeatable).",
        ),
    ] = None,
    size: Annotated[
        int | None,
        typer.Option(
            help="With --add-cosignature of a bare line: the checkpoint's size (default: the "
            "latest).",
            min=0,
        ),
    ] = None,
) -> None:
    """Sign a C2SP checkpoint of the current tree, store it and print it (with its cosignatures).

    With --add-cosignature, store a witness's cosignature with the checkpoint it cosigns, so
    `verify --witness-key` and exports carry it; prints the cosigned checkpoint.
    """
    if add_cosignature is None:
        if witness_key or size is not None:
            raise UsageError("--witness-key and --size go with --add-cosignature")
        with _ledger(ctx, writable=True) as ledger:
            signed = ledger.checkpoint()
        note, cp_size, root = signed.note, signed.checkpoint.size, signed.checkpoint.root_hash
        say(f"checkpoint of size {cp_size}, root {root.hex()}")
    else:
        note = _add_cosignature(ctx, add_cosignature, witness_key or [], size)
    if out is None:
        emit_bytes(note)
    else:
        out.write_bytes(note)
        emit(str(out))


def _add_cosignature(
    ctx: typer.Context, source: Path, witness_keys: list[Path], size: int | None
) -> bytes:
    """Store the cosignatures in ``source`` with their checkpoint; return the stored note."""
    from tidegate.ledger.witness import store_cosignatures

    if not witness_keys:
        raise UsageError("give the witness's verifier key with --witness-key FILE")
    witnesses = [
        load_witness_key(read_input(str(p), "witness key", 64 * 1024), source=str(p))
        for p in witness_keys
    ]
    data = read_input(str(source), "cosignature", 64 * 1024)
    label = "stdin" if str(source) == "-" else str(source)
    store = open_store(state(ctx).settings())
    try:
        stored = store_cosignatures(store, data, witnesses, size=size, source=label)
    finally:
        store.close()
    for witness, stamp in stored.witnesses:
        say(
            f"stored the cosignature by witness {witness} (time {stamp}) with checkpoint {stored.size}"
        )
    return stored.note


@app.command()
def prove(
    ctx: typer.Context,
    seq: Annotated[int, typer.Argument(help="Sequence number of the entry to prove.", min=0)],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The tlog-proof file to write (and OUT.entry).")
    ],
) -> None:
    """Write a C2SP tlog-proof@v1 for one entry to OUT and the entry's exact bytes to OUT.entry."""
    with _ledger(ctx, writable=True) as ledger:
        proof, entry = ledger.prove_inclusion(seq)
    entry_path = out.with_name(out.name + ".entry")
    out.write_bytes(proof.encode())
    entry_path.write_bytes(entry.envelope)
    emit(str(out))
    emit(str(entry_path))


@app.command()
def consistency(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="The consistency proof file to write.")],
    old_size: Annotated[
        int | None, typer.Option(help="Prove the ledger extends its first N entries.", min=0)
    ] = None,
    from_checkpoint: Annotated[
        Path | None, typer.Option(help="Prove the ledger extends this (trusted) checkpoint.")
    ] = None,
) -> None:
    """Write a consistency proof from an older tree size to a fresh checkpoint."""
    if (old_size is None) == (from_checkpoint is None):
        raise UsageError("give exactly one of --old-size or --from-checkpoint")
    settings = state(ctx).settings()
    if from_checkpoint is not None:
        trust = load_trust(settings.trust_path)
        data = read_input(str(from_checkpoint), "checkpoint", 64 * 1024)
        try:
            old_size = open_checkpoint(data, trust.note_verifiers()).size
        except FormatError as exc:
            raise UsageError(f"checkpoint {from_checkpoint}: {exc.message}") from exc
    assert old_size is not None
    with _ledger(ctx, writable=True) as ledger:
        proof = ledger.prove_consistency(old_size)
    out.write_bytes(proof.encode())
    parse_consistency_proof(out.read_bytes(), source=str(out))
    emit(str(out))


def _render_report(report: VerifyReport, *, strict: bool) -> str:
    lines: list[str] = []
    if report.ok:
        lines.append(
            f"ledger intact: {report.size} entries, root {report.root_hash.hex()}"
            f"{verdict_suffix(report, strict=strict)}"
        )
    else:
        first = report.first_failure
        assert first is not None
        where = f"entry {first.seq}" if first.seq is not None else "the ledger"
        lines.append(f"ledger verification FAILED at {where}: {first.reason}: {first.detail}")
    keys = ", ".join(f"{k} ({n})" for k, n in sorted(report.keys_used.items())) or "none"
    lines.append(f"  origin {report.origin}")
    lines.append(f"  {report.signatures_checked} signatures checked; keys: {keys}")
    lines.append(
        f"  {report.checkpoints_checked} checkpoints checked; latest covers {report.latest_checkpoint_size}"
    )
    if report.trusted_checkpoint_size is not None:
        lines.append(f"  trusted checkpoint of size {report.trusted_checkpoint_size} checked")
    lines.append(f"  {report.blobs_checked} blobs checked, {report.blobs_purged} purged")
    lines += findings_lines(report, strict=strict)
    for note in report.notes:
        lines.append(f"  note: {note}")
    if not report.ok:
        lines.append(
            f"  {len(report.failures)} failures{' (truncated)' if report.failures_truncated else ''}:"
        )
        for failure in report.sorted_failures()[:20]:
            where = f"entry {failure.seq}" if failure.seq is not None else "ledger"
            lines.append(f"    {where}: {failure.reason}: {failure.detail}")
    return "\n".join(lines)


@app.command()
def verify(
    ctx: typer.Context,
    trusted_checkpoint: Annotated[
        Path | None, typer.Option(help="A checkpoint you kept: the ledger must extend it.")
    ] = None,
    pubkey: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="Trust only this public key (PEM or note verifier key); repeatable.",
        ),
    ] = None,
    trust: Annotated[
        Path | None, typer.Option(help="Trust file to use instead of .tidegate/trust.json.")
    ] = None,
    output: Annotated[TextOrJson, typer.Option("--format", help="text or json.")] = TextOrJson.text,
    workers: Annotated[
        int | None,
        typer.Option(help="Signature-checking processes (default: one per core).", min=1),
    ] = None,
    witness_key: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="Require a cosignature by this witness (its vkey) on the trusted checkpoint, "
            "else on a stored one (with --bundle: on the bundle's checkpoint); repeatable.",
        ),
    ] = None,
    bundle: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Verify this exported evidence bundle instead, with nothing else "
            "(no .tidegate needed; give --pubkey or --trust).",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Also fail (exit 1) on completeness findings: unfinished runs, decisions "
            "without their input, dangling approvals, waivers of unknown rules.",
        ),
    ] = False,
) -> None:
    """Verify every entry, signature, link, blob and checkpoint, and report completeness findings.

    Exit 0 intact, 1 failed (with --strict also: a completeness finding), 2 usage.
    """
    if pubkey and trust is not None:
        raise UsageError("give --pubkey or --trust, not both")
    if bundle is not None:
        run_bundle_verify(
            bundle,
            pubkey=pubkey,
            trust=trust,
            trusted_checkpoint=trusted_checkpoint,
            output=output.value,
            workers=workers,
            witness_keys=witness_key or (),
            strict=strict,
        )
    witnesses = [
        load_witness_key(read_input(str(p), "witness key", 64 * 1024), source=str(p))
        for p in witness_key or []
    ]
    checkpoint_bytes = None
    if trusted_checkpoint is not None:
        checkpoint_bytes = read_input(str(trusted_checkpoint), "trusted checkpoint", 64 * 1024)
    settings = state(ctx).settings()
    public_keys = [(str(p), read_input(str(p), "public key", 64 * 1024)) for p in pubkey or []]
    store = open_store(settings)
    try:
        policy = verification_trust(store, public_keys, trust or settings.trust_path)
    except TidegateError:
        store.close()
        raise
    try:
        if is_interactive():
            with Progress(
                TextColumn("verifying"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=stderr,
                auto_refresh=False,  # no refresh thread: verify forks its workers
            ) as bar:
                task = bar.add_task("verify", total=None)

                def advance(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total, refresh=True)

                report = verify_ledger(
                    store,
                    policy,
                    trusted_checkpoint=checkpoint_bytes,
                    workers=workers,
                    progress=advance,
                    witness_keys=witnesses,
                )
        else:
            report = verify_ledger(
                store,
                policy,
                trusted_checkpoint=checkpoint_bytes,
                workers=workers,
                witness_keys=witnesses,
            )
    finally:
        store.close()
    if output is TextOrJson.json:
        emit(json.dumps({**report.as_json(), "strict": strict}, indent=2))
    else:
        emit(_render_report(report, strict=strict))
    raise typer.Exit(0 if report.passed(strict=strict) else 1)
