"""The Bulk price change page: choose products (category, supplier, typed SKUs), move one
currency's prices by a percentage or an amount, round; preview every old -> new price, then apply.

The form becomes the API's own BulkPriceChange; the preview is `bulk.plan` and Apply is
`bulk.apply`, as POST /api/v1/products/bulk-price/{preview,apply} run them, so the same rules,
price history (source "bulk"), shelf-label queue and one `product.bulk_price_changed` entry
follow. Apply carries a digest of what the preview showed and refuses (409, with a fresh
preview) when the prices moved in between, checked in the same transaction that writes.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue.products import bulk, csvfile, importer
from hub.catalogue.products.schemas import MAX_STEP, BulkPriceChange
from hub.catalogue.products.validation import MAX_MONEY
from hub.db import product_refs, products
from hub.db.audit import Actor
from hub.errors import ConflictError, FieldErrors, HubError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.pricing.rounding import ROUND_MODES

PREVIEW_LIMIT = 200  # price changes listed in a preview; the counts are always whole
SKIPPED_LIMIT = 50
MAX_SKUS = 5000  # BulkSelection.product_ids allows as many
SKU_SPLIT = re.compile(r"[\s,;]+")
FIELDS = ("category", "supplier", "skus", "currency", "kind", "change", "round_step", "round_mode", "reason")
KINDS = (("percent", "Percentage"), ("amount", "Fixed amount"))
MODES = (("half_up", "To the nearest step"), ("up", "Up to the step"), ("down", "Down to the step"))
# The API's field paths -> this form's inputs.
API_FIELDS = {"select": "scope", "select.category_id": "category", "select.supplier_id": "supplier",
              "select.product_ids": "skus", "currencies": "currency", "percent_bp": "change",
              "amounts": "change", "round_step": "round_step", "round_mode": "round_mode", "reason": "reason"}
_BELOW_ZERO = re.compile(r"^(-?\d+) would fall below zero$")


def form_field(api_field: str) -> str:
    """The input a refusal belongs beside: this form's own name, or the API field's input."""
    if api_field in FIELDS:
        return api_field
    return API_FIELDS.get(api_field, API_FIELDS.get(api_field.split(".")[0], "scope"))


def money(value: int, places: int) -> str:
    """Minor units as the currency writes them (-150, 2 places -> "-1.50")."""
    return ("-" if value < 0 else "") + csvfile.format_decimal(abs(value), places)


def signed(text: str, places: int, what: str) -> int:
    """"+10", "-2.5", "0.50" exactly as integers of 10^-places; CellError when it is not a number."""
    written = text.strip().replace(" ", "")
    sign = -1 if written.startswith("-") else 1
    return sign * csvfile.parse_decimal(written.lstrip("+-") or written, places, what)


def choices(conn: sqlite3.Connection) -> dict[str, Any]:
    """The form's lists: active categories by path, suppliers, currencies (base first)."""
    refs = product_refs.load_refs(conn)
    paths = importer.category_paths(refs["categories"])[0]
    currencies = refs["currencies"]
    base = next((c for c, row in currencies.items() if row["is_base"]), None)
    return {
        "categories": sorted(({"id": cid, "path": paths[cid]} for cid, row in refs["categories"].items()
                              if row["active"]), key=lambda c: c["path"].casefold()),
        "suppliers": sorted(({"id": sid, "name": row["name"]} for sid, row in refs["suppliers"].items()
                             if row["active"]), key=lambda s: s["name"].casefold()),
        "currencies": sorted((c for c, row in currencies.items() if row["active"]), key=lambda c: (c != base, c)),
        "decimals": {c: row["decimals"] for c, row in currencies.items()},
        "base": base,
    }


def _scope(conn: sqlite3.Connection, values: dict[str, str], refs: dict[str, Any],
           problems: list[tuple[str, str]]) -> dict[str, Any]:
    select: dict[str, Any] = {}
    if values["category"]:
        if values["category"] in refs["categories"]:
            select["category_id"] = values["category"]
        else:
            problems.append(("category", "choose a category from the list"))
    if values["supplier"]:
        if values["supplier"] in refs["suppliers"]:
            select["supplier_id"] = values["supplier"]
        else:
            problems.append(("supplier", "choose a supplier from the list"))
    typed = list(dict.fromkeys(s for s in SKU_SPLIT.split(values["skus"]) if s))
    if len(typed) > MAX_SKUS:
        problems.append(("skus", f"at most {MAX_SKUS} SKUs at once; choose a category or a supplier instead"))
    elif typed:
        found = {sku: products.get_by_sku(conn, sku) for sku in typed}
        unknown = [sku for sku, row in found.items() if row is None]
        if unknown:
            named = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
            problems.append(("skus", f"no product has the SKU {named}"))
        select["product_ids"] = list(dict.fromkeys(row["id"] for row in found.values() if row))
    if not select and not problems:
        problems.append(("scope", "choose a category or a supplier, or type the SKUs of the products"))
    return select


def _change(values: dict[str, str], places: int, problems: list[tuple[str, str]]) -> dict[str, Any]:
    written = values["change"].strip()
    if values["kind"] not in dict(KINDS):
        problems.append(("kind", "choose a percentage or a fixed amount"))
        return {}
    if not written:
        problems.append(("change", "enter the change, such as 10 or -5"))
        return {}
    try:
        if values["kind"] == "percent":
            percent_bp = signed(written.removesuffix("%"), 2, "a percentage")
            if percent_bp < -10000:
                problems.append(("change", "a decrease of more than 100 % would take every price below zero"))
            elif percent_bp > 100000:
                problems.append(("change", "an increase is at most 1000 %"))
            elif percent_bp == 0:
                problems.append(("change", "enter a change other than 0"))
            return {"percent_bp": percent_bp}
        amount = signed(written, places, "an amount")
        if abs(amount) > MAX_MONEY:
            problems.append(("change", f"{written} is too large"))
        elif amount == 0:
            problems.append(("change", "enter a change other than 0"))
        return {"amount": amount}
    except csvfile.CellError as err:
        problems.append(("change", str(err)))
        return {}


def build_rule(conn: sqlite3.Connection, values: dict[str, str]) -> dict[str, Any]:
    """The form as the API's BulkPriceChange (as builtins); FieldErrors naming the form's inputs."""
    refs = product_refs.load_refs(conn)
    problems: list[tuple[str, str]] = []
    select = _scope(conn, values, refs, problems)
    currency = values["currency"]
    row = refs["currencies"].get(currency)
    if row is None or not row["active"]:
        problems.append(("currency", "choose a currency from the list"))
    places = row["decimals"] if row else 2
    change = _change(values, places, problems) if row else {}
    step = 1
    if values["round_step"].strip() and row:
        try:
            step = csvfile.parse_decimal(values["round_step"], places, "an amount")
            if not 1 <= step <= MAX_STEP:
                problems.append(("round_step", f"round to a step between {money(1, places)} and "
                                               f"{money(MAX_STEP, places)}"))
        except csvfile.CellError as err:
            problems.append(("round_step", str(err)))
    if values["round_mode"] not in ROUND_MODES:
        problems.append(("round_mode", "choose how to round"))
    if len(values["reason"]) > 200:
        problems.append(("reason", "the reason is at most 200 characters"))
    if problems:
        raise FieldErrors(problems)
    rule: dict[str, Any] = {"select": select, "round_mode": values["round_mode"],
                            "reason": values["reason"].strip(),
                            "round_step": {currency: step} if step != 1 else {}}
    if "percent_bp" in change:
        rule.update(currencies=[currency], percent_bp=change["percent_bp"])
    else:
        rule["amounts"] = {currency: change["amount"]}
    try:
        return msgspec.to_builtins(msgspec.convert(rule, BulkPriceChange))
    except msgspec.ValidationError as err:  # the contract's bounds, should the form's checks miss one
        raise FieldErrors([("scope", str(err))]) from err


def digest(result: dict[str, Any]) -> str:
    """What a preview showed, in 64 hex digits: Apply writes only if the plan still matches it."""
    shown = [[i["product_id"], i["currency"], i["old_price"], i["new_price"]] for i in result["items"]]
    return hashlib.sha256(json.dumps(shown, separators=(",", ":")).encode()).hexdigest()


def preview(conn: sqlite3.Connection, values: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    rule = build_rule(conn, values)
    return rule, bulk.plan(conn, rule)


def apply_previewed(conn: sqlite3.Connection, actor: Actor, values: dict[str, str],
                    shown: str) -> dict[str, Any]:
    """bulk.apply, in the same transaction as the check that the plan is still what was previewed."""
    rule = build_rule(conn, values)
    if digest(bulk.plan(conn, rule)) != shown:
        raise ConflictError("prices changed since the preview", code="preview_stale")
    return bulk.apply(conn, actor, rule)


def shown_preview(result: dict[str, Any], places: int) -> dict[str, Any]:
    """The plan as the page lists it: money in the currency's decimals, lists cut, counts whole."""
    def skip_reason(reason: str) -> str:
        below = _BELOW_ZERO.match(reason)
        return f"{money(int(below[1]), places)} would fall below zero" if below else reason

    items = [{**i, "old": money(i["old_price"], places), "new": money(i["new_price"], places),
              "difference": ("+" if i["new_price"] > i["old_price"] else "")
              + money(i["new_price"] - i["old_price"], places)} for i in result["items"][:PREVIEW_LIMIT]]
    skipped = [{**s, "reason": skip_reason(s["reason"])} for s in result["skipped"][:SKIPPED_LIMIT]]
    below_zero = sum(1 for s in result["skipped"] if _BELOW_ZERO.match(s["reason"]))
    return {"changes": items, "skipped": skipped, "counts": {"changes": len(result["items"]),
            "skipped": len(result["skipped"]), "products": result["products"],
            "unchanged": result["unchanged"], "below_zero": below_zero},
            "digest": digest(result)}


class BulkPricePortal(PortalController):
    path = "/products/bulk-price"

    async def _page(self, request: Request, values: dict[str, str], *, status: int = 200,
                    errors: dict[str, str] | None = None, error: str | None = None,
                    result: dict[str, Any] | None = None) -> Template:
        lists = await request.app.state.db.read(choices)
        places = lists["decimals"].get(values["currency"], 2)
        return await shell.page(
            request, "products/files_bulk_price.html", key="products.bulk_price", status=status,
            values=values, errors=errors or {}, error=error, kinds=KINDS, modes=MODES, **lists,
            preview=shown_preview(result, places) if result is not None else None,
            limit=PREVIEW_LIMIT, skipped_limit=SKIPPED_LIMIT)

    @get(opt=requires("prices.manage"))
    async def bulk_price_page(self, request: Request) -> Template:
        base = (await request.app.state.db.read(choices))["base"] or ""
        values = {**{k: "" for k in FIELDS}, "currency": base, "kind": "percent", "round_mode": "half_up"}
        return await self._page(request, values)

    @post(opt=requires("prices.manage"), status_code=303)
    async def preview_or_apply(self, request: Request) -> Response:
        form = Form(await request.form())
        values = {k: form.get(k) for k in FIELDS}
        values["skus"] = values["skus"][:MAX_SKUS * 42]  # a SKU is at most 40 characters
        db = request.app.state.db
        try:
            if form.get("action") == "apply":
                result = await db.write(apply_previewed, request.state.identity.actor, values, form.get("digest"))
                changed = len(result["items"])
                touched = len({i["product_id"] for i in result["items"]})
                notice = (f"{changed} price{'' if changed == 1 else 's'} changed on {touched} "
                          f"product{'' if touched == 1 else 's'}; they are on the shelf-labels list.")
                return shell.redirect(request, "/products/bulk-price", notice)
            _rule, result = await db.read(preview, values)
        except FieldErrors as err:
            errors: dict[str, str] = {}
            for e in err.errors:
                errors.setdefault(form_field(e["field"]), e["message"][0].upper() + e["message"][1:] + ".")
            count = len(errors)
            return await self._page(request, values, status=err.status, errors=errors,
                                    error=f"Correct the {'field' if count == 1 else f'{count} fields'} "
                                          "marked below; nothing was changed.")
        except ConflictError:
            _rule, result = await db.read(preview, values)
            return await self._page(request, values, status=409, result=result, error=(
                "Prices changed since your preview, so nothing was applied. This is the preview as "
                "things are now: check it and apply again."))
        except HubError as err:
            return await self._page(request, values, status=err.status, error=err.detail[0].upper() + err.detail[1:])
        return await self._page(request, values, result=result)
