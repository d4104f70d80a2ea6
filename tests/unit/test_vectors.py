"""The committed test vectors (ledger/vectors/): reproducible, and valid from the files alone.

(a) scripts/make-vectors.py run again into a temporary directory writes the very same bytes;
(b) every vector verifies using only the files and tidegate's pure format functions (no
database), and the Merkle proofs also match a direct transcription of RFC 6962's recursion.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tidegate._time import parse_time
from tidegate.canonical import canonical_json, json_digest
from tidegate.errors import FormatError
from tidegate.ledger.entry import (
    GENESIS_PREV,
    PAYLOAD_TYPE,
    STATEMENT_TYPE,
    pae,
    parse_entry,
    predicate_type,
)
from tidegate.ledger.keys import key_id, load_public_key
from tidegate.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    ProofError,
    hash_children,
    hash_leaf,
    verify_consistency,
    verify_inclusion,
)
from tidegate.ledger.note import NoteVerifier, open_checkpoint, parse_vkey
from tidegate.ledger.proof import parse_consistency_proof, parse_inclusion_proof
from tidegate.ledger.trust import parse_trust

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "ledger" / "vectors"
SCRIPT = REPO / "scripts" / "make-vectors.py"
ORIGIN = "vectors.tidegate.dev/log"
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def index() -> dict[str, Any]:
    """vectors.json."""
    return dict(json.loads((VECTORS / "vectors.json").read_text()))


@pytest.fixture(scope="module")
def verifiers(index: dict[str, Any]) -> dict[str, NoteVerifier]:
    """The vector keys as note verifiers, by key id, read from the PEM and vkey files."""
    result = {}
    for item in index["keys"]:
        from_pem = load_public_key(
            (VECTORS / item["pem"]).read_bytes(), source=item["pem"], note_name=ORIGIN
        )
        from_vkey = _parse_vkey((VECTORS / item["vkey_file"]).read_text())
        assert from_pem == from_vkey
        assert from_vkey.vkey() == item["vkey"]
        assert from_vkey.key_hash.hex() == item["note_key_hash"]
        assert base64.b64encode(from_vkey.public_key).decode() == item["public_key"]
        assert key_id(from_vkey.public_key) == item["keyid"]
        result[item["keyid"]] = from_vkey
    return result


@pytest.fixture(scope="module")
def entries(index: dict[str, Any]) -> list[bytes]:
    """Every entry's exact bytes, in order."""
    return [(VECTORS / item["file"]).read_bytes() for item in index["entries"]]


def _parse_vkey(vkey: str) -> NoteVerifier:
    """Parse ``name+hash+base64`` as Go's note.NewVerifier does (independent of note.py)."""
    name, hash_hex, encoded = vkey.strip().split("+", 2)
    raw = base64.b64decode(encoded, validate=True)
    assert raw[0] == 0x01
    assert len(raw) == 33
    verifier = NoteVerifier(name, raw[1:])
    assert verifier.key_hash.hex() == hash_hex
    return verifier


def test_parse_vkey_accepts_a_plus_in_the_base64_key(index: dict[str, Any]) -> None:
    """Regression: the base64 part of a verifier key may contain '+' (key0's does)."""
    vkey = index["keys"][0]["vkey"]
    assert "+" in vkey.split("+", 2)[2]
    assert parse_vkey(vkey) == _parse_vkey(vkey)


# --- (a) reproducible -----------------------------------------------------------------------


def test_regenerated_vectors_are_byte_identical(tmp_path: Path) -> None:
    out = tmp_path / "vectors"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    committed, regenerated = _files(VECTORS), _files(out)
    assert sorted(regenerated) == sorted(committed), (
        "the set of vector files changed: rerun scripts/make-vectors.py"
    )
    changed = [name for name in committed if committed[name] != regenerated[name]]
    assert not changed, (
        f"vector files differ from a fresh run of scripts/make-vectors.py: {changed}"
    )


def test_make_vectors_refuses_to_replace_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("not vectors")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1
    assert "refusing" in result.stderr
    assert (tmp_path / "keep.txt").read_text() == "not vectors"


# --- (b) valid from the files alone ---------------------------------------------------------


def test_no_private_key_material_is_committed() -> None:
    for name, data in _files(VECTORS).items():
        assert b"PRIVATE" not in data, name


def test_trust_file(index: dict[str, Any], verifiers: dict[str, NoteVerifier]) -> None:
    trust = parse_trust((VECTORS / index["trust"]).read_text(), source=index["trust"])
    assert trust.origin == index["origin"] == ORIGIN
    assert [k.keyid for k in trust.keys] == [k["keyid"] for k in index["keys"]]
    for trusted in trust.keys:
        assert trusted.public_key == verifiers[trusted.keyid].public_key
    old, new = trust.keys
    assert old.valid_until == index["entries"][4]["time"]  # closed at the rotation entry
    assert new.valid_until is None


def test_entries_leaf_hashes_and_chain(index: dict[str, Any], entries: list[bytes]) -> None:
    leaves_file = (VECTORS / "leaves.txt").read_text().splitlines()
    assert len(entries) == len(leaves_file) == 7
    prev = GENESIS_PREV
    for seq, (item, data) in enumerate(zip(index["entries"], entries, strict=True)):
        leaf = hash_leaf(data)
        assert leaf == hashlib.sha256(b"\x00" + data).digest()
        assert leaf.hex() == item["leaf_hash"] == leaves_file[seq]
        assert len(data) == item["bytes"]
        assert hashlib.sha256(data).hexdigest() == item["sha256"]
        # Entry bytes and payload are RFC 8785 canonical JSON.
        envelope = json.loads(data)
        assert canonical_json(envelope) == data
        assert list(envelope) == ["payload", "payloadType", "signatures"]
        assert envelope["payloadType"] == PAYLOAD_TYPE
        parsed = parse_entry(data)
        assert canonical_json(parsed.statement) == parsed.payload
        assert parsed.statement["_type"] == STATEMENT_TYPE
        assert parsed.statement["predicateType"] == predicate_type(item["kind"])
        assert parsed.kind == item["kind"]
        assert parsed.seq == seq
        assert parsed.prev == prev
        assert parsed.time == item["time"]
        assert TIME_RE.match(parsed.time)
        subjects = parsed.statement["subject"]
        assert subjects[0] == {"name": "body", "digest": {"sha256": json_digest(parsed.body)}}
        prev = leaf.hex()


def test_entry_signatures(
    index: dict[str, Any], entries: list[bytes], verifiers: dict[str, NoteVerifier]
) -> None:
    key0, key1 = (k["keyid"] for k in index["keys"])
    expected_signers = [[key0]] * 4 + [[key0, key1]] + [[key1]] * 2
    trust = parse_trust((VECTORS / "trust.json").read_text(), source="trust.json")
    for seq, data in enumerate(entries):
        parsed = parse_entry(data)
        assert [k for k, _ in parsed.signatures] == expected_signers[seq]
        message = b"DSSEv1 %d %s %d %s" % (
            len(PAYLOAD_TYPE),
            PAYLOAD_TYPE.encode(),
            len(parsed.payload),
            parsed.payload,
        )
        assert message == pae(PAYLOAD_TYPE, parsed.payload) == parsed.signed_message()
        moment = parse_time(parsed.time)
        for keyid, signature in parsed.signatures:
            public = Ed25519PublicKey.from_public_bytes(verifiers[keyid].public_key)
            public.verify(signature, message)
            with pytest.raises(InvalidSignature):
                public.verify(signature, message + b" ")
            trusted = trust.key(keyid)
            assert trusted is not None
            assert trusted.covers(moment), f"entry {seq} signed by {keyid} outside its window"


def test_rotation_entry(index: dict[str, Any], entries: list[bytes]) -> None:
    key0, key1 = index["keys"]
    rotation = parse_entry(entries[4])
    assert rotation.kind == "key.rotated"
    assert rotation.body["old_keyid"] == key0["keyid"]
    assert rotation.body["new_keyid"] == key1["keyid"]
    assert rotation.body["new_public_key"] == key1["public_key"]
    for data in entries[5:]:
        assert key0["keyid"] not in [k for k, _ in parse_entry(data).signatures]


def test_blobs_and_subjects(index: dict[str, Any], entries: list[bytes]) -> None:
    with_blobs = [
        (seq, parse_entry(data).blobs)
        for seq, data in enumerate(entries)
        if parse_entry(data).blobs
    ]
    assert [seq for seq, _ in with_blobs] == [2]
    (ref,) = with_blobs[0][1]
    (listed,) = index["blobs"]
    content = (VECTORS / listed["file"]).read_bytes()
    assert ref.sha256 == listed["sha256"] == hashlib.sha256(content).hexdigest()
    assert ref.size == listed["size"] == len(content)
    subjects = parse_entry(entries[6]).statement["subject"]
    assert subjects[1]["name"] == "src/app.py"
    file_digest = hashlib.sha256(
        (VECTORS / "blobs" / "subject-src-app.py").read_bytes()
    ).hexdigest()
    assert subjects[1]["digest"]["sha256"] == file_digest


def test_roots(index: dict[str, Any], entries: list[bytes]) -> None:
    tree = CompactRange()
    assert index["roots"]["0"] == EMPTY_ROOT.hex() == hashlib.sha256(b"").hexdigest()
    leaves = [hash_leaf(data) for data in entries]
    for size, leaf in enumerate(leaves, start=1):
        tree.append(leaf)
        assert tree.root().hex() == index["roots"][str(size)] == _mth(leaves[:size]).hex()


def test_checkpoints(index: dict[str, Any], verifiers: dict[str, NoteVerifier]) -> None:
    by_vkey = {v.vkey(): v for v in verifiers.values()}
    for item in index["checkpoints"]:
        note = (VECTORS / item["file"]).read_bytes()
        signer = by_vkey[item["signed_by"]]
        checkpoint = open_checkpoint(note, [signer])
        assert checkpoint.origin == ORIGIN
        assert checkpoint.size == item["size"]
        assert checkpoint.root_hash.hex() == item["root"] == index["roots"][str(item["size"])]
        assert checkpoint.extensions == ()
        text, _, signature_block = note.partition(b"\n\n")
        assert text + b"\n" == checkpoint.text().encode()
        (line,) = signature_block.decode().splitlines()
        name, encoded = line.removeprefix("\u2014 ").split(" ")
        raw = base64.b64decode(encoded)
        assert name == ORIGIN
        assert (
            raw[:4]
            == signer.key_hash
            == hashlib.sha256(ORIGIN.encode() + b"\n\x01" + signer.public_key).digest()[:4]
        )
        Ed25519PublicKey.from_public_bytes(signer.public_key).verify(raw[4:], text + b"\n")
        others = [v for v in verifiers.values() if v != signer]
        with pytest.raises(FormatError, match="not signed by any trusted key"):
            open_checkpoint(note, others)


def test_tlog_proof_files(
    index: dict[str, Any], entries: list[bytes], verifiers: dict[str, NoteVerifier]
) -> None:
    checkpoints = {
        item["size"]: (VECTORS / item["file"]).read_bytes() for item in index["checkpoints"]
    }
    covered = set()
    for item in index["tlog_proofs"]:
        data = (VECTORS / item["file"]).read_bytes()
        proof = parse_inclusion_proof(data, source=item["file"])
        assert proof.index == item["index"]
        assert [h.hex() for h in proof.hashes] == item["hashes"]
        assert proof.checkpoint == checkpoints[item["size"]]
        assert proof.encode() == data
        checkpoint = open_checkpoint(proof.checkpoint, verifiers.values())
        assert checkpoint.size == item["size"]
        leaf = hash_leaf(entries[proof.index])
        verify_inclusion(leaf, proof.index, checkpoint.size, proof.hashes, checkpoint.root_hash)
        assert list(proof.hashes) == _path(
            proof.index, [hash_leaf(e) for e in entries[: checkpoint.size]]
        )
        with pytest.raises(ProofError):
            verify_inclusion(
                hash_leaf(entries[proof.index] + b" "),
                proof.index,
                checkpoint.size,
                proof.hashes,
                checkpoint.root_hash,
            )
        if item["file"].endswith("-in-3.tlog-proof"):
            assert proof.extra == b"tidegate vectors"
        else:
            assert proof.extra is None
            covered.add(proof.index)
    assert covered == set(range(len(entries)))


def test_consistency_proof_files(index: dict[str, Any], verifiers: dict[str, NoteVerifier]) -> None:
    assert index["consistency_proofs"]
    for item in index["consistency_proofs"]:
        data = (VECTORS / item["file"]).read_bytes()
        proof = parse_consistency_proof(data, source=item["file"])
        assert proof.encode() == data
        assert proof.old_size == item["old_size"]
        assert [h.hex() for h in proof.hashes] == item["hashes"]
        new = open_checkpoint(proof.checkpoint, verifiers.values())
        old = open_checkpoint((VECTORS / item["old_checkpoint"]).read_bytes(), verifiers.values())
        assert (old.size, new.size) == (item["old_size"], item["new_size"])
        verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof.hashes)
        with pytest.raises(ProofError):
            verify_consistency(old.size, new.size, new.root_hash, new.root_hash, proof.hashes)


def test_all_inclusion_and_consistency_proofs(index: dict[str, Any], entries: list[bytes]) -> None:
    leaves = [hash_leaf(data) for data in entries]
    roots = {int(size): bytes.fromhex(root) for size, root in index["roots"].items()}
    assert len(index["inclusion"]) == 7 * 8 // 2
    for item in index["inclusion"]:
        hashes = [bytes.fromhex(h) for h in item["hashes"]]
        assert hashes == _path(item["index"], leaves[: item["size"]])
        verify_inclusion(
            leaves[item["index"]], item["index"], item["size"], hashes, roots[item["size"]]
        )
    assert len(index["consistency"]) == 7 * 8 // 2
    for item in index["consistency"]:
        old, new = item["old_size"], item["new_size"]
        hashes = [bytes.fromhex(h) for h in item["hashes"]]
        assert hashes == _proof(old, leaves[:new])
        verify_consistency(old, new, roots[old], roots[new], hashes)


# --- RFC 6962 section 2.1, transcribed directly (independent of tidegate.ledger.merkle) -------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _mth(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _k(len(leaves))
    return hash_children(_mth(leaves[:k]), _mth(leaves[k:]))


def _path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    if len(leaves) <= 1:
        return []
    k = _k(len(leaves))
    if m < k:
        return [*_path(m, leaves[:k]), _mth(leaves[k:])]
    return [*_path(m - k, leaves[k:]), _mth(leaves[:k])]


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [_mth(leaves)]
    k = _k(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), _mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), _mth(leaves[:k])]


def _proof(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    return _subproof(m, leaves, True) if 0 < m < len(leaves) else []
