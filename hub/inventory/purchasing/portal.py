"""Portal pages of purchase orders: the list (supplier, status, paging), a draft's form with its
lines, an order's page with ordered against received, send / close / cancel, "Receive goods"
(a goods receipt prefilled from the order), a plain printable order, and Reorder suggestions
with "Create purchase order from suggestions".

Every change goes through hub.inventory.purchasing.service in one `db.write`, as the API's does,
so each post writes one audit entry."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue._refdata_portal import Refusal, refusal
from hub.catalogue.products._paging import decode_cursor, encode_cursor
from hub.db import purchasing, stock_lists, suppliers
from hub.errors import FieldErrors, HubError, NotFoundError
from hub.inventory import _format
from hub.inventory.purchasing import _portal_lines as lines_form
from hub.inventory.purchasing import service
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page

MANAGE = "purchasing.manage"
PAGES = (
    Page("purchase_orders", "Purchase orders", "/stock/purchase-orders", "Stock", MANAGE,
         keywords="po purchase order buy supplier order send receive",
         summary="Orders to suppliers: drafts, sent, part-received and closed"),
    Page("purchase_orders.new", "New purchase order", "/stock/purchase-orders/new", "Stock", MANAGE,
         sidebar=False, keywords="order from supplier buy"),
    Page("reorder", "Reorder suggestions", "/stock/reorder", "Stock", MANAGE,
         keywords="reorder low stock running out what to order suggestions velocity",
         summary="What to order from each supplier, from stock, thresholds and sales"),
)
PAGE_SIZE = 50
OrderId = Annotated[str, Parameter(max_length=64)]
STATUSES = (("draft", "Draft"), ("sent", "Sent"), ("part_received", "Part-received"), ("closed", "Closed"),
            ("cancelled", "Cancelled"))
LABELS = {"supplier_id": "Supplier", "expected_on": "Expected on", "note": "Note", "lines": "Lines",
          "reason": "Reason"}
DAY = r"^(\d{4}-\d{2}-\d{2})?$"


def _base(conn: Any) -> dict[str, Any]:
    return stock_lists.base_currency(conn) or {"code": None, "decimals": 2}


def _formatters(base: dict[str, Any]) -> dict[str, Any]:
    return {"quantity": _format.quantity, "money": lambda minor: _format.money(minor, base["decimals"], base["code"]),
            "status_names": dict(STATUSES)}


def _suppliers(conn: Any, active: bool | None = True) -> list[dict[str, Any]]:
    return suppliers.list_suppliers(conn, q=None, active=active, after=None, limit=500)


def _listing(conn: Any, *, supplier_id: str | None, status: str | None, after: tuple[str, ...] | None) -> dict[str, Any]:
    rows = purchasing.list_orders(conn, supplier_id=supplier_id, status=status, after=after,  # type: ignore[arg-type]
                                  limit=PAGE_SIZE + 1)
    return {"rows": rows, "suppliers": _suppliers(conn, None), "base": _base(conn)}


def _form_data(conn: Any, order_id: str | None) -> dict[str, Any]:
    return {"doc": service.document(conn, order_id) if order_id else None, "base": _base(conn),
            "suppliers": _suppliers(conn)}


def _reorder(conn: Any, supplier_id: str | None, days: int, review_days: int) -> dict[str, Any]:
    return {"rows": service.suggestions(conn, supplier_id=supplier_id, days=days, review_days=review_days),
            "suppliers": _suppliers(conn), "base": _base(conn)}


class PurchaseOrderPortal(PortalController):
    path = "/stock/purchase-orders"

    @get(opt=requires(MANAGE))
    async def list_orders(self, request: Request, supplier: Annotated[str, Parameter(max_length=64)] = "",
                          status: Annotated[str, Parameter(pattern="^(draft|sent|part_received|closed|cancelled|)$")] = "",
                          after: Annotated[str, Parameter(max_length=400)] = "") -> Template:
        try:
            cursor = decode_cursor(after or None, 2)
        except FieldErrors:
            cursor, after = None, ""
        data = await request.app.state.db.read(_listing, supplier_id=supplier or None, status=status or None,
                                               after=cursor)
        rows = data["rows"][:PAGE_SIZE]
        kept = {k: v for k, v in {"supplier": supplier, "status": status}.items() if v}
        following = (f"/stock/purchase-orders?{urlencode({**kept, 'after': encode_cursor(rows[-1]['created_at'], rows[-1]['id'])})}"
                     if len(data["rows"]) > PAGE_SIZE and rows else None)
        return await shell.page(request, "purchasing/list.html", key="purchase_orders", orders=rows,
                                suppliers=data["suppliers"], statuses=STATUSES,
                                filters={"supplier": supplier, "status": status}, filtered=bool(kept),
                                following=following, first=f"/stock/purchase-orders?{urlencode(kept)}" if after else None,
                                **_formatters(data["base"]))

    async def _form(self, request: Request, order_id: str | None = None, values: dict[str, Any] | None = None,
                    rows: list[dict[str, str]] | None = None, refused: Refusal | None = None) -> Template:
        data = await request.app.state.db.read(_form_data, order_id)
        doc, decimals = data["doc"], data["base"]["decimals"]
        if doc and doc["status"] != "draft":
            raise NotFoundError("only a draft purchase order is edited")
        if values is None:
            values = {k: doc[k] or "" for k in ("supplier_id", "expected_on", "note")} if doc else {}
        if rows is None:
            rows = [{"code": r["sku"], "quantity": lines_form.quantity_text(r["quantity"]),
                     "unit_cost": lines_form.amount_text(r["unit_cost"], decimals)} for r in doc["lines"]] if doc else []
        refused = refused or Refusal()
        return await shell.page(
            request, "purchasing/form.html", key="purchase_orders" if doc else "purchase_orders.new",
            title=f"Edit {doc['number']}" if doc else None,
            crumbs=[(doc["number"], f"/stock/purchase-orders/{doc['id']}"), ("Edit", None)] if doc else (),
            status=refused.status, refused=refused, labels=LABELS, doc=doc, values=values,
            rows=lines_form.padded(rows), suppliers=data["suppliers"], **_formatters(data["base"]))

    @get("/new", opt=requires(MANAGE))
    async def new_order(self, request: Request) -> Template:
        return await self._form(request)

    async def _save(self, request: Request, order_id: str | None) -> Response:
        form = Form(await request.form())
        base = await request.app.state.db.read(_base)
        lines, rows, errors = lines_form.read_lines(form, base["decimals"], packs=False)
        expected = form.get("expected_on").strip()
        if not re.fullmatch(DAY, expected):
            errors["expected_on"] = "must be a day such as 2026-12-01"
        fields = {"supplier_id": form.get("supplier_id").strip()[:64], "expected_on": expected or None,
                  "note": form.get("note").strip()[:500], "lines": lines}
        if not fields["supplier_id"]:
            errors["supplier_id"] = "choose the supplier to order from"
        actor = request.state.identity.actor
        try:
            if errors:
                raise FieldErrors(list(errors.items()))
            if order_id is None:
                doc = await request.app.state.db.write(service.create_order, actor, fields)
            else:
                doc = await request.app.state.db.write(service.update_order, actor, order_id, fields)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            refused = lines_form.row_refusal(err, rows, "The purchase order was not saved") if not errors else \
                Refusal(422, "The purchase order was not saved.", errors)
            return await self._form(request, order_id, form.values(), lines_form.typed_rows(form), refused)
        return shell.redirect(request, f"/stock/purchase-orders/{doc['id']}",
                              f"Purchase order {doc['number']} saved as a draft.")

    @post(opt=requires(MANAGE), status_code=303)
    async def create_order(self, request: Request) -> Response:
        return await self._save(request, None)

    @get("/{order_id:str}/edit", opt=requires(MANAGE))
    async def edit_order(self, request: Request, order_id: OrderId) -> Template:
        return await self._form(request, order_id)

    @post("/{order_id:str}", opt=requires(MANAGE), status_code=303)
    async def update_order(self, request: Request, order_id: OrderId) -> Response:
        return await self._save(request, order_id)

    async def _page(self, request: Request, order_id: str, refused: Refusal | None = None,
                    template: str = "purchasing/order.html") -> Template:
        doc = await request.app.state.db.read(service.document, order_id)
        base = await request.app.state.db.read(_base)
        refused = refused or Refusal()
        return await shell.page(request, template, key="purchase_orders", title=f"Purchase order {doc['number']}",
                                crumbs=[(doc["number"], None)], status=refused.status, refused=refused, doc=doc,
                                labels=LABELS, **_formatters(base))

    @get("/{order_id:str}", opt=requires(MANAGE))
    async def order(self, request: Request, order_id: OrderId) -> Template:
        return await self._page(request, order_id)

    @get("/{order_id:str}/print", opt=requires(MANAGE))
    async def print_order(self, request: Request, order_id: OrderId) -> Template:
        return await self._page(request, order_id, template="purchasing/print.html")

    async def _act(self, request: Request, order_id: str, act: Any, done: str, lead: str, *args: Any) -> Response:
        try:
            doc = await request.app.state.db.write(act, request.state.identity.actor, order_id, *args)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._page(request, order_id, refusal(err, lead))
        return shell.redirect(request, f"/stock/purchase-orders/{order_id}", f"Purchase order {doc['number']} {done}.")

    @post("/{order_id:str}/send", opt=requires(MANAGE), status_code=303)
    async def send_order(self, request: Request, order_id: OrderId) -> Response:
        return await self._act(request, order_id, service.send_order, "marked sent", "The order was not marked sent")

    @post("/{order_id:str}/close", opt=requires(MANAGE), status_code=303)
    async def close_order(self, request: Request, order_id: OrderId) -> Response:
        form = Form(await request.form())
        return await self._act(request, order_id, service.close_order, "closed", "The order was not closed",
                               form.get("reason")[:500])

    @post("/{order_id:str}/cancel", opt=requires(MANAGE), status_code=303)
    async def cancel_order(self, request: Request, order_id: OrderId) -> Response:
        form = Form(await request.form())
        return await self._act(request, order_id, service.cancel_order, "cancelled", "The order was not cancelled",
                               form.get("reason")[:500])


class ReorderPortal(PortalController):
    path = "/stock/reorder"

    async def _page(self, request: Request, supplier: str, days: int, review_days: int,
                    refused: Refusal | None = None) -> Template:
        data = await request.app.state.db.read(_reorder, supplier or None, days, review_days)
        refused = refused or Refusal()
        groups: dict[str, dict[str, Any]] = {}
        for row in data["rows"]:
            groups.setdefault(row["supplier_id"], {"id": row["supplier_id"], "name": row["supplier_name"],
                                                   "lead_time_days": row["lead_time_days"], "rows": []})["rows"].append(row)
        return await shell.page(request, "purchasing/reorder.html", key="reorder", status=refused.status,
                                refused=refused, groups=list(groups.values()), suppliers=data["suppliers"],
                                filters={"supplier": supplier, "days": days, "review_days": review_days},
                                **_formatters(data["base"]))

    @get(opt=requires(MANAGE))
    async def suggestions(self, request: Request, supplier: Annotated[str, Parameter(max_length=64)] = "",
                          days: Annotated[int, Parameter(ge=1, le=365)] = 28,
                          review_days: Annotated[int, Parameter(ge=0, le=365)] = 7) -> Template:
        return await self._page(request, supplier, days, review_days)

    @post(opt=requires(MANAGE), status_code=303)
    async def create_from_suggestions(self, request: Request) -> Response:
        form = Form(await request.form())
        supplier = form.get("supplier_id").strip()[:64]
        days, review = lines_form.whole_in(form.get("days"), 1, 365, 28), lines_form.whole_in(form.get("review_days"), 0, 365, 7)
        chosen = [p[:64] for p in form.getall("product_id")][:500]
        try:
            if not chosen:
                raise FieldErrors([("product_id", "tick at least one product to order")])
            doc = await request.app.state.db.write(service.create_from_suggestions, request.state.identity.actor,
                                                   supplier_id=supplier, days=days, review_days=review,
                                                   product_ids=chosen)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._page(request, supplier, days, review,
                                    refusal(err, "No purchase order was made"))
        return shell.redirect(request, f"/stock/purchase-orders/{doc['id']}",
                              f"Purchase order {doc['number']} drafted from the suggestions.")


ROUTES = [PurchaseOrderPortal, ReorderPortal]
