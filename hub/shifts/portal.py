"""Portal pages of shifts (group "Sales"): the list (open shifts first, then every shift with
filters), a shift's page with its cash movements and X report (or its close figures), the close
form a manager fills in for a cashier's shift (counted cash per currency, by denomination if
wanted, and the providers' reported card and mobile-money totals) and the printable close report.

Tills open shifts and move cash through the API; the close here goes through
hub.shifts.service in one `db.write`, as the API's does.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue._rates_portal import TypedError, format_amount, parse_amount
from hub.catalogue._refdata_portal import Refusal, refusal
from hub.db import currencies
from hub.db import shifts as store
from hub.errors import FieldErrors, HubError
from hub.inventory import _format
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page
from hub.shifts import service
from hub.shifts.api import store_day

PAGES = (
    Page("shifts", "Shifts", "/shifts", "Sales", "shifts.view",
         keywords="shift cash up cashier till float pay in pay out safe drop x report close count variance z",
         summary="Cashiers' shifts: floats, cash movements, X reports, closing with counted cash"),
)
PAGE_SIZE = 50
ShiftId = Annotated[str, Parameter(max_length=64)]
DATE = r"^(\d{4}-\d{2}-\d{2})?$"
KIND_NAMES = {"pay_in": "Pay-in", "pay_out": "Pay-out", "safe_drop": "Safe drop"}
METHOD_NAMES = {"cash": "Cash", "card": "Card", "mobile_money": "Mobile money", "bank_transfer": "Bank transfer",
                "credit_account": "Credit account", "voucher": "Voucher", "store_credit": "Store credit"}
LABELS = {"counted": "Counted cash", "note": "Note"}


def _decimals(conn: Any) -> dict[str, int]:
    return {c["code"]: c["decimals"] for c in currencies.list_currencies(conn, limit=1000)}


def _helpers(decimals: dict[str, int]) -> dict[str, Any]:
    def money(minor: int | None, code: str) -> str:
        return _format.money(minor, decimals.get(code, 2), code)

    def signed(minor: int | None, code: str) -> str:
        return ("+" if minor and minor > 0 else "") + money(minor, code)

    return {"money": money, "signed": signed, "kind_names": KIND_NAMES,
            "method_name": lambda m: METHOD_NAMES.get(m, m.replace("_", " ").capitalize())}


def _list_page(conn: Any, *, day: dt.date | None, before: int | None, **filters: Any) -> dict[str, Any]:
    since, until = store_day(conn, day)
    return {"open": service.list_shifts(conn, status="open", limit=PAGE_SIZE + 1),
            "rows": service.list_shifts(conn, since=since, until=until, before=before, limit=PAGE_SIZE + 1,
                                        **filters),
            "tills": store.tills(conn), "cashiers": store.cashiers(conn), "decimals": _decimals(conn)}


def _close_form_data(conn: Any, shift_id: str) -> dict[str, Any]:
    report = service.x_report(conn, shift_id)
    cash = report["cash"]
    if not cash:  # nothing moved yet: count every currency the store takes
        cash = [{"currency": c["code"], "expected": 0}
                for c in currencies.list_currencies(conn, active=True, limit=1000)]
    notes = {line["currency"]: service.denominations(conn, line["currency"]) for line in cash}
    return {"report": report, "currencies": cash, "notes": notes,
            "tenders": [t for t in report["tenders"] if t["method"] != "cash"], "decimals": _decimals(conn)}


def _amount(form: Form, name: str, decimals: int, errors: list[tuple[str, str]], *,
            required: bool = False) -> int | None:
    text = form.get(name).strip()
    if not text and not required:
        return None
    try:
        value = parse_amount(text, decimals)
    except TypedError as err:
        errors.append((name, str(err)))
        return None
    if value > service.MAX_AMOUNT:
        errors.append((name, "is more than the hub can hold"))
        return None
    return value


def _quantity(form: Form, name: str, errors: list[tuple[str, str]]) -> int:
    text = form.get(name).strip()
    if not text:
        return 0
    if not text.isdigit() or int(text) > service.MAX_QUANTITY:
        errors.append((name, f"must be a whole number from 0 to {service.MAX_QUANTITY:,}"))
        return 0
    return int(text)


def close_body(form: Form, data: dict[str, Any]) -> dict[str, Any]:
    """The close request a filled-in form makes; FieldErrors naming the form's inputs."""
    errors: list[tuple[str, str]] = []
    counted = []
    for i, line in enumerate(data["currencies"]):
        code = line["currency"]
        decimals = data["decimals"].get(code, 2)
        notes = []
        for note in data["notes"][code]:
            quantity = _quantity(form, f"counted[{i}].{note['kind']}.{note['value']}", errors)
            if quantity:
                notes.append({"kind": note["kind"], "value": note["value"], "quantity": quantity})
        amount = _amount(form, f"counted[{i}].amount", decimals, errors)
        if amount is None and not notes and f"counted[{i}].amount" not in dict(errors):
            errors.append((f"counted[{i}].amount", f"count the {code} cash: its total or its notes and coins"
                                                   " (0 if there is none)"))
        item: dict[str, Any] = {"currency": code, "amount": amount}
        if notes:
            item["denominations"] = notes
        counted.append(item)
    reported = []
    for k, tender in enumerate(data["tenders"]):
        amount = _amount(form, f"reported[{k}].amount", data["decimals"].get(tender["currency"], 2), errors)
        if amount is not None:
            reported.append({"method": tender["method"], "provider": tender["provider"],
                             "currency": tender["currency"], "amount": amount})
    note = form.get("note").strip()
    if len(note) > service.MAX_NOTE:
        errors.append(("note", f"must be at most {service.MAX_NOTE} characters"))
    if errors:
        raise FieldErrors(errors)
    return {"counted": counted, "reported": reported, "note": note}


def _close(conn: Any, actor: Any, shift_id: str, form: Form) -> dict[str, Any]:
    data = _close_form_data(conn, shift_id)
    service.require_open(data["report"]["shift"], "closing it again")  # before the form's own checks
    body = close_body(form, data)
    return service.close_shift(conn, actor, shift_id, body, can_manage=True)


def _labels(data: dict[str, Any]) -> dict[str, str]:
    labels = dict(LABELS)
    for i, line in enumerate(data["currencies"]):
        code = line["currency"]
        labels[f"counted[{i}].amount"] = f"Counted {code} cash"
        for note in data["notes"][code]:
            labels[f"counted[{i}].{note['kind']}.{note['value']}"] = f"{code} {note['label']}"
    for k, tender in enumerate(data["tenders"]):
        labels[f"reported[{k}].amount"] = (f"{METHOD_NAMES.get(tender['method'], tender['method'])} "
                                           f"{tender['provider']} {tender['currency']}").replace("  ", " ")
    return labels


def _service_field(name: str, data: dict[str, Any]) -> str:
    """A service error's field (`counted[0].denominations[2].value`) as the form's input name."""
    return name.split(".denominations[")[0] + ".amount" if ".denominations[" in name else name


class ShiftPortal(PortalController):
    path = "/shifts"

    @get(opt=requires("shifts.view"))
    async def list_shifts(
        self, request: Request, status: Annotated[str, Parameter(pattern=r"^(open|closed|)$")] = "",
        till: Annotated[str, Parameter(max_length=64)] = "", cashier: Annotated[str, Parameter(max_length=64)] = "",
        date: Annotated[str, Parameter(pattern=DATE)] = "",
        before: Annotated[int | None, Parameter(ge=1, le=2**62)] = None,
    ) -> Template:
        try:
            day = dt.date.fromisoformat(date) if date else None
        except ValueError:  # 2026-02-31 passes the pattern
            day, date = None, ""
        data = await request.app.state.db.read(_list_page, day=day, before=before, status=status or None,
                                               device_id=till or None, cashier_id=cashier or None)
        rows = data["rows"][:PAGE_SIZE]
        filters = {"status": status, "till": till, "cashier": cashier, "date": date}
        kept = {k: v for k, v in filters.items() if v}
        older = (f"/shifts?{urlencode({**kept, 'before': rows[-1]['number']})}"
                 if len(data["rows"]) > PAGE_SIZE and rows and rows[-1]["number"] else None)
        return await shell.page(request, "shifts/list.html", key="shifts", open_shifts=data["open"][:PAGE_SIZE],
                                shifts=rows, filters=filters, filtered=bool(kept), tills=data["tills"],
                                cashiers=data["cashiers"], older=older, newest="/shifts" if before else None,
                                **_helpers(data["decimals"]))

    @get("/{shift_id:str}", opt=requires("shifts.view"))
    async def shift(self, request: Request, shift_id: ShiftId) -> Template:
        def read(conn: Any) -> dict[str, Any]:
            shift = service.get_shift(conn, shift_id)
            report = service.x_report(conn, shift_id) if shift["status"] == "open" else service.close_report(
                conn, shift_id)
            return {"shift": shift, "report": report, "decimals": _decimals(conn)}

        data = await request.app.state.db.read(read)
        s = data["shift"]
        return await shell.page(request, "shifts/shift.html", key="shifts", title=f"Shift {s['number']}",
                                crumbs=[(f"Shift {s['number']}", None)], s=s, report=data["report"],
                                can_close=request.state.identity.can("shifts.manage"), **_helpers(data["decimals"]))

    async def _form(self, request: Request, shift_id: str, values: dict[str, str],
                    refused: Refusal | None = None) -> Template:
        data = await request.app.state.db.read(_close_form_data, shift_id)
        s = data["report"]["shift"]
        refused = refused or Refusal()
        open_counts = {i for i, line in enumerate(data["currencies"]) for n in data["notes"][line["currency"]]
                       if values.get(f"counted[{i}].{n['kind']}.{n['value']}", "").strip()
                       or f"counted[{i}].{n['kind']}.{n['value']}" in refused.errors}
        return await shell.page(request, "shifts/close.html", open_counts=open_counts, key="shifts", title=f"Close shift {s['number']}",
                                crumbs=[(f"Shift {s['number']}", f"/shifts/{s['id']}"), ("Close", None)],
                                status=refused.status, s=s, data=data, values=values, refused=refused,
                                labels=_labels(data), amount=format_amount, **_helpers(data["decimals"]))

    @get("/{shift_id:str}/close", opt=requires("shifts.manage"))
    async def close_form(self, request: Request, shift_id: ShiftId) -> Response | Template:
        s = await request.app.state.db.read(service.get_shift, shift_id)
        if s["status"] != "open":
            return shell.redirect(request, f"/shifts/{shift_id}", f"Shift {s['number']} is already closed.")
        return await self._form(request, shift_id, {})

    @post("/{shift_id:str}/close", opt=requires("shifts.manage"), status_code=303)
    async def close(self, request: Request, shift_id: ShiftId) -> Response:
        form = Form(await request.form())
        try:
            report = await request.app.state.db.write(_close, request.state.identity.actor, shift_id, form)
        except HubError as err:
            refused = refusal(err, "The shift was not closed")
            if refused.errors:
                data = await request.app.state.db.read(_close_form_data, shift_id)
                refused = Refusal(refused.status, refused.summary,
                                  {_service_field(k, data): v for k, v in refused.errors.items()})
            return await self._form(request, shift_id, form.values(), refused)
        s = report["shift"]
        return shell.redirect(request, f"/shifts/{shift_id}", f"Shift {s['number']} closed.")

    @get("/{shift_id:str}/report", opt=requires("shifts.view"))
    async def printable(self, request: Request, shift_id: ShiftId) -> Response | Template:
        def read(conn: Any) -> dict[str, Any] | None:
            shift = service.get_shift(conn, shift_id)
            if shift["status"] != "closed":
                return None
            return {"report": service.close_report(conn, shift_id), "decimals": _decimals(conn)}

        data = await request.app.state.db.read(read)
        if data is None:
            return shell.redirect(request, f"/shifts/{shift_id}", "The shift is still open: its X report is here.",
                                  kind="error")
        s = data["report"]["shift"]
        zone = (await shell.store_of(request))["zone"]
        return await shell.bare(request, "shifts/report.html", title=f"Shift {s['number']} close report",
                                report=data["report"], s=s, zone=zone, **_helpers(data["decimals"]))


ROUTES = [ShiftPortal]
