"""Portal pages of stock adjustments and supplier returns (group "Stock"): the lists (adjustments
waiting for approval stand out for those who may approve them), a form of several lines by SKU or
barcode with an error beside each wrong input (also to edit a draft), an adjustment's page with
Post, Edit and Discard for a draft and Approve and Reject for one waiting, and a supplier return's
page with a printable copy for the driver.

Every change goes through hub.inventory.adjustments.service in one `db.write`, as the API's does:
the document, its movements through the ledger and one audit entry.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue._refdata_portal import Refusal, refusal
from hub.db import adjustments as store
from hub.db import stock_lists, suppliers
from hub.errors import FieldErrors, HubError, NotFoundError
from hub.inventory import _format
from hub.inventory.adjustments import _lines, service
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.parse import TypedError, amount_text, parse_amount, quantity_text
from hub.portal.registry import Page

PAGES = (
    Page("adjustments", "Adjustments", "/stock/adjustments", "Stock", "inventory.view",
         keywords="stock adjustment damaged expired theft found correction write off approve approval",
         summary="Damaged, expired, stolen or found stock; big ones wait for a manager's approval"),
    Page("adjustments.new", "New adjustment", "/stock/adjustments/new", "Stock", "inventory.adjust",
         sidebar=False, keywords="record damage expired theft found stock correction"),
    Page("supplier_returns", "Supplier returns", "/stock/supplier-returns", "Stock", "inventory.view",
         keywords="return to supplier send back goods credit note damaged wrong item recall",
         summary="Goods sent back to a supplier, with a printable copy for the driver"),
    Page("supplier_returns.new", "New supplier return", "/stock/supplier-returns/new", "Stock",
         "inventory.receive", sidebar=False, keywords="send back goods return to supplier"),
)
PAGE_SIZE = 50
DocId = Annotated[str, Parameter(max_length=64)]
Before = Annotated[int | None, Parameter(ge=1, le=2**62)]
STATUSES = (("", "Any status"), ("pending_approval", "Waiting for approval"), ("posted", "Posted"),
            ("draft", "Draft"), ("rejected", "Rejected"), ("discarded", "Discarded"))
STATUS_NAMES = {"draft": "Draft", "pending_approval": "Waiting for approval", "posted": "Posted",
                "rejected": "Rejected", "discarded": "Discarded"}
LABELS = {"reason_code": "Reason", "note": "Note", "reason": "Why", "supplier_id": "Supplier",
          "goods_receipt_ref": "Goods receipt", "approval_threshold": "Approval threshold", "lines": "Lines"}


def _money_of(base: dict[str, Any] | None) -> Any:
    decimals, code = (base["decimals"], base["code"]) if base else (2, None)
    return lambda minor: _format.money(minor, decimals, code)


def _decimals(conn: Any) -> int:
    base = stock_lists.base_currency(conn)
    return base["decimals"] if base else 2


def _labels(rows: int) -> dict[str, str]:
    labels = dict(LABELS)
    for i in range(rows):
        for name, text in (("code", "SKU or barcode"), ("quantity", "Quantity"), ("reason_code", "Reason"),
                           ("unit_cost", "Unit cost")):
            labels[f"lines[{i}].{name}"] = f"Line {i + 1}: {text.lower()}"
    return labels


def _common(conn: Any, applies_to: str) -> dict[str, Any]:
    base = stock_lists.base_currency(conn)
    return {"reasons": store.reasons(conn, applies_to), "base": base, "threshold": service.threshold(conn),
            "suppliers": suppliers.list_suppliers(conn, active=True, limit=1000) if applies_to != "adjustment" else []}


def _helpers(data: dict[str, Any]) -> dict[str, Any]:
    names = {r["code"]: r["name"] for r in data["reasons"]}
    decimals = data["base"]["decimals"] if data["base"] else 2
    return {"base": data["base"], "amount": lambda minor: amount_text(minor, decimals),
            "money": _money_of(data["base"]), "quantity": _format.quantity, "status_names": STATUS_NAMES,
            "reason_name": lambda code: names.get(code, code or "—"), "reasons": data["reasons"]}


# ---- adjustments ----------------------------------------------------------------------------

def _create_adjustment(conn: Any, actor: Any, form_rows: list[_lines.Row], fields: dict[str, Any],
                       post_now: bool) -> dict[str, Any]:
    return _lines.posted(
        conn, form_rows, _decimals(conn), lambda lines: service.check_adjustment(conn, {**fields, "lines": lines}),
        lambda lines: service.create_adjustment(conn, actor, {**fields, "lines": lines}, post=post_now))


def _update_adjustment(conn: Any, actor: Any, adjustment_id: str, form_rows: list[_lines.Row],
                       fields: dict[str, Any]) -> dict[str, Any]:
    return _lines.posted(
        conn, form_rows, _decimals(conn), lambda lines: service.check_adjustment(conn, {**fields, "lines": lines}),
        lambda lines: service.update_adjustment(conn, actor, adjustment_id, {**fields, "lines": lines}))


def _typed(doc: dict[str, Any], decimals: int) -> dict[str, str]:
    """A draft as its form shows it to be typed again: quantities in units, costs in the currency."""
    values = {"reason_code": doc["reason_code"] or "", "note": doc["note"]}
    for i, line in enumerate(doc["lines"]):
        values |= {f"lines[{i}].code": line["sku"], f"lines[{i}].quantity": quantity_text(line["quantity"]),
                   f"lines[{i}].reason_code": "" if line["reason_code"] == doc["reason_code"] else line["reason_code"],
                   f"lines[{i}].unit_cost": "" if line["unit_cost"] is None else amount_text(line["unit_cost"],
                                                                                             decimals)}
    return values


def _form_fields(form: Form) -> dict[str, Any]:
    return {"reason_code": form.get("reason_code").strip()[:32] or None,
            "note": form.text("note", "Note", max_length=service.MAX_NOTE, required=False)}


def _row_count(form_rows: list[_lines.Row]) -> int:
    return max(_lines.ROWS, (form_rows[-1].index + 1) if form_rows else 0)


class AdjustmentPortal(PortalController):
    path = "/stock/adjustments"

    @get(opt=requires("inventory.view"))
    async def list_adjustments(
        self, request: Request,
        status: Annotated[str, Parameter(pattern=r"^(draft|pending_approval|posted|rejected|discarded|)$")] = "",
        reason: Annotated[str, Parameter(max_length=32)] = "", before: Before = None,
    ) -> Template:
        return await self._list(request, status, reason, before)

    async def _list(self, request: Request, status: str = "", reason: str = "", before: int | None = None,
                    refused: Refusal | None = None, values: dict[str, str] | None = None) -> Template:
        def read(conn: Any) -> dict[str, Any]:
            return _common(conn, "adjustment") | {
                "rows": store.list_adjustments(conn, status=status or None, reason=reason or None, before=before,
                                               limit=PAGE_SIZE + 1),
                "waiting": len(store.list_adjustments(conn, status="pending_approval", limit=PAGE_SIZE + 1))}

        data = await request.app.state.db.read(read)
        rows = data["rows"][:PAGE_SIZE]
        kept = {k: v for k, v in {"status": status, "reason": reason}.items() if v}
        older = (f"/stock/adjustments?{urlencode({**kept, 'before': rows[-1]['number']})}"
                 if len(data["rows"]) > PAGE_SIZE and rows else None)
        refused = refused or Refusal()
        helpers = _helpers(data)
        values = values or {"approval_threshold": helpers["amount"](data["threshold"])}
        return await shell.page(
            request, "adjustments/list.html", key="adjustments", status=refused.status, refused=refused,
            labels=LABELS, values=values, adjustments=rows, filters={"status": status, "reason": reason},
            filtered=bool(kept), statuses=STATUSES, waiting=data["waiting"], threshold=data["threshold"],
            older=older, newest="/stock/adjustments" if before else None,
            approver=request.state.identity.can("inventory.approve"), **helpers)

    async def _form(self, request: Request, values: dict[str, str], rows: int,
                    refused: Refusal | None = None, doc: dict[str, Any] | None = None) -> Template:
        data = await request.app.state.db.read(_common, "adjustment")
        refused = refused or Refusal()
        editing = {} if doc is None else {
            "key": "adjustments", "title": f"Edit adjustment {doc['number']}",
            "crumbs": [(f"Adjustment {doc['number']}", f"/stock/adjustments/{doc['id']}"), ("Edit", None)]}
        return await shell.page(request, "adjustments/form.html", **({"key": "adjustments.new"} | editing),
                                status=refused.status, values=values, refused=refused, labels=_labels(rows),
                                rows=rows, doc=doc, threshold=data["threshold"], **_helpers(data))

    @get("/new", opt=requires("inventory.adjust"))
    async def new_adjustment(self, request: Request,
                             rows: Annotated[int, Parameter(ge=1, le=_lines.MAX_ROWS)] = _lines.ROWS) -> Template:
        return await self._form(request, {}, rows)

    @post(opt=requires("inventory.adjust"), status_code=303)
    async def create_adjustment(self, request: Request) -> Response:
        form = Form(await request.form())
        form_rows = _lines.rows_of(form)
        post_now = form.get("action") != "draft"
        try:
            row = await request.app.state.db.write(_create_adjustment, request.state.identity.actor, form_rows,
                                                   _form_fields(form), post_now)
        except HubError as err:
            return await self._form(request, form.values(), _row_count(form_rows),
                                    refusal(err, "The adjustment was not saved"))
        said = {"posted": "posted: stock moved", "pending_approval": "is waiting for approval: no stock moved yet",
                "draft": "saved as a draft"}[row["status"]]
        return shell.redirect(request, f"/stock/adjustments/{row['id']}", f"Adjustment {row['number']} {said}.")

    async def _page(self, request: Request, adjustment_id: str, refused: Refusal | None = None,
                    values: dict[str, str] | None = None) -> Template:
        def read(conn: Any) -> dict[str, Any]:
            return _common(conn, "adjustment") | {"doc": service.get_adjustment(conn, adjustment_id)}

        data = await request.app.state.db.read(read)
        doc, identity = data["doc"], request.state.identity
        own = identity.user_id in (doc["created_by_id"], doc["submitted_by_id"])
        refused = refused or Refusal()
        return await shell.page(
            request, "adjustments/adjustment.html", key="adjustments", title=f"Adjustment {doc['number']}",
            crumbs=[(f"Adjustment {doc['number']}", None)], status=refused.status, doc=doc, refused=refused,
            labels=LABELS, values=values or {}, own=own, can_decide=identity.can("inventory.approve") and not own,
            can_post=identity.can("inventory.adjust"), **_helpers(data))

    @get("/{adjustment_id:str}", opt=requires("inventory.view"))
    async def adjustment(self, request: Request, adjustment_id: DocId) -> Template:
        return await self._page(request, adjustment_id)

    async def _draft(self, request: Request, adjustment_id: str) -> tuple[dict[str, Any], int]:
        def read(conn: Any) -> tuple[dict[str, Any], int]:
            return service.get_adjustment(conn, adjustment_id), _decimals(conn)

        return await request.app.state.db.read(read)

    @get("/{adjustment_id:str}/edit", opt=requires("inventory.adjust"))
    async def edit_adjustment(self, request: Request, adjustment_id: DocId,
                              rows: Annotated[int | None, Parameter(ge=1, le=_lines.MAX_ROWS)] = None) -> Response:
        doc, decimals = await self._draft(request, adjustment_id)
        if doc["status"] != "draft":
            return shell.redirect(request, f"/stock/adjustments/{adjustment_id}",
                                  f"Adjustment {doc['number']} is {STATUS_NAMES[doc['status']].lower()}: "
                                  "only a draft is edited.", kind="error")
        count = max(rows or 0, len(doc["lines"]) + _lines.ROWS // 2, _lines.ROWS)
        return await self._form(request, _typed(doc, decimals), min(count, _lines.MAX_ROWS), doc=doc)

    @post("/{adjustment_id:str}/edit", opt=requires("inventory.adjust"), status_code=303)
    async def update_adjustment(self, request: Request, adjustment_id: DocId) -> Response:
        form = Form(await request.form())
        form_rows = _lines.rows_of(form)
        try:
            row = await request.app.state.db.write(_update_adjustment, request.state.identity.actor, adjustment_id,
                                                   form_rows, _form_fields(form))
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            doc, _ = await self._draft(request, adjustment_id)
            return await self._form(request, form.values(), _row_count(form_rows),
                                    refusal(err, "The draft was not saved"), doc=doc)
        return shell.redirect(request, f"/stock/adjustments/{adjustment_id}",
                              f"Adjustment {row['number']} saved: still a draft, no stock moved.")

    async def _act(self, request: Request, adjustment_id: str, fn: Any, lead: str, done: str,
                   *args: Any) -> Response:
        form = Form(await request.form())
        try:
            texts = [form.text(a, LABELS.get(a, a), max_length=service.MAX_NOTE, required=False) for a in args]
            row = await request.app.state.db.write(fn, request.state.identity.actor, adjustment_id, *texts)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            refused = refusal(err, lead)
            if not refused.errors:
                refused = Refusal(refused.status, refused.summary, {"decision": refused.summary})
            return await self._page(request, adjustment_id, refused, form.values())
        return shell.redirect(request, f"/stock/adjustments/{adjustment_id}", f"Adjustment {row['number']} {done}.")

    @post("/{adjustment_id:str}/post", opt=requires("inventory.adjust"), status_code=303)
    async def post_adjustment(self, request: Request, adjustment_id: DocId) -> Response:
        return await self._act(request, adjustment_id, service.post_adjustment, "The adjustment was not posted",
                               "posted")

    @post("/{adjustment_id:str}/discard", opt=requires("inventory.adjust"), status_code=303)
    async def discard(self, request: Request, adjustment_id: DocId) -> Response:
        return await self._act(request, adjustment_id, service.discard_adjustment,
                               "The draft was not discarded", "discarded: no stock moved", "reason")

    @post("/{adjustment_id:str}/approve", opt=requires("inventory.approve"), status_code=303)
    async def approve(self, request: Request, adjustment_id: DocId) -> Response:
        return await self._act(request, adjustment_id, service.approve_adjustment,
                               "The adjustment was not approved", "approved: stock moved", "note")

    @post("/{adjustment_id:str}/reject", opt=requires("inventory.approve"), status_code=303)
    async def reject(self, request: Request, adjustment_id: DocId) -> Response:
        return await self._act(request, adjustment_id, service.reject_adjustment,
                               "The adjustment was not rejected", "rejected: no stock moved", "reason")

    @post("/threshold", opt=requires("settings.manage"), status_code=303)
    async def set_threshold(self, request: Request) -> Response:
        form = Form(await request.form())
        try:
            decimals = await request.app.state.db.read(_decimals)
            try:
                minor = parse_amount(form.get("approval_threshold"), decimals)
            except TypedError as err:
                raise FieldErrors([("approval_threshold", str(err))]) from err
            if minor > service.MAX_THRESHOLD:
                raise FieldErrors([("approval_threshold", "is more than the hub can hold")])
            await request.app.state.db.write(service.update_settings, request.state.identity.actor, minor)
        except HubError as err:
            return await self._list(request, refused=refusal(err, "The threshold was not changed"),
                                    values=form.values())
        return shell.redirect(request, "/stock/adjustments",
                              f"Adjustments worth more than {amount_text(minor, decimals)} now wait for approval.")


# ---- supplier returns -----------------------------------------------------------------------

def _create_return(conn: Any, actor: Any, form_rows: list[_lines.Row], fields: dict[str, Any]) -> dict[str, Any]:
    return _lines.posted(
        conn, form_rows, _decimals(conn), lambda lines: service.check_return(conn, {**fields, "lines": lines}),
        lambda lines: service.create_return(conn, actor, {**fields, "lines": lines}))


class SupplierReturnPortal(PortalController):
    path = "/stock/supplier-returns"

    @get(opt=requires("inventory.view"))
    async def list_returns(self, request: Request, supplier: Annotated[str, Parameter(max_length=64)] = "",
                           before: Before = None) -> Template:
        def read(conn: Any) -> dict[str, Any]:
            return _common(conn, "supplier_return") | {"rows": store.list_returns(
                conn, supplier_id=supplier or None, before=before, limit=PAGE_SIZE + 1)}

        data = await request.app.state.db.read(read)
        rows = data["rows"][:PAGE_SIZE]
        kept = {"supplier": supplier} if supplier else {}
        older = (f"/stock/supplier-returns?{urlencode({**kept, 'before': rows[-1]['number']})}"
                 if len(data["rows"]) > PAGE_SIZE and rows else None)
        return await shell.page(request, "adjustments/returns.html", key="supplier_returns", returns=rows,
                                suppliers=data["suppliers"], supplier=supplier, older=older,
                                newest="/stock/supplier-returns" if before else None, **_helpers(data))

    async def _form(self, request: Request, values: dict[str, str], rows: int,
                    refused: Refusal | None = None) -> Template:
        data = await request.app.state.db.read(_common, "supplier_return")
        refused = refused or Refusal()
        return await shell.page(request, "adjustments/return_form.html", key="supplier_returns.new",
                                status=refused.status, values=values, refused=refused, labels=_labels(rows),
                                rows=rows, suppliers=data["suppliers"], **_helpers(data))

    @get("/new", opt=requires("inventory.receive"))
    async def new_return(self, request: Request,
                         rows: Annotated[int, Parameter(ge=1, le=_lines.MAX_ROWS)] = _lines.ROWS) -> Template:
        return await self._form(request, {}, rows)

    @post(opt=requires("inventory.receive"), status_code=303)
    async def create_return(self, request: Request) -> Response:
        form = Form(await request.form())
        form_rows = _lines.rows_of(form)
        rows = _row_count(form_rows)
        try:
            fields = {"supplier_id": form.get("supplier_id").strip()[:64],
                      "reason_code": form.get("reason_code").strip()[:32] or None,
                      "goods_receipt_ref": form.text("goods_receipt_ref", "Goods receipt", max_length=service.MAX_REF,
                                                     required=False),
                      "note": form.text("note", "Note", max_length=service.MAX_NOTE, required=False)}
            row = await request.app.state.db.write(_create_return, request.state.identity.actor, form_rows, fields)
        except HubError as err:
            return await self._form(request, form.values(), rows, refusal(err, "The return was not posted"))
        return shell.redirect(request, f"/stock/supplier-returns/{row['id']}",
                              f"Supplier return {row['number']} posted: stock moved out.")

    async def _doc(self, request: Request, return_id: str) -> dict[str, Any]:
        def read(conn: Any) -> dict[str, Any]:
            return _common(conn, "supplier_return") | {"doc": service.get_return(conn, return_id)}

        return await request.app.state.db.read(read)

    @get("/{return_id:str}", opt=requires("inventory.view"))
    async def supplier_return(self, request: Request, return_id: DocId) -> Template:
        data = await self._doc(request, return_id)
        doc = data["doc"]
        return await shell.page(request, "adjustments/return.html", key="supplier_returns",
                                title=f"Supplier return {doc['number']}",
                                crumbs=[(f"Supplier return {doc['number']}", None)], doc=doc, **_helpers(data))

    @get("/{return_id:str}/print", opt=requires("inventory.view"))
    async def printable(self, request: Request, return_id: DocId) -> Template:
        data = await self._doc(request, return_id)
        doc = data["doc"]
        zone = (await shell.store_of(request))["zone"]
        return await shell.bare(request, "adjustments/return_print.html", title=f"Supplier return {doc['number']}",
                                doc=doc, zone=zone, **_helpers(data))


ROUTES = [AdjustmentPortal, SupplierReturnPortal]
