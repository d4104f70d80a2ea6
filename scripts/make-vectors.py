#!/usr/bin/env python3
"""Build the ledger test vectors in ledger/vectors/ (see ledger/SPEC.md), deterministically.

Usage: .venv/bin/python scripts/make-vectors.py [--out DIR]

A small ledger is built in a temporary SQLite file with two Ed25519 keys derived from fixed,
public test seeds, a fixed origin and a fixed clock. Ed25519 signatures are deterministic, so
every run writes byte-identical files; tests/unit/test_vectors.py checks that the committed
vectors are reproduced exactly and verifies them from the files alone.

The output directory is replaced as a whole (it must be absent, empty, or a previous vectors
directory holding vectors.json).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tidegate._time import format_time
from tidegate.ledger.entry import Subject
from tidegate.ledger.keys import SigningKey, public_key_pem
from tidegate.ledger.kinds import KEY_ROTATED
from tidegate.ledger.log import AppendRequest, Ledger
from tidegate.ledger.note import NoteVerifier
from tidegate.ledger.proof import InclusionProofFile
from tidegate.ledger.store import LedgerStore, sqlite_url
from tidegate.ledger.trust import TrustedKey, TrustPolicy
from tidegate.ledger.verify import verify_ledger

ORIGIN = "vectors.tidegate.dev/log"
ACTOR = "vectors@tidegate.dev"
START = datetime(2025, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
KEY0_VALID_FROM = "2025-01-01T00:00:00.000Z"

# PUBLIC TEST SEEDS, NOT SECRETS: anyone can recompute these keys. They exist only so that the
# vectors are reproducible; never sign anything real with them.
TEST_SEED_LABELS = (
    b"tidegate test vectors: public test key 0 (not a secret)",
    b"tidegate test vectors: public test key 1 (not a secret)",
)

BLOB_NAME = "patch.diff"
BLOB = b"--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-print('hello')\n+print('hello, world')\n"
SUBJECT_FILE = b"print('hello, world')\n"

CHECKPOINT_SIZES = (3, 7)
CONSISTENCY = ((3, 7),)


def vector_key(index: int) -> SigningKey:
    """Return public test key ``index`` (its seed is SHA-256 of a fixed public label)."""
    seed = hashlib.sha256(TEST_SEED_LABELS[index]).digest()
    return SigningKey(Ed25519PrivateKey.from_private_bytes(seed))


def fixed_clock() -> Callable[[], str]:
    """Return a clock that ticks 1.001 s per call, from START."""
    ticks = iter(range(1_000_000))

    def clock() -> str:
        return format_time(START + timedelta(milliseconds=1001 * next(ticks)))

    return clock


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def build(out: Path) -> None:
    """Build the ledger and write every vector file into the empty directory ``out``."""
    clock = fixed_clock()
    with tempfile.TemporaryDirectory(prefix="tidegate-vectors-") as tmp:
        store = LedgerStore(sqlite_url(Path(tmp) / "ledger.db"))
        try:
            store.create(ORIGIN, clock())
            built = _append_entries(store, vector_key(0), vector_key(1), clock)
            index = _write_vectors(built, out)
        finally:
            store.close()
    _write(out / "vectors.json", json.dumps(index, indent=2, ensure_ascii=False) + "\n")


@dataclass
class Built:
    """The vectors ledger: its writers (before and after the rotation), trust and checkpoints."""

    store: LedgerStore
    keys: tuple[SigningKey, SigningKey]
    before: Ledger
    after: Ledger
    trust: TrustPolicy
    checkpoints: dict[int, bytes]
    size: int


def _append_entries(
    store: LedgerStore, key0: SigningKey, key1: SigningKey, clock: Callable[[], str]
) -> Built:
    before = Ledger(store, origin=ORIGIN, signer=key0, actor=ACTOR, clock=clock)
    before.append(AppendRequest("note", {"message": "ledger opened"}))
    unicode_body = {
        "message": "Unicode is kept as UTF-8: naïve café — ✓ 𝄞",
        "category": "i18n",
        "labels": {"ticket": "T-1", "ünïcödé": "ja"},
        "refs": ["https://example.com/a", "https://example.com/b"],
    }
    before.append(AppendRequest("note", unicode_body, actor="agent/ünï"))
    blob_body = {"message": "a patch, kept as a blob"}
    before.append(AppendRequest("note", blob_body, blobs={BLOB_NAME: BLOB}))
    checkpoints = {3: before.checkpoint().note}
    long_message = " ".join(f"line {i:03d} of a longer note." for i in range(60))
    before.append(AppendRequest("note", {"message": long_message, "category": "bulk"}))
    rotated_at = clock()  # the new key is trusted from here, before the rotation entry
    rotation_body = {
        "old_keyid": key0.keyid,
        "new_keyid": key1.keyid,
        "new_public_key": _b64(key1.public_key),
        "reason": "scheduled rotation (test vectors)",
    }
    rotation = before.append(AppendRequest(KEY_ROTATED, rotation_body, co_signers=[key1]))
    after = Ledger(store, origin=ORIGIN, signer=key1, actor=ACTOR, clock=clock)
    subject = Subject("src/app.py", hashlib.sha256(SUBJECT_FILE).hexdigest())
    about_file = {"message": "an entry about a file", "refs": ["src/app.py"]}
    after.append_batch(
        [
            AppendRequest("note", {"message": "first entry signed by the new key"}),
            AppendRequest("note", about_file, subjects=[subject]),
        ]
    )
    size = after.size()
    checkpoints[size] = after.checkpoint().note
    assert tuple(sorted(checkpoints)) == CHECKPOINT_SIZES
    trust = TrustPolicy(
        ORIGIN,
        (
            TrustedKey(key0.public_key, KEY0_VALID_FROM, rotation.time),
            TrustedKey(key1.public_key, rotated_at),
        ),
    )
    report = verify_ledger(store, trust, trusted_checkpoint=checkpoints[3], workers=1)
    assert report.ok, [f.as_json() for f in report.failures]
    assert report.keys_used == {key0.keyid: 5, key1.keyid: 3}, report.keys_used
    return Built(store, (key0, key1), before, after, trust, checkpoints, size)


def _write_vectors(built: Built, out: Path) -> dict[str, Any]:
    _write(out / "trust.json", built.trust.to_json())
    keys = _write_keys(built, out)
    entries = _write_entries(built, out)
    blob_digest = hashlib.sha256(BLOB).hexdigest()
    _write(out / f"blobs/{blob_digest}", BLOB)
    _write(out / "blobs/subject-src-app.py", SUBJECT_FILE)
    signer_of = {3: keys[0]["vkey"], built.size: keys[1]["vkey"]}
    checkpoints = []
    for size, note in sorted(built.checkpoints.items()):
        name = f"checkpoints/{size}.checkpoint"
        _write(out / name, note)
        root = built.after.root_at(size).hex()
        checkpoints.append({"file": name, "size": size, "root": root, "signed_by": signer_of[size]})
    ledger, size = built.after, built.size
    return {
        "description": "tidegate ledger test vectors: see ledger/SPEC.md, scripts/make-vectors.py",
        "origin": ORIGIN,
        "keys": keys,
        "trust": "trust.json",
        "entries": entries,
        "blobs": [{"file": f"blobs/{blob_digest}", "sha256": blob_digest, "size": len(BLOB)}],
        "roots": {str(n): ledger.root_at(n).hex() for n in range(size + 1)},
        "checkpoints": checkpoints,
        "tlog_proofs": _write_tlog_proofs(built, out),
        "consistency_proofs": _write_consistency_proofs(built, out),
        "inclusion": [
            {"index": i, "size": n, "hashes": _hex(ledger.inclusion_proof(i, n))}
            for n in range(1, size + 1)
            for i in range(n)
        ],
        "consistency": [
            {"old_size": m, "new_size": n, "hashes": _hex(ledger.consistency_proof(m, n))}
            for n in range(1, size + 1)
            for m in range(1, n + 1)
        ],
    }


def _hex(hashes: Sequence[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


def _write_keys(built: Built, out: Path) -> list[dict[str, Any]]:
    keys = []
    for number, key in enumerate(built.keys):
        verifier = NoteVerifier(ORIGIN, key.public_key)
        _write(out / f"keys/key{number}.pub.pem", public_key_pem(key.public_key))
        _write(out / f"keys/key{number}.vkey", verifier.vkey() + "\n")
        keys.append(
            {
                "keyid": key.keyid,
                "public_key": _b64(key.public_key),
                "pem": f"keys/key{number}.pub.pem",
                "vkey": verifier.vkey(),
                "vkey_file": f"keys/key{number}.vkey",
                "note_key_hash": verifier.key_hash.hex(),
            }
        )
    return keys


def _write_entries(built: Built, out: Path) -> list[dict[str, Any]]:
    entries = []
    for chunk in built.store.entries():
        for entry in chunk:
            name = f"entries/{entry.seq:04d}.entry"
            _write(out / name, entry.envelope)
            entries.append(
                {
                    "seq": entry.seq,
                    "file": name,
                    "kind": entry.kind,
                    "time": entry.time,
                    "bytes": len(entry.envelope),
                    "sha256": hashlib.sha256(entry.envelope).hexdigest(),
                    "leaf_hash": entry.leaf_hash.hex(),
                }
            )
    _write(out / "leaves.txt", "".join(f"{e['leaf_hash']}\n" for e in entries))
    return entries


def _write_tlog_proofs(built: Built, out: Path) -> list[dict[str, Any]]:
    proofs = []
    for seq in range(built.size):
        proof, _ = built.after.prove_inclusion(seq)
        assert proof.checkpoint == built.checkpoints[built.size]
        name = f"proofs/{seq:04d}.tlog-proof"
        _write(out / name, proof.encode())
        proofs.append(
            {"file": name, "index": seq, "size": built.size, "hashes": _hex(proof.hashes)}
        )
    # One proof against the older checkpoint, carrying the optional extra line.
    hashes = tuple(built.after.inclusion_proof(1, 3))
    old = InclusionProofFile(1, hashes, built.checkpoints[3], extra=b"tidegate vectors")
    name = "proofs/0001-in-3.tlog-proof"
    _write(out / name, old.encode())
    proofs.append({"file": name, "index": 1, "size": 3, "hashes": _hex(hashes)})
    return proofs


def _write_consistency_proofs(built: Built, out: Path) -> list[dict[str, Any]]:
    proofs = []
    for old, new in CONSISTENCY:
        assert new == built.size
        proof = built.after.prove_consistency(old)
        assert proof.checkpoint == built.checkpoints[new]
        name = f"proofs/consistency-{old}-{new}.proof"
        _write(out / name, proof.encode())
        proofs.append(
            {
                "file": name,
                "old_size": old,
                "new_size": new,
                "old_checkpoint": f"checkpoints/{old}.checkpoint",
                "hashes": _hex(proof.hashes),
            }
        )
    return proofs


def main(argv: list[str] | None = None) -> int:
    """Write the vectors to --out (default: ledger/vectors next to this script)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1] / "ledger" / "vectors"
    parser.add_argument(
        "--out", type=Path, default=default, help=f"output directory (default {default})"
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    if out.exists() and any(out.iterdir()) and not (out / "vectors.json").is_file():
        print(
            f"make-vectors: {out} is not empty and holds no vectors.json; refusing to replace it",
            file=sys.stderr,
        )
        return 1
    staging = Path(
        tempfile.mkdtemp(prefix="vectors-", dir=out.parent if out.parent.is_dir() else None)
    )
    try:
        build(staging)
        staging.chmod(0o755)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    print(f"make-vectors: wrote {sum(1 for p in out.rglob('*') if p.is_file())} files to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
