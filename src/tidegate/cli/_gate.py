"""`tidegate gate`: check a patch against policy, explain, approve and waive (thin commands)."""

from __future__ import annotations

import tempfile
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tidegate.cli._console import emit, read_input, say
from tidegate.cli._state import state
from tidegate.config import ENV_ACTOR
from tidegate.errors import UsageError

if TYPE_CHECKING:
    from tidegate.gate.policy_source import LoadedPolicy
    from tidegate.rbac import Rbac

app = typer.Typer(
    help="Decide about patches with Rego policy; explain, approve and waive.",
    no_args_is_help=True,
)

ENV_OPA_URL = "TIDEGATE_OPA_URL"
ENV_REPOSITORY = "TIDEGATE_REPOSITORY"
MAX_PATCH_BYTES = 256 * 1024 * 1024


class CheckFormat(StrEnum):
    """Report formats of `gate check`."""

    text = "text"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"
    github = "github"


class WhyFormat(StrEnum):
    """Report formats of `gate why`."""

    text = "text"
    json = "json"


PolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        help="Policy directory [default: REPO/policies (as of --base), else tidegate's defaults].",
    ),
]
RepoOption = Annotated[
    Path, typer.Option("--repo", help="The git repository (or directory a --patch applies to).")
]
RepositoryOption = Annotated[
    str | None,
    typer.Option(
        "--repository",
        envvar=ENV_REPOSITORY,
        show_envvar=False,
        help=f"Repository id for RBAC scoping [env: {ENV_REPOSITORY}; default: REPO's name].",
    ),
]


def repository_id(repo: Path, explicit: str | None) -> str:
    """Return the repository id RBAC grants are matched against."""
    return explicit or repo.resolve().name


def policy_for(
    repo: Path, policy: Path | None, opa_url: str | None = None, opa_bundles: bool = False
) -> LoadedPolicy:
    """Load the policy a command uses (failures are kept for the gate to fail closed)."""
    from tidegate.gate.policy_source import default_policy_dir, load_policy

    return load_policy(policy or default_policy_dir(repo), opa_url=opa_url, opa_bundles=opa_bundles)


def rbac_for(policy: LoadedPolicy) -> Rbac:
    """Return the RBAC data of a policy, refusing to go on without a readable policy."""
    from tidegate.rbac import load_rbac

    if policy.bundle is None:
        raise UsageError(f"policy {policy.source}: {policy.error}")
    return load_rbac(policy.bundle.data.get("rbac", {}))


@app.command("check")
def check(
    ctx: typer.Context,
    base: Annotated[str | None, typer.Option("--base", help="Base revision.")] = None,
    head: Annotated[
        str | None, typer.Option("--head", help="Head revision [default: HEAD].")
    ] = None,
    patch: Annotated[
        str | None, typer.Option("--patch", help="A unified diff (`-` reads stdin).")
    ] = None,
    repo: RepoOption = Path("."),
    actor: Annotated[
        str | None,
        typer.Option(
            "--actor",
            envvar=ENV_ACTOR,
            show_envvar=False,
            help="Who wrote the patch, e.g. agent:codex [env: TIDEGATE_ACTOR].",
        ),
    ] = None,
    run: Annotated[
        str | None, typer.Option("--run", help="The sandbox run that produced the patch.")
    ] = None,
    output: Annotated[
        CheckFormat, typer.Option("--format", help="text, json, markdown, sarif or github.")
    ] = CheckFormat.text,
    out: Annotated[
        Path | None, typer.Option("--output", help="Also write the report to this file.")
    ] = None,
    policy: PolicyOption = None,
    coverage: Annotated[
        Path | None,
        typer.Option("--coverage", help="coverage.py JSON or XML, or lcov, for the head."),
    ] = None,
    opa_url: Annotated[
        str | None,
        typer.Option(
            "--opa-url",
            envvar=ENV_OPA_URL,
            show_envvar=False,
            help=f"Decide on an OPA server instead of the embedded engine [env: {ENV_OPA_URL}].",
        ),
    ] = None,
    opa_bundles: Annotated[
        bool,
        typer.Option("--opa-bundles", help="Use the OPA server's own bundles; push nothing."),
    ] = False,
    repository: RepositoryOption = None,
    max_file_bytes: Annotated[
        int, typer.Option("--max-file-bytes", min=1, help="Larger files are not analysed.")
    ] = 1 << 20,
) -> None:
    """Decide about a patch: exit 0 proceed, 10 review required, 20 denied, 1 undecided.

    Either --base REV [--head REV] (a git range of --repo) or --patch FILE (applied to the
    files under --repo). The decision, its reasons and the full input are recorded in the
    ledger; the printed decision id feeds `gate why` and `gate approve`.
    """
    from tidegate.gate.check import CheckRequest
    from tidegate.gate.check import check as run_check
    from tidegate.gate.policy_source import policy_at_revision
    from tidegate.gate.render import render_check
    from tidegate.home import open_ledger

    if (base is None) == (patch is None):
        raise UsageError("give either --base REV [--head REV] or --patch FILE")
    if head is not None and base is None:
        raise UsageError("--head needs --base")
    if opa_bundles and not opa_url:
        raise UsageError("--opa-bundles needs --opa-url (or TIDEGATE_OPA_URL)")
    if not repo.is_dir():
        raise UsageError(f"--repo {repo}: not a directory")
    if coverage is not None and not coverage.is_file():
        raise UsageError(f"--coverage {coverage}: no such file")
    settings = state(ctx).settings()
    text = None
    if patch is not None:
        text = read_input(patch, "patch", MAX_PATCH_BYTES).decode("utf-8", "surrogateescape")
    request = CheckRequest(
        repo=repo,
        repository=repository_id(repo, repository),
        actor=actor or settings.actor,
        base=base,
        head=head,
        patch_text=text,
        patch_source="stdin" if patch == "-" else (patch or "patch"),
        run_id=run,
        coverage=coverage,
        max_file_bytes=max_file_bytes,
    )
    ledger = open_ledger(settings, writable=True)
    try:
        with tempfile.TemporaryDirectory(prefix="tidegate-policy-") as scratch:
            if policy is None and base is not None:
                policy = policy_at_revision(repo, base, Path(scratch))
            loaded = policy_for(repo, policy, opa_url, opa_bundles)
        result = run_check(request, ledger, loaded)
    finally:
        ledger.store.close()
    report = render_check(result.record, result.input_doc, output.value, seq=result.seq)
    if out is not None:
        out.write_text(report if report.endswith("\n") else report + "\n", encoding="utf-8")
    emit(report.rstrip("\n"))
    raise typer.Exit(result.exit_code)


@app.command("why")
def why(
    ctx: typer.Context,
    decision_id: Annotated[str, typer.Argument(help="A decision id (dec-...).")],
    output: Annotated[WhyFormat, typer.Option("--format", help="text or json.")] = WhyFormat.text,
    policy: PolicyOption = None,
    repo: RepoOption = Path("."),
) -> None:
    """Explain a decision: rules, evidence, feature contributions, approvals still needed,
    and the smallest set of changes whose removal would have lowered the outcome."""
    from tidegate.gate.render import render_why
    from tidegate.gate.why import explain
    from tidegate.home import open_store

    store = open_store(state(ctx).settings())
    try:
        document = explain(store, decision_id, policy_for(repo, policy))
    finally:
        store.close()
    emit(render_why(document, output.value).rstrip("\n"))


@app.command("approve")
def approve(
    ctx: typer.Context,
    decision_id: Annotated[str, typer.Argument(help="The decision to approve (dec-...).")],
    actor: Annotated[str, typer.Option("--actor", help="The approver's id (RBAC).")],
    comment: Annotated[str | None, typer.Option("--comment", help="Why it is fine.")] = None,
    policy: PolicyOption = None,
    repo: RepoOption = Path("."),
) -> None:
    """Approve a decided patch: only a holder of a required role who is not its author.

    The approval binds to the patch's digest: re-running `gate check` on the same patch
    counts it; a changed patch needs new approvals.
    """
    from tidegate.gate.review import approve as record_approval
    from tidegate.home import open_ledger

    rbac = rbac_for(policy_for(repo, policy))
    ledger = open_ledger(state(ctx).settings(), writable=True)
    try:
        approved = record_approval(ledger, rbac, decision_id, actor, comment)
    finally:
        ledger.store.close()
    say(f"approved {decision_id} as {', '.join(approved.roles)} (entry {approved.seq})")
    for item in approved.remaining:
        say(f"still required: {item['count']} more approval(s) by role {item['role']}")
    emit(str(approved.seq))


@app.command("waive")
def waive(
    ctx: typer.Context,
    rule: Annotated[str, typer.Argument(help="The rule id to waive, e.g. tests.weakened.")],
    expires: Annotated[
        str, typer.Option("--expires", help="YYYY-MM-DD (end of day UTC) or RFC 3339 time.")
    ],
    actor: Annotated[str, typer.Option("--actor", help="Who grants it (needs policies.approve).")],
    reason: Annotated[str, typer.Option("--reason", help="Why the rule is waived.")],
    path: Annotated[
        str | None, typer.Option("--path", help="Glob the evidence files must all match.")
    ] = None,
    symbol: Annotated[
        str | None, typer.Option("--symbol", help="Symbol the evidence must all carry.")
    ] = None,
    patch_digest: Annotated[
        str | None, typer.Option("--patch", help="Limit it to one patch digest.")
    ] = None,
    policy: PolicyOption = None,
    repo: RepoOption = Path("."),
    repository: RepositoryOption = None,
) -> None:
    """Waive a rule for a path glob or a symbol until a date; recorded, scoped, expiring."""
    from tidegate.gate.review import WaiverRequest
    from tidegate.gate.review import waive as record_waiver
    from tidegate.home import open_ledger

    request = WaiverRequest(
        rule=rule,
        path=path,
        symbol=symbol,
        patch_digest=patch_digest,
        expires=expires,
        actor=actor,
        reason=reason,
        repository=repository_id(repo, repository),
    )
    rbac = rbac_for(policy_for(repo, policy))
    ledger = open_ledger(state(ctx).settings(), writable=True)
    try:
        seq, waiver_id = record_waiver(ledger, rbac, request)
    finally:
        ledger.store.close()
    say(f"waiver {waiver_id} for {rule} recorded (entry {seq}), expires {expires}")
    emit(waiver_id)


@app.command("record-tests")
def record_tests(
    ctx: typer.Context,
    junit: Annotated[str, typer.Option("--junit", help="JUnit XML report (`-` reads stdin).")],
    label: Annotated[
        str, typer.Option("--label", help="What these results are, e.g. a CI run URL.")
    ] = "test results",
) -> None:
    """Record a test run's results in the ledger; `gate check` derives flakiness from them."""
    from tidegate.home import open_ledger
    from tidegate.ledger.kinds import NOTE
    from tidegate.ledger.log import AppendRequest
    from tidegate.risk import history

    data = read_input(junit, "JUnit report", MAX_PATCH_BYTES)
    outcomes = history.parse_junit(data, "stdin" if junit == "-" else junit)
    body = history.test_results_note(outcomes, label)
    ledger = open_ledger(state(ctx).settings(), writable=True)
    try:
        entry = ledger.append(AppendRequest(NOTE, body))
    finally:
        ledger.store.close()
    failed = sum(1 for outcome in outcomes if not outcome.passed)
    say(f"recorded {len(outcomes)} test results ({failed} failed) as entry {entry.seq}")
    emit(str(entry.seq))
