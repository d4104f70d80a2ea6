"""`tidegate policy`: test the Rego bundle and evaluate it on an input (thin commands)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tidegate.cli._console import emit, read_input, say
from tidegate.errors import UsageError

if TYPE_CHECKING:
    from tidegate.policy.engine import Engine

MAX_INPUT_BYTES = 64 * 1024 * 1024
OPA_URL_ENV = "TIDEGATE_OPA_URL"
DEFAULT_POLICY_DIR = Path("policies")

app = typer.Typer(
    help="Test Rego policy bundles and evaluate them on gate inputs.",
    no_args_is_help=True,
)


class PolicyTestFormat(StrEnum):
    """Output formats of `tidegate policy test`."""

    text = "text"
    json = "json"


class EvalFormat(StrEnum):
    """Output formats of `tidegate policy eval`."""

    json = "json"
    text = "text"


def _policy_dir(path: Path) -> Path:
    """Refuse a policy directory that is not there (a usage error, exit 2)."""
    if not path.is_dir():
        raise UsageError(
            f"policy directory {path} does not exist or is not a directory",
            hint="give the bundle directory, e.g. `tidegate policy test policies`",
        )
    return path


@app.command("test")
def policy_test(
    directory: Annotated[
        Path, typer.Argument(help="The policy bundle directory [default: ./policies].")
    ] = DEFAULT_POLICY_DIR,
    output: Annotated[PolicyTestFormat, typer.Option("--format", help="text or json.")] = (
        PolicyTestFormat.text
    ),
    coverage: Annotated[
        bool, typer.Option("--coverage/--no-coverage", help="Report line coverage of modules.")
    ] = True,
) -> None:
    """Run the bundle's Rego unit tests (rules test_* in *_test.rego) with line coverage.

    Exit 0 when every test passes, 1 when any fails or errors (or none exist), 2 for a
    directory that is not there.
    """
    from tidegate.policy.bundle import load_bundle
    from tidegate.policy.testing import render_text, run_tests

    bundle = load_bundle(_policy_dir(directory), with_tests=True)
    report = run_tests(bundle, coverage=coverage)
    if output is PolicyTestFormat.json:
        emit(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        emit(render_text(report))
    if not report.ok:
        raise typer.Exit(1)


@app.command("eval")
def eval_(
    input_path: Annotated[
        str, typer.Option("--input", help="The gate input JSON file (`-` reads stdin).")
    ],
    policy: Annotated[
        Path, typer.Option("--policy", help="The policy bundle directory [default: ./policies].")
    ] = DEFAULT_POLICY_DIR,
    query: Annotated[
        str | None,
        typer.Option(
            "--query", help="One Rego expression to evaluate instead of the gate decision."
        ),
    ] = None,
    opa_url: Annotated[
        str | None,
        typer.Option(
            "--opa-url",
            envvar=OPA_URL_ENV,
            show_envvar=False,
            help=f"Evaluate on this OPA server (the bundle is pushed) [env: {OPA_URL_ENV}].",
        ),
    ] = None,
    output: Annotated[EvalFormat, typer.Option("--format", help="json or text.")] = (
        EvalFormat.json
    ),
) -> None:
    """Evaluate the bundle on one input: the gate decision (fail closed), or --query's value.

    Without --query the decision goes through the same checks as `gate check` (input and
    decision schemas); when they fail, or the engine does, the fail-closed deny is printed
    and the exit code is 1. With --query the raw value is printed (exit 1 when undefined).
    """
    from tidegate.policy.engine import UNDEFINED, decide, fail_closed
    from tidegate.policy.errors import PolicyError

    input_doc = _read_json(input_path)
    directory = _policy_dir(policy)
    if query is not None:
        value = _engine(directory, opa_url).eval_query(query, input_doc)
        if value is UNDEFINED:
            say(f"undefined: {query}")
            raise typer.Exit(1)
        emit(json.dumps(value, indent=2, ensure_ascii=False))
        return
    try:
        evaluated = decide(_engine(directory, opa_url), input_doc)
        decision, error = evaluated.decision, evaluated.error
    except PolicyError as exc:
        decision, error = fail_closed(exc.message), exc.message
    if output is EvalFormat.json:
        emit(json.dumps(decision, indent=2, ensure_ascii=False))
    else:
        from tidegate.policy.render import render_decision

        emit(render_decision(decision))
    if error is not None:
        say(f"failed closed: {error}")
        raise typer.Exit(1)


def _read_json(path: str) -> dict[str, Any]:
    """Read the input document; unreadable or non-object JSON is a usage error."""
    data = read_input(path, "input", MAX_INPUT_BYTES)
    source = "stdin" if path == "-" else path
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"input {source} is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise UsageError(f"input {source} must be a JSON object")
    return document


def _engine(directory: Path, opa_url: str | None) -> Engine:
    """Load the bundle and build the engine that evaluates it (PolicyError on failure)."""
    from tidegate.policy.bundle import load_bundle

    bundle = load_bundle(directory)
    if opa_url:
        from tidegate.policy.opa import OpaEngine

        return OpaEngine(opa_url, bundle, use_server_bundles=False)
    from tidegate.policy.embedded import EmbeddedEngine

    return EmbeddedEngine(bundle)


@app.command("replay")
def replay(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only decisions from this date (YYYY-MM-DD) or time."),
    ] = None,
    policy: Annotated[
        Path,
        typer.Option("--policy", help="The policy bundle to replay with [default: ./policies]."),
    ] = DEFAULT_POLICY_DIR,
    output: Annotated[EvalFormat, typer.Option("--format", help="text or json.")] = (
        EvalFormat.text
    ),
) -> None:
    """Re-evaluate recorded decisions with this policy; list those whose action would change.

    Run it before a policy change ships. Exit 0 when no decision changes, 10 when some do,
    1 when the policy cannot be loaded.
    """
    from tidegate.cli._state import state
    from tidegate.gate.replay import parse_since
    from tidegate.gate.replay import replay as replay_decisions
    from tidegate.home import open_store

    moment = parse_since(since) if since else None
    engine = _engine(_policy_dir(policy), None)
    store = open_store(state(ctx).settings())
    try:
        report = replay_decisions(store, engine, since=moment)
    finally:
        store.close()
    if output is EvalFormat.json:
        emit(json.dumps(report.as_json(), indent=2, sort_keys=True))
    else:
        say(f"replayed {report.replayed} decisions with {policy}: {len(report.flips)} would change")
        for flip in report.flips:
            rules = ", ".join(
                [f"+{r}" for r in flip.rules_added] + [f"-{r}" for r in flip.rules_removed]
            )
            emit(
                f"{flip.decision_id}  entry {flip.seq}  {flip.time}  "
                f"{flip.recorded} -> {flip.now}" + (f"  ({rules})" if rules else "")
            )
        for skipped in report.skipped:
            emit(
                f"{skipped['decision_id']}  entry {skipped['seq']}  not replayed: {skipped['why']}"
            )
    raise typer.Exit(10 if report.flips else 0)
