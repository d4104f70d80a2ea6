"""Cosignatures (c2sp.org/tlog-cosignature v1): bytes, vkeys, hostile input, witness state."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import stat
from pathlib import Path

import nacl.signing
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from tidegate.errors import ConfigError, FormatError, UsageError
from tidegate.ledger.note import (
    COSIGNATURE_ALGORITHM,
    ED25519_ALGORITHM,
    Checkpoint,
    CosignatureSigner,
    NoteSigner,
    NoteVerifier,
    open_note,
    parse_note,
    parse_vkey,
    sign_note,
    split_cosignature,
    verify_cosignature,
)
from tidegate.ledger.witness import (
    KEY_FILE,
    STATE_FILE,
    init_witness,
    load_log_key,
    load_witness_key,
    open_witness,
)

ORIGIN = "example.com/behind-the-sofa"
WITNESS = "witness.example.com/w1"
SEED = hashlib.sha256(b"tidegate witness unit test key").digest()
TEXT = Checkpoint(
    ORIGIN, 20852163, base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
).text()

# From C2SP tlog-cosignature's example: the witness line of a cosigned checkpoint, whose
# signed message the spec shows with "time 1679315147".
C2SP_EXAMPLE_LINE = (
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZ"
    "qhf5nNo0xUe+mbIUBkBIfZ+qnA=="
)
# From transparency-dev/formats note/note_cosigv1_test.go: a native cosignature/v1 vkey, and
# a cosignature whose timestamp that library reads as 1727964367.
FORMATS_COSIG_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
FORMATS_COSIG = "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="
FORMATS_PLAIN_SIG = (
    "eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY="
)


def witness_signer() -> CosignatureSigner:
    return CosignatureSigner(WITNESS, Ed25519PrivateKey.from_private_bytes(SEED))


def log_signer() -> NoteSigner:
    return NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(hashlib.sha256(SEED).digest()))


def cosigned(timestamp: int = 1679315147) -> bytes:
    note = sign_note(TEXT, [log_signer()])
    return note + witness_signer().signature_line(TEXT.encode(), timestamp).encode()


def witness_raw(note: bytes) -> bytes:
    """The decoded bytes of the note's last signature line (the cosignature)."""
    return base64.b64decode(note.decode().rstrip("\n").rsplit(" ", 1)[1])


def replace_last_line(note: bytes, raw: bytes) -> bytes:
    head = note.decode().rstrip("\n").rsplit(" ", 1)[0]
    return f"{head} {base64.b64encode(raw).decode()}\n".encode()


# --- the bytes, as the spec lays them out ---------------------------------------------------


def test_cosignature_bytes_follow_the_spec() -> None:
    note = cosigned(1679315147)
    raw = witness_raw(note)
    public = nacl.signing.SigningKey(SEED).verify_key.encode()
    assert len(raw) == 4 + 8 + 64
    assert raw[:4] == hashlib.sha256(WITNESS.encode() + b"\n\x04" + public).digest()[:4]
    assert raw[4:12] == (1679315147).to_bytes(8, "big")
    message = b"cosignature/v1\ntime 1679315147\n" + TEXT.encode()
    nacl.signing.VerifyKey(public).verify(message, raw[12:])  # raises if it does not verify
    assert note.decode().splitlines()[-1].startswith(f"\u2014 {WITNESS} ")


def test_cosignature_round_trip_and_key_type_separation() -> None:
    note = cosigned()
    witness = witness_signer().verifier()
    assert witness.algorithm == COSIGNATURE_ALGORITHM
    assert verify_cosignature(parse_note(note), witness) == 1679315147
    text, verified = open_note(note, [log_signer().verifier(), witness])
    assert text == TEXT.encode()
    assert verified == [log_signer().verifier(), witness]
    # The same key as a plain (type 0x01) note key has another key hash: the line is not its.
    plain = NoteVerifier(WITNESS, witness.public_key, ED25519_ALGORITHM)
    assert plain.key_hash != witness.key_hash
    assert verify_cosignature(parse_note(note), plain) is None
    witness_only = sign_note(TEXT, []) + witness_signer().signature_line(TEXT.encode(), 7).encode()
    with pytest.raises(FormatError, match="not signed by any trusted key"):
        open_note(witness_only, [plain])
    assert open_note(witness_only, [witness])[1] == [witness]


def test_log_signature_lines_stay_valid_for_go_style_verifiers() -> None:
    # A log verifier ignores the witness line (unknown key), as Go's note.Open does.
    text, verified = open_note(cosigned(), [log_signer().verifier()])
    assert verified == [log_signer().verifier()]
    assert text == TEXT.encode()


def test_vectors_from_other_implementations() -> None:
    c2sp = base64.b64decode(C2SP_EXAMPLE_LINE)
    assert split_cosignature(c2sp[4:])[0] == 1679315147
    formats = base64.b64decode(FORMATS_COSIG)
    assert split_cosignature(formats[4:])[0] == 1727964367
    with pytest.raises(FormatError, match="64 bytes after its key hash, not 72"):
        split_cosignature(base64.b64decode(FORMATS_PLAIN_SIG)[4:])
    verifier = parse_vkey(FORMATS_COSIG_VKEY, algorithms=(COSIGNATURE_ALGORITHM,))
    assert (verifier.name, verifier.key_hash.hex()) == ("remora.n621.de", "da77ade7")
    assert verifier.vkey() == FORMATS_COSIG_VKEY


def test_timestamps_at_the_limits() -> None:
    for timestamp in (0, 2**63 - 1):
        note = cosigned(timestamp)
        assert verify_cosignature(parse_note(note), witness_signer().verifier()) == timestamp
    for bad in (-1, 2**63):
        with pytest.raises(FormatError, match="outside"):
            witness_signer().signature_line(TEXT.encode(), bad)


# --- malformed and forged cosignatures are named ---------------------------------------------


def _malformed(raw: bytes) -> dict[str, bytes]:
    flipped_sig = raw[:-1] + bytes([raw[-1] ^ 1])
    other_time = raw[:4] + (1679315148).to_bytes(8, "big") + raw[12:]
    return {
        "71 bytes after its key hash": raw[:-1],
        "73 bytes after its key hash": raw + b"\0",
        "4 bytes after its key hash": raw[:8],
        "above 2^63 - 1": raw[:4] + (2**63).to_bytes(8, "big") + raw[12:],
        "does not verify": flipped_sig,
        "(time 1679315148) does not verify": other_time,
    }


@pytest.mark.parametrize("case", list(_malformed(b"\0" * 76)))
def test_malformed_cosignatures_are_named(case: str) -> None:
    note = cosigned()
    bad = replace_last_line(note, _malformed(witness_raw(note))[case])
    with pytest.raises(FormatError, match=re.escape(case)):
        verify_cosignature(parse_note(bad), witness_signer().verifier())
    with pytest.raises(FormatError, match="invalid"):
        open_note(bad, [log_signer().verifier(), witness_signer().verifier()])


def test_a_changed_checkpoint_breaks_the_cosignature() -> None:
    note = cosigned()
    tampered = note.replace(b"\n20852163\n", b"\n20852164\n")
    with pytest.raises(FormatError, match="does not verify over the checkpoint text"):
        verify_cosignature(parse_note(tampered), witness_signer().verifier())


def test_a_line_by_another_witness_key_is_not_this_witness() -> None:
    other = CosignatureSigner(WITNESS, Ed25519PrivateKey.generate())
    note = sign_note(TEXT, [log_signer()]) + other.signature_line(TEXT.encode(), 5).encode()
    assert verify_cosignature(parse_note(note), witness_signer().verifier()) is None


# --- verifier keys ---------------------------------------------------------------------------


def test_vkey_types_are_kept_apart() -> None:
    cosig_vkey = witness_signer().verifier().vkey()
    assert base64.b64decode(cosig_vkey.split("+", 2)[2])[0] == 0x04
    assert (
        parse_vkey(cosig_vkey, algorithms=(COSIGNATURE_ALGORITHM,)) == witness_signer().verifier()
    )
    with pytest.raises(FormatError, match=r"not an Ed25519 \(type 0x01\) key"):
        parse_vkey(cosig_vkey)
    log_vkey = log_signer().verifier().vkey()
    with pytest.raises(FormatError, match=r"not an Ed25519 cosignature \(type 0x04\) key"):
        parse_vkey(log_vkey, algorithms=(COSIGNATURE_ALGORITHM,))
    both = (ED25519_ALGORITHM, COSIGNATURE_ALGORITHM)
    assert parse_vkey(log_vkey, algorithms=both).algorithm == ED25519_ALGORITHM
    assert parse_vkey(cosig_vkey, algorithms=both).algorithm == COSIGNATURE_ALGORITHM


def test_key_loaders_name_the_file(tmp_path: Path) -> None:
    cosig_vkey = witness_signer().verifier().vkey().encode()
    log_vkey = log_signer().verifier().vkey().encode()
    assert load_witness_key(cosig_vkey + b"\n", source="w.vkey").name == WITNESS
    assert load_log_key(log_vkey, source="log.vkey").name == ORIGIN
    with pytest.raises(UsageError, match=r"witness key log.vkey: .*type 0x04"):
        load_witness_key(log_vkey, source="log.vkey")
    with pytest.raises(UsageError, match=r"log key w.vkey: .*type 0x01"):
        load_log_key(cosig_vkey, source="w.vkey")
    with pytest.raises(UsageError, match=r"log key empty: .*name\+hash\+base64"):
        load_log_key(b"", source="empty")


names = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="+"),
    min_size=1,
    max_size=40,
)


@given(seed=st.binary(min_size=32, max_size=32), name=names)
def test_cosignature_vkey_round_trip(seed: bytes, name: str) -> None:
    verifier = CosignatureSigner(name, Ed25519PrivateKey.from_private_bytes(seed)).verifier()
    assert parse_vkey(verifier.vkey(), algorithms=(COSIGNATURE_ALGORITHM,)) == verifier


@given(vkey=st.text(max_size=120))
def test_vkey_parsing_fails_only_with_format_errors(vkey: str) -> None:
    with contextlib.suppress(FormatError):
        parse_vkey(vkey, algorithms=(ED25519_ALGORITHM, COSIGNATURE_ALGORITHM))


@given(data=st.binary(max_size=100))
def test_cosignature_parsing_of_any_bytes(data: bytes) -> None:
    try:
        timestamp, signature = split_cosignature(data)
    except FormatError as exc:
        message = exc.message
    else:
        message = ""
    if message:
        assert "cosignature" in message
        assert len(data) != 72 or "above 2^63 - 1" in message
        return
    assert len(data) == 72
    assert 0 <= timestamp <= 2**63 - 1
    assert signature == data[8:]


@given(
    timestamp=st.integers(0, 2**63 - 1),
    size=st.integers(0, 2**63 - 1),
    root=st.binary(min_size=32, max_size=32),
    raw_line=st.binary(max_size=90),
)
def test_cosign_and_hostile_lines(timestamp: int, size: int, root: bytes, raw_line: bytes) -> None:
    text = Checkpoint(ORIGIN, size, root).text()
    signer = witness_signer()
    note = (
        sign_note(text, [log_signer()]) + signer.signature_line(text.encode(), timestamp).encode()
    )
    assert verify_cosignature(parse_note(note), signer.verifier()) == timestamp
    # Any bytes under the witness's name and key hash either verify or are rejected, by name.
    hostile = replace_last_line(note, signer.verifier().key_hash + raw_line)
    try:
        verify_cosignature(parse_note(hostile), signer.verifier())
    except FormatError as exc:
        message = exc.message
    else:
        message = "verified"
    assert "signature" in message or message == "verified"


# --- the witness's state directory -----------------------------------------------------------


def test_init_creates_private_state(tmp_path: Path) -> None:
    directory = tmp_path / "w"
    witness = init_witness(directory, WITNESS)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((directory / KEY_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE((directory / STATE_FILE).stat().st_mode) == 0o600
    state = json.loads((directory / STATE_FILE).read_text())
    assert state == {"version": 1, "name": WITNESS, "logs": {}}
    reopened = open_witness(directory)
    assert reopened.vkey() == witness.vkey()
    assert parse_vkey(witness.vkey(), algorithms=(COSIGNATURE_ALGORITHM,)).name == WITNESS


def test_init_refuses_to_replace_or_misname(tmp_path: Path) -> None:
    init_witness(tmp_path / "w", WITNESS)
    with pytest.raises(UsageError, match="already holds a witness"):
        init_witness(tmp_path / "w", WITNESS)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("x")
    with pytest.raises(UsageError, match="not empty"):
        init_witness(tmp_path / "busy", WITNESS)
    with pytest.raises(UsageError, match="invalid note key name"):
        init_witness(tmp_path / "x", "a witness")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a directory"):
        init_witness(tmp_path / "file", WITNESS)


def test_open_names_a_missing_or_damaged_state(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a witness state directory"):
        open_witness(tmp_path)
    init_witness(tmp_path / "w", WITNESS)
    state = tmp_path / "w" / STATE_FILE
    state.write_text("{")
    with pytest.raises(ConfigError, match=f"{state} is not valid JSON"):
        open_witness(tmp_path / "w")
    state.write_text(json.dumps({"version": 1, "name": WITNESS, "logs": {"o": {"size": 1}}}))
    with pytest.raises(ConfigError, match=f"{state} is damaged"):
        open_witness(tmp_path / "w")
    state.write_text(json.dumps({"version": 2, "name": WITNESS, "logs": {}}))
    with pytest.raises(ConfigError, match="version"):
        open_witness(tmp_path / "w")


# --- the example of ledger/SPEC.md section 13.2 ----------------------------------------------

REPO = Path(__file__).resolve().parents[2]


def test_spec_example_is_reproduced_and_verifies() -> None:
    spec = (REPO / "ledger" / "SPEC.md").read_text()
    section = spec[spec.index("## 13. Witness cosignatures") :]
    block = re.search(r"```\n(vectors\.tidegate\.dev/log\n.*?)```", section, re.DOTALL)
    assert block is not None
    example = block.group(1).encode()
    vkey = re.search(r"verifier key `(witness\.tidegate\.dev/w1\+[^`]+)`", section)
    assert vkey is not None
    witness = parse_vkey(vkey.group(1), algorithms=(COSIGNATURE_ALGORITHM,))
    log_note = (REPO / "ledger" / "vectors" / "checkpoints" / "7.checkpoint").read_bytes()
    seed = hashlib.sha256(b"tidegate witness example key").digest()
    signer = CosignatureSigner(
        "witness.tidegate.dev/w1", Ed25519PrivateKey.from_private_bytes(seed)
    )
    assert signer.verifier() == witness
    line = signer.signature_line(parse_note(log_note).text, 1735787046)
    assert example == log_note + line.encode()
    log_key = parse_vkey((REPO / "ledger" / "vectors" / "keys" / "key1.vkey").read_text().strip())
    assert open_note(example, [log_key, witness])[1] == [log_key, witness]
    assert verify_cosignature(parse_note(example), witness) == 1735787046
