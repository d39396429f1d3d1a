"""A basket priced against the store's catalogue: the loader, the store's tax mode, the engine.

Used by POST /api/v1/pricing/quote (the portal's "try a basket") and by quotations. It runs in
one read snapshot, so the catalogue it prices against is one consistent state.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue.pricing_settings.service import tax_mode
from hub.clock import format_ts, utc_now
from hub.db.pricing import load_catalogue
from hub.errors import FieldErrors
from hub.pricing import PricingError, price_basket
from hub.pricing._time import parse_instant

# Which request field each refusal of the engine is about (`{i}`: the line's index in the body).
_REFUSED_FIELD = {
    "unknown_tier": "tier",
    "unknown_promotion": "promotions",
    "unknown_product": "lines[{i}].product",
    "invalid_quantity": "lines[{i}].quantity",
    "unpriced": "lines[{i}].product",
    "no_tax_rate": "lines[{i}].product",
    "unknown_tax_class": "lines[{i}].product",
    "unknown_tax_mode": "tax_mode",
}


def _now(conn: sqlite3.Connection) -> str:
    now = format_ts(utc_now())
    floor = getattr(getattr(conn, "floor", None), "value", None)
    return max(now, floor) if floor else now


def quote(conn: sqlite3.Connection, request: dict[str, Any]) -> dict[str, Any]:
    """Price `request` ({currency, lines: [{product, quantity, line?}], tier?, at?, promotions?}).

    Raises FieldErrors (422) naming the field: a refusal of the engine keeps its code
    (`unpriced`, `unknown_product`, ...) and says which basket line (`line`).
    """
    at = _instant(request.get("at")) if request.get("at") is not None else _now(conn)
    lines = [{"line": raw.get("line") or index, "product": raw["product"], "quantity": raw["quantity"]}
             for index, raw in enumerate(request["lines"], start=1)]
    numbers = [line["line"] for line in lines]
    repeated = [(f"lines[{i}].line", f"line {n} is given twice")
                for i, n in enumerate(numbers) if n in numbers[:i]]
    if repeated:
        raise FieldErrors(repeated)
    named = request.get("promotions")
    catalogue = load_catalogue(conn, (line["product"] for line in lines), at=at, promotion_ids=named)
    currency = request["currency"]
    if currency not in catalogue["currencies"]:
        raise FieldErrors({"currency": f"the store does not sell in {currency}"})
    basket = {
        "currency": currency, "at": at, "tier": request.get("tier"), "lines": lines,
        "tax_mode": tax_mode(conn),  # the store's setting (PUT /api/v1/settings/pricing)
        "promotions": list(named) if named is not None else list(catalogue["promotions"]),
    }
    try:
        result = price_basket(catalogue, basket)
    except PricingError as refused:
        raise _refusal(refused, numbers) from refused
    return {"currency": currency, "at": at, "tax_mode": basket["tax_mode"], "tier": basket["tier"],
            **result}


def _instant(text: str) -> str:
    try:
        return format_ts(parse_instant(text))
    except ValueError as err:
        raise FieldErrors({"at": "an ISO 8601 instant such as 2026-11-25T12:30:00Z"}) from err


def _refusal(refused: PricingError, numbers: list[int]) -> FieldErrors:
    index = numbers.index(refused.line) if refused.line in numbers else 0
    field = _REFUSED_FIELD.get(refused.code, "lines").format(i=index)
    message = str(refused)
    if refused.line is not None:
        message = f"line {refused.line}: {message}"
    return FieldErrors([(field, message)], code=refused.code, extra={"line": refused.line})
