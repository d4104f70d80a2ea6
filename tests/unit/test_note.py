"""Signed notes and checkpoints: the Go sumdb/note vectors, round trips, hostile input."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from tidegate.errors import FormatError
from tidegate.ledger.note import (
    Checkpoint,
    NoteSigner,
    check_key_name,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_vkey,
    sign_note,
)

# From golang.org/x/mod/sumdb/note's documentation and example_test.go.
GO_SKEY_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_SIGNED = (
    GO_TEXT + "\n— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
).encode()


def go_signer() -> NoteSigner:
    return NoteSigner("PeterNeumann", Ed25519PrivateKey.from_private_bytes(GO_SKEY_SEED))


def test_go_example_signs_byte_for_byte() -> None:
    assert sign_note(GO_TEXT, [go_signer()]) == GO_SIGNED
    assert go_signer().verifier().vkey() == GO_VKEY


def test_go_example_opens() -> None:
    text, verified = open_note(GO_SIGNED, [parse_vkey(GO_VKEY)])
    assert text == GO_TEXT.encode()
    assert [v.name for v in verified] == ["PeterNeumann"]


def test_tampered_note_text_is_rejected() -> None:
    tampered = GO_SIGNED.replace(b"answer", b"Answer")
    with pytest.raises(FormatError, match="invalid"):
        open_note(tampered, [parse_vkey(GO_VKEY)])


def test_note_by_unknown_key_is_rejected() -> None:
    other = NoteSigner("PeterNeumann", Ed25519PrivateKey.generate())
    with pytest.raises(FormatError, match="not signed by any trusted key"):
        open_note(sign_note(GO_TEXT, [other]), [parse_vkey(GO_VKEY)])


def test_unknown_extra_signatures_are_ignored_but_known_bad_ones_are_not() -> None:
    witness = NoteSigner("witness.example", Ed25519PrivateKey.generate())
    both = sign_note(GO_TEXT, [go_signer(), witness])
    _, verified = open_note(both, [parse_vkey(GO_VKEY)])
    assert len(verified) == 1


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        ("PeterNeumann+c74f20a3", r"name\+hash\+base64"),
        (
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "invalid note key name",
        ),
        (
            "PeterNeumann+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "key hash does not match",
        ),
        ("PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not an Ed25519"),
        ("PeterNeumann+zz+ARpc", "bad hex or base64"),
    ],
)
def test_malformed_vkeys(vkey: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_vkey(vkey)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"no blank line\n", "no blank line"),
        (b"text\n\n- name abc\n", "em dash"),
        (b"text\n\n\xe2\x80\x94 name !!!\n", "malformed"),
        (b"text\n\n\xe2\x80\x94 name AAAA\n", "too short"),
        (b"\xff\xfe\n\n", "not UTF-8"),
        (GO_SIGNED[:-1], "newline"),
    ],
)
def test_malformed_notes(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        open_note(data, [parse_vkey(GO_VKEY)])


origins = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40
)


@given(origin=origins, size=st.integers(0, 2**63 - 1), root=st.binary(min_size=32, max_size=32))
def test_checkpoint_round_trip(origin: str, size: int, root: bytes) -> None:
    checkpoint = Checkpoint(origin, size, root)
    assert parse_checkpoint(checkpoint.text().encode()) == checkpoint


def test_signed_checkpoint_opens_with_its_key_only() -> None:
    signer = NoteSigner("example.com/log", Ed25519PrivateKey.generate())
    note = sign_note(Checkpoint("example.com/log", 7, b"\x01" * 32).text(), [signer])
    assert open_checkpoint(note, [signer.verifier()]).size == 7
    stranger = NoteSigner("example.com/log", Ed25519PrivateKey.generate())
    with pytest.raises(FormatError):
        open_checkpoint(note, [stranger.verifier()])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"origin\n12\n", "needs origin, size and root"),
        (b"\n12\n" + base64.b64encode(b"\0" * 32) + b"\n", "origin"),
        (b"o\n012\n" + base64.b64encode(b"\0" * 32) + b"\n", "tree size"),
        (b"o\n-1\n" + base64.b64encode(b"\0" * 32) + b"\n", "tree size"),
        (b"o\n12\n" + base64.b64encode(b"\0" * 31) + b"\n", "31 bytes"),
        (b"o\n12\nnot base64!\n", "not base64"),
        (b"o\n12\n" + base64.b64encode(b"\0" * 32) + b"\n\n", "empty extension"),
    ],
)
def test_malformed_checkpoints(text: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_checkpoint(text)


@given(seed=st.binary(min_size=32, max_size=32), name=origins.filter(lambda n: "+" not in n))
def test_vkey_round_trip_for_any_key(seed: bytes, name: str) -> None:
    verifier = NoteSigner(name, Ed25519PrivateKey.from_private_bytes(seed)).verifier()
    assert parse_vkey(verifier.vkey()) == verifier


@pytest.mark.parametrize("size", ["\u0663", "\u00b2", "1\n", " 1", "+1"])
def test_checkpoint_sizes_are_ascii_decimal_only(size: str) -> None:
    text = f"o\n{size}\n".encode() + base64.b64encode(b"\0" * 32) + b"\n"
    with pytest.raises(FormatError):
        parse_checkpoint(text)


@pytest.mark.parametrize("name", ["log\n", "lo g", "a+b", "", "log\t"])
def test_bad_key_names(name: str) -> None:
    with pytest.raises(FormatError, match="invalid note key name"):
        check_key_name(name)


def test_control_characters_in_notes_are_refused() -> None:
    with pytest.raises(FormatError, match="control character"):
        open_note(GO_SIGNED.replace(b"answer", b"ans\x07wer"), [parse_vkey(GO_VKEY)])
