"""What a verification found: failures (tampering) and findings (an incomplete story).

`ledger verify` and `ledger verify --bundle` share this base: the same failure and finding
records, caps, ordering and JSON verdict, each report adding what it alone checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

MAX_FAILURES = 1000
MAX_FINDINGS = 1000


@dataclass(frozen=True)
class Failure:
    """One verification failure: where (sequence number, bundle file), why (a stable code), detail."""

    seq: int | None
    reason: str
    detail: str
    path: str | None = None
    """The bundle file at fault (bundle verification only)."""

    def as_json(self, *, with_path: bool = False) -> dict[str, Any]:
        """Return the failure as a JSON object (``path`` only in bundle reports)."""
        if with_path:
            return {
                "seq": self.seq,
                "path": self.path,
                "reason": self.reason,
                "detail": self.detail,
            }
        return {"seq": self.seq, "reason": self.reason, "detail": self.detail}


@dataclass(frozen=True)
class Finding:
    """One completeness finding: an entry whose story is not whole (not a sign of tampering)."""

    seq: int
    code: str
    detail: str
    age_seconds: int | None = None
    """For `run.incomplete`: how long ago the run started (verification time minus entry time)."""

    def as_json(self) -> dict[str, Any]:
        """Return the finding as a JSON object."""
        return {
            "seq": self.seq,
            "code": self.code,
            "detail": self.detail,
            "age_seconds": self.age_seconds,
        }


@dataclass(kw_only=True)
class Report:
    """The parts every verification report has: counts, failures, findings and notes."""

    origin: str = ""
    size: int = 0
    root_hash: bytes = b""
    signatures_checked: int = 0
    keys_used: dict[str, int] = field(default_factory=dict)
    blobs_checked: int = 0
    blobs_purged: int = 0
    trusted_checkpoint_size: int | None = None
    failures: list[Failure] = field(default_factory=list)
    failures_truncated: bool = False
    findings: list[Finding] = field(default_factory=list)
    findings_truncated: bool = False
    completeness: dict[str, int] = field(default_factory=dict)
    """What the completeness checks looked at (runs, decisions, approvals, waivers...)."""
    notes: list[str] = field(default_factory=list)

    with_paths: ClassVar[bool] = False

    def failure_key(self, failure: Failure) -> tuple[Any, ...]:
        """Sort key of failures: by entry, ledger-wide last (subclasses add the causal order)."""
        return (failure.seq is None, failure.seq or 0)

    @property
    def ok(self) -> bool:
        """Whether nothing failed (findings do not count: see ``complete``)."""
        return not self.failures

    @property
    def complete(self) -> bool:
        """Whether the completeness checks found nothing."""
        return not self.findings

    def passed(self, *, strict: bool = False) -> bool:
        """The verdict: no failure and, when ``strict``, no finding either."""
        return self.ok and (self.complete or not strict)

    @property
    def first_failure(self) -> Failure | None:
        """The failure at the lowest sequence number and earliest cause (ledger-wide ones last)."""
        return min(self.failures, key=self.failure_key) if self.failures else None

    def sorted_failures(self) -> list[Failure]:
        """The failures by sequence number, then from cause to consequence."""
        return sorted(self.failures, key=self.failure_key)

    def sorted_findings(self) -> list[Finding]:
        """The findings by sequence number, then code."""
        return sorted(self.findings, key=lambda f: (f.seq, f.code))

    def add_failure(self, failure: Failure) -> None:
        """Record a failure (the list is capped; the first ones are kept)."""
        if len(self.failures) >= MAX_FAILURES:
            self.failures_truncated = True
            return
        self.failures.append(failure)

    def find(self, seq: int, code: str, detail: str, age_seconds: int | None = None) -> None:
        """Record a completeness finding (capped like failures)."""
        if len(self.findings) >= MAX_FINDINGS:
            self.findings_truncated = True
            return
        self.findings.append(Finding(seq, code, detail, age_seconds))

    def verdict_json(self) -> dict[str, Any]:
        """The JSON members every report ends with: failures, findings and notes."""
        first = self.first_failure
        return {
            "first_failure": first.as_json(with_path=self.with_paths) if first else None,
            "failures": [f.as_json(with_path=self.with_paths) for f in self.sorted_failures()],
            "failures_truncated": self.failures_truncated,
            "complete": self.complete,
            "completeness": self.completeness,
            "findings": [f.as_json() for f in self.sorted_findings()],
            "findings_truncated": self.findings_truncated,
            "notes": self.notes,
        }
