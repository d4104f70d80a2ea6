"""Tests for invoice total computation."""

import pytest

from billing.invoices import Invoice, InvoiceLine


@pytest.fixture
def invoice():
    inv = Invoice(customer_id="c_1")
    inv.add_line(InvoiceLine(description="Hosting", quantity=1, unit_cents=10000))
    return inv


def test_subtotal(invoice):
    assert invoice.subtotal_cents == 10000


def test_total_includes_tax(invoice):
    assert invoice.tax_cents == 750
    assert invoice.total_cents == 10750


def test_lines_are_rendered_in_order(invoice):
    invoice.add_line(InvoiceLine(description="Support", quantity=2, unit_cents=2500))
    descriptions = [line.description for line in invoice.lines]
    assert descriptions == ["Hosting", "Support"]


def test_empty_invoice_has_zero_total():
    empty = Invoice(customer_id="c_2")
    assert empty.total_cents == 0
    assert empty.tax_cents == 0


def test_quantity_must_be_positive(invoice):
    with pytest.raises(ValueError):
        invoice.add_line(InvoiceLine(description="Broken", quantity=0, unit_cents=100))
