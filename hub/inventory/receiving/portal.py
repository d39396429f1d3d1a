"""Portal pages of goods receipts: the list (supplier, status, paging), a draft's form with its
lines (typed in units or packs, prefilled from a purchase order by "Receive goods"), a receipt's
page with ordered against received, posting and reversing, and a plain printable view.

Every change goes through hub.inventory.receiving.service in one `db.write`, as the API's does,
so each post writes one audit entry and moves stock only through the ledger."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.db import purchasing, receiving
from hub.errors import NotFoundError
from hub.inventory._document_portal import PAGE_SIZE, DocumentPages, Kind, base_currency, supplier_list
from hub.inventory.purchasing import _portal_lines as lines_form
from hub.inventory.receiving import service
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
ReceiptId = Annotated[str, Parameter(max_length=64)]
LABELS = {"supplier_id": "Supplier", "order_id": "Purchase order", "supplier_ref": "Delivery note",
          "note": "Note", "lines": "Lines"}
KIND = Kind(path="/stock/receipts", key="receipts", new_key="receipts.new", noun="Goods receipt",
            folder="receiving", page="receipt", labels=LABELS, document=service.document,
            create=service.create_receipt, update=service.update_receipt,
            not_draft="a posted goods receipt is never edited")


def _listing(conn: Any, *, supplier_id: str | None, status: str | None, after: tuple[str, ...] | None) -> dict[str, Any]:
    rows = receiving.list_receipts(conn, supplier_id=supplier_id, status=status, after=after,  # type: ignore[arg-type]
                                   limit=PAGE_SIZE + 1)
    return {"rows": rows, "suppliers": supplier_list(conn, None), "base": base_currency(conn)}


class ReceiptPortal(DocumentPages, PortalController):
    path = "/stock/receipts"
    kind = KIND

    def _form_data(self, conn: Any, doc_id: str | None, order_id: str | None = None) -> dict[str, Any]:
        doc = service.document(conn, doc_id) if doc_id else None
        order = None
        wanted = doc["order_id"] if doc else order_id
        if wanted:
            order = purchasing.get_order(conn, wanted)
            if order is None:
                raise NotFoundError(f"there is no purchase order {wanted}")
            order["lines"] = purchasing.lines(conn, wanted)
        return {"doc": doc, "order": order, "base": base_currency(conn), "suppliers": supplier_list(conn)}

    def _start(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
        """A draft's fields and line rows, or a new receipt's from its order."""
        doc, order, decimals = data["doc"], data["order"], data["base"]["decimals"]
        if doc:
            values = {k: doc[k] for k in ("supplier_id", "supplier_ref", "note")}
            values["order_id"] = doc["order_id"] or ""
            values["update_supplier_cost"] = "1" if doc["update_supplier_cost"] else ""
            rows = [{"code": r["sku"], "quantity": lines_form.quantity_text(r["entered"]),
                     "entered_as": r["entered_as"], "unit_cost": lines_form.amount_text(r["unit_cost"], decimals)}
                    for r in doc["lines"]]
            return values, rows
        if order:
            rows = [{"code": r["sku"], "quantity": lines_form.quantity_text(r["quantity"] - r["received"]),
                     "entered_as": "unit", "unit_cost": lines_form.amount_text(r["unit_cost"], decimals)}
                    for r in order["lines"] if r["quantity"] > r["received"]]
            return {"supplier_id": order["supplier_id"], "order_id": order["id"]}, rows
        return {}, []

    def _fields(self, form: Form, decimals: int) -> tuple[dict[str, Any], list[int], dict[str, str]]:
        lines, rows, errors = lines_form.read_lines(form, decimals, packs=True)
        fields = {"supplier_id": form.get("supplier_id").strip()[:64], "order_id": form.get("order_id").strip()[:64] or None,
                  "supplier_ref": form.get("supplier_ref").strip()[:64], "note": form.get("note").strip()[:500],
                  "update_supplier_cost": form.checked("update_supplier_cost"), "lines": lines}
        if not fields["supplier_id"]:
            errors["supplier_id"] = "choose the supplier the goods came from"
        return fields, rows, errors

    def _context(self, fields: dict[str, Any]) -> dict[str, Any]:
        return {"order_id": fields["order_id"]}

    @get(opt=requires(RECEIVE))
    async def list_receipts(self, request: Request, supplier: Annotated[str, Parameter(max_length=64)] = "",
                            status: Annotated[str, Parameter(pattern="^(draft|posted|)$")] = "",
                            after: Annotated[str, Parameter(max_length=400)] = "") -> Template:
        return await self._list(request, _listing, supplier, status, after)

    @get("/new", opt=requires(RECEIVE))
    async def new_receipt(self, request: Request,
                          order_id: Annotated[str, Parameter(max_length=64)] = "") -> Template:
        return await self._form(request, order_id=order_id or None)

    @post(opt=requires(RECEIVE), status_code=303)
    async def create_receipt(self, request: Request) -> Response:
        return await self._save(request, None)

    @get("/{receipt_id:str}/edit", opt=requires(RECEIVE))
    async def edit_receipt(self, request: Request, receipt_id: ReceiptId) -> Template:
        return await self._form(request, receipt_id)

    @post("/{receipt_id:str}", opt=requires(RECEIVE), status_code=303)
    async def update_receipt(self, request: Request, receipt_id: ReceiptId) -> Response:
        return await self._save(request, receipt_id)

    @get("/{receipt_id:str}", opt=requires(RECEIVE))
    async def receipt(self, request: Request, receipt_id: ReceiptId) -> Template:
        return await self._page(request, receipt_id)

    @get("/{receipt_id:str}/print", opt=requires(RECEIVE))
    async def print_receipt(self, request: Request, receipt_id: ReceiptId) -> Template:
        return await self._page(request, receipt_id, template="receiving/print.html")

    @post("/{receipt_id:str}/post", opt=requires(RECEIVE), status_code=303)
    async def post_receipt(self, request: Request, receipt_id: ReceiptId) -> Response:
        return await self._act(request, receipt_id, service.post_receipt, "The goods receipt was not posted",
                               "posted: its goods are in stock")

    @post("/{receipt_id:str}/reverse", opt=requires(RECEIVE), status_code=303)
    async def reverse_receipt(self, request: Request, receipt_id: ReceiptId) -> Response:
        return await self._act(request, receipt_id, service.reverse_receipt, "The goods receipt was not reversed",
                               lambda doc: f"Reversed by {doc['number']}: its goods left stock again.",
                               lambda form: (form.text("note", "Reason", max_length=500, required=False),),
                               to_result=True)


ROUTES = [ReceiptPortal]
