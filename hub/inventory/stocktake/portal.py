"""Portal pages of stock takes: the list of sessions, a new session, and one session's page, which
is the counting page while it is counted (type or scan a barcode or SKU and a quantity; a blind
count hides what the ledger expects) and the review page after (variances and their value,
approve and post).

Every change goes through hub.inventory.stocktake.service inside one `db.write`, as the API's
does, so each form post writes one audit entry; a refusal re-renders the page with the typed
values kept and the message beside its input.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Callable

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue._refdata_portal import Refusal, refusal
from hub.db import stock_lists, stock_takes
from hub.errors import FieldErrors, HubError, NotFoundError
from hub.inventory import _format
from hub.inventory.portal import _category_paths
from hub.inventory.stocktake import service
from hub.inventory.stocktake.api import detail, shows_expected
from hub.portal import parse, shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page

COUNT, APPROVE = "inventory.count", "inventory.approve"
PAGES = (
    Page("stock_takes", "Stock takes", "/stock/takes", "Stock", COUNT,
         keywords="stock take stocktake count counting inventory count variance blind",
         summary="Count the store, a category or a shelf; review variances and post the counts"),
    Page("stock_takes.new", "New stock take", "/stock/takes/new", "Stock", COUNT, sidebar=False,
         keywords="start stock take count session"),
)
TakeId = Annotated[str, Parameter(max_length=64)]
LineId = Annotated[str, Parameter(max_length=64)]
PAGE_SIZE = 50
SCOPES = (("store", "Whole store"), ("category", "A category (and the ones below it)"),
          ("location", "A location (shelf, aisle, back store)"))
STATUSES = {"open": "Open", "counting": "Counting", "review": "In review", "posted": "Posted",
            "cancelled": "Cancelled"}
LABELS = {"name": "Name", "scope": "What to count", "category_id": "Category", "location": "Location",
          "blind": "Blind count", "uncounted_zero": "Uncounted means zero", "note": "Note",
          "code": "Barcode or SKU", "quantity": "Quantity", "recount": "Recount", "device_id": "Device",
          "status": "Session"}
_QUANTITY = re.compile(r"(\d{1,7})(?:[.,](\d{1,3}))?")


def thousandths(text: str) -> int | None:
    """Typed units ("12", "1.5", "0,25") as thousandths; None when it is not a quantity."""
    found = _QUANTITY.fullmatch(text.strip())
    if not found:
        return None
    return parse.scaled(found[1], found[2] or "", 3)


def _line_errors(err: HubError) -> HubError:
    """The service names `lines[0].code`; the page's inputs are `code`, `quantity`, ..."""
    items = err.extra.get("errors")
    if isinstance(err, FieldErrors) and items:
        return FieldErrors([(re.sub(r"^lines\[0\]\.", "", e["field"]), e["message"]) for e in items])
    return err


def _listing(conn: Any, status: str | None, before: str | None) -> dict[str, Any]:
    rows = stock_takes.list_takes(conn, status=status, before=before, limit=PAGE_SIZE + 1)
    shown = rows[:PAGE_SIZE]
    return {"takes": shown, "next_after": shown[-1]["id"] if len(rows) > PAGE_SIZE else None}


def _session(conn: Any, take_id: str, identity: Any) -> dict[str, Any]:
    base = stock_lists.base_currency(conn)
    return {**detail(conn, take_id, identity=identity), "base": base}


def _formatters(base: dict[str, Any] | None) -> dict[str, Callable[..., str]]:
    decimals, code = (base["decimals"], base["code"]) if base else (2, None)
    return {"quantity": _format.quantity, "money": lambda minor: _format.money(minor, decimals, code)}


class StockTakePortal(PortalController):
    path = "/stock/takes"

    @get(opt=requires(COUNT))
    async def list_takes(self, request: Request,
                         status: Annotated[str, Parameter(pattern="^(|open|counting|review|posted|cancelled)$")] = "",
                         after: Annotated[str | None, Parameter(max_length=64)] = None) -> Template:
        listed = await request.app.state.db.read(_listing, status or None, after)
        return await shell.page(request, "stocktake/list.html", key="stock_takes", **listed, show=status,
                                statuses=STATUSES, scopes=dict(SCOPES),
                                next=f"/stock/takes?status={status}&after={listed['next_after']}"
                                if listed["next_after"] else None,
                                first=f"/stock/takes?status={status}" if after else None)

    async def _new_page(self, request: Request, values: dict[str, Any], refused: Refusal | None = None) -> Template:
        refused = refused or Refusal()
        categories = await request.app.state.db.read(_category_paths)
        return await shell.page(request, "stocktake/new.html", key="stock_takes.new", status=refused.status,
                                values=values,
                                refused=refused, labels=LABELS, scopes=SCOPES, categories=categories)

    @get("/new", opt=requires(COUNT))
    async def new_take(self, request: Request) -> Template:
        return await self._new_page(request, {"scope": "store"})

    @post(opt=requires(COUNT), status_code=303)
    async def create_take(self, request: Request) -> Response:
        form = Form(await request.form())
        try:
            fields = {"name": form.text("name", "Name", max_length=120, required=False),
                      "scope": form.get("scope", "store"),
                      "category_id": form.get("category_id").strip() or None,
                      "location": form.text("location", "Location", max_length=120, required=False),
                      "blind": form.checked("blind"), "uncounted_zero": form.checked("uncounted_zero"),
                      "note": form.text("note", "Note", max_length=500, required=False)}
            if fields["scope"] not in dict(SCOPES):
                raise FieldErrors([("scope", "choose the whole store, a category or a location")])
            if fields["scope"] != "category":
                fields["category_id"] = None  # a category left selected for another scope
            row = await request.app.state.db.write(service.create, request.state.identity.actor, fields)
        except HubError as err:
            return await self._new_page(request, form.values(), refusal(err, "The stock take was not started"))
        return shell.redirect(request, f"/stock/takes/{row['id']}", f"Stock take {row['name']} started.")

    async def _page(self, request: Request, take_id: str, values: dict[str, Any] | None = None,
                    refused: Refusal | None = None) -> Template:
        refused = refused or Refusal()
        identity = request.state.identity
        data = await request.app.state.db.read(_session, take_id, identity)
        take = data["stock_take"]
        return await shell.page(
            request, "stocktake/session.html", key="stock_takes", title=take["name"], status=refused.status,
            crumbs=[(take["name"], None)], take=take, lines=data["lines"],
            products=data["products"], totals=data["totals"], shown=data["expected_shown"],
            counting=take["status"] in service.COUNTING, can_approve=identity.can(APPROVE),
            values=values or {}, refused=refused, labels=LABELS, statuses=STATUSES, scopes=dict(SCOPES),
            **_formatters(data["base"]))

    @get("/{take_id:str}", opt=requires(COUNT))
    async def session(self, request: Request, take_id: TakeId) -> Template:
        return await self._page(request, take_id)

    @post("/{take_id:str}/lines", opt=requires(COUNT), status_code=303)
    async def add_line(self, request: Request, take_id: TakeId) -> Response:
        form = Form(await request.form())
        try:
            code = form.text("code", "Barcode or SKU", max_length=64)
            quantity = thousandths(form.get("quantity"))
            if quantity is None:
                raise FieldErrors([("quantity", "type how many were counted, such as 12 or 1.5")])
            line = {"code": code, "quantity": quantity, "recount": form.checked("recount")}
            await request.app.state.db.write(service.add_lines, request.state.identity.actor, take_id, [line])
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._page(request, take_id, form.values(),
                                    refusal(_line_errors(err), "The count was not added"))
        return shell.redirect(request, f"/stock/takes/{take_id}#count", f"Counted {form.get('quantity').strip()}"
                              f" of {code}.")

    async def _act(self, request: Request, take_id: str, action: Callable[..., Any], done: str,
                   lead: str, *args: Any) -> Response:
        try:
            await request.app.state.db.write(action, request.state.identity.actor, take_id, *args)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            refused = refusal(err, lead)
            return await self._page(request, take_id, None, Refusal(refused.status, refused.summary, {
                "status": " ".join(refused.errors.values()) or refused.summary}))
        return shell.redirect(request, f"/stock/takes/{take_id}", done)

    @post("/{take_id:str}/lines/{line_id:str}/remove", opt=requires(COUNT), status_code=303)
    async def remove_line(self, request: Request, take_id: TakeId, line_id: LineId) -> Response:
        return await self._act(request, take_id, service.remove_line, "Line removed.", "The line was not removed",
                               line_id)

    @post("/{take_id:str}/review", opt=requires(COUNT), status_code=303)
    async def review(self, request: Request, take_id: TakeId) -> Response:
        return await self._act(request, take_id, service.to_review, "Counting finished: review the variances.",
                               "The session did not go to review")

    @post("/{take_id:str}/approve", opt=requires(APPROVE), status_code=303)
    async def approve(self, request: Request, take_id: TakeId) -> Response:
        return await self._act(request, take_id, service.approve, "Variances approved.",
                               "The variances were not approved")

    @post("/{take_id:str}/post", opt=requires(COUNT), status_code=303)
    async def post_take(self, request: Request, take_id: TakeId) -> Response:
        return await self._act(request, take_id, service.post, "Posted: stock now stands on these counts.",
                               "The stock take was not posted")

    @post("/{take_id:str}/cancel", opt=requires(COUNT), status_code=303)
    async def cancel(self, request: Request, take_id: TakeId) -> Response:
        return await self._act(request, take_id, service.cancel, "Stock take cancelled.",
                               "The stock take was not cancelled")


ROUTES = [StockTakePortal]
__all__ = ["ROUTES", "PAGES", "shows_expected"]
