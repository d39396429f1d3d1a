"""`price_basket`: unit prices, line amounts, promotions in order, tax, totals (docs/pricing.md).

Plain dicts in the JSON shapes of the document in and out, so the hand-worked basket file drives
the engine directly. Only the products and promotions the basket names are read: the catalogue
may hold 50,000 products and the hub re-prices every uploaded sale.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import promotions as promos
from ._time import parse_instant, store_zone
from .errors import PricingError
from .model import PricedLine, category_path
from .prices import unit_price
from .rounding import QUANTITY_SCALE, div_round
from .tax import taxes


def price_basket(catalogue: Mapping, basket: Mapping) -> dict:
    """Price `basket` against `catalogue`; raises PricingError for a basket it refuses.

    Refusals are checked in the document's order, the first failure reported: `unknown_tier`,
    `unknown_promotion`, then line by line `unknown_product`, `invalid_quantity`, `unpriced`,
    then `no_tax_rate`.
    """
    currency = basket["currency"]
    tier = basket.get("tier")
    at = parse_instant(basket["at"])
    local = at.astimezone(store_zone(catalogue["timezone"]))
    tax_mode = basket["tax_mode"]  # the store's setting, passed by the caller with the basket
    if tier is not None and tier not in (catalogue.get("tiers") or {}):
        raise PricingError("unknown_tier", None, f"no tier {tier!r} in the catalogue")
    in_force = promos.promotions_in_force(catalogue.get("promotions") or {},
                                          basket.get("promotions") or ())
    lines = [_priced_line(catalogue, raw, index, currency, tier)
             for index, raw in enumerate(basket["lines"])]

    given: list[tuple[str, int]] = []
    for promotion in in_force:
        if not promos.applies(promotion, at, local, tier, currency):
            continue
        discounts = promos.discounts(promotion, lines, currency)
        if not discounts:
            continue  # a promotion that gives nothing is not reported
        for index, amount in discounts.items():
            line = lines[index]
            line.remaining -= amount
            line.discounts.append((promotion.id, amount))
            if not promotion.stackable:
                line.locked = True  # a non-stackable promotion locks every line it discounts
        given.append((promotion.id, sum(discounts.values())))

    tax_summary = taxes(lines, catalogue.get("tax_classes") or {}, at, tax_mode)
    subtotal = sum(line.gross for line in lines)
    net = sum(line.remaining for line in lines)
    tax_total = sum(entry["tax"] for entry in tax_summary)
    return {
        "lines": [_line_result(line) for line in lines],
        "promotions": [{"promotion": pid, "amount": amount} for pid, amount in given],
        "taxes": tax_summary,
        "subtotal": subtotal,
        "discount_total": subtotal - net,
        "tax_total": tax_total,
        "total": net + tax_total if tax_mode == "exclusive" else net,
    }


def _priced_line(catalogue: Mapping, raw: Mapping, index: int, currency: str,
                 tier: str | None) -> PricedLine:
    """Section 1 and 2: the unit price and `gross = div_round(unit_price × quantity, 1000)`."""
    number, quantity = raw["line"], raw["quantity"]
    product = (catalogue.get("products") or {}).get(raw["product"])
    if product is None:
        raise PricingError("unknown_product", number, f"no product {raw['product']!r}")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise PricingError("invalid_quantity", number, f"quantity {quantity!r} is below 1")
    price = unit_price(catalogue, product, currency, tier)
    if price is None:
        raise PricingError("unpriced", number, f"{raw['product']!r} has no price in {currency}")
    gross = div_round(price * quantity, QUANTITY_SCALE)
    return PricedLine(
        index=index, line=number, product=raw["product"], quantity=quantity, unit_price=price,
        gross=gross, tax_class=product.get("tax_class"),
        categories=category_path(catalogue.get("categories") or {}, product.get("category")),
        remaining=gross)


def _line_result(line: PricedLine) -> dict:
    return {
        "line": line.line,
        "unit_price": line.unit_price,
        "gross": line.gross,
        "discounts": [{"promotion": pid, "amount": amount} for pid, amount in line.discounts],
        "net": line.remaining,
        "tax_class": line.tax_class,
    }
