"""The portal's "Try a basket": a manager types lines (SKU or barcode and a quantity), a tier, a
currency and a moment, and sees what the tills would charge.

It prices through hub.pricing.quote.quote, the very function POST /api/v1/pricing/quote calls,
with the request checked by the API's own QuoteRequest struct. It changes nothing, so it is a GET
form (the query string is the basket) and writes no audit entry.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import Request, get
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue.promotions import _portal_form as promo_form
from hub.catalogue.promotions._portal_text import (TextError, format_money, format_percent,
                                                   format_quantity, parse_local, parse_quantity)
from hub.db import products, promotions, taxes
from hub.errors import FieldErrors
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.pricing import quote as quoting
from hub.pricing.schemas import QuoteRequest

MAX_ROWS = 50
MIN_ROWS = 5
SPARE_ROWS = 3  # empty rows after the typed ones: room for more lines without JavaScript
MAX_CODE = 64
_REQUEST_FIELDS = {"tier": "tier", "currency": "currency", "at": "at", "promotions": "promotion"}


@dataclass
class Basket:
    """The form read: rows as typed, the lines they make, and errors by input."""

    rows: list[dict[str, str]]
    lines: list[dict[str, Any]] = field(default_factory=list)  # {row, code, quantity}
    errors: dict[str, str] = field(default_factory=dict)
    tier: str | None = None
    currency: str = ""
    at: str | None = None
    promotion: str | None = None


def _upper(text: object) -> str:
    return str(text)[:1].upper() + str(text)[1:]


def read_basket(form: Form, zone: Any) -> Basket:
    """The rows as typed (trailing empty ones dropped), the lines they make, and the moment."""
    codes, quantities = form.getall("code")[:MAX_ROWS], form.getall("qty")[:MAX_ROWS]
    quantities += [""] * (len(codes) - len(quantities))
    rows = [{"code": c.strip()[:MAX_CODE], "qty": q.strip()[:20]}
            for c, q in zip(codes, quantities[:len(codes)], strict=True)]
    while rows and not rows[-1]["code"] and not rows[-1]["qty"]:
        rows.pop()  # the empty rows the form offered
    basket = Basket(rows, tier=form.get("tier")[:MAX_CODE] or None,
                    currency=form.get("currency").strip()[:3],
                    promotion=form.get("promotion")[:MAX_CODE] or None)
    for index, row in enumerate(rows):
        if not row["code"]:
            continue
        try:
            typed = parse_quantity(row["qty"] or "1")
        except TextError as err:
            basket.errors[f"qty_{index}"] = f"Quantity: {err}"
            continue
        basket.lines.append({"row": index, "code": row["code"], "typed": typed})
    if form.get("at").strip():
        try:
            basket.at = parse_local(form.get("at"), zone)
        except TextError as err:
            basket.errors["at"] = f"When: {err}"
    return basket


def _quantity(found: dict[str, Any], typed: int) -> int:
    """What `typed` scans of the code sell: a pack barcode sells its pack, a weight code its
    weight."""
    if found["kind"] == "price":
        raise TextError("an in-store price code carries an amount, not a quantity: "
                        "type the product's SKU")
    per_scan = found["quantity"]
    if found["kind"] in ("unit", "sku"):
        return typed
    if typed * per_scan % 1000:
        raise TextError(f"this code sells {format_quantity(per_scan)} a scan: type whole scans")
    return typed * per_scan // 1000


def price(conn: sqlite3.Connection, basket: Basket) -> dict[str, Any] | None:
    """Resolve the codes and quote the basket in one read snapshot; None when a code is wrong."""
    for line in basket.lines:
        index = line["row"]
        try:
            found = products.lookup(conn, line["code"])
        except products.MisreadBarcodeError as err:
            basket.errors[f"code_{index}"] = f"{err}: type it again"
            continue
        if found is None or not found["product"]["active"]:
            basket.errors[f"code_{index}"] = ("No active product has the SKU or barcode "
                                              f"{line['code']}")
            continue
        try:
            line["quantity"] = _quantity(found, line["typed"])
        except TextError as err:
            basket.errors[f"qty_{index}"] = _upper(err)
        line["product"] = found["product"]
    if basket.errors or not basket.lines:
        return None
    body = {"currency": basket.currency, "tier": basket.tier, "at": basket.at,
            "promotions": [basket.promotion] if basket.promotion else None,
            "lines": [{"product": ln["product"]["id"], "quantity": ln["quantity"], "line": n}
                      for n, ln in enumerate(basket.lines, start=1)]}
    try:
        request = msgspec.to_builtins(msgspec.convert(body, QuoteRequest))
    except msgspec.ValidationError as err:  # out of the API's bounds: a quantity too large
        basket.errors["basket"] = str(err).split(" - at ")[0]
        return None
    try:
        result = quoting.quote(conn, request)
    except FieldErrors as err:
        for error in err.errors:
            basket.errors[_input(error["field"], basket)] = _upper(error["message"])
        return None
    return _named(conn, basket, result)


def _input(api_field: str, basket: Basket) -> str:
    """`lines[2].quantity` -> the row it came from (`qty_4`); `tier` -> `tier`."""
    if api_field.startswith("lines["):
        index = int(api_field[6:api_field.index("]")])
        row = basket.lines[index]["row"] if index < len(basket.lines) else 0
        return f"{'qty' if api_field.endswith('quantity') else 'code'}_{row}"
    return _REQUEST_FIELDS.get(api_field, "basket")


def _named(conn: sqlite3.Connection, basket: Basket, result: dict[str, Any]) -> dict[str, Any]:
    """The quote with the names a person reads: products, promotions, tax classes."""
    by_line = {n: ln for n, ln in enumerate(basket.lines, start=1)}
    ids = {d["promotion"] for d in result["promotions"]}
    names = {}
    for promotion_id in ids:
        row = promotions.get_promotion(conn, promotion_id)
        names[promotion_id] = row["name"] if row else promotion_id
    classes = {}
    for tax in result["taxes"]:
        row = taxes.get_tax_class(conn, tax["tax_class"])
        classes[tax["tax_class"]] = row["name"] if row else tax["tax_class"]
    lines = [{**ln, "product": by_line[ln["line"]]["product"],
              "quantity": by_line[ln["line"]]["quantity"],
              "discounts": [{**d, "name": names[d["promotion"]]} for d in ln["discounts"]]}
             for ln in result["lines"]]
    return {**result, "lines": lines,
            "promotions": [{**d, "name": names[d["promotion"]]} for d in result["promotions"]],
            "taxes": [{**t, "name": classes[t["tax_class"]]} for t in result["taxes"]]}


def _refs(conn: sqlite3.Connection, promotion_id: str | None) -> tuple[promo_form.Refs, str | None]:
    refs = promo_form.load_refs(conn)
    row = promotions.get_promotion(conn, promotion_id) if promotion_id else None
    return refs, (row["name"] if row else None)


class BasketPortal(PortalController):
    path = "/promotions/try"

    @get(opt=requires("catalogue.view"))
    async def try_basket(self, request: Request) -> Template:
        form = Form(request.query_params)
        db = request.app.state.db
        zone = (await shell.store_of(request))["zone"]
        basket = read_basket(form, zone)
        refs, only = await db.read(_refs, basket.promotion)
        refs.zone = zone
        if not basket.currency and refs.currencies:
            basket.currency = refs.currencies[0]["code"]
        asked = any(row["code"] for row in basket.rows) or form.get("go") != ""
        result = None
        if asked and not basket.lines and not basket.errors:
            basket.errors["basket"] = "Type the SKU or barcode of at least one product"
        elif basket.lines:
            result = await db.read(price, basket)
        decimals = refs.decimals(basket.currency)
        spare = max(SPARE_ROWS, MIN_ROWS - len(basket.rows))
        rows = basket.rows + [{"code": "", "qty": ""}] * spare
        return await shell.page(
            request, "promotions/try.html", key="promotions.try",
            status=422 if basket.errors else 200, rows=rows[:MAX_ROWS], basket=basket,
            errors=basket.errors, result=result, refs=refs, only=only, at_value=form.get("at"),
            money=lambda amount: format_money(amount, decimals), percent=format_percent,
            quantity=format_quantity)
