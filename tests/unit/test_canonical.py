"""The fast canonical-JSON path emits exactly what the RFC 8785 reference emits."""

from __future__ import annotations

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from tidegate.canonical import canonical_json, json_digest
from tidegate.errors import FormatError

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.text(alphabet=st.characters(max_codepoint=0x7F))
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=1000)
@given(value=json_values)
def test_matches_rfc8785_reference(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


def test_rfc8785_sorts_keys_by_utf16_code_units() -> None:
    value = {"\U0001f600": 1, "\ufb01": 2, "a": 3}
    assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.parametrize("value", [2**60, float("nan"), {1: "int key"}, "\ud800", object()])
def test_values_without_canonical_form_are_rejected(value: object) -> None:
    with pytest.raises(FormatError, match="cannot be canonicalized"):
        canonical_json(value)


def test_digest_ignores_key_order_and_whitespace() -> None:
    assert json_digest({"a": 1, "b": [1, 2]}) == json_digest({"b": [1, 2], "a": 1})
