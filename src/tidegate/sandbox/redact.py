"""Redaction of everything a run stores: the task's secret values, then credential formats.

Each secret value is masked as ``[MASKED:<name>]`` in these forms:

- raw (and, for a multi-line value, each line of 8 characters or more on its own);
- JSON-escaped (how it appears inside a JSON string), URL-encoded (``quote`` and ``quote_plus``);
- base64, standard and URL-safe alphabets, at each of the three byte alignments, so it is
  found inside a longer base64 stream too (the characters that depend only on the secret are
  masked; at most two neighbouring characters, which mix in other bytes, remain). Encoded
  forms are masked for values of 8 bytes or more only: shorter ones would mask random text.

Then :func:`tidegate.secrets.mask_credentials` masks the detector formats (AWS, GitHub, JWT,
private keys, ...). Masking is one left-to-right pass, so a secret occurrence never survives
it, and it is idempotent for any secret without ``[`` or ``]`` that is not part of the
marker text itself (a second pass finds only original text between markers).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from tidegate.secrets import mask_credentials

ENCODED_MIN_BYTES = 8


def _base64_cores(value: bytes) -> set[bytes]:
    """The base64 characters that depend only on ``value``, at each of three alignments."""
    cores: set[bytes] = set()
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * offset + value)
            # Character i carries bits [6i, 6i+6): keep those entirely inside the value's bits.
            first = -(-8 * offset // 6)
            last = 8 * (offset + len(value)) // 6
            core = encoded[first:last]
            if len(core) >= ENCODED_MIN_BYTES:
                cores.add(core)
    return cores


def variants(value: str) -> set[bytes]:
    """Return the byte strings that reveal ``value`` (see the module docstring)."""
    raw = value.encode("utf-8", "surrogateescape")
    found = {raw} if raw else set()
    if "\n" in value:
        found |= {
            line.encode("utf-8", "surrogateescape")
            for line in value.splitlines()
            if len(line.strip()) >= ENCODED_MIN_BYTES
        }
    if len(raw) >= ENCODED_MIN_BYTES:
        texts = {json.dumps(value)[1:-1], quote(value, safe=""), quote_plus(value)}
        found |= {text.encode("utf-8", "surrogateescape") for text in texts}
        found |= _base64_cores(raw)
    return found


class Redactor:
    """Masks the named secret values, their encodings and credential formats in what is stored."""

    def __init__(self, secrets: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        pairs = secrets.items() if isinstance(secrets, Mapping) else secrets
        names: dict[bytes, str] = {}
        for name, value in pairs:
            for variant in variants(value):
                names.setdefault(variant, name)
        self._names = names
        # Longest first, so a value that contains another is masked whole under its own name.
        ordered = sorted(names, key=lambda v: (-len(v), v))
        self._pattern: re.Pattern[bytes] | None = (
            re.compile(b"|".join(re.escape(v) for v in ordered)) if ordered else None
        )

    @property
    def secret_count(self) -> int:
        """How many distinct byte strings are masked (values and their encodings)."""
        return len(self._names)

    def _mask_secrets(self, data: bytes) -> bytes:
        if self._pattern is None:
            return data
        return self._pattern.sub(lambda m: b"[MASKED:%s]" % self._names[m.group()].encode(), data)

    def bytes(self, data: bytes) -> bytes:
        """Return ``data`` with every secret and credential masked (other bytes unchanged)."""
        masked = self._mask_secrets(data)
        # surrogateescape round-trips any byte sequence, so non-UTF-8 output is kept exactly.
        text = masked.decode("utf-8", "surrogateescape")
        return mask_credentials(text).encode("utf-8", "surrogateescape")

    def text(self, value: str) -> str:
        """Return ``value`` with every secret and credential masked."""
        try:
            data, errors = value.encode("utf-8", "surrogateescape"), "surrogateescape"
        except UnicodeEncodeError:  # a lone surrogate from JSON "\\ud800": keep it as it is
            data, errors = value.encode("utf-8", "surrogatepass"), "surrogatepass"
        return mask_credentials(self._mask_secrets(data).decode("utf-8", errors))

    def document(self, value: Any) -> Any:
        """Return JSON data with every string (object keys included) masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(key)): self.document(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.document(item) for item in value]
        return value
