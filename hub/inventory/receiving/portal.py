"""Portal pages of goods receipts: the list (supplier, status, paging), a draft's form with its
lines (typed in units or packs, prefilled from a purchase order by "Receive goods"), a receipt's
page with ordered against received, posting and reversing, and a plain printable view.

Every change goes through hub.inventory.receiving.service in one `db.write`, as the API's does,
so each post writes one audit entry and moves stock only through the ledger."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue._refdata_portal import Refusal, refusal
from hub.catalogue.products._paging import decode_cursor, encode_cursor
from hub.db import purchasing, receiving, stock_lists, suppliers
from hub.errors import FieldErrors, HubError, NotFoundError
from hub.inventory import _format
from hub.inventory.purchasing import _portal_lines as lines_form
from hub.inventory.receiving import service
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page

RECEIVE = "inventory.receive"
PAGES = (
    Page("receipts", "Goods receipts", "/stock/receipts", "Stock", RECEIVE,
         keywords="grn goods received note delivery receive stock supplier reversal",
         summary="Goods received from suppliers: drafts, posted receipts and reversals"),
    Page("receipts.new", "New goods receipt", "/stock/receipts/new", "Stock", RECEIVE, sidebar=False,
         keywords="receive goods delivery grn"),
)
PAGE_SIZE = 50
ReceiptId = Annotated[str, Parameter(max_length=64)]
LABELS = {"supplier_id": "Supplier", "order_id": "Purchase order", "supplier_ref": "Delivery note",
          "note": "Note", "lines": "Lines"}


def _base(conn: Any) -> dict[str, Any]:
    return stock_lists.base_currency(conn) or {"code": None, "decimals": 2}


def _formatters(base: dict[str, Any]) -> dict[str, Any]:
    return {"quantity": _format.quantity, "money": lambda minor: _format.money(minor, base["decimals"], base["code"])}


def _listing(conn: Any, *, supplier_id: str | None, status: str | None, after: tuple[str, ...] | None) -> dict[str, Any]:
    rows = receiving.list_receipts(conn, supplier_id=supplier_id, status=status, after=after,  # type: ignore[arg-type]
                                   limit=PAGE_SIZE + 1)
    return {"rows": rows, "suppliers": suppliers.list_suppliers(conn, q=None, active=None, after=None, limit=500)}


def _form_data(conn: Any, receipt_id: str | None, order_id: str | None) -> dict[str, Any]:
    base = _base(conn)
    doc = service.document(conn, receipt_id) if receipt_id else None
    order = None
    wanted = doc["order_id"] if doc else order_id
    if wanted:
        order = purchasing.get_order(conn, wanted)
        if order is None:
            raise NotFoundError(f"there is no purchase order {wanted}")
        order["lines"] = purchasing.lines(conn, wanted)
    return {"doc": doc, "order": order, "base": base,
            "suppliers": suppliers.list_suppliers(conn, q=None, active=True, after=None, limit=500)}


def _values(data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The form's fields and line rows for a draft (or a new receipt, from its order)."""
    doc, order, decimals = data["doc"], data["order"], data["base"]["decimals"]
    if doc:
        values = {k: doc[k] for k in ("supplier_id", "supplier_ref", "note")}
        values["order_id"] = doc["order_id"] or ""
        values["update_supplier_cost"] = "1" if doc["update_supplier_cost"] else ""
        rows = [{"code": r["sku"], "quantity": lines_form.quantity_text(r["entered"]), "entered_as": r["entered_as"],
                 "unit_cost": lines_form.amount_text(r["unit_cost"], decimals)} for r in doc["lines"]]
        return values, rows
    if order:
        rows = [{"code": r["sku"], "quantity": lines_form.quantity_text(r["quantity"] - r["received"]),
                 "entered_as": "unit", "unit_cost": lines_form.amount_text(r["unit_cost"], decimals)}
                for r in order["lines"] if r["quantity"] > r["received"]]
        return {"supplier_id": order["supplier_id"], "order_id": order["id"]}, rows
    return {}, []


class ReceiptPortal(PortalController):
    path = "/stock/receipts"

    @get(opt=requires(RECEIVE))
    async def list_receipts(self, request: Request, supplier: Annotated[str, Parameter(max_length=64)] = "",
                            status: Annotated[str, Parameter(pattern="^(draft|posted|)$")] = "",
                            after: Annotated[str, Parameter(max_length=400)] = "") -> Template:
        try:
            cursor = decode_cursor(after or None, 2)
        except FieldErrors:
            cursor, after = None, ""
        data = await request.app.state.db.read(_listing, supplier_id=supplier or None, status=status or None,
                                               after=cursor)
        rows = data["rows"][:PAGE_SIZE]
        kept = {k: v for k, v in {"supplier": supplier, "status": status}.items() if v}
        following = (f"/stock/receipts?{urlencode({**kept, 'after': encode_cursor(rows[-1]['created_at'], rows[-1]['id'])})}"
                     if len(data["rows"]) > PAGE_SIZE and rows else None)
        return await shell.page(request, "receiving/list.html", key="receipts", receipts=rows,
                                suppliers=data["suppliers"], filters={"supplier": supplier, "status": status},
                                filtered=bool(kept), following=following,
                                first=f"/stock/receipts?{urlencode(kept)}" if after else None)

    async def _form(self, request: Request, *, receipt_id: str | None = None, order_id: str | None = None,
                    values: dict[str, Any] | None = None, rows: list[dict[str, str]] | None = None,
                    refused: Refusal | None = None) -> Template:
        data = await request.app.state.db.read(_form_data, receipt_id, order_id)
        if data["doc"] and data["doc"]["status"] != "draft":
            raise NotFoundError("a posted goods receipt is never edited")
        start_values, start_rows = _values(data)
        refused = refused or Refusal()
        doc = data["doc"]
        return await shell.page(
            request, "receiving/form.html", key="receipts" if doc else "receipts.new",
            title=f"Edit {doc['number']}" if doc else None,
            crumbs=[(doc["number"], f"/stock/receipts/{doc['id']}"), ("Edit", None)] if doc else (),
            status=refused.status, refused=refused, labels=LABELS, doc=doc, order=data["order"],
            values=values if values is not None else start_values,
            rows=lines_form.padded(rows if rows is not None else start_rows), suppliers=data["suppliers"],
            **_formatters(data["base"]))

    @get("/new", opt=requires(RECEIVE))
    async def new_receipt(self, request: Request,
                          order_id: Annotated[str, Parameter(max_length=64)] = "") -> Template:
        return await self._form(request, order_id=order_id or None)

    def _fields(self, form: Form, decimals: int) -> tuple[dict[str, Any], list[int], dict[str, str]]:
        lines, rows, errors = lines_form.read_lines(form, decimals, packs=True)
        fields = {"supplier_id": form.get("supplier_id").strip()[:64], "order_id": form.get("order_id").strip()[:64] or None,
                  "supplier_ref": form.get("supplier_ref").strip()[:64], "note": form.get("note").strip()[:500],
                  "update_supplier_cost": form.checked("update_supplier_cost"), "lines": lines}
        if not fields["supplier_id"]:
            errors["supplier_id"] = "choose the supplier the goods came from"
        return fields, rows, errors

    async def _save(self, request: Request, receipt_id: str | None) -> Response:
        form = Form(await request.form())
        base = await request.app.state.db.read(_base)
        fields, rows, errors = self._fields(form, base["decimals"])
        actor = request.state.identity.actor
        try:
            if errors:
                raise FieldErrors(list(errors.items()))
            if receipt_id is None:
                doc = await request.app.state.db.write(service.create_receipt, actor, fields)
            else:
                doc = await request.app.state.db.write(service.update_receipt, actor, receipt_id, fields)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            refused = lines_form.row_refusal(err, rows, "The goods receipt was not saved") if not errors else \
                Refusal(422, "The goods receipt was not saved.", errors)
            return await self._form(request, receipt_id=receipt_id, order_id=fields["order_id"],
                                    values=form.values(), rows=lines_form.typed_rows(form), refused=refused)
        return shell.redirect(request, f"/stock/receipts/{doc['id']}", f"Goods receipt {doc['number']} saved as a draft.")

    @post(opt=requires(RECEIVE), status_code=303)
    async def create_receipt(self, request: Request) -> Response:
        return await self._save(request, None)

    @get("/{receipt_id:str}/edit", opt=requires(RECEIVE))
    async def edit_receipt(self, request: Request, receipt_id: ReceiptId) -> Template:
        return await self._form(request, receipt_id=receipt_id)

    @post("/{receipt_id:str}", opt=requires(RECEIVE), status_code=303)
    async def update_receipt(self, request: Request, receipt_id: ReceiptId) -> Response:
        return await self._save(request, receipt_id)

    async def _page(self, request: Request, receipt_id: str, refused: Refusal | None = None,
                    template: str = "receiving/receipt.html") -> Template:
        doc = await request.app.state.db.read(service.document, receipt_id)
        base = await request.app.state.db.read(_base)
        refused = refused or Refusal()
        return await shell.page(request, template, key="receipts", title=f"Goods receipt {doc['number']}",
                                crumbs=[(doc["number"], None)], status=refused.status, refused=refused, doc=doc,
                                labels=LABELS, **_formatters(base))

    @get("/{receipt_id:str}", opt=requires(RECEIVE))
    async def receipt(self, request: Request, receipt_id: ReceiptId) -> Template:
        return await self._page(request, receipt_id)

    @get("/{receipt_id:str}/print", opt=requires(RECEIVE))
    async def print_receipt(self, request: Request, receipt_id: ReceiptId) -> Template:
        return await self._page(request, receipt_id, template="receiving/print.html")

    @post("/{receipt_id:str}/post", opt=requires(RECEIVE), status_code=303)
    async def post_receipt(self, request: Request, receipt_id: ReceiptId) -> Response:
        try:
            doc = await request.app.state.db.write(service.post_receipt, request.state.identity.actor, receipt_id)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._page(request, receipt_id, refusal(err, "The goods receipt was not posted"))
        return shell.redirect(request, f"/stock/receipts/{receipt_id}",
                              f"Goods receipt {doc['number']} posted: its goods are in stock.")

    @post("/{receipt_id:str}/reverse", opt=requires(RECEIVE), status_code=303)
    async def reverse_receipt(self, request: Request, receipt_id: ReceiptId) -> Response:
        form = Form(await request.form())
        try:
            note = form.text("note", "Reason", max_length=500, required=False)
            doc = await request.app.state.db.write(service.reverse_receipt, request.state.identity.actor,
                                                   receipt_id, note)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._page(request, receipt_id, refusal(err, "The goods receipt was not reversed"))
        return shell.redirect(request, f"/stock/receipts/{doc['id']}",
                              f"Reversed by {doc['number']}: its goods left stock again.")


ROUTES = [ReceiptPortal]
