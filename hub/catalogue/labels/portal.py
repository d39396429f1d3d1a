"""The Shelf labels page: products whose shelf label shows an old price, and clearing them once
new labels are up.

Clearing goes through hub.catalogue.labels.service.clear, as POST /api/v1/labels/queue/clear
does (one `labels.cleared` entry), with the listing's `as_of`: a product whose price changed
again after the page was shown stays on the list. The labels themselves are printed from the
Peripherals page (hub.printing), which this page links to.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue.labels import service
from hub.catalogue.products import csvfile
from hub.catalogue.products._paging import decode_cursor, encode_cursor
from hub.clock import parse_ts, utc_now
from hub.db import labels, product_refs
from hub.errors import FieldErrors, HubError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page

PAGES = (
    Page("labels", "Shelf labels", "/labels", "Catalogue", "catalogue.view",
         keywords="shelf labels tickets price change queue print",
         summary="Products whose shelf label shows an old price"),
)
PAGE_SIZE = 100
MAX_SELECTED = 5000  # as many as the API clears in one call
_REASON = re.compile(r"^([A-Z]{3}) (\d+|none) -> (\d+|none)$")


def money(value: int, places: int) -> str:
    return csvfile.format_decimal(value, places)


def price_change(reason: str, decimals: dict[str, int]) -> dict[str, str] | None:
    """"USD 150 -> 160" (hub.catalogue.products.prices) as {currency, old, new} in its decimals."""
    found = _REASON.match(reason)
    if not found or found[1] not in decimals:
        return None
    code, places = found[1], decimals[found[1]]
    shown = {"none": "no price"}
    return {"currency": code, "old": shown.get(found[2]) or money(int(found[2]), places),
            "new": shown.get(found[3]) or money(int(found[3]), places)}


def queue_page(conn: sqlite3.Connection, after: tuple[str, ...] | None) -> dict[str, Any]:
    """One page of the queue, the whole count, and the moment the listing was taken (`as_of`)."""
    rows = labels.list_queue(conn, after=after, limit=PAGE_SIZE + 1)  # type: ignore[arg-type]
    currencies = product_refs.load_refs(conn)["currencies"]
    decimals = {c: row["decimals"] for c, row in currencies.items()}
    base = next((c for c, row in currencies.items() if row["is_base"]), None)
    items = []
    for row in rows[:PAGE_SIZE]:
        ordered = sorted(row["prices"].items(), key=lambda p: (p[0] != base, p[0]))
        now = [(c, money(v, decimals.get(c, 2))) for c, v in ordered if v is not None]
        items.append({**row, "change": price_change(row["reason"], decimals), "now": now})
    last = rows[PAGE_SIZE - 1] if len(rows) > PAGE_SIZE else None
    return {"items": items, "total": len(service.queued_ids(conn)), "as_of": conn.floor.stamp(),
            "next": encode_cursor(last["queued_at"], last["product_id"]) if last else None}


def clear_all(conn: sqlite3.Connection, actor: Any, as_of: str) -> int:
    """Everything on the queue that was listed by `as_of`."""
    return service.clear(conn, actor, service.queued_ids(conn), as_of)


class LabelsPortal(PortalController):
    path = "/labels"

    async def _page(self, request: Request, after: str | None = None, *, status: int = 200,
                    error: str | None = None, selected: list[str] | None = None) -> Template:
        cursor = decode_cursor(after, 2) if after else None
        queue = await request.app.state.db.read(queue_page, cursor)
        return await shell.page(request, "labels/queue.html", key="labels", status=status, error=error,
                                queue=queue, after=after, now=utc_now(), selected=set(selected or ()),
                                can_clear=request.state.identity.can("catalogue.manage"))

    @get(opt=requires("catalogue.view"))
    async def queue(self, request: Request,
                    after: Annotated[str | None, Parameter(max_length=400)] = None) -> Template:
        return await self._page(request, after)

    @post("/clear", opt=requires("catalogue.manage"), status_code=303)
    async def clear(self, request: Request) -> Response:
        form = Form(await request.form())
        ids = list(dict.fromkeys(i for i in form.getall("product_id") if 0 < len(i) <= 64))
        as_of = form.get("as_of")
        try:
            try:
                parse_ts(as_of)
            except ValueError:
                raise FieldErrors([("as_of", "the list is out of date: reload the page and try again")]) from None
            db, actor = request.app.state.db, request.state.identity.actor
            if form.get("scope") == "all":
                cleared = await db.write(clear_all, actor, as_of)
            elif not ids:
                raise FieldErrors([("product_id", "tick the products whose new labels are on the shelf, "
                                                  "or clear them all")])
            elif len(ids) > MAX_SELECTED:
                raise FieldErrors([("product_id", f"at most {MAX_SELECTED} at once; clear them all instead")])
            else:
                cleared = await db.write(service.clear, actor, ids, as_of)
        except HubError as err:
            text = err.errors[0]["message"] if isinstance(err, FieldErrors) else err.detail
            return await self._page(request, status=err.status, error=text[0].upper() + text[1:] + ".",
                                    selected=ids)
        notice = (f"{cleared} product{'' if cleared == 1 else 's'} taken off the list." if cleared
                  else "Nothing was cleared: those products were cleared already, or their price changed again "
                  "since the list was shown.")
        return shell.redirect(request, "/labels", notice)


ROUTES = [LabelsPortal]
