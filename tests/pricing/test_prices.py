"""Unit prices (section 1): own price, derived currency, tier; and refusing unpriced lines."""

from __future__ import annotations

import pytest

from hub.pricing import PricingError, price_basket
from hub.pricing.prices import unit_price

from .catalogues import basket, catalogue


def _price(product: str, currency: str = "USD", tier: str | None = None, **changes) -> int | None:
    made = catalogue(**changes)
    return unit_price(made, made["products"][product], currency, tier)


def test_own_price_in_the_basket_currency():
    assert _price("bread") == 150


def test_own_price_wins_over_derivation():
    assert _price("rice", "ZWG") == 8000


def test_derived_price_rounds_then_steps():
    # 150 × 26783400 × 10^2 / (1000000 × 10^2) = 4017.51 -> 4018 -> to 10 half up -> 4020
    assert _price("bread", "ZWG") == 4020


@pytest.mark.parametrize(("mode", "step", "expected"), [
    ("half_up", 10, 4020), ("up", 10, 4020), ("down", 10, 4010),
    ("up", 100, 4100), ("down", 100, 4000), ("half_up", 100, 4000), ("half_up", 1, 4018),
])
def test_derived_price_round_modes(mode, step, expected):
    made = catalogue()
    made["currencies"]["ZWG"].update(round_step=step, round_mode=mode)
    assert unit_price(made, made["products"]["bread"], "ZWG", None) == expected


def test_derived_price_scales_by_both_currencies_decimals():
    made = catalogue()
    made["currencies"]["ZWL"] = {"decimals": 0, "derive_from": "USD", "rate": 26783400,
                                 "rate_scale": 1000000, "round_step": 1, "round_mode": "half_up"}
    # 150 cents × 26.7834 = 40.1751 whole units -> 40
    assert unit_price(made, made["products"]["bread"], "ZWL", None) == 40


def test_missing_round_step_and_mode_mean_one_minor_unit_half_up():
    made = catalogue()
    made["currencies"]["ZWG"] = {"decimals": 2, "derive_from": "USD", "rate": 26783400,
                                 "rate_scale": 1000000}
    assert unit_price(made, made["products"]["bread"], "ZWG", None) == 4018


def test_no_own_price_and_no_derivation_is_unpriced():
    assert _price("bread", "ZAR") is None


def test_derivation_without_a_base_price_is_unpriced():
    made = catalogue()
    made["products"]["bread"]["prices"] = {"ZAR": 300}
    assert unit_price(made, made["products"]["bread"], "ZWG", None) is None


def test_tier_price_replaces_the_price():
    assert _price("bread", tier="staff") == 120


def test_tier_rule_takes_percent_off_the_price():
    # 150 - div_round(150 × 500, 10000) = 150 - 8 (7.5 rounds away from zero) = 142
    assert _price("bread", tier="wholesale") == 142


def test_tier_rule_applies_to_a_derived_price():
    # 4020 - div_round(4020 × 500, 10000) = 4020 - 201
    assert _price("bread", "ZWG", tier="wholesale") == 3819


def test_tier_price_in_another_currency_does_not_apply():
    # staff has a USD price for bread but no ZWG one, and no rule: the derived price stands.
    assert _price("bread", "ZWG", tier="staff") == 4020


def test_tier_without_price_or_rule_keeps_the_price():
    assert _price("bun", tier="staff") == 100


def test_tier_unknown_to_the_catalogue_refuses_the_basket():
    with pytest.raises(PricingError) as refused:
        price_basket(catalogue(), basket(("bun", 1000), tier="gold"))
    assert refused.value.as_result() == {"error": {"code": "unknown_tier", "line": None}}


def test_tier_price_prices_a_product_without_a_price_in_the_currency():
    # A line is unpriced only if it still has no price after the tier.
    made = catalogue()
    made["products"]["bread"]["prices"] = {"ZAR": 300}
    assert unit_price(made, made["products"]["bread"], "USD", "staff") == 120


def test_tier_rule_cannot_create_a_price():
    made = catalogue()
    made["products"]["bread"]["prices"] = {"ZAR": 300}
    assert unit_price(made, made["products"]["bread"], "USD", "wholesale") is None


def test_tier_rule_on_a_derived_price_is_not_rounded_to_a_step_again():
    made = catalogue()
    made["tiers"]["wholesale"]["percent_off_bp"] = 333
    # 4020 - div_round(4020 × 333, 10000) = 4020 - 134 (133.866) = 3886, not a multiple of 10
    assert unit_price(made, made["products"]["bread"], "ZWG", "wholesale") == 3886


def test_unpriced_line_refused_after_the_tier():
    made = catalogue()
    made["products"]["bread"]["prices"] = {"ZAR": 300}
    made["products"]["bun"]["prices"] = {"ZAR": 300}
    order = basket(("bread", 1000), ("bun", 1000), tier="staff")
    # bread is priced by its staff tier price; bun has neither: line 2 is the first unpriced.
    with pytest.raises(PricingError) as refused:
        price_basket(made, order)
    assert (refused.value.code, refused.value.line) == ("unpriced", 2)


def test_unpriced_line_refuses_the_basket_naming_that_line():
    made = catalogue()
    made["products"]["milk"]["prices"] = {"ZWG": 5000}
    with pytest.raises(PricingError) as refused:
        price_basket(made, basket(("bread", 1000), ("milk", 1000), ("bun", 1000)))
    assert (refused.value.code, refused.value.line) == ("unpriced", 2)
    assert refused.value.as_result() == {"error": {"code": "unpriced", "line": 2}}


def test_unknown_product_refuses_the_basket_naming_that_line():
    with pytest.raises(PricingError) as refused:
        price_basket(catalogue(), basket(("bread", 1000), ("caviar", 1000)))
    assert (refused.value.code, refused.value.line) == ("unknown_product", 2)


def test_gross_is_unit_price_times_quantity_in_thousandths():
    made = catalogue()
    result = price_basket(made, basket(("bread", 2000), ("steak", 1255), ("bun", 5)))
    # 1000 × 1255 / 1000 = 1255; 100 × 5 / 1000 = 0.5 -> 1
    assert [line["gross"] for line in result["lines"]] == [300, 1255, 1]
