"""tlog-proof@v1 and consistency-proof@v1 files: round trips, the C2SP example, hostile input."""

from __future__ import annotations

import base64
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tidegate.errors import FormatError
from tidegate.ledger.proof import (
    ConsistencyProofFile,
    InclusionProofFile,
    parse_consistency_proof,
    parse_inclusion_proof,
)

CHECKPOINT = (
    b"example.com/log\n12\n"
    + base64.b64encode(b"\x07" * 32)
    + b"\n\n\xe2\x80\x94 example.com/log AAAA\n"
)
hashes = st.lists(st.binary(min_size=32, max_size=32), max_size=40).map(tuple)

# The example of c2sp.org/tlog-proof (its checkpoint's signatures are elided there, and here).
C2SP_EXAMPLE = b"""c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=
"""


def test_c2sp_example_parses() -> None:
    proof = parse_inclusion_proof(C2SP_EXAMPLE)
    assert proof.index == 73894
    assert proof.extra == b"age-v1.2.1-darwin-arm64.tar.gz"
    assert len(proof.hashes) == 5
    assert proof.checkpoint.startswith(b"example.com/fancylog\n109482\n")
    assert proof.encode() == C2SP_EXAMPLE


@given(index=st.integers(0, 2**63), path=hashes, extra=st.none() | st.binary(max_size=64))
def test_inclusion_proof_round_trip(
    index: int, path: tuple[bytes, ...], extra: bytes | None
) -> None:
    proof = InclusionProofFile(index, path, CHECKPOINT, extra)
    assert parse_inclusion_proof(proof.encode()) == proof


@given(old=st.integers(0, 2**63), path=hashes)
def test_consistency_proof_round_trip(old: int, path: tuple[bytes, ...]) -> None:
    proof = ConsistencyProofFile(old, path, CHECKPOINT)
    assert parse_consistency_proof(proof.encode()) == proof


@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_the_parsers(data: bytes) -> None:
    for parse in (parse_inclusion_proof, parse_consistency_proof):
        with contextlib.suppress(FormatError):
            parse(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"c2sp.org/tlog-proof@v1\nindex 1\n", "no empty line"),
        (b"c2sp.org/tlog-proof@v2\nindex 1\n\n", "expected 'c2sp.org/tlog-proof@v1'"),
        (b"c2sp.org/tlog-proof@v1\nindx 1\n\n", "line 2 must be 'index N'"),
        (b"c2sp.org/tlog-proof@v1\nindex 01\n\n", "line 2: '01' is not a decimal"),
        (b"c2sp.org/tlog-proof@v1\nindex -1\n\n", "not a decimal"),
        (b"c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n\n", "line 2 \\(extra\\) is not base64"),
        (b"c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\n", "line 3 is not a SHA-256 hash"),
        (b"c2sp.org/tlog-proof@v1\nindex 1\n\xff\n\n", "not ASCII"),
        (
            b"c2sp.org/tlog-proof@v1\nindex 1\n"
            + b"\n".join([base64.b64encode(b"1" * 32)] * 65)
            + b"\n\n",
            "65 hashes",
        ),
    ],
)
def test_malformed_inclusion_proofs_name_the_line(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_inclusion_proof(data, source="p.tlog-proof")


def test_malformed_consistency_proof() -> None:
    with pytest.raises(FormatError, match="line 2 must be 'old N'"):
        parse_consistency_proof(b"tidegate.dev/consistency-proof@v1\nnew 3\n\n")
