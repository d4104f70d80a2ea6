"""Retention: delete the bytes of old blobs while their entries stay, and record it (SPEC 15).

A blob is purged only when every entry that references it is eligible: of a selected kind,
older than its kind's retention period and before the cut-off date. The purge and the signed
``note`` entries that record it (category ``retention.purge``) commit in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from tidegate._time import format_time, parse_time
from tidegate.errors import FormatError, LedgerError, StoreError, UsageError
from tidegate.ledger.entry import parse_entry
from tidegate.ledger.kinds import NOTE, PURGE_CATEGORY
from tidegate.ledger.log import AppendedEntry, AppendRequest, Ledger, read_entry
from tidegate.ledger.store import BlobState, LedgerStore

MAX_BLOBS_PER_NOTE = 1000
"""One purge note lists at most this many digests (the note schema's ``refs`` limit)."""
_SCAN_CHUNK = 2000


class RetentionPeriods(Protocol):
    """How long blob contents are kept, per entry kind (the caller's settings, passed in).

    The ledger does not read configuration: `tidegate.config.RetentionSettings` (the
    ``[retention]`` table) is one implementation, a test or another host can bring its own.
    """

    def days_for(self, kind: str) -> int | None:
        """Return the retention period of ``kind`` in days, or None to keep its blobs forever."""
        ...

    def as_json(self) -> dict[str, Any]:
        """Return the periods as a JSON object (recorded in purge notes)."""
        ...


def parse_before(text: str) -> datetime:
    """Parse ``--before``: ``YYYY-MM-DD`` (midnight UTC) or an RFC 3339 time with an offset."""
    try:
        if len(text) == 10:
            return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        return parse_time(text)
    except ValueError as exc:
        raise UsageError(
            f"--before {text!r} is not a date (YYYY-MM-DD) or an RFC 3339 time with an offset"
        ) from exc


@dataclass(frozen=True)
class Criteria:
    """Which entries are eligible: kind, age against retention, and the cut-off date."""

    before: datetime
    now: datetime
    retention: RetentionPeriods
    kinds: frozenset[str] | None = None
    ignore_retention: bool = False

    def eligible(self, kind: str, time: datetime) -> bool:
        """Return whether an entry of ``kind`` appended at ``time`` may lose its blobs."""
        if self.kinds is not None and kind not in self.kinds:
            return False
        if time >= self.before:
            return False
        if self.ignore_retention:
            return True
        days = self.retention.days_for(kind)
        if days is None:
            return False
        try:
            return time < self.now - timedelta(days=days)
        except OverflowError:  # a period reaching before year 1: nothing is that old
            return False


@dataclass(frozen=True)
class PurgeBlob:
    """A blob to purge: its digest, size and the entries that reference it."""

    sha256: str
    size: int
    entries: tuple[int, ...]

    def as_json(self) -> dict[str, Any]:
        """Return the blob as JSON."""
        return {"sha256": self.sha256, "size": self.size, "entries": list(self.entries)}


@dataclass(frozen=True)
class PurgePlan:
    """What a purge removes (or, in a dry run, would remove)."""

    criteria: Criteria
    scanned: int
    blobs: tuple[PurgeBlob, ...]
    kept_shared: int
    kinds_without_retention: tuple[str, ...]

    @property
    def bytes(self) -> int:
        """Total size of the blobs to purge."""
        return sum(b.size for b in self.blobs)

    @property
    def entries(self) -> int:
        """How many entries reference the blobs to purge."""
        return len({seq for b in self.blobs for seq in b.entries})


@dataclass(frozen=True)
class PurgeResult:
    """What `ledger purge` did: the plan carried out and the notes recording it."""

    plan: PurgePlan
    dry_run: bool
    notes: tuple[AppendedEntry, ...] = ()

    @property
    def purged_at(self) -> str | None:
        """The time stamped on the purged blobs (the notes' time), if anything was purged."""
        return self.notes[0].time if self.notes else None

    def as_json(self) -> dict[str, Any]:
        """Return the result as a JSON object (the `--format json` output)."""
        criteria = self.plan.criteria
        return {
            "dry_run": self.dry_run,
            "before": format_time(criteria.before),
            "kinds": None if criteria.kinds is None else sorted(criteria.kinds),
            "ignore_retention": criteria.ignore_retention,
            "retention": criteria.retention.as_json(),
            "entries_scanned": self.plan.scanned,
            "blobs": [b.as_json() for b in self.plan.blobs],
            "bytes": self.plan.bytes,
            "entries": self.plan.entries,
            "kept_shared": self.plan.kept_shared,
            "kinds_without_retention": list(self.plan.kinds_without_retention),
            "notes": [n.seq for n in self.notes],
            "purged_at": self.purged_at,
        }


def _references(
    store: LedgerStore, start: int, stop: int, criteria: Criteria
) -> tuple[dict[str, list[tuple[int, bool]]], set[str]]:
    """Map each blob digest referenced by entries [start, stop) to (seq, eligible) pairs.

    Also returns the kinds of blob-bearing entries that only a missing retention period kept.
    A malformed entry stops the purge: its references are unknown, so nothing is safe to purge.
    """
    references: dict[str, list[tuple[int, bool]]] = {}
    unconfigured: set[str] = set()
    for chunk in store.entries(start, stop, chunk=_SCAN_CHUNK):
        for entry in chunk:
            try:
                parsed = parse_entry(entry.envelope)
                time = parse_time(parsed.time)
            except (FormatError, ValueError) as exc:
                detail = exc.message if isinstance(exc, FormatError) else str(exc)
                raise LedgerError(
                    f"entry {entry.seq} is malformed ({detail}); refusing to purge, since the "
                    "blobs it references are unknown",
                    hint="run `tidegate ledger verify`",
                ) from exc
            if not parsed.blobs:
                continue
            eligible = criteria.eligible(parsed.kind, time)
            if (
                not eligible
                and not criteria.ignore_retention
                and criteria.retention.days_for(parsed.kind) is None
                and (criteria.kinds is None or parsed.kind in criteria.kinds)
                and time < criteria.before
            ):
                unconfigured.add(parsed.kind)
            for ref in parsed.blobs:
                references.setdefault(ref.sha256, []).append((entry.seq, eligible))
    return references, unconfigured


def plan_purge(store: LedgerStore, criteria: Criteria) -> PurgePlan:
    """Return the blobs whose every referencing entry is eligible and whose bytes are stored."""
    size = store.size()
    references, unconfigured = _references(store, 0, size, criteria)
    candidates = {digest: refs for digest, refs in references.items() if all(ok for _, ok in refs)}
    kept_shared = sum(
        1
        for refs in references.values()
        if any(ok for _, ok in refs) and not all(ok for _, ok in refs)
    )
    states = store.blob_states(list(candidates))
    blobs = tuple(
        PurgeBlob(digest, states[digest].size, tuple(sorted({seq for seq, _ in refs})))
        for digest, refs in sorted(candidates.items())
        if _has_bytes(states.get(digest))
    )
    return PurgePlan(criteria, size, blobs, kept_shared, tuple(sorted(unconfigured)))


def _has_bytes(state: BlobState | None) -> bool:
    return state is not None and not state.purged


def purge_notes(plan: PurgePlan, blobs: Sequence[PurgeBlob]) -> list[AppendRequest]:
    """Return the `note` entries that record purging ``blobs`` (one per 1000 digests)."""
    criteria = plan.criteria
    parts = [blobs[i : i + MAX_BLOBS_PER_NOTE] for i in range(0, len(blobs), MAX_BLOBS_PER_NOTE)]
    requests: list[AppendRequest] = []
    for number, part in enumerate(parts, start=1):
        size = sum(b.size for b in part)
        entries = len({seq for b in part for seq in b.entries})
        purge: dict[str, Any] = {
            "before": format_time(criteria.before),
            "ignore_retention": criteria.ignore_retention,
            "retention": criteria.retention.as_json(),
            "blobs": len(part),
            "bytes": size,
            "entries": entries,
            "part": number,
            "parts": len(parts),
        }
        if criteria.kinds is not None:
            purge["kinds"] = sorted(criteria.kinds)
        body = {
            "message": (
                f"retention purge: deleted the contents of {len(part)} blob(s), {size} bytes, "
                f"referenced by {entries} entries; the entries are unchanged"
            ),
            "category": PURGE_CATEGORY,
            "refs": [f"sha256:{b.sha256}" for b in part],
            "purge": purge,
        }
        requests.append(AppendRequest(NOTE, body))
    return requests


def criteria_for(
    ledger: Ledger,
    retention: RetentionPeriods,
    *,
    before: datetime,
    kinds: Iterable[str] | None = None,
    ignore_retention: bool = False,
    now: datetime | None = None,
) -> Criteria:
    """Return the purge criteria; a cut-off in the future is refused (UsageError)."""
    moment = now if now is not None else parse_time(ledger.clock())
    if before > moment:
        raise UsageError(
            f"--before {format_time(before)} is in the future (now is {format_time(moment)})"
        )
    selected = frozenset(kinds) if kinds else None
    return Criteria(before, moment, retention, selected, ignore_retention)


def apply_purge(ledger: Ledger, plan: PurgePlan) -> PurgeResult:
    """Carry out ``plan``: purge its blobs and append the notes recording it, in one transaction.

    Under the write lock, blobs that entries appended since the plan refer to, or that another
    purge got to first, are dropped from it. Nothing is written when nothing is left.
    """
    store = ledger.store
    criteria = plan.criteria
    with store.write() as tx:
        size, _ = tx.head()
        late, _ = _references(store, plan.scanned, size, criteria)
        states = store.blob_states([b.sha256 for b in plan.blobs])
        blobs = tuple(
            b for b in plan.blobs if b.sha256 not in late and _has_bytes(states.get(b.sha256))
        )
        final = PurgePlan(criteria, size, blobs, plan.kept_shared, plan.kinds_without_retention)
        if not blobs:
            return PurgeResult(final, dry_run=False)
        notes = ledger.append_batch(purge_notes(plan, blobs))  # joins this transaction
        purged = tx.purge_blobs([b.sha256 for b in blobs], notes[0].time)
        if purged != len(blobs):
            raise StoreError(
                f"ledger {store.safe_url}: purging {len(blobs)} blobs changed {purged} rows; "
                "rolled back, nothing was purged"
            )
    return PurgeResult(final, dry_run=False, notes=tuple(notes))


def purge(
    ledger: Ledger,
    retention: RetentionPeriods,
    *,
    before: datetime,
    kinds: Iterable[str] | None = None,
    ignore_retention: bool = False,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PurgeResult:
    """Purge the bytes of eligible blobs and record it in signed notes, in one transaction.

    Fails closed: a kind with no retention period is never purged unless ``ignore_retention``;
    a cut-off in the future is refused; entries are never modified. A dry run writes nothing.
    """
    criteria = criteria_for(
        ledger,
        retention,
        before=before,
        kinds=kinds,
        ignore_retention=ignore_retention,
        now=now,
    )
    plan = plan_purge(ledger.store, criteria)
    if dry_run or not plan.blobs:
        return PurgeResult(plan, dry_run)
    return apply_purge(ledger, plan)


def blob_status(store: LedgerStore, seq: int) -> list[dict[str, Any]]:
    """Return entry ``seq``'s blob references marked ``stored``, ``purged`` or ``missing``.

    This is how an export (or `ledger show`) marks purged blobs (SPEC 15.3).
    """
    refs = read_entry(store, seq)[1].blobs
    states = store.blob_states([r.sha256 for r in refs])
    marked: list[dict[str, Any]] = []
    for ref in refs:
        state = states.get(ref.sha256)
        status = "missing" if state is None else "purged" if state.purged else "stored"
        item: dict[str, Any] = {**ref.as_json(), "status": status}
        if state is not None and state.purged:
            item["purged_at"] = state.purged_at
        marked.append(item)
    return marked
