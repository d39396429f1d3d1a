"""price_basket as a whole: the document's example, output shape, purity."""

from __future__ import annotations

import copy

import pytest

from hub.pricing import PricingError, price_basket

from .catalogues import basket, catalogue


def test_the_documents_example():
    made = catalogue({"P1": {"name": "Bread 10% off", "kind": "percent_off", "priority": 10,
                             "stackable": False, "target": {"products": ["bread"]},
                             "percent_off_bp": 1000}})
    assert price_basket(made, basket(("bread", 2000), promotions=["P1"])) == {
        "lines": [{"line": 1, "unit_price": 150, "gross": 300,
                   "discounts": [{"promotion": "P1", "amount": 30}], "net": 270,
                   "tax_class": "VAT"}],
        "promotions": [{"promotion": "P1", "amount": 30}],
        "taxes": [{"tax_class": "VAT", "rate_bp": 1550, "net": 270, "tax": 36,
                   "sales_with_tax": 270}],
        "subtotal": 300, "discount_total": 30, "tax_total": 36, "total": 270,
    }


def test_lines_keep_the_baskets_order_and_numbers():
    order = basket(("milk", 1000), ("bread", 1000), ("bun", 1000))
    for raw, number in zip(order["lines"], (30, 10, 20)):
        raw["line"] = number
    result = price_basket(catalogue(), order)
    assert [(line["line"], line["unit_price"]) for line in result["lines"]] == [
        (30, 200), (10, 150), (20, 100)]


def test_derived_currency_basket_end_to_end():
    # bread 4020 ZWG (derived), rice 8000 ZWG (own price), wholesale takes 5 % off both.
    result = price_basket(catalogue(), basket(("bread", 1000), ("rice", 2000), currency="ZWG",
                                              tier="wholesale", tax_mode="exclusive"))
    assert [line["unit_price"] for line in result["lines"]] == [3819, 7600]
    # VAT: 3819 × 1550 / 10000 = 591.9 -> 592; ZERO: 0
    assert result["tax_total"] == 592
    assert result["total"] == 3819 + 15200 + 592


def test_empty_basket():
    assert price_basket(catalogue(), basket()) == {
        "lines": [], "promotions": [], "taxes": [], "subtotal": 0, "discount_total": 0,
        "tax_total": 0, "total": 0}


def test_inputs_are_left_untouched():
    made = catalogue({"P": {"kind": "multi_buy", "priority": 1, "stackable": True,
                            "target": {"basket": True}, "quantity": 2,
                            "amounts": {"USD": 100}}})
    order = basket(("cola", 3000), ("bread", 2000), promotions=["P"])
    before = copy.deepcopy((made, order))
    price_basket(made, order)
    assert (made, order) == before


@pytest.mark.parametrize("quantity", [0, -1000])
def test_quantity_below_one_is_refused(quantity):
    with pytest.raises(PricingError) as refused:
        price_basket(catalogue(), basket(("bread", 1000), ("bread", quantity)))
    assert (refused.value.code, refused.value.line) == ("invalid_quantity", 2)


def _refusal(order: dict, made: dict | None = None) -> dict:
    with pytest.raises(PricingError) as refused:
        price_basket(made or catalogue(), order)
    return refused.value.as_result()["error"]


def test_refusals_are_checked_in_the_documents_order():
    made = catalogue()
    made["products"]["bun"]["prices"] = {"ZAR": 100}   # unpriced in USD
    made["products"]["milk"]["tax_class"] = "LEVY"
    made["tax_classes"]["LEVY"] = {"exempt": False,
                                   "rates": [{"from": "2027-01-01T00:00:00Z", "rate_bp": 100}]}
    # Tier first, then promotions, whatever the lines hold.
    assert _refusal(basket(("caviar", 0), tier="gold", promotions=["NOPE"]), made) == {
        "code": "unknown_tier", "line": None}
    assert _refusal(basket(("caviar", 0), promotions=["NOPE"]), made) == {
        "code": "unknown_promotion", "line": None}
    # Then line by line, each line's checks in order: product, quantity, price.
    assert _refusal(basket(("caviar", 0)), made) == {"code": "unknown_product", "line": 1}
    assert _refusal(basket(("bun", 0)), made) == {"code": "invalid_quantity", "line": 1}
    assert _refusal(basket(("bun", 1000), ("caviar", 1000)), made) == {
        "code": "unpriced", "line": 1}
    # A class without a rate in force comes last.
    assert _refusal(basket(("milk", 1000), ("bun", 1000)), made) == {"code": "unpriced", "line": 2}
    assert _refusal(basket(("bread", 1000), ("milk", 1000)), made) == {
        "code": "no_tax_rate", "line": 2}


def test_unknown_promotion_kind_is_refused():
    made = catalogue({"P": {"kind": "mystery", "priority": 1, "target": {"basket": True}}})
    with pytest.raises(PricingError) as refused:
        price_basket(made, basket(("bread", 1000), promotions=["P"]))
    assert refused.value.code == "unknown_promotion_kind"
