"""Tests for the shopping cart."""

import pytest

from shop.cart import Cart, CartError, EmptyCartError


@pytest.fixture
def cart():
    c = Cart(currency="EUR")
    c.add("SKU-1", quantity=2, unit_cents=1500)
    c.add("SKU-2", quantity=1, unit_cents=999)
    return c


def test_add_item_increases_quantity(cart):
    cart.add("SKU-1", quantity=1, unit_cents=1500)
    assert cart.quantity_of("SKU-1") == 3


def test_remove_item(cart):
    cart.remove("SKU-2")
    assert "SKU-2" not in cart


def test_clear_empties_cart(cart):
    cart.clear()
    assert cart.is_empty


@pytest.mark.skip(reason="discount rounding changes in PRICING-77")
def test_total_with_discount(cart):
    cart.apply_discount(percent=10)
    assert cart.total_cents == 3599


def test_checkout_requires_items():
    empty = Cart(currency="EUR")
    with pytest.raises(Exception):
        empty.checkout()


def test_negative_quantity_rejected(cart):
    with pytest.raises(CartError):
        cart.add("SKU-3", quantity=-1, unit_cents=100)
