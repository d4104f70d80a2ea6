"""Credential masking: detected values vanish, everything else stays byte-identical."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tidegate.secrets import find_credentials, mask_credentials, mask_document

AWS = "AKIAIOSFODNN7EXAMPLE"
GITHUB = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAvx8Hk2ZfGm0ZUq9mT9S0pEo0wTqQm3eS9Ggq1BqvDqU6VJzN\n"
    "Q2YyYWY3ZTk0ZWQ4NGY3ZGI1ZTE3NTU2YmQ0ZjQ2M2EwNzM3MmJkZWI4NGRhYmE=\n"
    "-----END RSA PRIVATE KEY-----"
)


def test_each_detector_value_is_replaced_by_its_name() -> None:
    text = f"aws={AWS}\ntoken: {GITHUB}\nAuthorization: Bearer {JWT}\n"
    masked = mask_credentials(text)
    assert masked == (
        "aws=[MASKED:aws-access-key-id]\n"
        "token: [MASKED:github-token]\n"
        "Authorization: Bearer [MASKED:jwt]\n"
    )
    for secret in (AWS, GITHUB, JWT):
        assert secret not in masked


def test_private_key_is_masked_up_to_its_end_line() -> None:
    text = f"before\n{PEM}\nafter\n"
    masked = mask_credentials(text)
    assert masked == "before\n[MASKED:private-key]\nafter\n"
    assert "MIIE" not in masked


def test_truncated_private_key_still_hides_its_body() -> None:
    body = PEM.rsplit("\n", 1)[0]  # no END line
    masked = mask_credentials(f"x\n{body}\n\nnext paragraph\n")
    assert masked == "x\n[MASKED:private-key]\n\nnext paragraph\n"


def test_two_keys_do_not_swallow_the_text_between_them() -> None:
    body = PEM.rsplit("\n", 1)[0]
    masked = mask_credentials(f"{body}\n\nkeep me\n{PEM}\n")
    assert masked == "[MASKED:private-key]\n\nkeep me\n[MASKED:private-key]\n"


def test_unrelated_text_is_untouched() -> None:
    text = "def f(x):\n    return x  # AKIA is a prefix, eyJ too\r\n\u00e9\u2028\x00"
    assert mask_credentials(text) == text


def test_mask_document_masks_keys_and_nested_values() -> None:
    document = {
        "message": f"leaked {AWS}",
        GITHUB: [1, 2.5, None, True, {"deep": [JWT]}],
        "plain": "nothing here",
    }
    masked = mask_document(document)
    assert masked == {
        "message": "leaked [MASKED:aws-access-key-id]",
        "[MASKED:github-token]": [1, 2.5, None, True, {"deep": ["[MASKED:jwt]"]}],
        "plain": "nothing here",
    }
    assert document["message"] == f"leaked {AWS}"  # the input is not modified


secrets = st.sampled_from(
    [AWS, GITHUB, JWT, PEM, "xoxb-1234567890-abcdefghij", "glpat-" + "x" * 20]
)
filler = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="-"), max_size=30)
documents = st.lists(st.one_of(secrets, filler), max_size=8).map(" ".join)


@settings(max_examples=500)
@given(text=documents)
def test_masking_is_idempotent_and_leaves_no_detection(text: str) -> None:
    once = mask_credentials(text)
    assert mask_credentials(once) == once
    assert find_credentials(once) == []


@settings(max_examples=300)
@given(text=st.text(max_size=200))
def test_text_without_detections_is_identical(text: str) -> None:
    if not find_credentials(text):
        assert mask_credentials(text) == text


@settings(max_examples=200)
@given(parts=st.lists(st.tuples(filler, secrets), min_size=1, max_size=4), tail=filler)
def test_only_the_secret_spans_change(parts: list[tuple[str, str]], tail: str) -> None:
    text = "".join(f"{f} {s} " for f, s in parts) + tail
    masked = mask_credentials(text)
    for fragment, secret in parts:
        assert secret not in masked or secret in fragment
        assert f"{fragment} " in masked
    assert masked.endswith(tail)
