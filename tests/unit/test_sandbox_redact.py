"""Redaction: a secret embedded anywhere, in any covered encoding, is masked; masking is idempotent."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from tidegate.sandbox.redact import Redactor, variants

# Realistic secrets: no brackets (the marker's own characters), at least 4 characters.
SECRETS = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="[]"), min_size=4, max_size=40
).filter(lambda s: s not in "[MASKED:S]")
FILLER = st.text(max_size=60)


@settings(max_examples=300)
@given(SECRETS, FILLER, FILLER)
def test_a_secret_embedded_anywhere_is_masked(secret: str, left: str, right: str) -> None:
    redactor = Redactor({"S": secret})
    text = left + secret + right
    masked = redactor.text(text)
    assert secret not in masked
    assert "[MASKED:S]" in masked
    data = redactor.bytes(text.encode("utf-8", "surrogatepass"))
    assert secret.encode("utf-8", "surrogatepass") not in data


@settings(max_examples=300)
@given(SECRETS, FILLER, FILLER, st.integers(min_value=1, max_value=3))
def test_masking_is_idempotent(secret: str, left: str, right: str, copies: int) -> None:
    redactor = Redactor({"S": secret})
    once = redactor.text((left + secret) * copies + right)
    assert redactor.text(once) == once
    raw = once.encode("utf-8", "surrogatepass")
    assert redactor.bytes(raw) == raw


@settings(max_examples=200)
@given(
    # Not self-similar: in a run of equal bytes the core also matches at a shifted position.
    st.binary(min_size=8, max_size=40).filter(
        lambda b: b"[" not in b and b"]" not in b and len(set(b)) >= 4
    ),
    st.binary(max_size=10),
    st.binary(max_size=10),
)
def test_base64_inside_a_longer_stream_is_masked(secret: bytes, left: bytes, right: bytes) -> None:
    value = secret.decode("latin-1")
    redactor = Redactor({"S": value})
    # The value is a str; its UTF-8 bytes are what a task would encode.
    raw = value.encode("utf-8")
    stream = base64.b64encode(left + raw + right)
    masked = redactor.bytes(b"payload=" + stream).removeprefix(b"payload=")
    marker = b"[MASKED:S]"
    assert marker in masked
    # Outside the markers only characters that carry bits of left/right remain, plus at most
    # the one character at each edge that mixes their bits with the secret's.
    prefix = masked[: masked.index(marker)]
    suffix = masked[masked.rindex(marker) + len(marker) :]
    assert len(prefix) <= 8 * len(left) // 6 + 1
    assert len(suffix) <= len(stream) - 8 * (len(left) + len(raw)) // 6


def test_covered_forms() -> None:
    secret = "p@ss word/+=value"
    redactor = Redactor({"PW": secret})
    for form in (
        secret,
        quote(secret, safe=""),
        json.dumps(secret)[1:-1],
        base64.b64encode(secret.encode()).decode(),
        base64.urlsafe_b64encode(secret.encode()).decode(),
    ):
        assert redactor.text(f"x {form} y").count("[MASKED:PW]") == 1, form
    assert len(variants("short")) == 1  # encodings of short values are not masked


def test_multiline_secret_lines_and_credentials() -> None:
    key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"
    redactor = Redactor([("KEY", key)])
    assert redactor.text("line MIIEvQIBADANBgkqhkiG9w0BAQEFAASC only") == "line [MASKED:KEY] only"
    token = "ghp_" + "A1b2" * 9
    assert redactor.text(f"GITHUB_TOKEN={token}") == "GITHUB_TOKEN=[MASKED:github-token]"


def test_longest_secret_wins_and_non_utf8_bytes_survive() -> None:
    redactor = Redactor({"SHORT": "abcd", "LONG": "abcdefgh"})
    assert redactor.text("abcdefgh abcd") == "[MASKED:LONG] [MASKED:SHORT]"
    assert redactor.bytes(b"\xff\xfeabcd\x00") == b"\xff\xfe[MASKED:SHORT]\x00"


def test_document_masks_keys_and_values() -> None:
    redactor = Redactor({"S": "topsecret1"})
    document = {"topsecret1": ["a topsecret1", 3, None, {"k": "topsecret1"}]}
    assert redactor.document(document) == {
        "[MASKED:S]": ["a [MASKED:S]", 3, None, {"k": "[MASKED:S]"}]
    }
    assert Redactor().text("nothing here") == "nothing here"
