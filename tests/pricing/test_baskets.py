"""The hand-worked baskets of tests/fixtures/pricing/baskets.json, shared with the tills.

The file is written by hand from docs/pricing.md and never regenerated from this engine: when a
basket disagrees, the document decides which side is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.pricing import PricingError, price_basket

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pricing" / "baskets.json"


def _cases() -> list:
    if not FIXTURE.exists():
        return [pytest.param(None, None, id="baskets.json-absent", marks=pytest.mark.skip(
            reason="tests/fixtures/pricing/baskets.json does not exist yet "
                   "(the hand-worked baskets are written separately, by hand)"))]
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return [pytest.param(document["catalogue"], basket, id=basket["name"])
            for basket in document["baskets"]]


CASES = _cases()


@pytest.mark.parametrize(("catalogue", "case"), CASES)
def test_basket_prices_as_worked_by_hand(catalogue, case):
    expected = case["expected"]
    if "error" in expected:
        with pytest.raises(PricingError) as refused:
            price_basket(catalogue, case["input"])
        assert refused.value.as_result() == expected
    else:
        assert price_basket(catalogue, case["input"]) == expected


def test_basket_names_are_unique():
    names = [param.id for param in CASES]
    assert len(names) == len(set(names))
