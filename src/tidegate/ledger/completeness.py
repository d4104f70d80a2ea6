"""Completeness: whether the ledger's story is whole, reported apart from tampering (SPEC 10.1).

A ledger can be intact (every signature, link and root checks out) and still tell half a story:
a run that started and never finished, a decision whose input is not there, an approval of a
decision that does not exist, a waiver of a rule no recorded policy knows. Workers extract a
few facts per entry (`entry_facts`); `Completeness` consumes them in ledger order, keeping only
what later entries can still answer (open runs, decision positions, waivers), not the entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from tidegate._time import parse_time
from tidegate.ledger.entry import BlobRef
from tidegate.ledger.kinds import (
    GATE_APPROVAL,
    GATE_DECISION,
    GATE_WAIVER,
    POLICY_LOADED,
    RUN_FINISHED,
    RUN_STARTED,
)

RUN_INCOMPLETE = "run.incomplete"
DECISION_INPUT_MISSING = "decision.input_missing"
APPROVAL_DANGLING = "approval.dangling"
WAIVER_UNKNOWN_RULE = "waiver.unknown_rule"
FINDING_CODES = (RUN_INCOMPLETE, DECISION_INPUT_MISSING, APPROVAL_DANGLING, WAIVER_UNKNOWN_RULE)

INPUT_BLOB = "input.json"
"""The blob of a `gate.decision` entry that holds the canonical gate input."""

INPUT_OK = "ok"
INPUT_MISSING = "missing"
INPUT_NO_CONTENT = "no-content"
"""Stored without bytes: purged if a `retention.purge` note records it, else missing."""
INPUT_UNKNOWN = "unknown"
"""Not checkable here (a bundle holds blobs of exported entries only)."""

_WATCHED = frozenset(
    {RUN_STARTED, RUN_FINISHED, GATE_DECISION, GATE_APPROVAL, GATE_WAIVER, POLICY_LOADED}
)
_HASH_MASK = (1 << 64) - 1
_LISTED_PURGED = 20


class Facts(NamedTuple):
    """What the completeness checks need from one entry (a tuple: cheap to pickle)."""

    ref: str = ""
    """run.*: body.run_id; gate.decision and gate.approval: body.decision_id; gate.waiver: body.rule."""
    ref_seq: int = -1
    """gate.approval: body.decision_seq (-1 if absent or not a sequence number)."""
    digest: str = ""
    """gate.decision: body.input_digest."""
    blob: str | None = None
    """gate.decision: the sha256 of its blob named input.json (None: it has none)."""
    files: tuple[str, ...] = ()
    """policy.loaded: the sha256 of each blob holding a policy file (role "policy")."""


def entry_facts(kind: str, body: Mapping[str, Any], blobs: Sequence[BlobRef]) -> Facts | None:
    """Return the completeness facts of an entry, or None for a kind no check looks at."""
    if kind not in _WATCHED:
        return None
    if kind in (RUN_STARTED, RUN_FINISHED, GATE_WAIVER):
        return Facts(ref=_text(body.get("rule" if kind == GATE_WAIVER else "run_id")))
    if kind == GATE_DECISION:
        blob = next((b.sha256 for b in blobs if b.name == INPUT_BLOB), None)
        return Facts(
            ref=_text(body.get("decision_id")), digest=_text(body.get("input_digest")), blob=blob
        )
    if kind == GATE_APPROVAL:
        seq = body.get("decision_seq")
        ref_seq = seq if type(seq) is int and seq >= 0 else -1
        return Facts(ref=_text(body.get("decision_id")), ref_seq=ref_seq)
    files = body.get("files")
    names = {
        f["path"]
        for f in (files if isinstance(files, list) else [])
        if isinstance(f, dict) and f.get("role") == "policy" and isinstance(f.get("path"), str)
    }
    return Facts(files=tuple(b.sha256 for b in blobs if b.name in names))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


class FindingSink(Protocol):
    """Where findings and counts go (a verification report)."""

    completeness: dict[str, int]
    notes: list[str]

    def find(self, seq: int, code: str, detail: str, age_seconds: int | None = None) -> None:
        """Record one finding."""


def describe_age(seconds: int) -> str:
    """Return an age such as ``3d 4h``, ``5h 2m`` or ``40s``."""
    if seconds < 0:
        return f"{-seconds}s in the future"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


class Completeness:
    """The in-order completeness pass: feed it every entry's facts, settle inputs, then finish."""

    def __init__(self, sink: FindingSink, now: datetime) -> None:
        self.sink = sink
        self.now = now
        self.open_runs: dict[str, list[tuple[int, str]]] = {}
        # (seq << 64 | hash(decision_id)): one int per decision, enough to confirm an approval's
        # (decision_seq, decision_id) pair without keeping every decision id string.
        self.decisions: set[int] = set()
        self.pending_inputs: list[tuple[int, str]] = []
        self.inputs_without_content: list[tuple[int, str]] = []
        self.waivers: list[tuple[int, str]] = []
        self.policy_files: dict[str, None] = {}
        self.policies_loaded = 0
        self.counts = dict.fromkeys(
            (
                "runs_started",
                "runs_finished",
                "decisions",
                "decision_inputs_purged",
                "decision_inputs_unchecked",
                "approvals",
                "waivers",
                "waivers_unchecked",
                "policies_loaded",
            ),
            0,
        )

    def feed(self, seq: int, kind: str, time: str, facts: Facts) -> None:
        """Take one entry's facts, in ledger order."""
        counts = self.counts
        if kind == RUN_STARTED:
            counts["runs_started"] += 1
            self.open_runs.setdefault(facts.ref, []).append((seq, time))
        elif kind == RUN_FINISHED:
            counts["runs_finished"] += 1
            starts = self.open_runs.get(facts.ref)
            if starts and facts.ref:
                starts.pop(0)
                if not starts:
                    del self.open_runs[facts.ref]
        elif kind == GATE_DECISION:
            counts["decisions"] += 1
            if facts.ref:
                self.decisions.add(_decision_key(seq, facts.ref))
            self._decision_input(seq, facts)
        elif kind == GATE_APPROVAL:
            counts["approvals"] += 1
            ref_seq = facts.ref_seq
            if not (0 <= ref_seq < seq and _decision_key(ref_seq, facts.ref) in self.decisions):
                self.sink.find(
                    seq,
                    APPROVAL_DANGLING,
                    f"approval of {facts.ref or '(no decision_id)'} names decision_seq "
                    f"{ref_seq if ref_seq >= 0 else '(none)'}, which is not an earlier "
                    "gate.decision with that decision_id",
                )
        elif kind == GATE_WAIVER:
            counts["waivers"] += 1
            self.waivers.append((seq, facts.ref))
        elif kind == POLICY_LOADED:
            self.policies_loaded += 1
            counts["policies_loaded"] += 1
            self.policy_files.update(dict.fromkeys(facts.files))

    def _decision_input(self, seq: int, facts: Facts) -> None:
        name = facts.ref or "a decision"
        if not facts.digest:
            detail = f"{name} has no body.input_digest"
        elif facts.blob is None:
            detail = f"{name} has no blob named {INPUT_BLOB}: its input is not in the ledger"
        elif facts.blob != facts.digest:
            detail = (
                f"{name}: blob {INPUT_BLOB} has sha256 {facts.blob[:16]}..., body.input_digest "
                f"is {facts.digest[:16]}...: the recorded input is not the one decided on"
            )
        else:
            self.pending_inputs.append((seq, facts.digest))
            return
        self.sink.find(seq, DECISION_INPUT_MISSING, detail)

    def settle_inputs(self, state: Callable[[int, str], str]) -> None:
        """Judge the decision inputs fed since the last call by their blob's state."""
        for seq, digest in self.pending_inputs:
            found = state(seq, digest)
            if found == INPUT_MISSING:
                self.sink.find(
                    seq,
                    DECISION_INPUT_MISSING,
                    f"its input blob {INPUT_BLOB} ({digest[:16]}...) is not stored",
                )
            elif found == INPUT_NO_CONTENT:
                self.inputs_without_content.append((seq, digest))
            elif found == INPUT_UNKNOWN:
                self.counts["decision_inputs_unchecked"] += 1
        self.pending_inputs = []

    def finish(
        self,
        *,
        purged: Callable[[str], bool],
        policy_text: Callable[[str], bytes | None],
    ) -> None:
        """Report what is still open: runs, inputs without bytes, waivers; store the counts."""
        self.settle_inputs(lambda _seq, _digest: INPUT_UNKNOWN)
        self._inputs_without_content(purged)
        self._open_runs()
        self._waivers(policy_text)
        self.sink.completeness.update(self.counts)

    def _inputs_without_content(self, purged: Callable[[str], bool]) -> None:
        listed: list[int] = []
        for seq, digest in self.inputs_without_content:
            if purged(digest):
                self.counts["decision_inputs_purged"] += 1
                if len(listed) < _LISTED_PURGED:
                    listed.append(seq)
            else:
                self.sink.find(
                    seq,
                    DECISION_INPUT_MISSING,
                    f"its input blob {INPUT_BLOB} ({digest[:16]}...) has no content and no "
                    "retention.purge note records its purge",
                )
        if listed:
            more = self.counts["decision_inputs_purged"] - len(listed)
            tail = f" and {more} more" if more else ""
            self.sink.notes.append(
                f"the inputs of {self.counts['decision_inputs_purged']} decision(s) were purged "
                f"under retention (entries {', '.join(map(str, listed))}{tail}): recorded, not missing"
            )

    def _open_runs(self) -> None:
        starts = sorted(
            (seq, time, run_id) for run_id, runs in self.open_runs.items() for seq, time in runs
        )
        for seq, time, run_id in starts:
            age = self._age(time)
            since = f" ({describe_age(age)} ago)" if age is not None else ""
            if run_id:
                detail = f"run {run_id} started at {time}{since} and has no run.finished"
            else:
                detail = f"a run.started at {time}{since} has no body.run_id, so no run.finished"
            self.sink.find(seq, RUN_INCOMPLETE, detail, age)

    def _age(self, time: str) -> int | None:
        try:
            return int((self.now - parse_time(time)).total_seconds())
        except (ValueError, OverflowError):
            return None

    def _waivers(self, policy_text: Callable[[str], bytes | None]) -> None:
        if not self.waivers:
            return
        if not self.policies_loaded:
            for seq, rule in self.waivers:
                self.sink.find(
                    seq,
                    WAIVER_UNKNOWN_RULE,
                    f"waiver of rule {rule!r}: no policy.loaded entry records a policy, so no "
                    "recorded policy knows the rule",
                )
            return
        rules = {rule for _, rule in self.waivers}
        known, readable = _mentioned(rules, (policy_text(d) for d in self.policy_files))
        if not readable:
            self.counts["waivers_unchecked"] = len(self.waivers)
            self.sink.notes.append(
                f"{len(self.waivers)} waiver(s) not checked against the recorded policy: its "
                "files are purged or not here"
            )
            return
        for seq, rule in self.waivers:
            if rule not in known:
                self.sink.find(
                    seq,
                    WAIVER_UNKNOWN_RULE,
                    f"waiver of rule {rule!r}: none of the {readable} recorded policy file(s) "
                    f"mentions {_quoted(rule)}",
                )


def _decision_key(seq: int, decision_id: str) -> int:
    return (seq << 64) | (hash(decision_id) & _HASH_MASK)


def _quoted(rule: str) -> str:
    return f'"{rule}"'


def _mentioned(rules: set[str], texts: Iterable[bytes | None]) -> tuple[set[str], int]:
    """Return the rules some text quotes ("rule" or `rule`), and how many texts were readable."""
    known: set[str] = set()
    readable = 0
    for text in texts:
        if text is None:
            continue
        readable += 1
        for rule in rules - known:
            if rule and (f'"{rule}"'.encode() in text or f"`{rule}`".encode() in text):
                known.add(rule)
    return known, readable
