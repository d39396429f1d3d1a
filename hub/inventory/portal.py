"""Portal pages of the stock ledger: "Stock levels" (on hand, low stock, below zero, value at cost)
and "Stock movements" (the ledger, filtered by product, kind, day and user). Read-only: stock
moves through the documents that post to the ledger."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.params import Parameter, QueryParameter
from litestar.response import Template

from hub.audit.portal import day_start
from hub.auth.access import requires
from hub.catalogue.products._paging import decode_cursor, encode_cursor, like_pattern
from hub.db import product_refs, products, stock, stock_lists, users
from hub.errors import FieldErrors
from hub.inventory import _format
from hub.inventory.api import movement
from hub.inventory.valuation import valuation
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.registry import Page

PAGES = (
    Page("stock", "Stock levels", "/stock", "Stock", "inventory.view",
         keywords="inventory on hand low stock out of stock negative below zero value valuation cost",
         summary="On hand per product, low stock, below zero, and the stock's value at cost"),
    Page("stock_movements", "Stock movements", "/stock/movements", "Stock", "inventory.view",
         keywords="inventory ledger history movements opening sales receipts counts adjustments",
         summary="Every change of stock: what, how much, at what cost, who and when"),
)
PAGE_SIZE = 50
DATE = r"^(\d{4}-\d{2}-\d{2})?$"  # a yyyy-mm-dd day in the store's time zone, or empty
FLAG = r"^(1|)$"  # a ticked box sends 1
Text = Annotated[str, Parameter(max_length=100)]


def _category_paths(conn: Any) -> list[tuple[str, str]]:
    """(id, "Food / Bakery / Bread") of the active categories, by path."""
    table = product_refs.load_refs(conn)["categories"]

    def path(cid: str, depth: int = 0) -> str:
        row = table[cid]
        parent = row["parent_id"]
        if parent in table and depth < 20:
            return f"{path(parent, depth + 1)} / {row['name']}"
        return row["name"]

    return sorted(((cid, path(cid)) for cid, row in table.items() if row["active"]), key=lambda c: c[1].casefold())


def _levels_page(conn: Any, *, q: str | None, category_id: str | None, low: bool, negative: bool,
                 after: tuple[str, ...] | None) -> dict[str, Any]:
    categories = product_refs.category_and_descendants(conn, category_id) if category_id else None
    rows = stock_lists.list_levels(conn, q=q, q_like=like_pattern(q) if q else None, categories=categories,
                                   low=low, negative=negative, after=after, limit=PAGE_SIZE + 1)  # type: ignore[arg-type]
    base = stock_lists.base_currency(conn)
    return {"rows": rows, "base": base, "categories": _category_paths(conn),
            "valuation": valuation(stock_lists.valuation_rows(conn), base["code"] if base else None)}


def _movements_page(conn: Any, *, sku: str, **filters: Any) -> dict[str, Any]:
    product = products.get_by_sku(conn, sku) if sku else None
    rows = [] if sku and product is None else stock_lists.list_movements(
        conn, product_id=product["id"] if product else None, limit=PAGE_SIZE + 1, **filters)
    return {"rows": rows, "product": product, "base": stock_lists.base_currency(conn),
            "kinds": stock.kinds(conn), "users": users.list_users(conn, limit=1000)}


def _formatters(base: dict[str, Any] | None) -> dict[str, Any]:
    decimals, code = (base["decimals"], base["code"]) if base else (2, None)
    return {"quantity": _format.quantity, "money": lambda minor: _format.money(minor, decimals, code)}


class StockPortal(PortalController):
    path = "/stock"

    @get(opt=requires("inventory.view"))
    async def levels(self, request: Request, q: Text = "",
                     category: Annotated[str, Parameter(max_length=64)] = "",
                     low: Annotated[str, Parameter(pattern=FLAG)] = "",
                     negative: Annotated[str, Parameter(pattern=FLAG)] = "",
                     after: Annotated[str, Parameter(max_length=400)] = "") -> Template:
        try:
            cursor = decode_cursor(after or None, 2)
        except FieldErrors:
            cursor, after = None, ""  # a cursor from elsewhere: the first page
        text = q.strip() or None
        data = await request.app.state.db.read(_levels_page, q=text, category_id=category or None,
                                               low=bool(low), negative=bool(negative), after=cursor)
        rows = data["rows"][:PAGE_SIZE]
        filters = {"q": q.strip(), "category": category, "low": low, "negative": negative}
        kept = {k: v for k, v in filters.items() if v}
        more = len(data["rows"]) > PAGE_SIZE
        following = f"/stock?{urlencode({**kept, 'after': encode_cursor(rows[-1]['name'], rows[-1]['product_id'])})}" \
            if more and rows else None
        first = f"/stock?{urlencode(kept)}" if after else None
        return await shell.page(request, "inventory/levels.html", key="stock", levels=rows, filters=filters,
                                filtered=bool(kept), categories=data["categories"], valuation=data["valuation"],
                                following=following, first=first, **_formatters(data["base"]))

    @get("/movements", opt=requires("inventory.view"))
    async def movements(self, request: Request, sku: Annotated[str, Parameter(max_length=64)] = "",
                        kind: Annotated[str, Parameter(max_length=32)] = "",
                        user: Annotated[str, Parameter(max_length=64)] = "",
                        date_from: Annotated[str, QueryParameter(name="from", pattern=DATE)] = "",
                        date_to: Annotated[str, QueryParameter(name="to", pattern=DATE)] = "",
                        before: Annotated[int | None, Parameter(ge=1, le=2**62)] = None) -> Template:
        zone: dt.tzinfo = (await shell.store_of(request))["zone"]
        try:
            since, until = day_start(date_from, zone), day_start(date_to, zone, days_after=1)
        except ValueError:  # 2026-02-31 passes the pattern
            since = until = None
            date_from = date_to = ""
        data = await request.app.state.db.read(_movements_page, sku=sku.strip(), kind=kind or None,
                                               user_id=user or None, since=since, until=until, before=before)
        rows = [movement(r) for r in data["rows"][:PAGE_SIZE]]
        filters = {"sku": sku.strip(), "kind": kind, "user": user, "from": date_from, "to": date_to}
        kept = {k: v for k, v in filters.items() if v}
        older = (f"/stock/movements?{urlencode({**kept, 'before': rows[-1].seq})}"
                 if len(data["rows"]) > PAGE_SIZE and rows else None)
        newest = f"/stock/movements?{urlencode(kept)}" if before is not None else None
        return await shell.page(request, "inventory/movements.html", key="stock_movements", movements=rows,
                                filters=filters, filtered=bool(kept), product=data["product"],
                                kinds=data["kinds"], users=data["users"], older=older, newest=newest,
                                **_formatters(data["base"]))


ROUTES = [StockPortal]
