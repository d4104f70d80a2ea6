"""Policy gate benchmark: `tidegate gate check` end to end beside `git diff` of the same range.

Figures (medians and p90 of several runs; the ratio to git is the figure to quote):

1. `tidegate gate check --base A --head B` as a subprocess, process start to exit (Python
   start-up and imports included), on a generated git repository whose range changes 20 files
   (Python, JavaScript, Go and one YAML config; changed defaults, conditions, calls, added
   functions; about 1,000 changed lines), with the default policies copied into the repository
   and a fresh `tidegate init` home; next to `git diff A B` of the same range, run alternately.
   Every check records a decision, so the fresh ledger grows by one decision per run. The same
   check also runs against a second home pre-filled with 1,000 decisions, approvals and
   waivers (the gate reads every approval and waiver entry to build its input);
2. warm policy evaluation in process on that range's recorded input (the ledger blob
   `input.json`): `tidegate.policy.engine.decide` (schema checks + evaluation) and the raw
   `engine.evaluate`, per call;
3. `tidegate gate why DECISION_ID` end to end (it re-evaluates the policy for its
   counterfactual), on the fresh ledger and on the latest decision of the pre-filled one;
4. start-up: `python -c pass`, `python -c "import tidegate.cli"`, and a `-X importtime`
   breakdown of `import tidegate.cli` and of a whole `gate check` run (top 10 cumulative).

All inputs come from a fixed seed (the generators of bench/diff_bench.py). Prints a table and
writes JSON. Nothing here asserts a time: a missed target is reported, never raised.

    .venv/bin/python bench/gate_bench.py [--quick] [--reps N] [--out bench/results/gate_bench.json]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import gc
import importlib.metadata
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import diff_bench as gen  # the seeded code generators, shared with the differ bench

from tidegate.config import load_settings
from tidegate.gate.policy_source import load_policy
from tidegate.gate.records import decision_input, entries_of, find_decision
from tidegate.home import open_ledger, open_store
from tidegate.ledger.entry import Subject
from tidegate.ledger.kinds import GATE_APPROVAL, GATE_DECISION, GATE_WAIVER
from tidegate.ledger.log import AppendRequest
from tidegate.policy.engine import DECISION_SCHEMA, INPUT_SCHEMA, decide
from tidegate.schemas import schema_errors

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"
SEED = 20261124
ACTOR = "agent:codex"
GIT_ENV = gen.GIT_ENV


@dataclass(frozen=True)
class Plan:
    """How much work each part does."""

    check_reps: int  # timed `gate check` runs (and as many `git diff` runs) per ledger
    why_reps: int  # timed `gate why` runs per ledger
    eval_calls: int  # timed engine.evaluate() calls per input
    decide_calls: int  # timed decide() calls and schema checks per input (each ~40 ms)
    startup_reps: int  # `python -c pass` / `import tidegate.cli` runs
    importtime_reps: int  # -X importtime runs (per-module medians)
    prefill_decisions: int = 1000
    prefill_approvals: int = 250
    prefill_waivers: int = 100
    mode: str = "full"


# `gate why` on this range takes ~20 s (it re-runs decide() ~400 times), hence few runs.
FULL = Plan(
    check_reps=21,
    why_reps=3,
    eval_calls=5000,
    decide_calls=300,
    startup_reps=21,
    importtime_reps=5,
)
QUICK = Plan(
    check_reps=5,
    why_reps=1,
    eval_calls=1000,
    decide_calls=50,
    startup_reps=5,
    importtime_reps=1,
    mode="quick",
)


@dataclass(frozen=True)
class Target:
    """A goal from the issue: ``op`` is '<=' (latencies)."""

    op: str
    value: float
    text: str

    def met(self, measured: float) -> bool:
        return measured >= self.value if self.op == ">=" else measured <= self.value


CHECK_TARGET = Target("<=", 500.0, "<= 500 ms")
EVAL_TARGET = Target("<=", 0.5, "<= 0.5 ms (p50)")


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def summary(samples: Sequence[float], keep: bool = True) -> dict[str, Any]:
    """Median, p90, min, max, mean, stdev (and the samples when there are few)."""
    data: dict[str, Any] = {
        "median": statistics.median(samples),
        "p90": percentile(samples, 90),
        "min": min(samples),
        "max": max(samples),
        "mean": statistics.fmean(samples),
        "stdev": statistics.stdev(samples) if len(samples) > 1 else 0.0,
        "repetitions": len(samples),
    }
    if keep and len(samples) <= 50:
        data["samples"] = [round(s, 3) for s in samples]
    return data


STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:5.1f}s] {message}", file=sys.stderr, flush=True)


# --- the repository and its range -----------------------------------------------------------

# 20 changed files: path prefix, language, lines, edits. Two Python files sit under
# src/payments/ (criticality 900 in policies/data/paths.yaml), the rest in ordinary places.
LAYOUT = (
    *[("src/payments", "python")] * 2,
    *[("app", "python")] * 7,
    *[("web/src", "javascript")] * 5,
    *[("svc/store", "go")] * 5,
    ("deploy", "yaml"),
)
KINDS = (*gen.EDIT_KINDS, "add_function")
KIND_WEIGHTS = (3, 3, 3, 2, 2, 2, 1, 2)  # default condition call add_branch remove_branch ...
UNCHANGED_FILES = 30


@dataclass
class Changed:
    path: str
    lang: str
    old: str
    new: str


def changed_files() -> list[Changed]:
    """The range's 20 files: each a base version and an edited head version."""
    rng = random.Random(SEED)
    files = []
    for i, (folder, lang) in enumerate(LAYOUT):
        stem = f"{rng.choice(gen.NOUNS)}_{rng.choice(gen.VERBS)}_{i:02d}"
        if lang == "yaml":
            config = gen.new_config(rng, 300)
            old = "\n".join(gen.to_yaml(config)) + "\n"
            gen.edit_config(rng, config, 12)
            new = "\n".join(gen.to_yaml(config)) + "\n"
            files.append(Changed(f"{folder}/services.yaml", lang, old, new))
            continue
        module = gen.new_module(rng, stem, rng.randint(250, 450), lang)
        old = gen.render(lang, module)
        kinds = rng.choices(KINDS, weights=KIND_WEIGHTS, k=8)
        gen.edit_module(rng, module, lang, rng.randint(8, 12), kinds)
        suffix = {"python": ".py", "javascript": ".js", "go": ".go"}[lang]
        files.append(Changed(f"{folder}/{stem}{suffix}", lang, old, gen.render(lang, module)))
    return files


def build_repo(root: Path, files: list[Changed]) -> tuple[str, str]:
    """A repository with the default policies and 30 untouched files; return (base, head)."""
    rng = random.Random(SEED + 1)
    gen.git(root, "init", "-q", "-b", "main")
    unchanged = {".gitignore": ".tidegate/\n"}
    for i in range(UNCHANGED_FILES):
        module = gen.new_module(rng, f"stable_{i:02d}", rng.randint(100, 300), "python")
        unchanged[f"lib/stable_{i:02d}.py"] = gen.render("python", module)
    gen.write(root, unchanged | {f.path: f.old for f in files})
    shutil.copytree(POLICIES, root / "policies")
    gen.git(root, "add", "-A")
    gen.git(root, "commit", "-q", "-m", "base")
    base = gen.git(root, "rev-parse", "HEAD").strip()
    gen.write(root, {f.path: f.new for f in files})
    gen.git(root, "commit", "-q", "-am", "head")
    return base, gen.git(root, "rev-parse", "HEAD").strip()


# --- subprocess timing ------------------------------------------------------------------------


def tidegate_command() -> list[str]:
    """The console script next to this interpreter (what users run), else `python -m tidegate`."""
    script = Path(sys.executable).parent / "tidegate"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "tidegate"]


def cli_env(home: Path | None) -> dict[str, str]:
    env = {k: v for k, v in GIT_ENV.items() if not k.startswith("TIDEGATE_")}
    env |= {"NO_COLOR": "1", "COLUMNS": "200"}
    if home is not None:
        env["TIDEGATE_DIR"] = str(home)
    return env


@dataclass
class Run:
    ms: float
    code: int
    stdout: str
    stderr: str


def run_timed(command: Sequence[str], cwd: Path, env: dict[str, str]) -> Run:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = (time.perf_counter() - start) * 1000
    return Run(elapsed, done.returncode, done.stdout, done.stderr)


def gate_check(repo: Path, home: Path, base: str, head: str) -> Run:
    command = [*tidegate_command(), "gate", "check", "--base", base, "--head", head]
    command += ["--actor", ACTOR, "--format", "json"]
    result = run_timed(command, repo, cli_env(home))
    if result.code not in (0, 10, 20):
        raise RuntimeError(f"gate check exited {result.code}: {result.stderr.strip()}")
    return result


def gate_why(repo: Path, home: Path, decision_id: str) -> Run:
    command = [*tidegate_command(), "gate", "why", decision_id, "--format", "json"]
    result = run_timed(command, repo, cli_env(home))
    if result.code != 0:
        raise RuntimeError(f"gate why exited {result.code}: {result.stderr.strip()}")
    return result


def git_diff(repo: Path, base: str, head: str) -> Run:
    return run_timed(["git", "-C", str(repo), "diff", base, head], repo, GIT_ENV)


def init_home(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    done = run_timed([*tidegate_command(), "init", str(directory)], directory, cli_env(None))
    if done.code != 0:
        raise RuntimeError(f"tidegate init failed: {done.stderr.strip()}")
    return directory / ".tidegate"


# --- the pre-filled ledger ------------------------------------------------------------------


def prefill(home: Path, plan: Plan, repository: str) -> dict[str, int]:
    """Append decisions, approvals and waivers for other patches (plus repository-wide waivers
    on untouched paths) to ``home``'s ledger, modelled on the decision it already holds."""

    rng = random.Random(SEED + 2)
    ledger = open_ledger(load_settings(home, environ={}), writable=True)
    try:
        template = next(entries_of(ledger.store, GATE_DECISION))
        input_digest = template.body["input_digest"]
        requests: list[AppendRequest] = []
        digests: list[tuple[str, str, int]] = []
        for i in range(plan.prefill_decisions):
            body = copy.deepcopy(template.body)
            digest = f"{rng.getrandbits(256):064x}"
            body["decision_id"] = f"dec-{rng.getrandbits(80):020x}"
            body["subject"]["patch_digest"] = digest
            body["subject"]["head"] = f"{rng.getrandbits(160):040x}"
            digests.append((body["decision_id"], digest, i + 2))
            subjects = [Subject("patch", digest), Subject("input", input_digest)]
            requests.append(AppendRequest(GATE_DECISION, body, subjects=subjects))
        for decision_id, digest, seq in rng.sample(digests, plan.prefill_approvals):
            body = {
                "decision_id": decision_id,
                "decision_seq": seq,
                "patch_digest": digest,
                "repository": repository,
                "approver": "alice",
                "roles": ["reviewer"],
                "author": ACTOR,
                "comment": "looks fine",
            }
            requests.append(AppendRequest(GATE_APPROVAL, body, actor="alice"))
        repo_wide = plan.prefill_waivers // 5
        for i in range(plan.prefill_waivers):
            body = {
                "waiver_id": f"wvr-{rng.getrandbits(80):020x}",
                "rule": rng.choice(("tests.weakened", "unparsed.critical", "risk.band")),
                "path": f"legacy/mod_{i:03d}/**",
                "symbol": None,
                "patch_digest": None if i < repo_wide else rng.choice(digests)[1],
                "repository": repository,
                "expires": "2099-12-31",
                "reason": "legacy module, tracked in the migration plan",
            }
            requests.append(AppendRequest(GATE_WAIVER, body, actor="alice"))
        rng.shuffle(requests)
        for start in range(0, len(requests), 500):
            ledger.append_batch(requests[start : start + 500])
        size = ledger.store.size()
    finally:
        ledger.store.close()
    return {
        "decisions": plan.prefill_decisions,
        "approvals_other_patches": plan.prefill_approvals,
        "waivers_other_patches": plan.prefill_waivers - repo_wide,
        "waivers_repository_wide_untouched_paths": repo_wide,
        "ledger_entries_after_prefill": size,
    }


# --- parts ----------------------------------------------------------------------------------


def bench_check(
    plan: Plan, repo: Path, home: Path, base: str, head: str, with_git: bool
) -> dict[str, Any]:
    """`gate check` (and `git diff`) alternately, ``plan.check_reps`` times each."""
    checks: list[float] = []
    gits: list[float] = []
    last: Run | None = None
    for rep in range(plan.check_reps):
        last = gate_check(repo, home, base, head)
        checks.append(last.ms)
        if with_git:
            gits.append(git_diff(repo, base, head).ms)
        if rep == 0 or (rep + 1) % 5 == 0:
            log(f"  gate check {rep + 1}/{plan.check_reps}: {last.ms:.0f} ms (exit {last.code})")
    assert last is not None
    report = json.loads(last.stdout)
    result: dict[str, Any] = {
        "gate_check_ms": summary(checks),
        "exit_code": last.code,
        "action": report["action"],
        "last_decision_id": report["decision_id"],
    }
    if with_git:
        result["git_diff_ms"] = summary(gits)
        result["ratio"] = result["gate_check_ms"]["median"] / result["git_diff_ms"]["median"]
    result["meets_target"] = CHECK_TARGET.met(result["gate_check_ms"]["median"])
    return result


def bench_why(plan: Plan, repo: Path, home: Path, decision_id: str) -> dict[str, Any]:
    samples, last = [], None
    for _ in range(plan.why_reps):
        last = gate_why(repo, home, decision_id)
        samples.append(last.ms)
    assert last is not None
    why = json.loads(last.stdout)
    counterfactual = why.get("counterfactual") or {}
    return {
        "decision_id": decision_id,
        "gate_why_ms": summary(samples),
        "counterfactual_evaluations": counterfactual.get("searched"),
        "counterfactual_exhaustive": counterfactual.get("exhaustive"),
        "counterfactual_lowered_to": counterfactual.get("lowered_to"),
        "counterfactual_removes": len(counterfactual.get("remove") or []),
    }


def recorded_input(home: Path, decision_id: str) -> dict[str, Any]:
    """The gate input stored with a decision (the ledger blob input.json)."""

    store = open_store(load_settings(home, environ={}))
    try:
        return decision_input(store, find_decision(store, decision_id))
    finally:
        store.close()


def per_call_ms(call: Callable[[], Any], calls: int, warmup: int = 50) -> list[float]:
    for _ in range(warmup):
        call()
    samples = []
    gc.collect()
    clock = time.perf_counter_ns
    for _ in range(calls):
        start = clock()
        call()
        samples.append((clock() - start) / 1e6)
    return samples


def bench_eval(plan: Plan, repo: Path, inputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """decide() and engine.evaluate() per call on the recorded inputs, warm, in this process."""

    start = time.perf_counter()
    loaded = load_policy(repo / "policies")
    load_ms = (time.perf_counter() - start) * 1000
    if loaded.engine is None:
        raise RuntimeError(f"the default policies do not load: {loaded.error}")
    engine = loaded.engine
    results: dict[str, Any] = {"engine": engine.info.version, "load_policy_ms": load_ms}
    for label, doc in inputs.items():
        first = decide(engine, doc)
        if first.error:
            raise RuntimeError(f"decide failed closed on the {label} input: {first.error}")
        decision = first.decision
        log(
            f"  {label} input: evaluate x{plan.eval_calls:,}, decide and schemas "
            f"x{plan.decide_calls:,}"
        )
        row = {
            "input_bytes": len(json.dumps(doc, separators=(",", ":"))),
            "input_changes": len(doc["change"]["kinds"]),
            "input_approvals": len(doc["approvals"]),
            "input_waivers": len(doc["waivers"]),
            "decision_action": decision["action"],
            "decision_reasons": len(decision["reasons"]),
        }
        row["evaluate_ms"] = summary(per_call_ms(partial(engine.evaluate, doc), plan.eval_calls))
        calls = plan.decide_calls
        row["decide_ms"] = summary(per_call_ms(partial(decide, engine, doc), calls, warmup=5))
        row["input_schema_ms"] = summary(
            per_call_ms(partial(schema_errors, doc, INPUT_SCHEMA), calls, warmup=5)
        )
        row["decision_schema_ms"] = summary(
            per_call_ms(partial(schema_errors, decision, DECISION_SCHEMA), calls, warmup=5)
        )
        row["meets_target"] = EVAL_TARGET.met(row["evaluate_ms"]["median"])
        results[label] = row
    return results


def bench_startup(plan: Plan, repo: Path) -> dict[str, Any]:
    rows = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import tidegate.cli'": [sys.executable, "-c", "import tidegate.cli"],
        "tidegate --help": [*tidegate_command(), "--help"],
    }
    out: dict[str, Any] = {}
    for name, command in rows.items():
        samples = [run_timed(command, repo, cli_env(None)).ms for _ in range(plan.startup_reps)]
        out[name] = summary(samples)
    return out


def parse_importtime(stderr: str) -> dict[str, tuple[int, int, int]]:
    """{module: (self us, cumulative us, depth)} from `-X importtime` output (first import)."""
    found: dict[str, tuple[int, int, int]] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        try:
            own, cumulative, name = line[len("import time:") :].split("|", 2)
        except ValueError:
            continue
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        found.setdefault(name.strip(), (int(own), int(cumulative), depth))
    return found


def importtime_top(runs: list[dict[str, tuple[int, int, int]]], top: int = 10) -> dict[str, Any]:
    """Per-module medians over the runs; the ``top`` by cumulative time, and the totals."""
    names = set.intersection(*(set(r) for r in runs))
    medians = {
        n: (
            statistics.median(r[n][0] for r in runs),
            statistics.median(r[n][1] for r in runs),
            runs[0][n][2],
        )
        for n in names
    }
    ranked = sorted(medians.items(), key=lambda kv: -kv[1][1])[:top]
    by_self = sorted(medians.items(), key=lambda kv: -kv[1][0])[:top]
    top_level = sorted(((n, v) for n, v in medians.items() if v[2] == 0), key=lambda kv: -kv[1][1])[
        :top
    ]

    def rows(items: list[tuple[str, tuple[float, float, int]]]) -> list[dict[str, Any]]:
        return [
            {"module": n, "cumulative_ms": c / 1000, "self_ms": s / 1000, "depth": d}
            for n, (s, c, d) in items
        ]

    return {
        "modules": len(names),
        "total_self_ms": sum(v[0] for v in medians.values()) / 1000,
        "top_cumulative": rows(ranked),
        "top_level_cumulative": rows(top_level),
        "top_self": rows(by_self),
        "runs": len(runs),
    }


def bench_importtime(plan: Plan, repo: Path, home: Path, base: str, head: str) -> dict[str, Any]:
    """-X importtime of `import tidegate.cli` and of a whole `gate check` (lazy imports too)."""
    results: dict[str, Any] = {}
    cli_runs, check_runs = [], []
    for _ in range(plan.importtime_reps):
        done = run_timed(
            [sys.executable, "-X", "importtime", "-c", "import tidegate.cli"], repo, cli_env(None)
        )
        cli_runs.append(parse_importtime(done.stderr))
        command = [sys.executable, "-X", "importtime", "-m", "tidegate", "gate", "check"]
        command += ["--base", base, "--head", head, "--actor", ACTOR, "--format", "json"]
        done = run_timed(command, repo, cli_env(home))
        if done.code not in (0, 10, 20):
            raise RuntimeError(f"gate check under -X importtime exited {done.code}")
        check_runs.append(parse_importtime(done.stderr))
    results["import tidegate.cli"] = importtime_top(cli_runs)
    results["gate check"] = importtime_top(check_runs)
    return results


# --- machine --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    info = gen.machine()
    for name in ("regorus", "gordon-to-regorus", "typer", "jsonschema", "cryptography"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            info["packages"][name] = importlib.metadata.version(name)
    info["tidegate_command"] = " ".join(tidegate_command())
    return info


def run(plan: Plan, work: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine(), "plan": plan.__dict__, "seed": SEED}
    log("generating the 20-file range...")
    files = changed_files()
    repo = work / "shop"
    repo.mkdir()
    base, head = build_repo(repo, files)
    by_path = gen.numstat_by_path(repo, base, head)
    mix: dict[str, int] = {}
    for f in files:
        mix[f.lang] = mix.get(f.lang, 0) + 1
    results["workload"] = {
        "files": len(by_path),
        "lines_added": sum(a for a, _ in by_path.values()),
        "lines_removed": sum(r for _, r in by_path.values()),
        "lines_in_head_files": sum(len(f.new.splitlines()) for f in files),
        "languages": mix,
        "untouched_files_in_repo": UNCHANGED_FILES,
        "git_diff_bytes": len(git_diff(repo, base, head).stdout.encode()),
    }
    repository = repo.name

    log("tidegate init (fresh home), first gate check (records policy.loaded)...")
    fresh = init_home(repo)
    first = gate_check(repo, fresh, base, head)
    first_report = json.loads(first.stdout)
    first_id = first_report["decision_id"]
    record = first_report["record"]
    results["decision"] = {
        "exit_code": first.code,
        "action": first_report["action"],
        "risk": record["decision"]["risk"]["score"],
        "band": record["decision"]["risk"]["band"],
        "rules": sorted({r["rule"] for r in record["decision"]["reasons"]}),
        "summary": record["summary"],
        "first_run_ms": first.ms,
    }
    log(f"  decision {first_id}: {first_report['action']} ({first.ms:.0f} ms)")

    log("pre-filling a second home...")
    prefilled = init_home(work / "prefilled")
    gate_check(repo, prefilled, base, head)
    results["prefill"] = prefill(prefilled, plan, repository)

    log(f"gate check on the fresh ledger, {plan.check_reps} runs (and git diff)...")
    results["check_fresh"] = bench_check(plan, repo, fresh, base, head, with_git=True)
    results["check_fresh"]["decisions_in_ledger_after"] = plan.check_reps + 1
    log(f"gate check on the pre-filled ledger, {plan.check_reps} runs...")
    results["check_prefilled"] = bench_check(plan, repo, prefilled, base, head, with_git=False)

    log("gate why...")
    results["why_fresh"] = bench_why(plan, repo, fresh, first_id)
    latest = results["check_prefilled"]["last_decision_id"]
    results["why_prefilled"] = bench_why(plan, repo, prefilled, latest)

    log("warm policy evaluation...")
    inputs = {
        "fresh": recorded_input(fresh, first_id),
        "prefilled": recorded_input(prefilled, latest),
    }
    results["evaluation"] = bench_eval(plan, repo, inputs)

    log("start-up and import times...")
    results["startup"] = bench_startup(plan, repo)
    results["importtime"] = bench_importtime(plan, repo, fresh, base, head)
    results["machine"]["load_average_1min_after"] = os.getloadavg()[0]
    return results


# --- report ---------------------------------------------------------------------------------


def row(name: str, s: dict[str, Any], extra: str = "") -> str:
    return f"{name:<46}{s['median']:>9.1f}{s['p90']:>9.1f}{s['min']:>9.1f}{s['max']:>9.1f}{extra}"


def report(results: dict[str, Any]) -> None:
    info, w, d = results["machine"], results["workload"], results["decision"]
    print(
        f"\npolicy gate benchmark ({results['plan']['mode']}): {info['cpu_model']}, "
        f"{info['cores']} cores, Python {info['python']}, load "
        f"{info['load_average_1min']:.2f} -> {info['load_average_1min_after']:.2f}"
    )
    langs = ", ".join(f"{n} {k}" for k, n in w["languages"].items())
    print(
        f"range: {w['files']} files ({langs}), +{w['lines_added']} -{w['lines_removed']} = "
        f"{w['lines_added'] + w['lines_removed']:,} changed lines, {w['git_diff_bytes']:,} bytes "
        f"of git diff"
    )
    print(
        f"decision: {d['action']} (exit {d['exit_code']}), risk {d['risk']} {d['band']}, "
        f"{d['summary']['changes']} semantic changes; rules {', '.join(d['rules'])}"
    )
    p = results["prefill"]
    print(
        f"pre-filled ledger: {p['decisions']:,} decisions, {p['approvals_other_patches']} "
        f"approvals and {p['waivers_other_patches']} waivers of other patches, "
        f"{p['waivers_repository_wide_untouched_paths']} repository-wide waivers "
        f"({p['ledger_entries_after_prefill']:,} entries)"
    )

    header = f"{'ms':<46}{'median':>9}{'p90':>9}{'min':>9}{'max':>9}"
    cf, cp = results["check_fresh"], results["check_prefilled"]
    print(f"\n1. end to end (subprocess, start to exit)\n{header}")
    print(row("gate check, fresh ledger", cf["gate_check_ms"]))
    print(row("gate check, pre-filled ledger", cp["gate_check_ms"]))
    print(row("git diff A B", cf["git_diff_ms"]))
    print(f"{'gate check, first run (cold OS caches)':<46}{d['first_run_ms']:>9.1f}")
    verdict = "met" if cf["meets_target"] else "missed"
    growth = cp["gate_check_ms"]["median"] / cf["gate_check_ms"]["median"]
    print(
        f"gate check / git diff: {cf['ratio']:.0f}x; target {CHECK_TARGET.text}: {verdict} "
        f"(pre-filled: {'met' if cp['meets_target'] else 'missed'}); "
        f"pre-filled / fresh: {growth:.2f}x"
    )
    print(
        f"(the fresh ledger grows by one decision per run: {cf['decisions_in_ledger_after']} "
        "decisions after the last)"
    )

    e = results["evaluation"]
    print(
        f"\n2. warm policy evaluation in process ({e['engine']}; load_policy {e['load_policy_ms']:.0f} ms)"
    )
    print(f"{'ms per call':<46}{'median':>9}{'p90':>9}{'min':>9}{'max':>9}")
    for label in ("fresh", "prefilled"):
        r = e[label]
        print(
            f"{label} input: {r['input_bytes']:,} bytes, {r['input_changes']} changes, "
            f"{r['input_approvals']} approvals, {r['input_waivers']} waivers -> "
            f"{r['decision_action']} ({r['decision_reasons']} reasons)"
        )
        for name, key in (
            ("  engine.evaluate", "evaluate_ms"),
            ("  decide (schemas + evaluate)", "decide_ms"),
            ("  gate-input schema check", "input_schema_ms"),
            ("  policy-decision schema check", "decision_schema_ms"),
        ):
            s = r[key]
            print(f"{name:<46}{s['median']:>9.3f}{s['p90']:>9.3f}{s['min']:>9.3f}{s['max']:>9.3f}")
        verdict = "met" if r["meets_target"] else "missed"
        print(f"  evaluate target {EVAL_TARGET.text}: {verdict}")

    print(f"\n3. gate why (subprocess)\n{header}")
    for label in ("fresh", "prefilled"):
        r = results[f"why_{label}"]
        print(
            row(
                f"gate why, {label} ledger",
                r["gate_why_ms"],
                f"   {r['counterfactual_evaluations']} evaluations "
                f"(exhaustive: {r['counterfactual_exhaustive']})",
            )
        )

    print(f"\n4. start-up\n{header}")
    for name, s in results["startup"].items():
        print(row(name, s))
    for what, t in results["importtime"].items():
        print(
            f"\n-X importtime, {what}: {t['modules']} modules, {t['total_self_ms']:.0f} ms of "
            f"imports (median of {t['runs']}); top 10 cumulative:"
        )
        print(f"{'cumulative ms':>14}{'self ms':>9}  module")
        for entry in t["top_cumulative"]:
            print(
                f"{entry['cumulative_ms']:>14.1f}{entry['self_ms']:>9.1f}  "
                f"{'  ' * entry['depth']}{entry['module']}"
            )
        print(
            "  top-level imports by cumulative ms: "
            + ", ".join(
                f"{e['module']} {e['cumulative_ms']:.0f}" for e in t["top_level_cumulative"]
            )
        )
        print(
            "  top self ms: "
            + ", ".join(f"{e['module']} {e['self_ms']:.1f}" for e in t["top_self"])
        )


def main(argv: Sequence[str] | None = None) -> int:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--quick", action="store_true", help="fewer repetitions (< 1 min)")
    cli.add_argument("--reps", type=int, help="runs of each subprocess figure")
    cli.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "gate_bench.json")
    cli.add_argument("--tmp-dir", type=Path, help="where the throwaway repository is built")
    args = cli.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.reps:
        plan = replace(plan, check_reps=args.reps, why_reps=args.reps, startup_reps=args.reps)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gate-bench-", dir=args.tmp_dir) as tmp:
        results = run(plan, Path(tmp))
    report(results)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
