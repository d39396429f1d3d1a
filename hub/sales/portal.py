"""Portal pages of sales (group "Sales"): the sales history with its filters (a period in the
store's time zone, till, cashier, tender method, currency, status), cursor paging and totals per
currency at the top (money in two currencies is never added); a receipt's page with its lines,
discounts and their cause, tax per rate, tenders (converted at the rate the till recorded),
change per currency and the exceptions the sale raised; and its plain printable view.

Sales are recorded by tills through the API (hub.sales.ingest). The receipt voids a sale, and
refunds or corrects it at a till the manager names (hub.sales.sale_actions), each through the
API's own service.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import Parameter, QueryParameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue._refdata_portal import Refusal, refusal
from hub.catalogue.products._paging import decode_cursor, encode_cursor
from hub.clock import utc_now
from hub.db.pricing import DEFAULT_TIMEZONE
from hub.db.settings import get_setting
from hub.errors import FieldErrors, HubError, NotFoundError
from hub.exceptions.portal import exception_helpers
from hub.inventory import _format
from hub.ids import new_id
from hub.portal import registry, shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page
from hub.portal.templating import store_zone
from hub.sales import _portal_reads as reads
from hub.sales import sale_actions as actions
from hub.sales import service
from hub.sales.voids import void_sale

VIEW, VOID = "sales.view", "sales.void"
REFUND, REFUND_UNLIMITED, CORRECT = "sales.refund", "sales.refund_unlimited", "sales.correct"
MAX_REASON = 500  # hub.sales.schemas.SaleVoid
PAGES = (
    Page("sales", "Sales history", "/sales", "Sales", VIEW,
         keywords="sales history receipts invoices takings till cashier tender currency void refund",
         summary="Every sale the tills recorded, with filters and the takings per currency"),
)
PAGE_SIZE = 50
SaleId = Annotated[str, Parameter(max_length=64)]
PERIODS = (("today", "Today"), ("yesterday", "Yesterday"), ("week", "This week"), ("month", "This month"),
           ("custom", "Custom dates"), ("all", "Any time"))
METHOD_NAMES = {"cash": "Cash", "card": "Card", "mobile_money": "Mobile money", "bank_transfer": "Bank transfer",
                "credit_account": "Credit account", "voucher": "Voucher", "store_credit": "Store credit"}
STATUS_NAMES = {"completed": "Completed", "voided": "Voided"}


def method_name(method: str) -> str:
    return METHOD_NAMES.get(method, method.replace("_", " ").capitalize())


quantity = reads.unit_quantity


def rate_text(rate: int, scale: int) -> str:
    """A rate as its exact decimal: 26500000 / 1000000 -> "26.5"."""
    value = (Decimal(rate) / Decimal(scale)).normalize()
    return f"{value:f}"


def _helpers(decimals: dict[str, int]) -> dict[str, Any]:
    def money(minor: int | None, code: str) -> str:
        return _format.money(minor, decimals.get(code, 2), code)

    return {"money": money, "method_name": method_name, "status_names": STATUS_NAMES, "rate_text": rate_text,
            "quantity": quantity, **exception_helpers()}


def period_days(period: str, today: dt.date, date_from: str, date_to: str) -> tuple[dt.date | None, dt.date | None]:
    """The store-local days a period covers (both included); None, None for any time."""
    if period == "today":
        return today, today
    if period == "yesterday":
        day = today - dt.timedelta(days=1)
        return day, day
    if period == "week":  # Monday to today
        return today - dt.timedelta(days=today.weekday()), today
    if period == "month":
        return today.replace(day=1), today
    if period == "custom":
        return (dt.date.fromisoformat(date_from) if date_from else None,
                dt.date.fromisoformat(date_to) if date_to else None)
    return None, None


def _days_error(date_from: str, date_to: str) -> dict[str, str]:
    errors = {}
    for name, text in (("from", date_from), ("to", date_to)):
        try:
            if text:
                dt.date.fromisoformat(text)
        except ValueError:
            errors[name] = "Is not a date: use the calendar or YYYY-MM-DD."
    if not errors and date_from and date_to and date_to < date_from:
        errors["to"] = "Must be on or after the From day."
    return errors


def _history(conn: sqlite3.Connection, *, period: str, date_from: str, date_to: str, filters: dict[str, Any],
             after: tuple[str, ...] | None, refused: bool) -> dict[str, Any]:
    zone = store_zone(get_setting(conn, "store.timezone", DEFAULT_TIMEZONE))
    today = utc_now().astimezone(zone).date()
    first, last = (None, None) if refused else period_days(period, today, date_from, date_to)
    tills, cashiers = reads.tills_and_cashiers(conn)
    found: dict[str, Any] = {"first": first, "last": last, "tills": tills, "cashiers": cashiers,
                             "currencies": reads.active_currencies(conn), "decimals": reads.currency_decimals(conn),
                             "rows": [], "totals": [], "summaries": {}}
    if refused:
        return found
    rows = service.list_sales(conn, date_from=first, date_to=last, after=after, limit=PAGE_SIZE + 1, **filters)
    since, until = service.store_days(conn, first, last)
    found["rows"] = rows
    found["totals"] = reads.totals(conn, since=since, until=until, **filters)
    found["summaries"] = reads.summaries(conn, [r["id"] for r in rows[:PAGE_SIZE]])
    return found


def _receipt(conn: sqlite3.Connection, sale_id: str) -> dict[str, Any]:
    sale = service.detail(conn, sale_id)
    names = reads.receipt_names(conn, sale)
    context = reads.exception_context(conn, sale["exceptions"])
    from hub.fiscal.invoice import sale_panel  # the customer and the fiscal documents (docs/fiscal.md)

    return {"sale": sale, **names, "context": context, "decimals": context["decimals"],
            "fiscal_panel": sale_panel(conn, sale),
            "open_tills": actions.open_tills(conn), "till_names": actions.till_names(conn, sale)}


def tax_table(sale: dict[str, Any]) -> list[dict[str, Any]]:
    """Per tax code and rate: the lines' taxable amount, tax and amount with tax, in the receipt
    currency (inclusive mode: a line's total holds its tax; exclusive: tax is on top)."""
    rates: dict[tuple[str, int], dict[str, Any]] = {}
    inclusive = sale["tax_mode"] != "exclusive"
    for line in sale["lines"]:
        key = (line["tax_code"], line["tax_rate_bp"])
        row = rates.setdefault(key, {"code": key[0], "rate_bp": key[1], "net": 0, "tax": 0, "gross": 0})
        net = line["total"] - line["tax_amount"] if inclusive else line["total"]
        row["net"] += net
        row["tax"] += line["tax_amount"]
        row["gross"] += net + line["tax_amount"]
    return [rates[k] for k in sorted(rates)]


def percent(basis_points: int) -> str:
    value = (Decimal(basis_points) / 100).normalize()
    return f"{value:f}%"


class SalesPortal(PortalController):
    path = "/sales"

    @get(opt=requires(VIEW))
    async def history(
        self, request: Request,
        period: Annotated[str, Parameter(pattern=r"^(today|yesterday|week|month|custom|all)$")] = "today",
        date_from: Annotated[str, QueryParameter(name="from", max_length=10)] = "",
        date_to: Annotated[str, QueryParameter(name="to", max_length=10)] = "",
        till: Annotated[str, Parameter(max_length=64)] = "",
        cashier: Annotated[str, Parameter(max_length=64)] = "",
        method: Annotated[str, Parameter(
            pattern="^(cash|card|mobile_money|bank_transfer|credit_account|voucher|store_credit|)$")] = "",
        currency: Annotated[str, Parameter(pattern="^([A-Z]{3})?$")] = "",
        status: Annotated[str, Parameter(pattern="^(completed|voided|)$")] = "",
        after: Annotated[str | None, Parameter(max_length=400)] = None,
    ) -> Template:
        errors = _days_error(date_from, date_to) if period == "custom" else {}
        cursor = decode_cursor(after, 2) if after else None
        filters = {"device_id": till or None, "cashier_id": cashier or None, "method": method or None,
                   "currency": currency or None, "status": status or None}
        data = await request.app.state.db.read(
            lambda conn: _history(conn, period=period, date_from=date_from, date_to=date_to, filters=filters,
                                  after=cursor, refused=bool(errors)))
        rows = data["rows"][:PAGE_SIZE]
        kept = {"period": period, "from": date_from if period == "custom" else "",
                "to": date_to if period == "custom" else "", "till": till, "cashier": cashier, "method": method,
                "currency": currency, "status": status}
        query = {k: v for k, v in kept.items() if v}
        more = (f"/sales?{urlencode({**query, 'after': encode_cursor(rows[-1]['occurred_at'], rows[-1]['id'])})}"
                if len(data["rows"]) > PAGE_SIZE and rows else None)
        completed = [t for t in data["totals"] if t["status"] == "completed"]
        voided = [t for t in data["totals"] if t["status"] != "completed"]
        filtered = period != "today" or any(v for k, v in kept.items() if k not in ("period", "from", "to"))
        return await shell.page(
            request, "sales/list.html", key="sales", status=422 if errors else 200,
            sales=rows, summaries=data["summaries"], totals=completed, voided=voided, filters=kept,
            errors=errors, periods=PERIODS, first=data["first"], last=data["last"], tills=data["tills"],
            cashiers=data["cashiers"], currencies=data["currencies"], methods=METHOD_NAMES, more=more,
            first_page=f"/sales?{urlencode(query)}" if after else None, filtered=filtered,
            **_helpers(data["decimals"]))

    async def _receipt_page(self, request: Request, sale_id: str, template: str, refused: Refusal | None = None,
                            values: dict[str, str] | None = None) -> Template:
        data = await request.app.state.db.read(_receipt, sale_id)
        sale, identity = data["sale"], request.state.identity
        shift_page = any(p.key == "shifts" for p in registry.all_pages()) and identity.can("shifts.view")
        title = f"Receipt {sale['invoice_number']}"
        completed = sale["status"] == "completed" and not sale.get("void_id")
        can_refund = identity.can(REFUND) and completed and any(ln["refundable"] > 0 for ln in sale["lines"])
        return await shell.page(
            request, template, key="sales", title=title, crumbs=[(title, None)], sale=sale,
            units=data["units"], promotions=data["promotions"], approvers=data["approvers"], shift=data["shift"],
            shift_link=shift_page, context=data["context"], taxes=tax_table(sale), percent=percent,
            can_see_exceptions=identity.can("exceptions.view"),
            can_void=identity.can(VOID) and sale["status"] == "completed", refused=refused or Refusal(),
            values=values or {}, status=(refused or Refusal()).status, open_tills=data["open_tills"],
            till_names=data["till_names"], can_refund=can_refund, can_correct=identity.can(CORRECT) and completed,
            refund_limit=identity.can(REFUND_UNLIMITED), line_units=actions.line_units(sale, data["units"]),
            whole_sale_rates=actions.whole_sale_rates(sale), tender_currencies=actions.tender_currencies(sale),
            methods=METHOD_NAMES, fates=actions.FATES,
            till_choices=[(t["id"], actions.till_label(t)) for t in data["open_tills"]],
            target_choices=[("sale-" + f"{code}:{bp}", f"The whole sale (tax {code or '—'} {percent(bp)})")
                            for code, bp in actions.whole_sale_rates(sale)]
            + [(f"line-{ln['line_no']}", f"Line {ln['line_no'] + 1}: {ln['name']}") for ln in sale["lines"]],
            currency_choices=[(c, c) for c, _, _ in actions.tender_currencies(sale)],
            form_ids={"refund": new_id(), "correction": new_id()}, fiscal_panel=data["fiscal_panel"],
            **_helpers(data["decimals"]))

    @get("/{sale_id:str}", opt=requires(VIEW))
    async def receipt(self, request: Request, sale_id: SaleId) -> Template:
        return await self._receipt_page(request, sale_id, "sales/receipt.html")

    @get("/{sale_id:str}/print", opt=requires(VIEW))
    async def print_receipt(self, request: Request, sale_id: SaleId) -> Template:
        return await self._receipt_page(request, sale_id, "sales/print.html")

    @post("/{sale_id:str}/reprint", opt=requires(VIEW), status_code=303)
    async def reprint(self, request: Request, sale_id: SaleId) -> Response:
        """Queue a copy of the receipt, marked COPY, to the till's receipt printer (or the store's),
        through the API's own service (one audit entry `sale.reprinted`)."""
        from hub.printing.service import reprint
        from hub.printing.subsystem import queued

        try:
            job = await request.app.state.db.write(reprint, request.state.identity.actor, sale_id)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._receipt_page(request, sale_id, "sales/receipt.html",
                                            refusal(err, "The receipt was not reprinted"))
        queued(request.app.state, job)
        return shell.redirect(request, f"/sales/{sale_id}", f"A copy of the receipt is on its way to "
                                                            f"{job['printer_name']}.")

    @post("/{sale_id:str}/notes/{note_id:str}/print", opt=requires(VIEW), status_code=303)
    async def print_note(self, request: Request, sale_id: SaleId, note_id: SaleId) -> Response:
        """Queue a refund's, void's or correction's fiscal credit or debit note to the receipt printer,
        as the reprint does, through the API's own service (one audit entry `fiscal_note.printed`)."""
        from hub.fiscal.notes import print_note
        from hub.printing.subsystem import queued

        await request.form()  # the CSRF guard read it; nothing else is in it
        try:
            job = await request.app.state.db.write(print_note, request.state.identity.actor, sale_id, note_id)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._receipt_page(request, sale_id, "sales/receipt.html",
                                            refusal(err, "The note was not printed"))
        queued(request.app.state, job)
        return shell.redirect(request, f"/sales/{sale_id}", f"The note is on its way to {job['printer_name']}.")

    @post("/{sale_id:str}/void", opt=requires(VOID), status_code=303)
    async def void(self, request: Request, sale_id: SaleId) -> Response:
        """Void the whole sale with a reason, through the API's own service (one audit entry)."""
        form = Form(await request.form())
        actor = request.state.identity.actor

        def write(conn: sqlite3.Connection) -> dict[str, Any]:
            reason = form.get("reason").strip()
            if len(reason) > MAX_REASON:
                raise FieldErrors([("reason", f"must be at most {MAX_REASON} characters")])
            return void_sale(conn, actor, sale_id, reason)

        try:
            await request.app.state.db.write(write)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            refused = refusal(err, "The sale was not voided")
            if not refused.errors:
                refused = Refusal(refused.status, refused.summary, {"reason": refused.summary})
            return await self._receipt_page(request, sale_id, "sales/receipt.html", refused, form.values())
        return shell.redirect(request, f"/sales/{sale_id}", "The sale was voided: its stock is back and its money "
                                                            "left its shift's totals.")

    @post("/{sale_id:str}/refund", opt=requires(REFUND), status_code=303)
    async def refund(self, request: Request, sale_id: SaleId) -> Response:
        """Refund lines of the sale at the till the manager names (one with an open shift), through
        the API's own service (one audit entry `sale.refunded`)."""
        form = Form(await request.form())
        identity = request.state.identity
        values = form.values()
        try:
            await request.app.state.db.write(actions.refund, sale_id, values, identity.actor,
                                             identity.can(REFUND_UNLIMITED))
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            refused = actions.refund_refusal(err)
            return await self._receipt_page(request, sale_id, "sales/receipt.html", refused, values)
        return shell.redirect(request, f"/sales/{sale_id}#refunds", "The refund was recorded: restocked goods "
                                                                    "are back in stock and the money counts in "
                                                                    "the till's shift.")

    @post("/{sale_id:str}/correction", opt=requires(CORRECT), status_code=303)
    async def correct(self, request: Request, sale_id: SaleId) -> Response:
        """A price correction (charge or credit) at the till the manager names, through the API's own
        service (one audit entry `sale.corrected`)."""
        form = Form(await request.form())
        values = form.values()
        try:
            await request.app.state.db.write(actions.correct, sale_id, values, request.state.identity.actor)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            refused = actions.correction_refusal(err)
            return await self._receipt_page(request, sale_id, "sales/receipt.html", refused, values)
        return shell.redirect(request, f"/sales/{sale_id}#refunds", "The price correction was recorded: its money "
                                                                    "counts in the till's shift.")


ROUTES = [SalesPortal]
