"""Proof files: C2SP tlog-proof@v1 (inclusion) and tidegate's consistency-proof@v1.

Both are text: a header line, a few ``key value`` lines, one base64 SHA-256 hash per line,
an empty line, then the signed checkpoint verbatim. The consistency format mirrors tlog-proof
(there is no C2SP format for consistency proofs yet); see ledger/SPEC.md.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from tidegate.errors import FormatError
from tidegate.ledger.merkle import HASH_SIZE

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
CONSISTENCY_HEADER = "tidegate.dev/consistency-proof@v1"
_DECIMAL_RE = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class InclusionProofFile:
    """A tlog-proof: entry index, inclusion path and the checkpoint it leads to."""

    index: int
    hashes: tuple[bytes, ...]
    checkpoint: bytes
    extra: bytes | None = None

    def encode(self) -> bytes:
        """Serialize as c2sp.org/tlog-proof@v1."""
        lines = [TLOG_PROOF_HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode())
        lines.append(f"index {self.index}")
        lines += [base64.b64encode(h).decode() for h in self.hashes]
        return ("\n".join(lines) + "\n\n").encode() + self.checkpoint


@dataclass(frozen=True)
class ConsistencyProofFile:
    """A consistency proof from ``old_size`` to the checkpoint's size."""

    old_size: int
    hashes: tuple[bytes, ...]
    checkpoint: bytes

    def encode(self) -> bytes:
        """Serialize as tidegate.dev/consistency-proof@v1."""
        lines = [CONSISTENCY_HEADER, f"old {self.old_size}"]
        lines += [base64.b64encode(h).decode() for h in self.hashes]
        return ("\n".join(lines) + "\n\n").encode() + self.checkpoint


def _split(data: bytes, header: str, what: str) -> tuple[list[str], bytes]:
    split = data.find(b"\n\n")
    if split < 0:
        raise FormatError(f"{what}: no empty line before the checkpoint")
    try:
        lines = data[:split].decode("ascii").split("\n")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{what}: the proof lines are not ASCII") from exc
    if lines[0] != header:
        raise FormatError(f"{what}: line 1 is {lines[0][:60]!r}, expected {header!r}")
    return lines[1:], data[split + 2 :]


def _decimal(value: str, what: str, line: int) -> int:
    if not _DECIMAL_RE.fullmatch(value):
        raise FormatError(
            f"{what}: line {line}: {value!r} is not a decimal number without leading zeros"
        )
    return int(value)


def _hashes(lines: list[str], what: str, first_line: int) -> tuple[bytes, ...]:
    hashes: list[bytes] = []
    for offset, line in enumerate(lines):
        try:
            digest = base64.b64decode(line, validate=True)
        except binascii.Error as exc:
            raise FormatError(f"{what}: line {first_line + offset} is not base64") from exc
        if len(digest) != HASH_SIZE:
            raise FormatError(f"{what}: line {first_line + offset} is not a SHA-256 hash")
        hashes.append(digest)
    if len(hashes) > 64:
        raise FormatError(f"{what}: {len(hashes)} hashes is more than any tree needs")
    return tuple(hashes)


def parse_inclusion_proof(data: bytes, *, source: str = "proof") -> InclusionProofFile:
    """Parse a c2sp.org/tlog-proof@v1 file; raise FormatError naming the bad line."""
    lines, checkpoint = _split(data, TLOG_PROOF_HEADER, source)
    extra: bytes | None = None
    line_no = 2
    if lines and lines[0].startswith("extra "):
        try:
            extra = base64.b64decode(lines[0][6:], validate=True)
        except binascii.Error as exc:
            raise FormatError(f"{source}: line 2 (extra) is not base64") from exc
        lines, line_no = lines[1:], 3
    if not lines or not lines[0].startswith("index "):
        raise FormatError(f"{source}: line {line_no} must be 'index N'")
    index = _decimal(lines[0][6:], source, line_no)
    return InclusionProofFile(index, _hashes(lines[1:], source, line_no + 1), checkpoint, extra)


def parse_consistency_proof(data: bytes, *, source: str = "proof") -> ConsistencyProofFile:
    """Parse a tidegate.dev/consistency-proof@v1 file."""
    lines, checkpoint = _split(data, CONSISTENCY_HEADER, source)
    if not lines or not lines[0].startswith("old "):
        raise FormatError(f"{source}: line 2 must be 'old N'")
    old_size = _decimal(lines[0][4:], source, 2)
    return ConsistencyProofFile(old_size, _hashes(lines[1:], source, 3), checkpoint)
