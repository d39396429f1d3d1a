"""Portal pages of purchase orders: the list (supplier, status, paging), a draft's form with its
lines, an order's page with ordered against received, send / close / cancel, "Receive goods"
(a goods receipt prefilled from the order), a plain printable order, and Reorder suggestions
with "Create purchase order from suggestions".

Every change goes through hub.inventory.purchasing.service in one `db.write`, as the API's does,
so each post writes one audit entry."""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue._refdata_portal import Refusal, refusal
from hub.db import purchasing
from hub.errors import FieldErrors, HubError, NotFoundError
from hub.inventory._document_portal import PAGE_SIZE, DocumentPages, Kind, base_currency, supplier_list
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
OrderId = Annotated[str, Parameter(max_length=64)]
STATUSES = (("draft", "Draft"), ("sent", "Sent"), ("part_received", "Part-received"), ("closed", "Closed"),
            ("cancelled", "Cancelled"))
LABELS = {"supplier_id": "Supplier", "expected_on": "Expected on", "note": "Note", "lines": "Lines",
          "reason": "Reason"}
DAY = r"^(\d{4}-\d{2}-\d{2})?$"
KIND = Kind(path="/stock/purchase-orders", key="purchase_orders", new_key="purchase_orders.new",
            noun="Purchase order", folder="purchasing", page="order", labels=LABELS, document=service.document,
            create=service.create_order, update=service.update_order,
            not_draft="only a draft purchase order is edited", names={"status_names": dict(STATUSES)})


def _listing(conn: Any, *, supplier_id: str | None, status: str | None, after: tuple[str, ...] | None) -> dict[str, Any]:
    rows = purchasing.list_orders(conn, supplier_id=supplier_id, status=status, after=after,  # type: ignore[arg-type]
                                  limit=PAGE_SIZE + 1)
    return {"rows": rows, "suppliers": supplier_list(conn, None), "base": base_currency(conn)}


def _reorder(conn: Any, supplier_id: str | None, days: int, review_days: int) -> dict[str, Any]:
    return {"rows": service.suggestions(conn, supplier_id=supplier_id, days=days, review_days=review_days),
            "suppliers": supplier_list(conn), "base": base_currency(conn)}


def _reason(form: Form) -> tuple[str]:
    return (form.get("reason")[:500],)


class PurchaseOrderPortal(DocumentPages, PortalController):
    path = "/stock/purchase-orders"
    kind = KIND

    def _form_data(self, conn: Any, doc_id: str | None) -> dict[str, Any]:
        return {"doc": service.document(conn, doc_id) if doc_id else None, "base": base_currency(conn),
                "suppliers": supplier_list(conn)}

    def _start(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
        doc, decimals = data["doc"], data["base"]["decimals"]
        if not doc:
            return {}, []
        return ({k: doc[k] or "" for k in ("supplier_id", "expected_on", "note")},
                [{"code": r["sku"], "quantity": lines_form.quantity_text(r["quantity"]),
                  "unit_cost": lines_form.amount_text(r["unit_cost"], decimals)} for r in doc["lines"]])

    def _fields(self, form: Form, decimals: int) -> tuple[dict[str, Any], list[int], dict[str, str]]:
        lines, rows, errors = lines_form.read_lines(form, decimals, packs=False)
        expected = form.get("expected_on").strip()
        if not re.fullmatch(DAY, expected):
            errors["expected_on"] = "must be a day such as 2026-12-01"
        fields = {"supplier_id": form.get("supplier_id").strip()[:64], "expected_on": expected or None,
                  "note": form.get("note").strip()[:500], "lines": lines}
        if not fields["supplier_id"]:
            errors["supplier_id"] = "choose the supplier to order from"
        return fields, rows, errors

    @get(opt=requires(MANAGE))
    async def list_orders(self, request: Request, supplier: Annotated[str, Parameter(max_length=64)] = "",
                          status: Annotated[str, Parameter(pattern="^(draft|sent|part_received|closed|cancelled|)$")] = "",
                          after: Annotated[str, Parameter(max_length=400)] = "") -> Template:
        return await self._list(request, _listing, supplier, status, after, statuses=STATUSES)

    @get("/new", opt=requires(MANAGE))
    async def new_order(self, request: Request) -> Template:
        return await self._form(request)

    @post(opt=requires(MANAGE), status_code=303)
    async def create_order(self, request: Request) -> Response:
        return await self._save(request, None)

    @get("/{order_id:str}/edit", opt=requires(MANAGE))
    async def edit_order(self, request: Request, order_id: OrderId) -> Template:
        return await self._form(request, order_id)

    @post("/{order_id:str}", opt=requires(MANAGE), status_code=303)
    async def update_order(self, request: Request, order_id: OrderId) -> Response:
        return await self._save(request, order_id)

    @get("/{order_id:str}", opt=requires(MANAGE))
    async def order(self, request: Request, order_id: OrderId) -> Template:
        return await self._page(request, order_id)

    @get("/{order_id:str}/print", opt=requires(MANAGE))
    async def print_order(self, request: Request, order_id: OrderId) -> Template:
        return await self._page(request, order_id, template="purchasing/print.html")

    @post("/{order_id:str}/send", opt=requires(MANAGE), status_code=303)
    async def send_order(self, request: Request, order_id: OrderId) -> Response:
        return await self._act(request, order_id, service.send_order, "The order was not marked sent", "marked sent")

    @post("/{order_id:str}/close", opt=requires(MANAGE), status_code=303)
    async def close_order(self, request: Request, order_id: OrderId) -> Response:
        return await self._act(request, order_id, service.close_order, "The order was not closed", "closed", _reason)

    @post("/{order_id:str}/cancel", opt=requires(MANAGE), status_code=303)
    async def cancel_order(self, request: Request, order_id: OrderId) -> Response:
        return await self._act(request, order_id, service.cancel_order, "The order was not cancelled", "cancelled",
                               _reason)


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
                                **KIND.helpers(data["base"]))

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
