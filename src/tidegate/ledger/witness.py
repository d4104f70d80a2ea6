"""A witness: cosign a log's checkpoints only when each extends the last one it cosigned.

The witness is a second party with its own Ed25519 key and a state directory. For every log
(origin) it remembers the size, root hash and cosigned note of the last checkpoint it
cosigned; it refuses a smaller size (rollback), the same size with another root (fork) and a
larger size without a valid consistency proof, and answers a valid checkpoint with a C2SP
cosignature/v1 line (c2sp.org/tlog-cosignature), as a c2sp.org/tlog-witness would. The first
checkpoint of an origin is trusted on first use. Checking and recording happen under an
exclusive lock, so two concurrent calls cannot both advance the same log.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tidegate.errors import ConfigError, FormatError, LedgerError, UsageError
from tidegate.ledger.keys import SigningKey, generate_key, load_key, write_key
from tidegate.ledger.merkle import HASH_SIZE, ProofError, verify_consistency
from tidegate.ledger.note import (
    COSIGNATURE_ALGORITHM,
    ED25519_ALGORITHM,
    SIGNATURE_PREFIX,
    Checkpoint,
    CosignatureSigner,
    NoteSignature,
    NoteVerifier,
    SignedNote,
    check_key_name,
    open_checkpoint,
    parse_checkpoint,
    parse_note,
    parse_vkey,
    verify_cosignature,
)
from tidegate.ledger.proof import parse_consistency_proof
from tidegate.ledger.store import LedgerStore

STATE_FILE = "witness.json"
KEY_FILE = "witness.key"
LOCK_FILE = "witness.lock"
STATE_DIR_MODE = 0o700
STATE_FILE_MODE = 0o600
STATE_VERSION = 1


class WitnessRefused(LedgerError):
    """The witness refused to cosign a checkpoint; the message says why."""

    def __init__(self, reason: str, *, hint: str | None = None) -> None:
        super().__init__(f"refused to cosign: {reason}", hint=hint)


@dataclass(frozen=True)
class WitnessedLog:
    """What the witness last cosigned for one log."""

    size: int
    root_hash: bytes
    checkpoint: bytes
    """The cosigned note: the log's checkpoint with the witness's cosignature line."""
    time: int
    """The cosignature's timestamp (Unix seconds)."""
    log_key: str
    """The log's verifier key that the checkpoint was checked with."""


@dataclass(frozen=True)
class WitnessState:
    """The witness's state file: its name and, per origin, the last cosigned checkpoint."""

    name: str
    logs: Mapping[str, WitnessedLog] = field(default_factory=dict)


@dataclass(frozen=True)
class Witness:
    """An initialized witness: its state directory, name and signing key."""

    directory: Path
    name: str
    key: SigningKey

    @property
    def signer(self) -> CosignatureSigner:
        """The cosignature/v1 signer of this witness."""
        return CosignatureSigner(self.name, self.key.private_key)

    def vkey(self) -> str:
        """Return the witness's verifier key ``name+hash+base64(0x04 || public key)``."""
        return self.signer.verifier().vkey()


@dataclass(frozen=True)
class CosignResult:
    """A cosigned checkpoint: what was cosigned, from which earlier size, and the new line."""

    checkpoint: Checkpoint
    previous_size: int | None
    """The size the witness had cosigned before; None when the log was new to it."""
    timestamp: int
    signature_line: str
    """The cosignature line (with its newline), as a tlog-witness returns it."""
    cosigned: bytes
    """The log's signed checkpoint with the cosignature line appended."""


def load_log_key(data: bytes, *, source: str) -> NoteVerifier:
    """Read a log's note verifier key (type 0x01, `tidegate keys export --format vkey`)."""
    return _load_vkey(data, source, ED25519_ALGORITHM, "log key")


def load_witness_key(data: bytes, *, source: str) -> NoteVerifier:
    """Read a witness's cosignature verifier key (type 0x04, as `witness init` prints it)."""
    return _load_vkey(data, source, COSIGNATURE_ALGORITHM, "witness key")


def _load_vkey(data: bytes, source: str, algorithm: int, what: str) -> NoteVerifier:
    lines = data.decode("utf-8", errors="replace").strip().splitlines()
    try:
        return parse_vkey(lines[0] if lines else "", algorithms=(algorithm,))
    except FormatError as exc:
        raise UsageError(f"{what} {source}: {exc.message}") from exc


def init_witness(directory: Path, name: str) -> Witness:
    """Create a witness state directory (0700) with a new key (0600) and an empty state file."""
    try:
        check_key_name(name)
    except FormatError as exc:
        raise UsageError(f"witness name: {exc.message}") from exc
    if (directory / STATE_FILE).exists():
        raise UsageError(
            f"{directory} already holds a witness ({STATE_FILE}); refusing to replace it"
        )
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} exists and is not a directory")
    if directory.exists() and any(directory.iterdir()):
        raise UsageError(f"{directory} exists and is not empty; give a new or empty directory")
    directory.mkdir(mode=STATE_DIR_MODE, parents=True, exist_ok=True)
    os.chmod(directory, STATE_DIR_MODE)
    key = generate_key()
    write_key(key, directory / KEY_FILE)
    _save_state(directory, WitnessState(name))
    return Witness(directory, name, key)


def open_witness(directory: Path) -> Witness:
    """Open an initialized witness state directory."""
    state = _load_state(directory)
    return Witness(directory, state.name, load_key(directory / KEY_FILE))


def cosign_checkpoint(
    directory: Path,
    checkpoint: bytes,
    log_key: NoteVerifier,
    *,
    proof: bytes | None = None,
    source: str = "checkpoint",
    proof_source: str = "proof",
    clock: Callable[[], float] = time.time,
) -> CosignResult:
    """Cosign a log's signed checkpoint if it extends the last one cosigned for its origin.

    MUST refuse (WitnessRefused) a checkpoint not signed by ``log_key`` or for another origin,
    a smaller size than the last cosigned (rollback), the same size with another root (fork),
    and a larger size without a consistency proof from the last cosigned size that verifies.
    The check and the state update happen under the state directory's exclusive lock.
    """
    witness = open_witness(directory)
    body = _open_log_checkpoint(checkpoint, log_key, source)
    with _locked(directory):
        state = _load_state(directory)
        previous = state.logs.get(body.origin)
        if previous is not None:
            _check_extends(previous, body, log_key, proof, proof_source)
        timestamp = max(int(clock()), previous.time if previous is not None else 0)
        # Sign the note's exact text (not a re-serialization of the parsed checkpoint).
        line = witness.signer.signature_line(parse_note(checkpoint).text, timestamp)
        cosigned = _without_lines_of(checkpoint, witness) + line.encode()
        record = WitnessedLog(body.size, body.root_hash, cosigned, timestamp, log_key.vkey())
        _save_state(directory, WitnessState(state.name, {**state.logs, body.origin: record}))
    return CosignResult(
        body, previous.size if previous is not None else None, timestamp, line, cosigned
    )


def _open_log_checkpoint(data: bytes, log_key: NoteVerifier, source: str) -> Checkpoint:
    try:
        body = open_checkpoint(data, [log_key])
    except FormatError as exc:
        raise WitnessRefused(
            f"{source} is not a checkpoint signed by the log key {log_key.vkey()}: {exc.message}"
        ) from exc
    if body.origin != log_key.name:
        raise WitnessRefused(
            f"{source} is for origin {body.origin!r}, but the log key is for {log_key.name!r}"
        )
    return body


def _check_extends(
    previous: WitnessedLog,
    body: Checkpoint,
    log_key: NoteVerifier,
    proof: bytes | None,
    proof_source: str,
) -> None:
    origin, old_size = body.origin, previous.size
    if body.size < old_size:
        raise WitnessRefused(
            f"rollback of {origin} from size {old_size} to {body.size}: the witness already "
            f"cosigned a tree of {old_size} entries"
        )
    if body.size == old_size:
        if body.root_hash != previous.root_hash:
            raise WitnessRefused(
                f"fork of {origin} at size {old_size}: the checkpoint's root "
                f"{body.root_hash.hex()} differs from the root {previous.root_hash.hex()} "
                "the witness cosigned"
            )
        return
    if proof is None:
        raise WitnessRefused(
            f"no consistency proof: the witness last cosigned {origin} at size {old_size} and "
            f"needs a proof from there to size {body.size}",
            hint="pass --proof, written by `tidegate ledger consistency --from-checkpoint "
            "<the checkpoint the witness last cosigned>`",
        )
    try:
        parsed = parse_consistency_proof(proof, source=proof_source)
    except FormatError as exc:
        raise WitnessRefused(f"consistency proof does not parse: {exc.message}") from exc
    if parsed.old_size != old_size:
        raise WitnessRefused(
            f"{proof_source} is a proof from size {parsed.old_size}, but the witness last "
            f"cosigned {origin} at size {old_size}"
        )
    target = _open_log_checkpoint(parsed.checkpoint, log_key, f"{proof_source}'s checkpoint")
    if (target.size, target.root_hash) != (body.size, body.root_hash):
        raise WitnessRefused(
            f"{proof_source} leads to a checkpoint of size {target.size}, not to the checkpoint "
            f"given (size {body.size}, root {body.root_hash.hex()[:16]}...)"
        )
    try:
        verify_consistency(old_size, body.size, previous.root_hash, body.root_hash, parsed.hashes)
    except ProofError as exc:
        raise WitnessRefused(
            f"consistency proof from size {old_size} to {body.size} does not verify ({exc}): "
            f"{origin} is not an append-only extension of what the witness cosigned "
            "(a fork or rewritten history)"
        ) from exc


def _without_lines_of(note: bytes, witness: Witness) -> bytes:
    """Drop the witness's own earlier cosignature lines from a note (others are kept)."""
    parse_note(note)  # well formed: text, a blank line, signature lines ending in LF
    key_hash = witness.signer.verifier().key_hash
    prefix = f"{SIGNATURE_PREFIX}{witness.name} ".encode()
    text, _, block = note.rpartition(b"\n\n")
    kept = [
        line
        for line in block.split(b"\n")[:-1]
        if not (line.startswith(prefix) and base64.b64decode(line[len(prefix) :])[:4] == key_hash)
    ]
    return text + b"\n\n" + b"".join(line + b"\n" for line in kept)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold the witness's exclusive lock (flock on its lock file) for the duration."""
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, STATE_FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _load_state(directory: Path) -> WitnessState:
    path = directory / STATE_FILE
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise UsageError(
            f"{directory} is not a witness state directory (no {STATE_FILE})",
            hint=f"run `tidegate witness init --state {directory} --name NAME`",
        ) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"witness state {path} is not valid JSON: {exc}") from exc
    try:
        return _parse_state(document)
    except (KeyError, TypeError, ValueError, binascii.Error, FormatError) as exc:
        raise ConfigError(f"witness state {path} is damaged: {exc}") from exc


def _parse_state(document: Any) -> WitnessState:
    if not isinstance(document, dict) or document.get("version") != STATE_VERSION:
        raise ValueError(f"$.version is not {STATE_VERSION}")
    name = check_key_name(document["name"])
    logs: dict[str, WitnessedLog] = {}
    for origin, item in dict(document["logs"]).items():
        root = base64.b64decode(item["root_hash"], validate=True)
        size, stamp = item["size"], item["time"]
        if not all(type(v) is int and 0 <= v < 2**63 for v in (size, stamp)):
            raise ValueError(f"$.logs[{origin!r}]: size and time must be non-negative integers")
        if len(root) != HASH_SIZE:
            raise ValueError(f"$.logs[{origin!r}].root_hash is not a SHA-256 hash")
        checkpoint = str(item["checkpoint"]).encode()
        logs[origin] = WitnessedLog(size, root, checkpoint, stamp, str(item["log_key"]))
    return WitnessState(name, logs)


def _save_state(directory: Path, state: WitnessState) -> None:
    """Write the state file atomically: a private temporary file, fsync, rename, fsync dir."""
    document = {
        "version": STATE_VERSION,
        "name": state.name,
        "logs": {
            origin: {
                "size": log.size,
                "root_hash": base64.b64encode(log.root_hash).decode(),
                "time": log.time,
                "log_key": log.log_key,
                "checkpoint": log.checkpoint.decode(),
            }
            for origin, log in sorted(state.logs.items())
        },
    }
    path = directory / STATE_FILE
    tmp = directory / (STATE_FILE + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, STATE_FILE_MODE)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(document, indent=2) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


# --- the log's side: keeping the cosignatures a witness returned ------------------------------


@dataclass(frozen=True)
class StoredCosignatures:
    """Cosignatures added to one of the ledger's stored checkpoints."""

    size: int
    witnesses: tuple[tuple[str, int], ...]
    """(witness name+key hash, cosignature time) of each cosignature stored."""
    note: bytes
    """The stored note now: the log's signed checkpoint followed by its cosignature lines."""


def store_cosignatures(
    store: LedgerStore,
    data: bytes,
    witnesses: Sequence[NoteVerifier],
    *,
    size: int | None = None,
    source: str = "cosignature",
) -> StoredCosignatures:
    """Add the witnesses' cosignatures in ``data`` to the ledger's checkpoint they cosign.

    ``data`` is what `witness cosign` returns: the cosigned checkpoint (``--out``) or the bare
    cosignature line(s) (stdout), which then belong to the checkpoint of ``size`` (default: the
    latest). Each witness's cosignature MUST verify over the text of the ledger's own stored
    checkpoint of that size (so a cosignature of a forked checkpoint is refused); only lines by
    the given witnesses are kept, replacing their earlier lines on that checkpoint. The signed
    text and the log's signature lines are never changed.
    """
    if not witnesses:
        raise UsageError("give the witness's verifier key (--witness-key FILE) to check it")
    if data.startswith(SIGNATURE_PREFIX.encode()):
        target = size if size is not None else _latest_size(store)
        stored = _stored_note(store, target)
        note_data = stored + (data if data.endswith(b"\n") else data + b"\n")
    else:
        note_data = data
    try:
        note = parse_note(note_data)
        body = parse_checkpoint(note.text)
    except FormatError as exc:
        raise UsageError(
            f"{source} is neither a cosigned checkpoint nor cosignature lines: {exc.message}"
        ) from exc
    if size is not None and body.size != size:
        raise UsageError(f"{source} cosigns the checkpoint of size {body.size}, not {size}")
    stored = _stored_note(store, body.size)
    if parse_note(stored).text != note.text:
        raise LedgerError(
            f"{source} cosigns a checkpoint of size {body.size} that is not the ledger's: the "
            "texts differ (another log, or a fork of this one); nothing was stored"
        )
    found: list[tuple[str, int]] = []
    for witness in witnesses:
        label = f"{witness.name}+{witness.key_hash.hex()}"
        try:
            timestamp = verify_cosignature(note, witness)
        except FormatError as exc:
            raise LedgerError(f"{source}: {exc.message}; nothing was stored") from exc
        if timestamp is None:
            raise UsageError(f"{source} carries no cosignature by witness {label}")
        found.append((label, timestamp))
    merged = _merge_cosignatures(stored, note, witnesses)
    parse_note(merged)  # still a well-formed note (at most 100 signature lines)
    with store.write() as tx:
        if not tx.replace_checkpoint_note(body.size, stored, merged):
            raise LedgerError(
                f"the checkpoint of size {body.size} changed while the cosignature was added; "
                "nothing was stored: run the command again"
            )
    return StoredCosignatures(body.size, tuple(found), merged)


def _latest_size(store: LedgerStore) -> int:
    latest = store.latest_checkpoint()
    if latest is None:
        raise LedgerError("the ledger has no checkpoint: run `tidegate ledger checkpoint` first")
    return latest.size


def _stored_note(store: LedgerStore, size: int) -> bytes:
    stored = store.checkpoint(size)
    if stored is None:
        raise LedgerError(
            f"the ledger has no checkpoint of size {size}: a witness can only cosign one the "
            "ledger issued (`tidegate ledger checkpoint`)"
        )
    return stored.note


def _line(signature: NoteSignature) -> bytes:
    encoded = base64.b64encode(signature.key_hash + signature.signature).decode()
    return f"{SIGNATURE_PREFIX}{signature.name} {encoded}\n".encode()


def _merge_cosignatures(
    stored: bytes, note: SignedNote, witnesses: Sequence[NoteVerifier]
) -> bytes:
    """The stored note's lines minus the witnesses' old ones, then the witnesses' new lines."""
    ids = {(w.name, w.key_hash) for w in witnesses}
    old = parse_note(stored)
    kept = [_line(s) for s in old.signatures if (s.name, s.key_hash) not in ids]
    added = [_line(s) for s in note.signatures if (s.name, s.key_hash) in ids]
    return old.text + b"\n" + b"".join(kept + added)
