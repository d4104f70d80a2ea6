"""Unit tests for the pricing engine (amounts in cents)."""

import unittest

from shop.pricing import PriceCalculator, PricingError


class TestPriceCalculator(unittest.TestCase):
    def setUp(self):
        self.calc = PriceCalculator(tax_rate_percent=20)

    def test_net_price(self):
        price = self.calc.net(10000, quantity=3)
        self.assertEqual(price, 30000)

    def test_gross_price_includes_tax(self):
        price = self.calc.gross(5000)
        self.assertEqual(price, 6000)

    def test_discount_code(self):
        price = self.calc.gross(5000, discount_code="WELCOME10")
        self.assertEqual(price, 5400)

    def test_quote_has_breakdown(self):
        quote = self.calc.quote(2000, quantity=2)
        self.assertEqual(quote.subtotal, 4000)
        self.assertEqual(quote.tax, 800)
        self.assertIn("subtotal", quote.lines)

    def test_negative_quantity_rejected(self):
        with self.assertRaises(PricingError):
            self.calc.net(1000, quantity=-1)

    def test_unknown_discount_code(self):
        with self.assertRaises(PricingError):
            self.calc.gross(1000, discount_code="NOPE")


if __name__ == "__main__":
    unittest.main()
