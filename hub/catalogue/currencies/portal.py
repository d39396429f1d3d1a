"""Portal pages for currencies and exchange rates: the store's currencies (base, decimals, cash
rounding, how prices derive), a new or edited currency, and the exchange rates (the rate in force
per pair, the full history, a new rate from now or scheduled).

Every change calls the service the API calls (hub.catalogue.currencies.service and
hub.catalogue.exchange_rates.service) inside one `db.write`, so the same rules hold (one base that
stays put once prices exist, exact rate text, HQ's fields stay HQ's) and each change writes one
audit entry and its changes rows. Rates are shown as the API's exact decimal text, never a float.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue import ownership
from hub.catalogue._common import given
from hub.catalogue._rates_portal import (
    FormValues, Refusal, check_fields, format_amount, pager, parse_amount, parse_local, raise_if, refusal, typed,
)
from hub.catalogue.currencies import service
from hub.catalogue.currencies.schemas import CurrencyCreate, CurrencyUpdate
from hub.catalogue.exchange_rates import service as rates
from hub.catalogue.exchange_rates.scaled import scale_places
from hub.catalogue.exchange_rates.schemas import DEFAULT_SCALE, ExchangeRateCreate
from hub.db import currencies
from hub.errors import HubError, NotFoundError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page
from hub.portal.templating import local_time

PAGES = (
    Page("currencies", "Currencies", "/currencies", "Catalogue", "catalogue.view",
         keywords="exchange rates ZWG USD rate money base currency cash rounding coin",
         summary="The store's currencies, the base, cash rounding and exchange rates"),
    Page("currencies.rates", "Exchange rates", "/currencies/rates", "Catalogue", "catalogue.view",
         sidebar=False, keywords="exchange rates ZWG USD rate official history schedule"),
    Page("currencies.new", "New currency", "/currencies/new", "Catalogue", "currencies.manage",
         sidebar=False, keywords="add currency"),
)
Code = Annotated[str, Parameter(max_length=3)]
PAGE_SIZE = 25  # currencies per page
RATES_PER_PAGE = 20  # exchange rate history rows per page
MAX_PAIRS = 200
STATUSES = (("active", "Active"), ("archived", "Archived"), ("all", "All"))
ROUND_MODES = (("half_up", "To the nearest (half up)"), ("up", "Always up"), ("down", "Always down"))
SOURCES = (("store", "The store's own rate"), ("official", "The official rate (RBZ)"))
SOURCE_NAMES = {"store": "Store", "official": "Official", "hq": "HQ"}
CURRENCY_FIELDS = ("name", "symbol", "decimals", "is_base", "derive_prices", "round_step", "round_mode",
                   "cash_rounding")
CURRENCY_LABELS = {"code": "Code", "name": "Name", "symbol": "Symbol", "decimals": "Decimals",
                   "is_base": "Base currency", "derive_prices": "Derive prices",
                   "round_step": "Round derived prices to", "round_mode": "Rounding",
                   "cash_rounding": "Smallest coin"}
RATE_LABELS = {"quote": "To", "base": "From", "rate_text": "Rate", "effective_from": "Starts",
               "source": "Source", "note": "Note"}
RATE_NAMES = {"rate": "rate_text", "rate_scale": "rate_text"}
RATE_WORDING = {f"more decimals than rate_scale {DEFAULT_SCALE} holds (at most {scale_places(DEFAULT_SCALE)})":
                f"more than {scale_places(DEFAULT_SCALE)} decimals",
                "leave it out to start now": "leave it empty to start now"}


def _status_filter(status: str) -> bool | None:
    return {"active": True, "archived": False}.get(status)


def _hq_locked(conn: Any) -> list[str]:
    """The currency fields HQ owns now (none until the hub is enrolled)."""
    if not ownership.is_enrolled(conn):
        return []
    return ownership.hq_fields(service.OWNERSHIP, ["code", *CURRENCY_FIELDS, "active"])


def _shown(currency: dict[str, Any]) -> dict[str, Any]:
    d = currency["decimals"]
    return {**currency, "coin": format_amount(currency["cash_rounding"], d),
            "step": format_amount(currency["round_step"], d),
            "mode": dict(ROUND_MODES).get(currency["round_mode"], currency["round_mode"])}


def _in_force(conn: Any) -> list[dict[str, Any]]:
    """Each pair's rate in force now and its scheduled rates, as the API lists them."""
    return rates.list_rates(conn, base=None, quote=None, history=False, after=None, limit=MAX_PAIRS)


def _amount_hint(decimals: int) -> str:
    return f"must be from {format_amount(1, decimals)} to {format_amount(1_000_000, decimals)}"


def currency_fields(form: Form, errors: list[tuple[str, str]], struct: type,
                    keep: dict[str, Any] | None = None) -> dict[str, Any]:
    """The currency form as the API's fields, each typed text checked (problems go to `errors`);
    `keep` holds the values of fields the form cannot change (HQ's once enrolled: their inputs
    are disabled, so not sent)."""
    keep = keep or {}
    raw: dict[str, Any] = {"name": form.get("name").strip(), "symbol": form.get("symbol").strip(),
                           "round_mode": form.get("round_mode") or "half_up",
                           "derive_prices": form.checked("derive_prices")}
    text = form.get("decimals").strip()
    raw["decimals"] = int(text) if text.isdigit() and len(text) <= 2 else None
    if form.checked("is_base"):
        raw["is_base"] = True  # never False from a form: the base moves by making another the base
    raw.update(keep)
    places = raw["decimals"] if raw["decimals"] in range(5) else None
    if places is None:
        errors.append(("decimals", "must be a whole number from 0 to 4"))
    for name in ("round_step", "cash_rounding"):
        if name not in keep and places is not None:
            raw[name] = typed(errors, name, parse_amount, form.get(name), places)
    hints = {"round_mode": "must be one of the choices"}
    if places is not None:
        hints.update(round_step=_amount_hint(places), cash_rounding=_amount_hint(places))
    refused = {name for name, _ in errors}
    errors += check_fields(struct, {k: v for k, v in raw.items() if v is not None and k not in refused},
                           hints)
    return raw


class CurrencyPortal(PortalController):
    path = "/currencies"

    @get(opt=requires("catalogue.view"))
    async def list_currencies(self, request: Request, q: Annotated[str, Parameter(max_length=60)] = "",
                              status: Annotated[str, Parameter(pattern="^(active|archived|all)$")] = "active",
                              after: Annotated[str | None, Parameter(max_length=3)] = None,
                              back: Annotated[str, Parameter(max_length=200)] = "") -> Template:
        db = request.app.state.db
        rows = await db.read(currencies.list_currencies, q=q.strip() or None, active=_status_filter(status),
                             after=after.upper() if after else None, limit=PAGE_SIZE + 1)
        items = rows[:PAGE_SIZE]
        next_after = items[-1]["code"] if len(rows) > PAGE_SIZE else None
        base = await db.read(currencies.base_currency)
        now_rates = {(r["base"], r["quote"]): r for r in await db.read(_in_force) if r["status"] == "in_force"}
        listed = [{**_shown(c), "rate": now_rates.get((base["code"], c["code"])) if base else None}
                  for c in items]
        filters = {"q": q, "status": status if status != "active" else ""}
        return await shell.page(request, "currencies/list.html", key="currencies", currencies=listed,
                                base=base, filters={"q": q, "status": status}, statuses=STATUSES,
                                pages=pager("/currencies", filters, after, back, next_after),
                                locked=await db.read(_hq_locked))

    async def _new_page(self, request: Request, values: dict[str, str] | None = None,
                        shown: Refusal | None = None) -> Template:
        db = request.app.state.db
        return await shell.page(request, "currencies/new.html", key="currencies.new",
                                values=FormValues(values or {"decimals": "2", "round_step": "0.01",
                                                             "cash_rounding": "0.01", "round_mode": "half_up"}),
                                refusal=shown, status=shown.status if shown else 200,
                                base=await db.read(currencies.base_currency), modes=ROUND_MODES,
                                locked=await db.read(_hq_locked))

    @get("/new", opt=requires("currencies.manage"))
    async def new_currency(self, request: Request) -> Template:
        return await self._new_page(request)

    @post(opt=requires("currencies.manage"), status_code=303)
    async def create_currency(self, request: Request) -> Response:
        identity, form = request.state.identity, Form(await request.form())
        try:
            errors: list[tuple[str, str]] = []
            fields = {"code": form.get("code").strip(),
                      **currency_fields(form, errors, CurrencyCreate)}
            errors += check_fields(CurrencyCreate, {"code": fields["code"]},
                                   {"code": "must be 3 letters (ISO 4217), e.g. ZWG"})
            raise_if(errors)
            data = msgspec.convert(fields, CurrencyCreate)
            row = await request.app.state.db.write(service.create_currency, identity.actor,
                                                   msgspec.structs.asdict(data))
        except HubError as err:
            return await self._new_page(request, form.values(), refusal(err, CURRENCY_LABELS))
        return shell.redirect(request, f"/currencies/{row['code']}", f"{row['code']} added.")

    async def _rates_page(self, request: Request, *, pair: str = "", after: str | None = None,
                          back: str = "", values: dict[str, str] | None = None,
                          shown: Refusal | None = None) -> Template:
        db = request.app.state.db
        current = await db.read(_in_force)
        pairs = sorted({(r["base"], r["quote"]) for r in current})
        base_code, _, quote_code = pair.partition("-")
        history = await db.read(rates.list_rates, base=base_code or None, quote=quote_code or None,
                                history=True, after=after, limit=RATES_PER_PAGE + 1)
        items = history[:RATES_PER_PAGE]
        next_after = items[-1]["id"] if len(history) > RATES_PER_PAGE else None
        active = await db.read(currencies.list_currencies, active=True, limit=MAX_PAIRS)
        base = await db.read(currencies.base_currency)
        others = [c for c in active if not c["is_base"]]
        defaults = {"base": base["code"] if base else "", "quote": others[0]["code"] if others else "",
                    "source": "store"}
        return await shell.page(
            request, "currencies/rates.html", key="currencies.rates", in_force=current, pairs=pairs,
            pair=pair, history=items, pages=pager("/currencies/rates", {"pair": pair}, after, back, next_after),
            options=[(c["code"], c["code"] + (" (base)" if c["is_base"] else "")) for c in active],
            values=FormValues(values or defaults), refusal=shown, sources=SOURCES,
            source_names=SOURCE_NAMES, status=shown.status if shown else 200, places=scale_places(DEFAULT_SCALE))

    @get("/rates", opt=requires("catalogue.view"))
    async def exchange_rates(self, request: Request,
                             pair: Annotated[str, Parameter(pattern="^([A-Za-z]{3}-[A-Za-z]{3})?$")] = "",
                             after: Annotated[str | None, Parameter(max_length=64)] = None,
                             back: Annotated[str, Parameter(max_length=2000)] = "") -> Template:
        return await self._rates_page(request, pair=pair.upper(), after=after, back=back)

    @post("/rates", opt=requires("currencies.manage"), status_code=303)
    async def record_rate(self, request: Request) -> Response:
        """A new rate from now or a later moment, as POST /api/v1/exchange-rates records it."""
        identity, form = request.state.identity, Form(await request.form())
        try:
            zone = (await shell.store_of(request))["zone"]
            errors: list[tuple[str, str]] = []
            fields: dict[str, Any] = {"quote": form.get("quote").strip(), "base": form.get("base").strip() or None,
                                      "rate_text": form.get("rate_text").strip(),
                                      "source": form.get("source") or "store", "note": form.get("note").strip()}
            if not fields["rate_text"]:
                errors.append(("rate_text", "is required"))
            errors += check_fields(ExchangeRateCreate, {k: v for k, v in fields.items() if v},
                                   {"quote": "must be one of the store's currencies",
                                    "base": "must be one of the store's currencies",
                                    "source": "must be one of the choices"})
            start = typed(errors, "effective_from", parse_local, form.get("effective_from"), zone)
            raise_if(errors)
            data = msgspec.convert({**fields, "effective_from": start}, ExchangeRateCreate)
            row = await request.app.state.db.write(rates.create_rate, identity.actor,
                                                   msgspec.structs.asdict(data))
        except HubError as err:
            shown = refusal(err, RATE_LABELS, RATE_NAMES, RATE_WORDING)
            return await self._rates_page(request, values=form.values(), shown=shown)
        when = {"in_force": "in force now",
                "scheduled": f"scheduled from {local_time(row['effective_from'], zone)}"}.get(
            row["status"], "recorded; a later rate is in force")
        return shell.redirect(request, f"/currencies/rates?pair={row['base']}-{row['quote']}",
                              f"1 {row['base']} = {row['rate_text']} {row['quote']}, {when}.")

    async def _currency_page(self, request: Request, code: str, failed: str | None = None,
                             values: dict[str, str] | None = None, shown: Refusal | None = None) -> Template:
        db = request.app.state.db
        row = await db.read(currencies.get_currency, code.upper())
        if row is None:
            raise NotFoundError(f"there is no currency {code}")
        currency = _shown(row)
        base = await db.read(currencies.base_currency)
        pair_rates = [r for r in await db.read(_in_force)
                      if base and (r["base"], r["quote"]) == (base["code"], currency["code"])]
        return await shell.page(
            request, "currencies/currency.html", key="currencies", title=f"{currency['code']}: {currency['name']}",
            crumbs=[(currency["code"], None)], currency=currency, base=base, pair_rates=pair_rates,
            failed=failed, values=FormValues(values or {}), refusal=shown, modes=ROUND_MODES,
            status=shown.status if shown else 200, locked=await db.read(_hq_locked))

    @get("/{code:str}", opt=requires("catalogue.view"))
    async def currency(self, request: Request, code: Code) -> Template:
        return await self._currency_page(request, code)

    async def _change(self, request: Request, code: str, section: str, form: Form, notice: str,
                      changes: dict[str, Any]) -> Response:
        try:
            row = await request.app.state.db.write(service.update_currency, request.state.identity.actor,
                                                   code, changes)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._currency_page(request, code, section, form.values(),
                                             refusal(err, CURRENCY_LABELS))
        return shell.redirect(request, f"/currencies/{row['code']}", notice)

    @post("/{code:str}", opt=requires("currencies.manage"), status_code=303)
    async def update_currency(self, request: Request, code: Code) -> Response:
        form, db = Form(await request.form()), request.app.state.db
        current = await db.read(currencies.get_currency, code.upper())
        if current is None:
            raise NotFoundError(f"there is no currency {code}")
        locked = await db.read(_hq_locked)
        # Disabled inputs (HQ's fields once enrolled) are not sent: they keep their values.
        keep = {k: current[k] for k in CURRENCY_FIELDS if k in locked}
        try:
            errors: list[tuple[str, str]] = []
            changes = currency_fields(form, errors, CurrencyUpdate, keep)
            raise_if(errors)
            changes = given(msgspec.convert(changes, CurrencyUpdate))
        except HubError as err:
            return await self._currency_page(request, code, "details", form.values(),
                                             refusal(err, CURRENCY_LABELS))
        return await self._change(request, code, "details", form, "Currency saved.", changes)

    @post("/{code:str}/archive", opt=requires("currencies.manage"), status_code=303)
    async def archive(self, request: Request, code: Code) -> Response:
        return await self._change(request, code, "active", Form({}),
                                  "Currency archived: no new price or rate can use it.", {"active": False})

    @post("/{code:str}/restore", opt=requires("currencies.manage"), status_code=303)
    async def restore(self, request: Request, code: Code) -> Response:
        return await self._change(request, code, "active", Form({}), "Currency restored.", {"active": True})


ROUTES = [CurrencyPortal]
