"""Order, eligibility, locking and stacking of promotions, and the per-basket cap (section 3)."""

from __future__ import annotations

import pytest

from hub.pricing import PricingError, price_basket

from .catalogues import basket, catalogue, line_discounts


def _percent(priority: int, target: dict, percent_off_bp: int, stackable: bool = False,
             **extra) -> dict:
    return {"kind": "percent_off", "priority": priority, "stackable": stackable, "target": target,
            "percent_off_bp": percent_off_bp, **extra}


BREAD = {"products": ["bread"]}
BASKET = {"basket": True}


def _price(promotions: dict, *lines: tuple[str, int], order=None) -> dict:
    return price_basket(catalogue(promotions),
                        basket(*lines, promotions=order if order is not None else list(promotions)))


def test_non_stackable_locks_its_lines_against_later_promotions():
    result = _price({"P1": _percent(10, BREAD, 1000), "P2": _percent(20, BASKET, 500, True)},
                    ("bread", 1000), ("bun", 1000))
    # P1: 15 off bread, which it locks. P2 sees only the bun: 5 % of 100 = 5.
    assert line_discounts(result) == {1: [("P1", 15)], 2: [("P2", 5)]}
    assert result["promotions"] == [{"promotion": "P1", "amount": 15},
                                    {"promotion": "P2", "amount": 5}]


def test_non_stackable_skips_a_line_already_discounted():
    result = _price({"S": _percent(5, BREAD, 1000, True), "N": _percent(10, BREAD, 5000)},
                    ("bread", 1000))
    assert line_discounts(result) == {1: [("S", 15)]}
    assert result["promotions"] == [{"promotion": "S", "amount": 15}]


def test_stackable_promotions_work_on_remaining_amounts():
    result = _price({"S1": _percent(1, {"products": ["steak"]}, 1000, True),
                     "S2": _percent(2, {"products": ["steak"]}, 1000, True)}, ("steak", 1000))
    # 10 % of 1000 = 100, then 10 % of the 900 left = 90
    assert line_discounts(result) == {1: [("S1", 100), ("S2", 90)]}
    assert result["lines"][0]["net"] == 810


def test_order_is_priority_then_id_not_the_baskets_order():
    promotions = {"B": _percent(5, BREAD, 1000), "A": _percent(5, BREAD, 2000),
                  "C": _percent(1, {"products": ["bun"]}, 1000)}
    result = _price(promotions, ("bread", 1000), ("bun", 1000), order=["B", "A", "C"])
    # Same priority: A before B; A locks the bread, so B gives nothing and is not reported.
    assert line_discounts(result) == {1: [("A", 30)], 2: [("C", 10)]}
    assert [p["promotion"] for p in result["promotions"]] == ["C", "A"]


def test_stackable_discounts_keep_the_order_they_were_applied_in():
    result = _price({"Z": _percent(1, BREAD, 1000, True), "A": _percent(2, BREAD, 1000, True)},
                    ("bread", 1000))
    assert line_discounts(result) == {1: [("Z", 15), ("A", 14)]}   # 10 % of 135 = 13.5 -> 14


def test_non_stackable_buy_x_get_y_locks_only_the_lines_it_discounts():
    bxgy = {"kind": "buy_x_get_y", "priority": 1, "buy": 1, "get": 1,
            "buy_target": {"products": ["steak"]}, "get_target": {"products": ["sauce"]}}
    result = _price({"X": bxgy, "S": _percent(2, BASKET, 1000, True)},
                    ("steak", 1000), ("sauce", 1000))
    # The sauce is free and locked; the steak only counted, so the basket promotion reaches it.
    assert line_discounts(result) == {1: [("S", 100)], 2: [("X", 200)]}


def test_a_promotion_giving_nothing_locks_nothing():
    multi_buy = {"kind": "multi_buy", "priority": 1, "target": BREAD, "quantity": 2,
                 "amounts": {"USD": 400}}
    result = _price({"M": multi_buy, "P": _percent(2, BREAD, 1000)}, ("bread", 2000))
    assert line_discounts(result) == {1: [("P", 30)]}
    assert result["promotions"] == [{"promotion": "P", "amount": 30}]


def test_a_zero_share_of_an_allocation_locks_nothing():
    amount_off = {"kind": "amount_off", "priority": 1, "target": BASKET, "amounts": {"USD": 1}}
    result = _price({"A": amount_off, "W": _percent(2, {"products": ["water"]}, 1000)},
                    ("bread", 1000), ("water", 1000))
    # 1 over 150 and 100: floors 0, 0; remainders 150, 100: the bread gets it, the water's zero
    # share is not listed and does not lock the water.
    assert line_discounts(result) == {1: [("A", 1)], 2: [("W", 10)]}


def test_non_stackable_basket_promotion_leaves_out_discounted_lines():
    result = _price({"S": _percent(1, BREAD, 1000, True), "N": _percent(2, BASKET, 1000)},
                    ("bread", 1000), ("steak", 1000))
    assert line_discounts(result) == {1: [("S", 15)], 2: [("N", 100)]}


def test_unit_counting_stackable_discount_is_capped_at_the_remaining_amount():
    bxgy = {"kind": "buy_x_get_y", "priority": 2, "stackable": True, "buy": 1, "get": 1,
            "buy_target": {"products": ["steak"]}, "get_target": {"products": ["sauce"]}}
    result = _price({"S": _percent(1, {"products": ["sauce"]}, 6000, True), "X": bxgy},
                    ("steak", 1000), ("sauce", 1000))
    # Sauce 200 - 120 = 80 left; the free sauce is worth its unit price 200, capped at 80.
    assert line_discounts(result) == {1: [], 2: [("S", 120), ("X", 80)]}
    assert result["lines"][1]["net"] == 0


def test_max_discount_reallocates_in_proportion_to_the_computed_discounts():
    promotion = _percent(1, {"products": ["bread", "water"]}, 5000,
                         max_discount={"USD": 101})
    result = _price({"P": promotion}, ("bread", 2000), ("water", 1000))
    # Computed 150 and 50 = 200 > 101: 101 × 150 / 200 = 75 r 150, 101 × 50 / 200 = 25 r 50
    assert line_discounts(result) == {1: [("P", 76)], 2: [("P", 25)]}


def test_max_discount_not_reached_changes_nothing():
    promotion = _percent(1, {"products": ["bread", "water"]}, 5000, max_discount={"USD": 200})
    assert line_discounts(_price({"P": promotion}, ("bread", 2000), ("water", 1000))) == {
        1: [("P", 150)], 2: [("P", 50)]}


def test_max_discount_in_another_currency_does_not_cap():
    promotion = _percent(1, {"products": ["bread", "water"]}, 5000, max_discount={"ZWG": 1})
    assert line_discounts(_price({"P": promotion}, ("bread", 2000), ("water", 1000))) == {
        1: [("P", 150)], 2: [("P", 50)]}


def test_max_discount_caps_a_multi_buy():
    multi_buy = {"kind": "multi_buy", "priority": 1, "target": {"products": ["cola"]},
                 "quantity": 3, "amounts": {"USD": 400}, "max_discount": {"USD": 60}}
    assert line_discounts(_price({"M": multi_buy}, ("cola", 7000))) == {1: [("M", 60)]}


def test_repeated_promotion_id_applies_once():
    result = _price({"P": _percent(1, BREAD, 1000, True)}, ("bread", 1000), order=["P", "P"])
    assert line_discounts(result) == {1: [("P", 15)]}


def test_unknown_promotion_id_refuses_the_basket():
    with pytest.raises(PricingError) as refused:
        _price({"P": _percent(1, BREAD, 1000, True)}, ("bread", 1000), order=["P", "NOPE"])
    assert refused.value.as_result() == {"error": {"code": "unknown_promotion", "line": None}}


def test_promotion_not_in_the_basket_list_is_not_applied():
    result = _price({"P": _percent(1, BREAD, 1000)}, ("bread", 1000), order=[])
    assert result["promotions"] == [] and result["total"] == 150
