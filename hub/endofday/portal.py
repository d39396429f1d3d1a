"""The End-of-day page (group "Sales"): one trading day's steps as a checklist with what blocks
and where to fix it, the cash-up per currency, the bank deposits with the form to record one and
a reversal per deposit, "Back up now", "Close the day" and a printable day summary.

Reading needs sales.view (supervisors see what blocks the day and fix what they may); recording
a deposit, reversing one and closing the day need endofday.manage, as in the API; "Back up now"
needs backups.manage. Every change calls the same service function as the API, in one `db.write`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.backup import service as backups
from hub.catalogue._refdata_portal import Refusal, clause, refusal
from hub.db import currencies
from hub.endofday import api, service
from hub.errors import FieldErrors, HubError
from hub.inventory import _format
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.parse import TypedError, parse_amount, store_moment
from hub.portal.registry import Page

PAGES = (
    Page("endofday", "End of day", "/end-of-day", "Sales", "sales.view",
         keywords="end of day close day cash up deposit bank z report backup daily close",
         summary="Walk through closing the trading day: shifts, tills, exceptions, cash-up, deposits, backup"),
)
DATE = r"^(\d{4}-\d{2}-\d{2})?$"
DepositId = Annotated[str, Parameter(max_length=64)]
STATE_NAMES = {service.DONE: "Done", service.NEEDS_ACTION: "Needs action", service.NOT_APPLICABLE: "Not applicable"}
STATE_BADGES = {service.DONE: "ok", service.NEEDS_ACTION: "warn", service.NOT_APPLICABLE: ""}
LABELS = {"currency": "Currency", "amount": "Amount", "bank": "Bank", "reference": "Slip number or reference",
          "deposited_by": "Deposited by", "deposited_at": "Deposited at", "date": "Trading day"}


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:  # 2026-02-31 passes the pattern
        return None


def _decimals(conn: Any) -> dict[str, int]:
    return {c["code"]: c["decimals"] for c in currencies.list_currencies(conn, limit=1000)}


def _active(conn: Any) -> list[str]:
    return [c["code"] for c in currencies.list_currencies(conn, active=True, limit=1000)]


def _helpers(decimals: dict[str, int]) -> dict[str, Any]:
    def money(minor: int | None, code: str) -> str:
        return _format.money(minor, decimals.get(code, 2), code)

    def signed(minor: int | None, code: str) -> str:
        return ("+" if minor and minor > 0 else "") + money(minor, code)

    return {"money": money, "signed": signed, "state_names": STATE_NAMES, "state_badges": STATE_BADGES}


def deposit_body(form: Form, decimals: dict[str, int],
                 zone: dt.tzinfo) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The deposit a filled-in form records, and what the form itself refuses (by input name)."""
    errors: list[tuple[str, str]] = []
    day = _day(form.get("date").strip())
    if day is None:
        errors.append(("date", "is not a date such as 2026-03-01"))
    code = form.get("currency").strip()
    amount = None
    try:
        amount = parse_amount(form.get("amount"), decimals.get(code, 2))
        if amount <= 0 or amount > service.MAX_AMOUNT:
            errors.append(("amount", "must be more than zero and within what the hub can hold"))
    except TypedError as err:
        errors.append(("amount", str(err)))
    at = None
    text = form.get("deposited_at").strip()
    if text:
        try:
            at = store_moment(text, zone)
        except TypedError:
            errors.append(("deposited_at", "is not a date and time, such as 2026-03-01 09:30"))
    else:
        errors.append(("deposited_at", "say when the cash was deposited"))
    body = {"date": day, "currency": code, "amount": amount, "bank": form.get("bank"),
            "reference": form.get("reference"), "deposited_by": form.get("deposited_by"), "deposited_at": at}
    return body, errors


def _record(conn: Any, actor: Any, form: Form) -> dict[str, Any]:
    body, errors = deposit_body(form, _decimals(conn), service.zone_of(conn))
    if errors:  # the form's own refusals and the service's, together, one per input
        named = dict(errors)
        errors += [(k, v) for k, v in service.deposit_problems(conn, body) if k not in named]
        raise FieldErrors(errors)
    return service.record_deposit(conn, actor, body)


class EndOfDayPortal(PortalController):
    path = "/end-of-day"

    async def _page(self, request: Request, day: dt.date | None, *, values: dict[str, str] | None = None,
                    refused: Refusal | None = None, reverse_refused: dict[str, str] | None = None,
                    close_refused: str = "") -> Template:
        identity = request.state.identity
        try:
            state = await api.read_day(request, day)
        except FieldErrors:
            state = await api.read_day(request, None)
            refused = refused or Refusal(422, "That day has not come yet: here is today.")
        extra = await request.app.state.db.read(lambda c: {"decimals": _decimals(c), "active": _active(c),
                                                           "today": service.today(c).isoformat()})
        zone = (await shell.store_of(request))["zone"]
        if values is None:
            values = {"date": state["date"], "currency": (extra["active"] or [""])[0],
                      "deposited_at": dt.datetime.now(zone).strftime("%Y-%m-%dT%H:%M")}
        status = refused.status if refused else (409 if close_refused else 200)
        if reverse_refused:
            status = 422
        return await shell.page(
            request, "endofday/day.html", key="endofday",
            status=status, day=state, values=values, refused=refused or Refusal(), labels=LABELS,
            reverse_refused=reverse_refused or {}, close_refused=close_refused, active=extra["active"],
            today=extra["today"], can_manage=identity.can(api.MANAGE), can_backup=identity.can("backups.manage"),
            **_helpers(extra["decimals"]))

    @get(opt=requires(api.VIEW))
    async def day(self, request: Request, date: Annotated[str, Parameter(pattern=DATE)] = "") -> Template:
        return await self._page(request, _day(date))

    @post("/deposits", opt=requires(api.MANAGE), status_code=303)
    async def record_deposit(self, request: Request) -> Response:
        form = Form(await request.form())
        try:
            row = await request.app.state.db.write(_record, request.state.identity.actor, form)
        except HubError as err:
            return await self._page(request, _day(form.get("date")), values=form.values(),
                                    refused=refusal(err, "The deposit was not recorded"))
        return shell.redirect(request, f"/end-of-day?date={row['business_day']}#deposits",
                              f"Deposit of {row['currency']} recorded.")

    @post("/deposits/{deposit_id:str}/reverse", opt=requires(api.MANAGE), status_code=303)
    async def reverse_deposit(self, request: Request, deposit_id: DepositId) -> Response:
        form = Form(await request.form())
        reason = form.get("reason")
        try:
            if len(reason.strip()) > service.MAX_REASON:
                raise FieldErrors([("reason", f"must be at most {service.MAX_REASON} characters")])
            row = await request.app.state.db.write(service.reverse_deposit, request.state.identity.actor,
                                                   deposit_id, reason)
        except HubError as err:
            found = refusal(err, "The deposit was not reversed")
            message = found.errors.get("reason") or clause(err.detail)
            return await self._page(request, _day(form.get("date")), reverse_refused={deposit_id: message})
        return shell.redirect(request, f"/end-of-day?date={row['business_day']}#deposits",
                              f"Deposit of {row['currency']} reversed.")

    @post("/close", opt=requires(api.MANAGE), status_code=303)
    async def close(self, request: Request) -> Response:
        form = Form(await request.form())
        day = _day(form.get("date"))
        if day is None:
            return shell.redirect(request, "/end-of-day", "Choose the day to close.", kind="error")
        found = await api.newest_backup(request)
        try:
            await request.app.state.db.write(service.close_day, request.state.identity.actor, day,
                                             newest_backup=found)
        except HubError as err:
            if isinstance(err, service.DayNotReadyError):
                return await self._page(request, day, close_refused="The day was not closed: some steps still "
                                                                    "need action (marked below).")
            return await self._page(request, day, close_refused="The day was not closed: " + clause(err.detail) + ".")
        return shell.redirect(request, f"/end-of-day?date={day.isoformat()}", f"{day.isoformat()} is closed.")

    @post("/backup", opt=requires("backups.manage"), status_code=303)
    async def backup(self, request: Request) -> Response:
        form = Form(await request.form())
        day = _day(form.get("date"))
        back = f"/end-of-day?date={day.isoformat()}" if day else "/end-of-day"
        from hub.ops import backup_child

        try:  # in a child process, as the API's: what copying and checking allocate never stays in the hub
            info = await backup_child.create(request.app.state.settings)
        except backups.BackupError as err:
            return shell.redirect(request, back, f"The backup failed: {err}", kind="error")
        await request.app.state.db.write(backups.record_created, request.state.identity.actor, info)
        return shell.redirect(request, back, f"Backup {info.name} made.")

    @get("/summary", opt=requires(api.VIEW))
    async def summary(self, request: Request, date: Annotated[str, Parameter(pattern=DATE)] = "") -> Template:
        try:
            state = await api.read_day(request, _day(date))
        except FieldErrors:
            state = await api.read_day(request, None)
        decimals = await request.app.state.db.read(_decimals)
        zone = (await shell.store_of(request))["zone"]
        return await shell.bare(request, "endofday/summary.html", title=f"Day summary {state['date']}",
                                day=state, zone=zone, **_helpers(decimals))


ROUTES = [EndOfDayPortal]
