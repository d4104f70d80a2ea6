"""`tidegate ledger export` and `ledger verify --bundle`: write and check evidence bundles."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from tidegate.cli._console import emit, is_interactive, read_input, say, stderr
from tidegate.cli._state import state
from tidegate.errors import UsageError
from tidegate.home import open_ledger
from tidegate.ledger.trust import load_trust

if TYPE_CHECKING:
    from tidegate.ledger.bundle import BundleReport
    from tidegate.ledger.report import Report

MAX_SMALL_FILE = 64 * 1024


class BundleFormat(StrEnum):
    """What an export writes besides the evidence itself."""

    evidence = "evidence"
    intoto = "intoto"


class ReportFormat(StrEnum):
    """Output formats of the bundle verification report."""

    text = "text"
    json = "json"


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """Yield a progress callback drawing a bar on stderr, or None when it is not a terminal."""
    if not is_interactive():
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr,
        auto_refresh=False,  # no refresh thread: bundle verification forks its workers
    ) as bar:
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, refresh=True)

        yield advance


def export(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The bundle directory to create (new or empty).")
    ],
    since: Annotated[
        str | None,
        typer.Option(
            metavar="DATE|SEQ",
            help="Only entries from this sequence number, date (UTC) or RFC 3339 time on.",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            metavar="DATE|SEQ",
            help="Only entries before this sequence number, date (UTC) or time (exclusive).",
        ),
    ] = None,
    run: Annotated[
        str | None,
        typer.Option(
            "--run",
            metavar="RUN_ID",
            help="Only entries whose body.run_id is RUN_ID (or with a subject run_id:RUN_ID).",
        ),
    ] = None,
    decision: Annotated[
        str | None,
        typer.Option(
            "--decision",
            metavar="ID",
            help="Only entries whose body.decision_id is ID (or with a subject decision_id:ID).",
        ),
    ] = None,
    from_checkpoint: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="The previous export's checkpoint: add a consistency proof from it.",
        ),
    ] = None,
    bundle_format: Annotated[
        BundleFormat,
        typer.Option("--format", help="intoto also writes statements.jsonl (in-toto statements)."),
    ] = BundleFormat.evidence,
) -> None:
    """Write a self-contained evidence bundle an auditor verifies offline; prints its directory."""
    from tidegate.ledger.export import Selection, export_bundle, parse_bound

    selection = Selection(
        since=None if since is None else parse_bound(since, option="--since"),
        until=None if until is None else parse_bound(until, option="--until"),
        run_id=run,
        decision_id=decision,
    )
    previous = (
        None
        if from_checkpoint is None
        else read_input(str(from_checkpoint), "checkpoint", MAX_SMALL_FILE)
    )
    settings = state(ctx).settings()
    trust = load_trust(settings.trust_path)
    ledger = open_ledger(settings, writable=True)
    try:
        with _progress("exporting") as advance:
            result = export_bundle(
                ledger,
                trust,
                out,
                selection=selection,
                previous_checkpoint=previous,
                intoto=bundle_format is BundleFormat.intoto,
                progress=advance,
            )
    finally:
        ledger.store.close()
    purged = f", {result.blobs_purged} purged" if result.blobs_purged else ""
    say(
        f"exported {result.entries_exported} of {result.size} entries "
        f"({selection.describe()}), {result.blobs_exported} blobs{purged}, {result.tiles} tiles, "
        f"{result.files} files, checkpoint size {result.size} root {result.root_hash.hex()}"
    )
    for omitted in result.bundles_omitted:
        say(f"note: {omitted['path']} left out: {omitted['reason']}")
    say(f"manifest sha256 {result.manifest_sha256}: give it to the auditor with the bundle")
    emit(str(out))


def verdict_suffix(report: Report, *, strict: bool) -> str:
    """What to add to an intact report's first line when there are findings."""
    if report.complete:
        return ""
    count = len(report.findings)
    return (
        f"; FAILED with --strict: {count} completeness finding(s)"
        if strict
        else f" ({count} completeness finding(s), see below)"
    )


def findings_lines(report: Report, *, strict: bool) -> list[str]:
    """Return the completeness section of a verification report."""
    counts = report.completeness
    lines = [
        f"  completeness: {counts.get('runs_started', 0)} runs started, "
        f"{counts.get('runs_finished', 0)} finished; {counts.get('decisions', 0)} decisions "
        f"({counts.get('decision_inputs_purged', 0)} inputs purged); "
        f"{counts.get('approvals', 0)} approvals; {counts.get('waivers', 0)} waivers "
        f"against {counts.get('policies_loaded', 0)} recorded policies"
    ]
    if report.complete:
        lines.append("  no completeness findings")
        return lines
    truncated = " (truncated)" if report.findings_truncated else ""
    effect = "--strict: they fail the verification" if strict else "not failures; --strict fails"
    lines.append(f"  {len(report.findings)} completeness findings{truncated} ({effect}):")
    for finding in report.sorted_findings()[:20]:
        lines.append(f"    entry {finding.seq}: {finding.code}: {finding.detail}")
    return lines


def render_bundle_report(report: BundleReport, *, strict: bool = False) -> str:
    """Return the human-readable bundle verification report."""
    lines: list[str] = []
    first = report.first_failure
    if first is None:
        lines.append(
            f"bundle verified: {report.directory}: log {report.origin}, {report.size} entries, "
            f"root {report.root_hash.hex()}{verdict_suffix(report, strict=strict)}"
        )
    else:
        where = f"entry {first.seq}" if first.seq is not None else "the bundle"
        in_file = f" ({first.path})" if first.path else ""
        lines.append(
            f"bundle verification FAILED at {where}{in_file}: {first.reason}: {first.detail}"
        )
    keys = ", ".join(f"{k} ({n})" for k, n in sorted(report.keys_used.items())) or "none"
    signed = "verified" if report.checkpoint_verified else "NOT verified"
    lines += [
        f"  manifest sha256 {report.manifest_sha256 or '-'}; {report.files_checked} files "
        "checked against it",
        f"  checkpoint of size {report.size} {signed} with your key(s)"
        + ("" if report.windows_enforced else " (key validity windows not enforced)"),
        f"  {report.entries_checked} log entries checked in {report.entry_bundles_checked} entry "
        f"bundles, {report.tiles_checked} tiles; {report.signatures_checked} signatures; "
        f"keys: {keys}",
        f"  {report.entries_exported} exported entries ({report.selection or 'selection unknown'}), "
        f"{report.proofs_checked} tlog-proofs checked",
        f"  {report.blobs_checked} blob references checked, {report.blobs_purged} purged",
    ]
    for item in report.purged[:20]:
        when = item["purged_at"] or "unknown time"
        lines.append(
            f"    purged: blob {item['sha256']} ({item['size']} bytes) of entry {item['seq']}, "
            f"purged {when}"
        )
    if report.statements_checked:
        lines.append(f"  {report.statements_checked} in-toto statements checked")
    if report.previous_checkpoint_size is not None:
        lines.append(
            f"  consistent with the previous checkpoint of size {report.previous_checkpoint_size}"
        )
    if report.trusted_checkpoint_size is not None:
        lines.append(f"  trusted checkpoint of size {report.trusted_checkpoint_size} checked")
    lines += findings_lines(report, strict=strict)
    for note in report.notes:
        lines.append(f"  note: {note}")
    if first is not None:
        truncated = " (truncated)" if report.failures_truncated else ""
        lines.append(f"  {len(report.failures)} failures{truncated}:")
        for failure in report.sorted_failures()[:20]:
            where = f"entry {failure.seq}" if failure.seq is not None else "bundle"
            in_file = f" {failure.path}" if failure.path else ""
            lines.append(f"    {where}{in_file}: {failure.reason}: {failure.detail}")
    return "\n".join(lines)


def run_bundle_verify(
    bundle: Path,
    *,
    pubkey: Sequence[Path] | None,
    trust: Path | None,
    trusted_checkpoint: Path | None,
    output: str,
    workers: int | None,
    witness_keys: Sequence[Path] = (),
    strict: bool = False,
) -> NoReturn:
    """Verify a bundle and print the report; exit 0 verified, 1 failed (usage errors raise).

    With ``strict``, completeness findings fail it too.
    """
    from tidegate.ledger.bundle import pubkey_trust, verify_bundle
    from tidegate.ledger.witness import load_witness_key

    if pubkey and trust is not None:
        raise UsageError("give --pubkey or --trust, not both")
    if not bundle.is_dir():
        raise UsageError(f"bundle {bundle} is not a directory")
    if trust is not None:
        policy = load_trust(trust)
    else:
        keys = [(str(p), read_input(str(p), "public key", MAX_SMALL_FILE)) for p in pubkey or []]
        policy = pubkey_trust(bundle, keys)
    kept = None
    if trusted_checkpoint is not None:
        kept = read_input(str(trusted_checkpoint), "trusted checkpoint", MAX_SMALL_FILE)
    witnesses = [
        load_witness_key(read_input(str(p), "witness key", MAX_SMALL_FILE), source=str(p))
        for p in witness_keys
    ]
    with _progress("verifying bundle") as advance:
        report = verify_bundle(
            bundle,
            policy,
            trusted_checkpoint=kept,
            workers=workers,
            progress=advance,
            witness_keys=witnesses,
        )
    if output == ReportFormat.json.value:
        emit(json.dumps({**report.as_json(), "strict": strict}, indent=2))
    else:
        emit(render_bundle_report(report, strict=strict))
    raise typer.Exit(0 if report.passed(strict=strict) else 1)
