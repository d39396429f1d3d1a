"""Portal pages of the exception queue (group "Sales"): what documents that are never refused (a
sale) raised for a manager to look at, each said in words (a price different from the
catalogue's with both prices, an unknown product's code, a closed or unknown shift, negative
stock with the product and its level, a repeated invoice number, a discount without a cause),
open ones first, with kind and status filters; an exception's page with resolve and dismiss
forms. A banner tells whoever may see the queue that open exceptions wait.

Resolve and dismiss go through hub.exceptions.service.close in one `db.write`, as the API does:
one audit entry each.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue._common import found
from hub.catalogue._refdata_portal import Refusal, refusal
from hub.catalogue.products._paging import decode_cursor, encode_cursor
from hub.db import exceptions as rows
from hub.errors import FieldErrors, HubError, NotFoundError
from hub.exceptions import service
from hub.inventory import _format
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Banner, Page
from hub.sales import _portal_reads as reads

VIEW, RESOLVE = "exceptions.view", "exceptions.resolve"
PAGES = (
    Page("exceptions", "Exceptions", "/exceptions", "Sales", VIEW,
         keywords="exception queue problems price mismatch unknown product shift negative stock duplicate invoice "
                  "discount resolve dismiss",
         summary="What sales raised for a manager to look at: resolve or dismiss each with a note"),
)
PAGE_SIZE = 50
MAX_NOTE = 500  # hub.sales.schemas.ExceptionAction
ExceptionId = Annotated[str, Parameter(max_length=64)]
KIND_NAMES = {
    "fact_quarantined": "Till fact in quarantine",
    "sync_conflict": "Till sync conflict",
    "clock_skew": "Till clock off",
    "price_mismatch": "Price differs from the catalogue",
    "unknown_product": "Unknown product",
    "unknown_shift": "Unknown shift",
    "closed_shift": "Closed shift",
    "negative_stock": "Negative stock",
    "duplicate_invoice_number": "Duplicate invoice number",
    "unapproved_discount": "Discount without a cause",
    "credit_limit_exceeded": "Credit limit exceeded",
    "unknown_customer": "Credit sale without a known customer",
    "voucher_redeemed_again": "Voucher redeemed again",
    "voucher_invalid": "Voucher not redeemable",
    "fiscal_fallback": "Fiscal fallback used",
    "fiscal_buyer_data": "Buyer data left off",
    "fiscal_blocked": "Fiscal receipt set aside",
}
STATUSES = (("", "Any status (open first)"), ("open", "Open"), ("resolved", "Resolved"), ("dismissed", "Dismissed"))
STATUS_NAMES = {"open": "Open", "resolved": "Resolved", "dismissed": "Dismissed"}
LABELS = {"note": "Note"}
FORMS = {"resolved": "resolve", "dismissed": "dismiss"}  # status -> the form that sets it


def kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind, kind.replace("_", " ").capitalize())


def exception_helpers() -> dict[str, Any]:
    return {"kind_name": kind_name, "exception_status_names": STATUS_NAMES, "describe": describe}


def _line_no(record: dict[str, Any]) -> int | None:
    number = record["subject_id"].partition("#")[2]
    return int(number) + 1 if number.isdigit() else None


def describe(record: dict[str, Any], context: dict[str, Any]) -> str:
    """What happened, in words, with the figures the record holds (money in its currency's
    decimals, stock in the unit's)."""
    detail, kind = record["detail"], record["kind"]
    sale = context["sales"].get(record["sale_id"] or "") or {}
    line = context["lines"].get(record["subject_id"]) or {}
    number = _line_no(record)
    where = f"Line {number}" + (f" ({line['name']})" if line.get("name") else "") if number else "A line"
    product = context["products"].get(detail.get("product_id") or "")
    product_text = f"{product['name']} ({product['sku']})" if product else (detail.get("product_id") or "a product")
    currency = detail.get("currency") or sale.get("currency") or ""

    def money(minor: Any) -> str:
        return _format.money(minor, context["decimals"].get(currency, 2), currency) if isinstance(minor, int) else "—"

    if kind == "price_mismatch":
        if detail.get("price") is None:
            return (f"{where}: {product_text} was charged {money(detail.get('charged'))} a unit; "
                    f"the catalogue has no {currency} price for it.")
        return (f"{where}: {product_text} was charged {money(detail.get('charged'))} a unit; "
                f"the catalogue price was {money(detail.get('price'))}.")
    if kind == "unknown_product":
        code = detail.get("code") or ""
        if detail.get("product_id"):
            return (f"{where}: the till sold a product the hub does not know (id {detail['product_id']}"
                    f"{', code ' + code if code else ''}); no stock moved.")
        return f"{where}: the till sold the code {code or '(none)'}, which no product has; no stock moved."
    if kind == "unknown_shift":
        reason = detail.get("reason") or ""
        if reason == "no shift named":
            return "The sale names no shift."
        if reason == "the shift is another till's":
            return f"The sale names shift {detail.get('shift_id')}, which is another till's."
        return f"The sale names shift {detail.get('shift_id')}, which the hub does not know."
    if kind == "closed_shift":
        return "The sale names a shift that was already closed when it arrived; the shift's close figures stand."
    if kind == "negative_stock":
        level = detail.get("on_hand")
        decimals = product["decimals"] if product else None
        shown = reads.unit_quantity(level, decimals) if isinstance(level, int) else "—"
        return f"{where}: the sale took {product_text} below zero: {shown} in stock after it."
    if kind == "duplicate_invoice_number":
        number = detail.get("invoice_number") or sale.get("invoice_number")
        return f"Invoice number {number} was already on another sale."
    if kind == "unapproved_discount":
        return (f"{where}: a discount of {money(detail.get('amount'))} names neither a promotion nor a supervisor "
                f"who approved it.")
    if kind in ("fact_quarantined", "sync_conflict"):
        return (f"{detail.get('device_name') or 'A till'} uploaded a {detail.get('type', 'fact')} "
                f"(seq {detail.get('device_seq')}) kept in quarantine: {detail.get('detail') or detail.get('reason')}. "
                "Accept or reject it on the sync monitor.")
    if kind == "clock_skew":
        return (f"{detail.get('device_name') or 'A till'}'s clock was {detail.get('skew', '?')} "
                f"{'ahead of' if (detail.get('skew_ms') or 0) > 0 else 'behind'} the hub's.")
    if kind == "credit_limit_exceeded":
        def owed(c: str, v: dict) -> str:
            return (f"{_format.money(v.get('balance'), context['decimals'].get(c, 2), c)} owed against a limit of "
                    f"{_format.money(v.get('limit'), context['decimals'].get(c, 2), c)}")

        over = "; ".join(owed(c, v) for c, v in sorted((detail.get("currencies") or {}).items()) if isinstance(v, dict))
        return f"A credit-account sale took {detail.get('customer_name') or 'the customer'} beyond their limit: {over}."
    if kind == "unknown_customer":
        return "A credit-account sale names no customer the hub knows; nothing was posted to an account."
    if kind in ("voucher_redeemed_again", "voucher_invalid"):
        code = detail.get("code") or "(no code)"
        return (f"A {str(detail.get('method') or 'voucher').replace('_', ' ')} tender of {money(detail.get('amount'))}"
                f" ({code}): {detail.get('reason') or service.KINDS.get(kind, kind)}.")
    if kind == "fiscal_fallback":
        took = []
        if detail.get("tax_from"):
            took.append(f"FDMS tax {detail.get('tax_id')} ({_FROM.get(detail['tax_from'], detail['tax_from'])})")
        if detail.get("hs_from"):
            took.append(f"HS code {detail.get('hs_code') or '(none)'} ({_FROM.get(detail['hs_from'], detail['hs_from'])})")
        return (f"{where}: no tax mapping or HS code of its own on the fiscal receipt; it took "
                f"{' and '.join(took) or 'a fallback'}. Map its tax class or give the product its HS code.")
    if kind == "fiscal_buyer_data":
        return f"The fiscal receipt: {detail.get('reason') or service.KINDS[kind]}. Correct the customer's details."
    if kind == "fiscal_blocked":
        codes = ", ".join(detail.get("codes") or [])
        return (f"The fiscal {str(detail.get('receipt_type') or 'document')} was set aside unsigned ({codes}): FDMS "
                "would mark it red. The Fiscal page says what to do; it is signed once the cause is fixed.")
    return service.KINDS.get(kind, kind).capitalize() + "."


_FROM = {"category": "its category's fallback", "rate": "the FDMS tax with its rate", "fallback": "the global fallback",
         "dropped": "left off"}


def open_banner(conn: sqlite3.Connection) -> str | None:
    """How many exceptions are open, when any are."""
    count = reads.open_count(conn)
    if not count:
        return None
    plural = count != 1
    return f"{count} open exception{'s' if plural else ''} from sales wait{'' if plural else 's'} for a manager."


BANNERS = (
    Banner("exceptions", VIEW, open_banner, link="/exceptions", link_text="Open the exception queue"),
)


def _queue(conn: sqlite3.Connection, kind: str | None, status: str | None,
           after: tuple[int, str] | None) -> dict[str, Any]:
    got = reads.queue(conn, kind=kind, status=status, after=after, limit=PAGE_SIZE + 1)
    return {"rows": got, "context": reads.exception_context(conn, got[:PAGE_SIZE]), "open": reads.open_count(conn),
            "kinds": reads.kinds_seen(conn)}


def _one(conn: sqlite3.Connection, exception_id: str) -> dict[str, Any]:
    record = found(rows.get(conn, exception_id), f"exception {exception_id}")
    return {"record": record, "context": reads.exception_context(conn, [record])}


def _cursor(after: str | None) -> tuple[int, str] | None:
    parts = decode_cursor(after, 2) if after else None
    if parts is None:
        return None
    if parts[0] not in ("0", "1"):
        raise FieldErrors([("after", "is not a cursor from this list")])
    return int(parts[0]), parts[1]


class ExceptionsPortal(PortalController):
    path = "/exceptions"

    @get(opt=requires(VIEW))
    async def queue(
        self, request: Request,
        kind: Annotated[str, Parameter(max_length=40)] = "",
        status: Annotated[str, Parameter(pattern=r"^(open|resolved|dismissed|)$")] = "",
        after: Annotated[str | None, Parameter(max_length=200)] = None,
    ) -> Template:
        data = await request.app.state.db.read(_queue, kind or None, status or None, _cursor(after))
        page = data["rows"][:PAGE_SIZE]
        kept = {"kind": kind, "status": status}
        query = {k: v for k, v in kept.items() if v}
        more = (f"/exceptions?{urlencode({**query, 'after': encode_cursor(str(page[-1]['is_open']), page[-1]['id'])})}"
                if len(data["rows"]) > PAGE_SIZE and page else None)
        kinds = sorted(set(KIND_NAMES) | set(data["kinds"]), key=kind_name)
        return await shell.page(
            request, "exceptions/list.html", key="exceptions",
            title=f"Exceptions ({data['open']} open)" if data["open"] else None,
            records=page, context=data["context"], open_count=data["open"], filters=kept,
            filtered=bool(query), statuses=STATUSES, kinds=kinds, more=more,
            first_page=f"/exceptions?{urlencode(query)}" if after else None, **exception_helpers())

    async def _page(self, request: Request, exception_id: str, refused: Refusal | None = None,
                    values: dict[str, str] | None = None, action: str = "") -> Template:
        data = await request.app.state.db.read(_one, exception_id)
        record = data["record"]
        refused = refused or Refusal()
        title = kind_name(record["kind"])
        return await shell.page(
            request, "exceptions/detail.html", key="exceptions", title=title, crumbs=[(title, None)],
            status=refused.status, record=record, context=data["context"], refused=refused, labels=LABELS,
            values=values or {}, action=action,
            can_resolve=request.state.identity.can(RESOLVE) and record["status"] == "open",
            can_see_sales=request.state.identity.can("sales.view"), **exception_helpers())

    @get("/{exception_id:str}", opt=requires(VIEW))
    async def detail(self, request: Request, exception_id: ExceptionId) -> Template:
        return await self._page(request, exception_id)

    async def _close(self, request: Request, exception_id: str, status: str) -> Response:
        form = Form(await request.form())
        actor = request.state.identity.actor
        verb = "resolved" if status == "resolved" else "dismissed"

        def write(conn: sqlite3.Connection) -> dict[str, Any]:
            note = form.get("note").strip()
            if not note:
                raise FieldErrors([("note", f"say why it is {verb}: a note is required")])
            if len(note) > MAX_NOTE:
                raise FieldErrors([("note", f"must be at most {MAX_NOTE} characters")])
            return service.close(conn, actor, exception_id, status, note)

        try:
            await request.app.state.db.write(write)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            refused = refusal(err, f"It was not {verb}")
            if not refused.errors:
                refused = Refusal(refused.status, refused.summary, {"note": refused.summary})
            return await self._page(request, exception_id, refused, form.values(), action=FORMS[status])
        return shell.redirect(request, f"/exceptions/{exception_id}", f"The exception was {verb}.")

    @post("/{exception_id:str}/resolve", opt=requires(RESOLVE), status_code=303)
    async def resolve(self, request: Request, exception_id: ExceptionId) -> Response:
        return await self._close(request, exception_id, "resolved")

    @post("/{exception_id:str}/dismiss", opt=requires(RESOLVE), status_code=303)
    async def dismiss(self, request: Request, exception_id: ExceptionId) -> Response:
        return await self._close(request, exception_id, "dismissed")


ROUTES = [ExceptionsPortal]
