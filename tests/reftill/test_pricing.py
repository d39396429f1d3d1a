"""The till's basket arithmetic, in integers (docs/sales.md)."""

from reftill import pricing

VAT = {"exempt": False, "rates": [{"effective_from": "2022-12-31T22:00:00.000000Z", "rate_bp": 1500},
                                  {"effective_from": "2025-12-31T22:00:00.000000Z", "rate_bp": 1550}]}
PRODUCT = {"id": "p1", "name": "Bread", "receipt_name": "BREAD", "sku": "BRD-1", "tax_class_id": "vat",
           "prices": {"USD": 100}, "effective_prices": {"USD": 95}}


def test_div_round_is_half_away_from_zero():
    assert [pricing.div_round(a, 2) for a in (1, 3, -1, -3, 4)] == [1, 2, -1, -2, 2]


def test_the_tax_rate_is_the_one_in_force_at_the_sale():
    assert pricing.tax_rate_at(VAT, "2025-06-01T00:00:00.000000Z") == 1500
    assert pricing.tax_rate_at(VAT, "2026-06-01T00:00:00.000000Z") == 1550
    assert pricing.tax_rate_at({"exempt": True, "rates": []}, "2026-01-01") == 0
    assert pricing.tax_rate_at(None, "2026-01-01") == 0


def test_the_effective_price_wins_over_the_own_price():
    assert pricing.unit_price(PRODUCT, "USD") == 95
    assert pricing.unit_price({"prices": {"USD": 100}}, "USD") == 100
    assert pricing.unit_price(PRODUCT, "ZWG") is None


def test_a_weighed_line_rounds_half_up_and_holds_its_tax_in_inclusive_mode():
    line = pricing.sale_line(PRODUCT, 1255, 199, tax_class=VAT, at="2026-06-01", mode="inclusive")
    assert line["total"] == 250  # 1.255 x 1.99 = 2.49745 -> 2.50
    assert line["tax_amount"] == 34  # 250 x 1550 / 11550 = 33.5
    assert (line["tax_code"], line["tax_rate_bp"], line["name"], line["code"]) == ("A", 1550, "BREAD", "BRD-1")


def test_exclusive_mode_adds_tax_on_top_and_cash_rounds_to_the_coin():
    line = pricing.sale_line(PRODUCT, 1000, 1001, tax_class=VAT, at="2026-06-01", mode="exclusive")
    assert line["tax_amount"] == 155
    sums = pricing.totals([line], "exclusive", rounding_step=10)
    assert sums == {"subtotal": 1001, "discount_total": 0, "tax_total": 155, "rounding": 4, "total": 1160}
    assert pricing.totals([line], "exclusive", rounding_step=10, cash=False)["rounding"] == 0


def test_a_discount_never_takes_a_line_below_zero():
    line = pricing.sale_line(PRODUCT, 1000, 100, tax_class=None, at="2026", mode="inclusive", discount=500,
                             approved_by="u1", reason="damaged")
    assert line["total"] == 0 and line["discounts"] == [{"amount": 100, "approved_by": "u1", "reason": "damaged"}]


def test_cash_handed_over_gives_change_and_card_pays_exactly():
    assert pricing.tenders_for(950, "USD", "cash", 1000) == (
        [{"method": "cash", "currency": "USD", "amount": 1000}], [{"currency": "USD", "amount": 50}])
    tenders, change = pricing.tenders_for(950, "USD", "card", reference="R1")
    assert tenders[0]["amount"] == 950 and change == []
