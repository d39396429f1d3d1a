"""Tax per class on the group's net, rounded once, inclusive or exclusive (section 4 and 5)."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.pricing import PricingError, price_basket
from hub.pricing.tax import class_tax, rate_at

from .catalogues import basket, catalogue

UTC = dt.timezone.utc


def test_inclusive_tax_is_inside_the_net():
    # 270 × 1550 / 11550 = 36.23 -> 36 (the document's example)
    assert class_tax(270, 1550, "inclusive") == 36


def test_exclusive_tax_is_added_to_the_net():
    assert class_tax(270, 1550, "exclusive") == 42   # 41.85 -> 42


def test_tax_is_rounded_once_per_class_not_per_line():
    # water 100 and bun 100, both VAT. Per line exclusive would be 15.5 -> 16 twice = 32.
    result = price_basket(catalogue(), basket(("water", 1000), ("bun", 1000),
                                              tax_mode="exclusive"))
    assert result["taxes"] == [{"tax_class": "VAT", "rate_bp": 1550, "net": 200, "tax": 31,
                                "sales_with_tax": 231}]
    assert (result["tax_total"], result["total"]) == (31, 231)
    # Inclusive: 200 × 1550 / 11550 = 26.84 -> 27 (per line: 13.4 -> 13 twice = 26)
    result = price_basket(catalogue(), basket(("water", 1000), ("bun", 1000)))
    assert result["taxes"][0]["tax"] == 27
    assert (result["tax_total"], result["total"]) == (27, 200)


def test_exempt_class_has_no_rate_and_no_tax():
    for tax_mode in ("inclusive", "exclusive"):
        result = price_basket(catalogue(), basket(("milk", 1000), tax_mode=tax_mode))
        assert result["taxes"] == [{"tax_class": "EXEMPT", "rate_bp": None, "net": 200, "tax": 0,
                                    "sales_with_tax": 200}]
        assert result["total"] == 200


def test_zero_rated_class_reports_its_rate():
    result = price_basket(catalogue(), basket(("rice", 1000), tax_mode="exclusive"))
    assert result["taxes"] == [{"tax_class": "ZERO", "rate_bp": 0, "net": 300, "tax": 0,
                                "sales_with_tax": 300}]


def test_taxes_are_ordered_by_class_id_and_totals_add_up():
    result = price_basket(catalogue(), basket(("rice", 1000), ("bread", 2000), ("milk", 1000),
                                              tax_mode="exclusive"))
    assert [entry["tax_class"] for entry in result["taxes"]] == ["EXEMPT", "VAT", "ZERO"]
    # VAT: 300 × 1550 / 10000 = 46.5 -> 47
    assert result["tax_total"] == 47
    assert result["total"] == 300 + 200 + 300 + 47 == sum(t["sales_with_tax"]
                                                          for t in result["taxes"])


def test_fully_discounted_class_is_still_reported():
    made = catalogue({"P": {"kind": "percent_off", "priority": 1, "target": {"products": ["bread"]},
                            "percent_off_bp": 10000}})
    result = price_basket(made, basket(("bread", 1000), promotions=["P"]))
    assert result["taxes"] == [{"tax_class": "VAT", "rate_bp": 1550, "net": 0, "tax": 0,
                                "sales_with_tax": 0}]


HISTORY = {"exempt": False, "rates": [{"from": "2026-07-01T00:00:00Z", "rate_bp": 1550},
                                      {"from": "2026-01-01T00:00:00Z", "rate_bp": 1500}]}


@pytest.mark.parametrize(("at", "expected"), [
    (dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC), None),
    (dt.datetime(2026, 1, 1, tzinfo=UTC), 1500),
    (dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC), 1500),
    (dt.datetime(2026, 7, 1, tzinfo=UTC), 1550),
])
def test_rate_is_the_latest_in_force(at, expected):
    assert rate_at(HISTORY, at) == expected


def test_basket_uses_the_rate_in_force_at_its_instant():
    made = catalogue()
    made["tax_classes"]["VAT"] = HISTORY
    before = price_basket(made, basket(("steak", 1000), at="2026-06-30T21:59:59Z",
                                       tax_mode="exclusive"))
    after = price_basket(made, basket(("steak", 1000), at="2026-07-01T00:00:00Z",
                                      tax_mode="exclusive"))
    assert (before["tax_total"], after["tax_total"]) == (150, 155)


def test_no_rate_in_force_refuses_the_basket():
    with pytest.raises(PricingError) as refused:
        price_basket(catalogue(), basket(("milk", 1000), ("bread", 1000),
                                         at="2025-06-01T00:00:00Z"))
    assert (refused.value.code, refused.value.line) == ("no_tax_rate", 2)
