"""Credential detectors: which literal values look like secrets, and why."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Detector:
    """One credential format: a name and the pattern that finds it."""

    name: str
    pattern: re.Pattern[str]


DETECTORS: tuple[Detector, ...] = (
    Detector("aws-access-key-id", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b")),
    Detector("github-token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b")),
    Detector("github-fine-grained-token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b")),
    Detector("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}\b")),
    Detector("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}\b")),
    Detector("stripe-key", re.compile(r"\b(?:sk|rk)_live_[A-Za-z0-9]{16,}\b")),
    Detector("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    Detector(
        "private-key",
        re.compile(
            r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY( BLOCK)?-----"
        ),
    ),
    Detector(
        "jwt",
        re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    ),
)

SECRET_NAME = re.compile(
    r"(?i)(pass(word|wd|phrase)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|client[_-]?secret|credentials?|auth[_-]?key|signing[_-]?key)"
)
_PLACEHOLDER = re.compile(
    r"(?i)^(changeme|change[_-]?me|example|dummy|test|testing|secret|password|redacted|xxx+|\*+"
    r"|none|null|todo|placeholder|your[_-].*|<.*>|\$\{.*\}|\{\{.*\}\}|%\(.*\)s|os\.environ.*)$"
)


def find_credentials(text: str) -> list[str]:
    """Return the names of the credential formats found in ``text`` (one per match)."""
    return [detector.name for detector in DETECTORS for _ in detector.pattern.finditer(text)]


def entropy(value: str) -> float:
    """Return the Shannon entropy of ``value`` in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def looks_like_assigned_secret(name: str, value: str) -> bool:
    """Return whether ``value``, assigned to ``name``, looks like a real credential."""
    if not SECRET_NAME.search(name):
        return False
    value = value.strip()
    if len(value) < 8 or " " in value or _PLACEHOLDER.match(value):
        return False
    kinds = sum(
        1
        for present in (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
        if present
    )
    return entropy(value) >= 3.0 and kinds >= 2


def credential_kinds(name: str, value: str) -> list[str]:
    """Why ``value`` (assigned to ``name``) looks like a credential: format names, or entropy."""
    found = find_credentials(value)
    if not found and looks_like_assigned_secret(name, value):
        found = [f"high-entropy value of `{name}`"]
    return found


# A private key's BEGIN line plus its body: up to the matching END line when there is one,
# else the base64 and header lines that follow (a truncated key still leaks its body).
_PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?)-----"
    r"(?:(?:(?!-----BEGIN )[\s\S])*?-----END \1-----"
    r"|(?:\r?\n[ \t]*(?:[A-Za-z0-9+/=]+|[A-Za-z-]+:[^\r\n]*)[ \t]*)*)"
)


_ANY_CREDENTIAL = re.compile("|".join(f"(?:{d.pattern.pattern})" for d in DETECTORS))
"""One pass that says whether any detector could match: most strings are clean identifiers."""
_SHORTEST_CREDENTIAL = 15  # "xoxb-" plus 10 characters: no detector matches anything shorter


def _masked_spans(text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, detector) spans to mask: earliest first, longest wins."""
    spans: list[tuple[int, int, str]] = []
    for detector in DETECTORS:
        pattern = _PRIVATE_KEY_BLOCK if detector.name == "private-key" else detector.pattern
        spans.extend((m.start(), m.end(), detector.name) for m in pattern.finditer(text))
    spans.sort(key=lambda span: (span[0], -span[1]))
    kept: list[tuple[int, int, str]] = []
    for span in spans:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def mask_credentials(text: str) -> str:
    """Replace every credential DETECTORS find in ``text`` by ``[MASKED:<detector>]``."""
    if len(text) < _SHORTEST_CREDENTIAL or not _ANY_CREDENTIAL.search(text):
        return text
    spans = _masked_spans(text)
    if not spans:
        return text
    parts: list[str] = []
    position = 0
    for start, end, name in spans:
        parts.append(text[position:start])
        parts.append(f"[MASKED:{name}]")
        position = end
    parts.append(text[position:])
    return "".join(parts)


def mask_document(value: Any) -> Any:
    """Return JSON data with every string (object keys included) passed through mask_credentials."""
    if isinstance(value, str):
        return mask_credentials(value)
    if isinstance(value, dict):
        return {mask_document(key): mask_document(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_document(item) for item in value]
    return value
