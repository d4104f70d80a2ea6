"""Compare a recorded run with its replay: what differs, a bounded unified diff, likely causes.

Pure logic: both runs come in as ``RunRecord`` values (tidegate.sandbox.replay reads them
from the ledger). Cause hints are heuristics ordered by a rough likelihood score; each
difference gets at least one (``unknown`` when nothing fits).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_DIFF_LINES = 400
MAX_DIFF_CHARS = 32_000
PROVENANCE_FIELDS = ("commit", "kernel", "cpu_model", "image", "dirty")

# Epoch seconds of 2000-01-01 and 2100-01-01: a number in between reads as a timestamp.
_EPOCH_LOW, _EPOCH_HIGH = 946_684_800, 4_102_444_800
_TOKEN = re.compile(r"[A-Za-z0-9_]+(?:[-:.+/=T][A-Za-z0-9_]+)*=*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLOCK = re.compile(r"^\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$|\d{2}:\d{2}:\d{2}")
_DAY_OR_MONTH = re.compile(
    r"^(?:mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*$",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"^(\d+)(?:\.(\d+))?$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_HEX = re.compile(r"^[0-9a-fA-F]{8,}$")
_BASE64ISH = re.compile(r"^[A-Za-z0-9+/_\-]{16,}=*$")
_DIGIT_RUN = re.compile(r"\d{4,}")


@dataclass(frozen=True)
class StepRecord:
    """One recorded step: how it ended and what it printed (masked, as stored)."""

    index: int
    name: str
    argv: tuple[str, ...]
    exit_code: int | None
    status: str
    stdout: bytes
    stderr: bytes
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunRecord:
    """One recorded run as the comparison needs it (from run.started/command/finished)."""

    run_id: str
    status: str
    steps: tuple[StepRecord, ...]
    created: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    patch: str = ""
    backend: str = ""
    provenance: Mapping[str, Any] = field(default_factory=dict)
    guards: tuple[Mapping[str, Any], ...] = ()
    determinism: Mapping[str, Any] = field(default_factory=dict)
    network: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Cause:
    """A likely cause of a difference, with why it is suspected."""

    cause: str
    explanation: str
    score: float = 0.0

    def as_json(self) -> dict[str, str]:
        """Return the cause as stored in run.replayed (no score: it is only for ordering)."""
        return {"cause": self.cause, "explanation": self.explanation}


@dataclass(frozen=True)
class Difference:
    """One way the replay differs from the original run."""

    what: str
    step: int | None
    summary: str
    diff: str
    causes: tuple[Cause, ...]

    def as_json(self, *, with_diff: bool = False) -> dict[str, Any]:
        """Return the difference as JSON data (the diff only when asked: it holds outputs)."""
        document: dict[str, Any] = {
            "what": self.what,
            "step": self.step,
            "causes": [c.as_json() for c in self.causes],
            "summary": self.summary,
        }
        if with_diff:
            document["diff"] = self.diff
        return document


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing two runs."""

    differences: tuple[Difference, ...]

    @property
    def identical(self) -> bool:
        """Whether nothing observable differs."""
        return not self.differences


def unified(
    old: str, new: str, old_name: str, new_name: str, *, limit: int = MAX_DIFF_LINES
) -> str:
    """Return a unified diff of two texts, cut after ``limit`` lines or MAX_DIFF_CHARS."""
    lines = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), old_name, new_name, lineterm="", n=2
        )
    )
    shown, size = [], 0
    for line in lines[:limit]:
        if size + len(line) + 1 > MAX_DIFF_CHARS:
            break
        shown.append(line)
        size += len(line) + 1
    if len(shown) < len(lines):
        shown.append(f"... ({len(lines) - len(shown)} more diff lines not shown)")
    return "\n".join(shown) + "\n" if shown else ""


def decode(data: bytes) -> str:
    """Return bytes as text, undecodable bytes replaced (for diffs only)."""
    return data.decode("utf-8", "replace")


def _changed_lines(old: str, new: str) -> tuple[list[str], list[str]]:
    removed: list[str] = []
    added: list[str] = []
    a, b = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed += a[i1:i2]
            added += b[j1:j2]
    return removed, added


def differing_tokens(old: str, new: str) -> list[str]:
    """Return the tokens that differ between the changed lines of two texts (both sides)."""
    removed, added = _changed_lines(old, new)
    a = [t for line in removed for t in _TOKEN.findall(line)]
    b = [t for line in added for t in _TOKEN.findall(line)]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    tokens: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            tokens += a[i1:i2] + b[j1:j2]
    return tokens


def _is_epoch(token: str) -> bool:
    match = _NUMBER.match(token)
    if not match:
        return False
    whole = match.group(1)
    value = int(whole)
    if len(whole) in (12, 13):  # milliseconds
        value //= 1000
    elif len(whole) in (15, 16):  # microseconds
        value //= 1_000_000
    elif len(whole) not in (9, 10):
        return False
    return _EPOCH_LOW <= value <= _EPOCH_HIGH


def token_class(token: str) -> str:
    """Classify one token: ``time``, ``random``, ``short`` (a small number) or ``other``."""
    if (
        _ISO_DATE.search(token)
        or _CLOCK.search(token)
        or _DAY_OR_MONTH.match(token)
        or _is_epoch(token)
    ):
        return "time"
    number = _NUMBER.match(token)
    if number:
        return "short" if len(token) <= 4 else "random"
    if _UUID.match(token) or _HEX.match(token):
        return "random"
    if _BASE64ISH.match(token) and sum(c.isdigit() for c in token) >= 2:
        return "random"
    if _DIGIT_RUN.search(token):  # pids, counters and mkstemp-style names inside a word
        return "random"
    return "other"


def is_reordering(old: str, new: str) -> bool:
    """Whether two texts hold the same multiset of lines in a different order."""
    if old == new:
        return False
    return Counter(old.splitlines()) == Counter(new.splitlines())


def _provenance_changes(original: RunRecord, replay: RunRecord) -> list[str]:
    changes: list[str] = []
    if original.backend != replay.backend:
        changes.append(f"backend {original.backend} -> {replay.backend}")
    old, new = original.provenance, replay.provenance
    for name in PROVENANCE_FIELDS:
        if old.get(name) != new.get(name):
            changes.append(f"{name} {old.get(name)!r} -> {new.get(name)!r}")
    old_tools, new_tools = old.get("tools") or {}, new.get("tools") or {}
    for tool in sorted(set(old_tools) | set(new_tools)):
        if old_tools.get(tool) != new_tools.get(tool):
            changes.append(f"{tool} {old_tools.get(tool)!r} -> {new_tools.get(tool)!r}")
    enforced_old = {g.get("guard"): g.get("enforced") for g in original.guards}
    enforced_new = {g.get("guard"): g.get("enforced") for g in replay.guards}
    for guard in sorted(set(enforced_old) | set(enforced_new), key=str):
        if enforced_old.get(guard) != enforced_new.get(guard):
            changes.append(
                f"guard {guard} enforced {enforced_old.get(guard)} -> {enforced_new.get(guard)}"
            )
    return changes


def _env_changes(old: StepRecord | None, new: StepRecord | None) -> list[str]:
    if old is None or new is None:
        return []
    return [
        f"${name}"
        for name in sorted(set(old.env) | set(new.env))
        if old.env.get(name) != new.env.get(name)
    ]


@dataclass(frozen=True)
class _Context:
    original: RunRecord
    replay: RunRecord
    provenance: tuple[str, ...]


def causes_for(
    context: _Context, texts: Sequence[tuple[str, str]], env_changes: Iterable[str] = ()
) -> tuple[Cause, ...]:
    """Return the likely causes of a difference, most likely first (never empty)."""
    found: list[Cause] = []
    tokens = [t for old, new in texts for t in differing_tokens(old, new)]
    classes = Counter(token_class(t) for t in tokens)
    counted = sum(classes.values()) or 1
    time_share = (classes["time"] + (classes["short"] if classes["time"] else 0)) / counted
    random_share = (classes["random"] + (0 if classes["time"] else classes["short"])) / counted
    determinism = {**context.original.determinism}
    clock = determinism.get("clock", "real")
    seed = determinism.get("seed")

    changed = [(old, new) for old, new in texts if old != new]
    if changed and all(is_reordering(old, new) for old, new in changed):
        found.append(
            Cause(
                "file ordering",
                "the same lines came out in another order (directory listing, set or "
                "hash ordering, or parallel output)",
                0.95,
            )
        )
    if time_share:
        # Counts, not the tokens themselves: explanations are stored and must hold no output.
        why = f"{classes['time']} of {counted} differing tokens look like dates or times"
        if clock == "real":
            why += " and the clock was not frozen"
        elif clock == "start-at":
            why += " and the clock was started at the epoch but still advances"
        else:
            why += "; the clock was frozen, so something reads time the freeze does not cover"
        found.append(Cause("time", why, 0.3 + 0.7 * time_share))
    elif clock == "real":
        found.append(Cause("time", "the clock was not frozen (determinism.clock real)", 0.1))
    if random_share:
        randomish = classes["random"] + (0 if classes["time"] else classes["short"])
        why = f"{randomish} of {counted} differing tokens look random (hex, digits, base64)"
        if seed is None:
            why += " and no seed was set"
        else:
            why += (
                f"; a seed ({seed}) was set, so the source is not covered by it "
                "(e.g. /dev/urandom, os.urandom, uuid4, secrets)"
            )
        found.append(Cause("randomness", why, 0.3 + 0.7 * random_share))
    elif seed is None:
        found.append(Cause("randomness", "no seed was set (determinism.seed)", 0.08))
    environment = list(context.provenance) + [f"{n} differs" for n in env_changes]
    if environment:
        found.append(
            Cause("environment", "what the runs ran on differs: " + "; ".join(environment), 0.6)
        )
    mode = context.original.network.get("mode", "none")
    if mode != "none" or context.replay.network.get("mode", "none") != "none":
        found.append(
            Cause("network", f"the network mode was {mode!r}: remote answers can change", 0.25)
        )
    if not found:
        found.append(Cause("unknown", "no heuristic explains this difference", 0.0))
    found.sort(key=lambda c: -c.score)
    return tuple(found)


def _summary(what: str, step: int | None, old: str, new: str) -> str:
    removed, added = _changed_lines(old, new)
    where = f"step {step} " if step is not None else ""
    return f"{where}{what} differs ({len(removed)} lines removed, {len(added)} added)"


def compare_runs(original: RunRecord, replay: RunRecord) -> Comparison:
    """Compare a recorded run with its replay and explain each difference."""
    context = _Context(original, replay, tuple(_provenance_changes(original, replay)))
    differences: list[Difference] = []
    old_steps = {s.index: s for s in original.steps}
    new_steps = {s.index: s for s in replay.steps}
    step_status_differs = False
    for index in sorted(set(old_steps) | set(new_steps)):
        old, new = old_steps.get(index), new_steps.get(index)
        if old is None or new is None or old.argv != new.argv:
            describe = [
                f"step {index}: " + (" ".join(s.argv) if s else "(not run)") for s in (old, new)
            ]
            differences.append(
                Difference(
                    "steps",
                    index,
                    f"step {index} ran in one run only or with another command",
                    unified(describe[0], describe[1], "original", "replay"),
                    causes_for(context, []),
                )
            )
            step_status_differs = True
            continue
        outputs = [
            (decode(old.stdout), decode(new.stdout)),
            (decode(old.stderr), decode(new.stderr)),
        ]
        env = _env_changes(old, new)
        for what, old_value, new_value in (
            ("exit_code", old.exit_code, new.exit_code),
            ("status", old.status, new.status),
        ):
            if old_value != new_value:
                step_status_differs = True
                differences.append(
                    Difference(
                        what,
                        index,
                        f"step {index} {what} {old_value} -> {new_value}",
                        unified(
                            f"{what}: {old_value}", f"{what}: {new_value}", "original", "replay"
                        ),
                        causes_for(context, outputs, env),
                    )
                )
        raw = ((old.stdout, new.stdout), (old.stderr, new.stderr))
        for what, (old_text, new_text), (old_bytes, new_bytes) in zip(
            ("stdout", "stderr"), outputs, raw, strict=True
        ):
            if old_bytes != new_bytes:
                differences.append(
                    Difference(
                        what,
                        index,
                        _summary(what, index, old_text, new_text),
                        unified(
                            old_text,
                            new_text,
                            f"original/step-{index}/{what}",
                            f"replay/step-{index}/{what}",
                        ),
                        causes_for(context, [(old_text, new_text)], env),
                    )
                )
        if env:
            differences.append(
                Difference(
                    "environment",
                    index,
                    f"step {index} environment values differ: {', '.join(env)}",
                    unified(
                        "\n".join(f"{k}={v}" for k, v in sorted(old.env.items())),
                        "\n".join(f"{k}={v}" for k, v in sorted(new.env.items())),
                        f"original/step-{index}/env",
                        f"replay/step-{index}/env",
                    ),
                    causes_for(context, [], env),
                )
            )
    if original.status != replay.status and not step_status_differs:
        differences.append(
            Difference(
                "status",
                None,
                f"run status {original.status} -> {replay.status}",
                unified(
                    f"status: {original.status}", f"status: {replay.status}", "original", "replay"
                ),
                causes_for(context, []),
            )
        )
    old_files = _file_lines(original)
    new_files = _file_lines(replay)
    if old_files != new_files:
        differences.append(
            Difference(
                "files",
                None,
                _summary("files", None, old_files, new_files),
                unified(old_files, new_files, "original/files", "replay/files"),
                causes_for(context, [(old_files, new_files)]),
            )
        )
    if original.patch != replay.patch:
        differences.append(
            Difference(
                "patch",
                None,
                _summary("patch", None, original.patch, replay.patch),
                unified(original.patch, replay.patch, "original/patch.diff", "replay/patch.diff"),
                causes_for(context, [(original.patch, replay.patch)]),
            )
        )
    return Comparison(tuple(differences))


def _file_lines(run: RunRecord) -> str:
    lines = [f"created {p}" for p in run.created]
    lines += [f"modified {p}" for p in run.modified]
    lines += [f"deleted {p}" for p in run.deleted]
    return "\n".join(lines)


def render_diff(comparison: Comparison) -> str:
    """Return every difference's unified diff, each under a header line."""
    parts = []
    for difference in comparison.differences:
        parts.append(f"### {difference.summary}\n{difference.diff}")
    return "".join(parts)
