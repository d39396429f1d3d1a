"""Portal pages for tax: the tax classes with the rate in force, one class's rate history, a
future rate, a new or edited class, and the store's tax mode (prices include tax or not).

Every change calls the service the API calls (hub.catalogue.taxes.service, and
hub.catalogue.pricing_settings.service for the tax mode) inside one `db.write`, so the same
rules hold (a rate never starts in the past, HQ's fields stay HQ's) and each change writes one
audit entry and its changes rows. Rates are typed as percentages and kept in basis points.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue import ownership
from hub.catalogue._common import given
from hub.catalogue._rates_portal import (
    FormValues, Refusal, check_fields, format_amount, format_percent, pager, parse_local, parse_percent,
    raise_if, refusal, typed,
)
from hub.catalogue.pricing_settings import service as pricing
from hub.catalogue.pricing_settings.schemas import PricingSettingsUpdate
from hub.catalogue.taxes import service
from hub.catalogue.taxes.schemas import TaxClassCreate, TaxClassUpdate, TaxRateCreate
from hub.db import currencies, users
from hub.errors import HubError, NotFoundError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page
from hub.portal.templating import local_time

PAGES = (
    Page("taxes", "Tax", "/taxes", "Catalogue", "catalogue.view",
         keywords="VAT tax classes rates inclusive exclusive zero-rated exempt zimra tax mode",
         summary="Tax classes, their rates and history, and whether shelf prices include tax"),
    Page("taxes.new", "New tax class", "/taxes/new", "Catalogue", "taxes.manage", sidebar=False,
         keywords="add tax class VAT rate"),
)
ClassId = Annotated[str, Parameter(max_length=64)]
PAGE_SIZE = 25  # tax classes per page (a store has a handful)
STATUSES = (("active", "Active"), ("archived", "Archived"), ("all", "All"))
TAX_MODES = (("inclusive", "Prices include tax", "Shelf prices are what the customer pays; the "
              "receipt shows the tax inside them. Usual in Zimbabwe."),
             ("exclusive", "Tax is added at the till", "Shelf prices are before tax; the till "
              "adds each line's tax to the total."))
LABELS = {"code": "Code", "name": "Name", "exempt": "Exempt", "rate": "Rate",
          "effective_from": "Starts", "tax_mode": "Tax mode"}
NAMES = {"rate_bp": "rate", "rates": "rate"}  # the API's field -> the form's input
WORDING = {"rate_bp": "the rate", "leave it out to start now": "leave it empty to start now"}
HINTS = {"code": "must be 1 to 16 letters, digits, dots, dashes or underscores"}


def _form_refusal(err: HubError) -> Refusal:
    return refusal(err, LABELS, NAMES, WORDING)


def _status_filter(status: str) -> bool | None:
    return {"active": True, "archived": False}.get(status)


def _shown(tax_class: dict[str, Any]) -> dict[str, Any]:
    """The class with its rates as percentages and the next scheduled rate, for the templates."""
    rates = [{**r, "percent": format_percent(r["rate_bp"])} for r in tax_class["rates"]]
    upcoming = [r for r in rates if r["status"] == "scheduled"]
    percent = format_percent(tax_class["rate_bp"]) if tax_class["rate_bp"] is not None else None
    return {**tax_class, "rates": rates, "percent": percent, "next_rate": upcoming[0] if upcoming else None}


def _hq_locked(conn: Any) -> list[str]:
    """The tax class fields HQ owns now (none until the hub is enrolled)."""
    if not ownership.is_enrolled(conn):
        return []
    return ownership.hq_fields(service.OWNERSHIP, ["code", "name", "exempt", "rates", "active"])


def _cash_rounding(conn: Any) -> list[dict[str, Any]]:
    rows = currencies.list_currencies(conn, q=None, active=True, after=None, limit=100)
    return [{"code": c["code"], "coin": format_amount(c["cash_rounding"], c["decimals"])} for c in rows]


def _usernames(conn: Any, user_ids: set[str]) -> dict[str, str]:
    """Who set each rate, by user id (the id itself for a user no longer there)."""
    found = {user_id: users.get_user(conn, user_id) for user_id in user_ids}
    return {user_id: user["username"] if user else user_id for user_id, user in found.items()}


class TaxPortal(PortalController):
    path = "/taxes"

    async def _list_page(self, request: Request, *, q: str = "", status: str = "active",
                         after: str | None = None, back: str = "", mode: dict[str, Any] | None = None,
                         ) -> Template:
        db, identity = request.app.state.db, request.state.identity
        rows = await db.read(service.list_tax_classes, q=q.strip() or None, active=_status_filter(status),
                             exempt=None, after=after, limit=PAGE_SIZE + 1)
        items, next_after = rows[:PAGE_SIZE], (rows[PAGE_SIZE - 1]["id"] if len(rows) > PAGE_SIZE else None)
        filters = {"q": q, "status": status if status != "active" else ""}
        mode = {"refusal": None, "value": None, "status": 200, **(mode or {})}
        settings = None
        if identity.can("settings.view"):
            settings = {**await db.read(pricing.get_pricing),
                        "coins": await db.read(_cash_rounding)}
        return await shell.page(
            request, "taxes/list.html", key="taxes", classes=[_shown(c) for c in items],
            filters={"q": q, "status": status}, statuses=STATUSES,
            pages=pager("/taxes", filters, after, back, next_after), settings=settings, modes=TAX_MODES,
            mode=mode, status=mode["status"], locked=await db.read(_hq_locked))

    @get(opt=requires("catalogue.view"))
    async def list_classes(self, request: Request, q: Annotated[str, Parameter(max_length=60)] = "",
                           status: Annotated[str, Parameter(pattern="^(active|archived|all)$")] = "active",
                           after: Annotated[str | None, Parameter(max_length=64)] = None,
                           back: Annotated[str, Parameter(max_length=2000)] = "") -> Template:
        return await self._list_page(request, q=q, status=status, after=after, back=back)

    @post("/pricing", opt=requires("settings.manage"), status_code=303)
    async def save_tax_mode(self, request: Request) -> Response:
        """The store's tax mode, as PUT /api/v1/settings/pricing sets it."""
        identity, form = request.state.identity, Form(await request.form())
        chosen = form.get("tax_mode")
        try:
            raise_if(check_fields(PricingSettingsUpdate, {"tax_mode": chosen},
                                  {"tax_mode": "must be one of the two choices"}))
            before = await request.app.state.db.read(pricing.tax_mode)
            await request.app.state.db.write(pricing.update_pricing, identity.actor, chosen)
        except HubError as err:
            shown = _form_refusal(err)
            return await self._list_page(request, mode={"refusal": shown, "value": chosen,
                                                        "status": shown.status})
        label = next(text for value, text, _ in TAX_MODES if value == chosen)
        notice = f"{label}: the tax mode was already this." if before == chosen else \
            f"Tax mode saved: {label[0].lower()}{label[1:]}."
        return shell.redirect(request, "/taxes", notice)

    async def _new_page(self, request: Request, values: dict[str, str] | None = None,
                        shown: Refusal | None = None) -> Template:
        return await shell.page(request, "taxes/new.html", key="taxes.new", values=FormValues(values or {}),
                                refusal=shown, status=shown.status if shown else 200,
                                locked=await request.app.state.db.read(_hq_locked))

    @get("/new", opt=requires("taxes.manage"))
    async def new_class(self, request: Request) -> Template:
        return await self._new_page(request)

    @post(opt=requires("taxes.manage"), status_code=303)
    async def create_class(self, request: Request) -> Response:
        identity, form = request.state.identity, Form(await request.form())
        try:
            zone = (await shell.store_of(request))["zone"]
            errors: list[tuple[str, str]] = []
            fields: dict[str, Any] = {"code": form.get("code").strip(), "name": form.get("name").strip(),
                                      "exempt": form.checked("exempt")}
            errors += check_fields(TaxClassCreate, fields, HINTS)
            if form.get("rate").strip():
                fields["rate_bp"] = typed(errors, "rate", parse_percent, form.get("rate"))
            start = typed(errors, "effective_from", parse_local, form.get("effective_from"), zone)
            if start is not None:
                fields["effective_from"] = start
            raise_if(errors)
            data = msgspec.convert(fields, TaxClassCreate)
            row = await request.app.state.db.write(service.create_tax_class, identity.actor,
                                                   msgspec.structs.asdict(data))
        except HubError as err:
            return await self._new_page(request, form.values(), _form_refusal(err))
        return shell.redirect(request, f"/taxes/{row['id']}", f"Tax class {row['code']} created.")

    async def _class_page(self, request: Request, class_id: str, failed: str | None = None,
                          values: dict[str, str] | None = None, shown: Refusal | None = None) -> Template:
        db = request.app.state.db
        tax_class = _shown(await db.read(service.get_tax_class, class_id))
        names = await db.read(_usernames, {r["created_by"] for r in tax_class["rates"] if r["created_by"]})
        in_force = next((r for r in tax_class["rates"] if r["status"] == "in_force"), None)
        return await shell.page(
            request, "taxes/class.html", key="taxes", title=f"{tax_class['code']}: {tax_class['name']}",
            crumbs=[(tax_class["code"], None)], tax_class=tax_class, in_force=in_force,
            setters=names, failed=failed, values=FormValues(values or {}), refusal=shown,
            status=shown.status if shown else 200, locked=await db.read(_hq_locked))

    @get("/{class_id:str}", opt=requires("catalogue.view"))
    async def tax_class(self, request: Request, class_id: ClassId) -> Template:
        return await self._class_page(request, class_id)

    async def _change(self, request: Request, class_id: str, section: str, form: Form,
                      notice: str, fn: Any, *args: Any) -> Response:
        try:
            await request.app.state.db.write(fn, request.state.identity.actor, class_id, *args)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._class_page(request, class_id, section, form.values(), _form_refusal(err))
        return shell.redirect(request, f"/taxes/{class_id}", notice)

    @post("/{class_id:str}", opt=requires("taxes.manage"), status_code=303)
    async def update_class(self, request: Request, class_id: ClassId) -> Response:
        form, db = Form(await request.form()), request.app.state.db
        current, locked = await db.read(service.get_tax_class, class_id), await db.read(_hq_locked)
        changes = {"code": form.get("code").strip(), "name": form.get("name").strip(),
                   "exempt": form.checked("exempt")}
        # Disabled inputs (HQ's fields once enrolled) are not sent: they keep their values.
        changes.update({k: current[k] for k in changes if k in locked})
        try:
            raise_if(check_fields(TaxClassUpdate, changes, HINTS))
        except HubError as err:
            return await self._class_page(request, class_id, "details", form.values(), _form_refusal(err))
        return await self._change(request, class_id, "details", form, "Tax class saved.",
                                  service.update_tax_class, given(msgspec.convert(changes, TaxClassUpdate)))

    @post("/{class_id:str}/rates", opt=requires("taxes.manage"), status_code=303)
    async def add_rate(self, request: Request, class_id: ClassId) -> Response:
        form = Form(await request.form())
        try:
            zone = (await shell.store_of(request))["zone"]
            errors: list[tuple[str, str]] = []
            rate_bp = typed(errors, "rate", parse_percent, form.get("rate"))
            start = typed(errors, "effective_from", parse_local, form.get("effective_from"), zone)
            raise_if(errors)
            data = msgspec.convert({"rate_bp": rate_bp, "effective_from": start}, TaxRateCreate)
        except HubError as err:
            return await self._class_page(request, class_id, "rate", form.values(), _form_refusal(err))
        when = "from now" if start is None else \
            f"from {local_time(dt.datetime.fromisoformat(start), zone)}"
        return await self._change(request, class_id, "rate", form,
                                  f"Rate of {format_percent(rate_bp)} added, {when}.",
                                  service.add_rate, msgspec.structs.asdict(data))

    @post("/{class_id:str}/archive", opt=requires("taxes.manage"), status_code=303)
    async def archive(self, request: Request, class_id: ClassId) -> Response:
        return await self._change(request, class_id, "active", Form({}),
                                  "Tax class archived: no new product can use it.",
                                  service.update_tax_class, {"active": False})

    @post("/{class_id:str}/restore", opt=requires("taxes.manage"), status_code=303)
    async def restore(self, request: Request, class_id: ClassId) -> Response:
        return await self._change(request, class_id, "active", Form({}), "Tax class restored.",
                                  service.update_tax_class, {"active": True})


ROUTES = [TaxPortal]
