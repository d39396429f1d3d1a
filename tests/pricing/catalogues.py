"""Small hand-made catalogues and baskets for the pricing tests (shapes of docs/pricing.md)."""

from __future__ import annotations

import copy

# Africa/Harare is UTC+2 all year (no daylight saving): 12:30Z is 14:30 local.
WEDNESDAY_NOON_UTC = "2026-11-25T12:30:00Z"

BASE = {
    "timezone": "Africa/Harare",
    "currencies": {
        "USD": {"decimals": 2},
        "ZWG": {"decimals": 2, "derive_from": "USD", "rate": 26783400, "rate_scale": 1000000,
                "round_step": 10, "round_mode": "half_up"},
    },
    "categories": {
        "food": {"parent": None},
        "bakery": {"parent": "food"},
        "sweet": {"parent": "bakery"},
        "dairy": {"parent": None},
        "drinks": {"parent": None},
    },
    "tax_classes": {
        "VAT": {"exempt": False, "rates": [{"from": "2026-01-01T00:00:00Z", "rate_bp": 1550}]},
        "ZERO": {"exempt": False, "rates": [{"from": "2026-01-01T00:00:00Z", "rate_bp": 0}]},
        "EXEMPT": {"exempt": True, "rates": []},
    },
    "tiers": {"wholesale": {"percent_off_bp": 500}, "staff": {"percent_off_bp": None}},
    "products": {
        "bread": {"category": "bakery", "tax_class": "VAT", "prices": {"USD": 150},
                  "tier_prices": {"staff": {"USD": 120}}},
        "bun": {"category": "sweet", "tax_class": "VAT", "prices": {"USD": 100}},
        "milk": {"category": "dairy", "tax_class": "EXEMPT", "prices": {"USD": 200}},
        "cola": {"category": "drinks", "tax_class": "VAT", "prices": {"USD": 150}},
        "juice": {"category": "drinks", "tax_class": "VAT", "prices": {"USD": 200}},
        "water": {"category": "drinks", "tax_class": "VAT", "prices": {"USD": 100}},
        "steak": {"category": "food", "tax_class": "VAT", "prices": {"USD": 1000}},
        "sauce": {"category": "food", "tax_class": "VAT", "prices": {"USD": 200}},
        "rice": {"category": "food", "tax_class": "ZERO", "prices": {"USD": 300, "ZWG": 8000}},
    },
    "promotions": {},
}


def catalogue(promotions: dict | None = None, **changes) -> dict:
    """The base catalogue with `promotions` and any top-level keys replaced."""
    made = copy.deepcopy(BASE)
    made["promotions"] = promotions or {}
    made.update(changes)
    return made


def basket(*lines: tuple[str, int], promotions=(), currency="USD", tier=None,
           at=WEDNESDAY_NOON_UTC, tax_mode="inclusive") -> dict:
    """A basket of `(product, quantity)` lines numbered 1, 2, ... in order."""
    return {
        "currency": currency, "at": at, "tax_mode": tax_mode, "tier": tier,
        "promotions": list(promotions),
        "lines": [{"line": number, "product": product, "quantity": quantity}
                  for number, (product, quantity) in enumerate(lines, start=1)],
    }


def line_discounts(result: dict) -> dict[int, list[tuple[str, int]]]:
    """`{line: [(promotion, amount), ...]}` from a result, for compact assertions."""
    return {line["line"]: [(d["promotion"], d["amount"]) for d in line["discounts"]]
            for line in result["lines"]}
