"""Portal pages for pricing tiers: the list, a new tier, one tier (rename, its rule, archive)
with its own product prices (paged; set one by SKU or barcode, remove one).

Every change goes through hub.catalogue.pricing_tiers.service inside one `db.write`, exactly as
the API's does (the form's values checked by the API's own structs first), so the same rules hold
and each change writes one audit entry. Once the hub is enrolled, HQ owns every tier field
(ownership.toml `[pricing_tiers]`): the forms show disabled, with a note.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue import ownership
from hub.catalogue.pricing_tiers import service
from hub.catalogue.pricing_tiers.schemas import MAX_MONEY, PricingTierCreate
from hub.catalogue.promotions import _portal_form as promo_form
from hub.catalogue.promotions._portal_text import (TextError, format_money, format_percent,
                                                   parse_money, parse_percent, plain_money)
from hub.db import pricing_tiers as tiers
from hub.db import products
from hub.errors import FieldErrors, HubError, NotFoundError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page

PAGES = (
    Page("pricing_tiers", "Pricing tiers", "/pricing-tiers", "Catalogue", "catalogue.view",
         keywords="wholesale staff loyalty customer price list tier discount",
         summary="Prices for groups of customers: a percent off, or a product's own tier price"),
    Page("pricing_tiers.new", "New pricing tier", "/pricing-tiers/new", "Catalogue",
         "prices.manage", sidebar=False, keywords="add create tier wholesale staff price list"),
)
TierId = Annotated[str, Parameter(max_length=64)]
ProductId = Annotated[str, Parameter(max_length=64)]
PAGE_SIZE = 50
PRICES_PAGE = 50
RULE_INPUT = {"percent_off_bp": "percent"}  # the service's field -> the form's input
HQ_NOTE = ("This hub is enrolled with HQ, which owns pricing tiers and their prices: "
           "change them at HQ.")


def _sentence(err: HubError) -> str:
    return err.detail[0].upper() + err.detail[1:] + ("" if err.detail.endswith(".") else ".")


def _upper(text: object) -> str:
    return str(text)[:1].upper() + str(text)[1:]


def rule_text(percent_off_bp: int | None) -> str:
    if percent_off_bp is None:
        return "Only its own product prices"
    return f"{format_percent(percent_off_bp)} % off the normal price"


def tier_fields(form: Form) -> tuple[dict[str, Any], dict[str, str]]:
    """Name and rule from the form, checked by the API's struct; errors by input."""
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {"name": form.get("name").strip(), "percent_off_bp": None}
    if not fields["name"]:
        errors["name"] = "A tier needs a name"
    elif len(fields["name"]) > 60:
        errors["name"] = "At most 60 characters"
    percent = form.get("percent").strip()
    if percent:
        try:
            fields["percent_off_bp"] = parse_percent(percent)
        except TextError as err:
            errors["percent"] = _upper(err)
        else:
            if fields["percent_off_bp"] > 10_000:
                errors["percent"] = "At most 100 (%)"
    if not errors:
        try:
            msgspec.convert(fields, PricingTierCreate)
        except msgspec.ValidationError as err:
            path = str(err).rsplit("$.", 1)[-1].rstrip("`")
            errors["percent" if path == "percent_off_bp" else "name"] = str(err).split(" - at ")[0]
    return fields, errors


def _messages(err: FieldErrors, inputs: dict[str, str]) -> dict[str, str]:
    return {inputs.get(e["field"], e["field"]): _upper(e["message"]) for e in err.errors}


def _tier_page(conn: sqlite3.Connection, tier_id: str, after: str | None,
               edit: str | None) -> dict[str, Any]:
    """The tier, a page of its product prices with the products' names and normal prices, the
    product being edited, the store's currencies, and whether HQ owns the tier."""
    tier = tiers.get_tier(conn, tier_id)
    if tier is None:
        raise NotFoundError(f"there is no pricing tier {tier_id}")
    page = tiers.prices_page(conn, tier_id, after=after, limit=PRICES_PAGE + 1)
    shown = page[:PRICES_PAGE]
    wanted = [e["product_id"] for e in shown] + ([edit] if edit else [])
    docs = {p["id"]: p for p in products.get_products(conn, wanted)}
    entries = [{**e, "product": docs.get(e["product_id"])} for e in shown]
    editing = None
    if edit and edit in docs:
        editing = {"product": docs[edit], "prices": tiers.product_prices(conn, tier_id, edit)}
    return {"tier": tier, "entries": entries, "editing": editing,
            "refs": promo_form.load_refs(conn),
            "more": shown[-1]["product_id"] if len(page) > PRICES_PAGE else None,
            "enrolled": ownership.is_enrolled(conn)}


def _resolve(conn: sqlite3.Connection, code: str) -> dict[str, Any] | None:
    try:
        found = products.lookup(conn, code)
    except products.MisreadBarcodeError:
        return None
    return found["product"] if found and found["product"]["active"] else None


class PricingTierPortal(PortalController):
    path = "/pricing-tiers"

    @get(opt=requires("catalogue.view"))
    async def list_tiers(self, request: Request, q: Annotated[str, Parameter(max_length=60)] = "",
                         show: Annotated[str, Parameter(pattern="^(active|all)$")] = "active",
                         after: Annotated[str, Parameter(max_length=60)] = "") -> Template:
        rows = await request.app.state.db.read(tiers.list_tiers, after=after or None,
                                               limit=PAGE_SIZE + 1, include_archived=show == "all",
                                               q=q.strip() or None)
        shown = [{**t, "rule": rule_text(t["percent_off_bp"])} for t in rows[:PAGE_SIZE]]
        kept = {k: v for k, v in {"q": q, "show": "all" if show == "all" else ""}.items() if v}
        more = (f"/pricing-tiers?{urlencode({**kept, 'after': shown[-1]['name']})}"
                if len(rows) > PAGE_SIZE else None)
        return await shell.page(request, "pricing_tiers/list.html", key="pricing_tiers",
                                tiers=shown, filters={"q": q, "show": show}, more=more,
                                first=f"/pricing-tiers?{urlencode(kept)}" if after else None)

    async def _new_page(self, request: Request, values: dict[str, str],
                        errors: dict[str, str] | None = None, summary: str | None = None,
                        status: int = 200) -> Template:
        enrolled = await request.app.state.db.read(ownership.is_enrolled)
        return await shell.page(request, "pricing_tiers/new.html", key="pricing_tiers.new",
                                values=values, errors=errors or {}, summary=summary,
                                enrolled=enrolled, hq_note=HQ_NOTE, listed=_listed(errors or {}),
                                status=status)

    @get("/new", opt=requires("prices.manage"))
    async def new_tier(self, request: Request) -> Template:
        return await self._new_page(request, {})

    @post(opt=requires("prices.manage"), status_code=303)
    async def create_tier(self, request: Request) -> Response:
        form = Form(await request.form())
        values = {"name": form.get("name"), "percent": form.get("percent")}
        fields, errors = tier_fields(form)
        if errors:
            return await self._new_page(request, values, errors, status=422)
        try:
            row = await request.app.state.db.write(service.create_tier,
                                                   request.state.identity.actor, **fields)
        except FieldErrors as err:
            return await self._new_page(request, values, _messages(err, RULE_INPUT),
                                        status=err.status)
        except HubError as err:
            return await self._new_page(request, values, summary=_sentence(err), status=err.status)
        return shell.redirect(request, f"/pricing-tiers/{row['id']}",
                              f"Pricing tier {row['name']} created.")

    async def _tier(self, request: Request, tier_id: str, *, after: str = "", edit: str = "",
                    errors: dict[str, dict[str, str]] | None = None,
                    values: dict[str, dict[str, str]] | None = None, summary: str | None = None,
                    status: int = 200) -> Template:
        """The tier's page; `errors` and `values` by form (`details`, `prices`) after a refusal."""
        data = await request.app.state.db.read(_tier_page, tier_id, after or None, edit or None)
        tier, refs = data["tier"], data["refs"]
        errors, values = errors or {}, values or {}
        details = values.get("details") or {"name": tier["name"],
                                            "percent": format_percent(tier["percent_off_bp"])}
        price_values = values.get("prices")
        if price_values is None:
            editing = data["editing"]
            price_values = {"code": editing["product"]["sku"] if editing else ""}
            for code, amount in (editing["prices"] if editing else {}).items():
                price_values[f"price_{code}"] = plain_money(amount, refs.decimals(code))
        decimals = {c["code"]: c["decimals"] for c in refs.currencies}
        can = request.state.identity.can("prices.manage")
        more = data["more"] and f"/pricing-tiers/{tier_id}?{urlencode({'after': data['more']})}"
        return await shell.page(
            request, "pricing_tiers/tier.html", key="pricing_tiers", title=tier["name"],
            crumbs=[(tier["name"], None)], tier=tier, rule=rule_text(tier["percent_off_bp"]),
            entries=data["entries"], refs=refs, more=more,
            first=f"/pricing-tiers/{tier_id}" if after else None, editing=data["editing"],
            details=details, price_values=price_values, errors=errors, summary=summary,
            listed=_listed({**errors.get("details", {}), **errors.get("prices", {})}),
            manage=can and not data["enrolled"] and tier["active"],
            hq_locked=can and data["enrolled"], hq_note=HQ_NOTE, status=status,
            money=lambda amount, code: format_money(amount, decimals.get(code, 2)))

    @get("/{tier_id:str}", opt=requires("catalogue.view"))
    async def tier(self, request: Request, tier_id: TierId,
                   after: Annotated[str, Parameter(max_length=64)] = "",
                   edit: Annotated[str, Parameter(max_length=64)] = "") -> Template:
        return await self._tier(request, tier_id, after=after, edit=edit)

    @post("/{tier_id:str}", opt=requires("prices.manage"), status_code=303)
    async def update_tier(self, request: Request, tier_id: TierId) -> Response:
        form = Form(await request.form())
        values = {"details": {"name": form.get("name"), "percent": form.get("percent")}}
        fields, errors = tier_fields(form)
        if errors:
            return await self._tier(request, tier_id, errors={"details": errors}, values=values,
                                    status=422)
        try:
            row = await request.app.state.db.write(service.update_tier,
                                                   request.state.identity.actor, tier_id, fields)
        except FieldErrors as err:
            return await self._tier(request, tier_id, values=values, status=err.status,
                                    errors={"details": _messages(err, RULE_INPUT)})
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._tier(request, tier_id, values=values, summary=_sentence(err),
                                    status=err.status)
        return shell.redirect(request, f"/pricing-tiers/{tier_id}",
                              f"Pricing tier {row['name']} saved.")

    @post("/{tier_id:str}/archive", opt=requires("prices.manage"), status_code=303)
    async def archive_tier(self, request: Request, tier_id: TierId) -> Response:
        try:
            row = await request.app.state.db.write(service.archive_tier,
                                                   request.state.identity.actor, tier_id)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._tier(request, tier_id, summary=_sentence(err), status=err.status)
        return shell.redirect(request, f"/pricing-tiers/{tier_id}",
                              f"Pricing tier {row['name']} archived: it prices no more baskets.")

    @post("/{tier_id:str}/prices", opt=requires("prices.manage"), status_code=303)
    async def set_prices(self, request: Request, tier_id: TierId) -> Response:
        db, form = request.app.state.db, Form(await request.form())
        refs = await db.read(promo_form.load_refs)
        typed = {"code": form.get("code").strip()[:64]}
        errors: dict[str, str] = {}
        prices: dict[str, int] = {}
        for currency in refs.currencies:
            name = f"price_{currency['code']}"
            typed[name] = form.get(name)
            if typed[name].strip():
                try:
                    prices[currency["code"]] = parse_money(typed[name], currency["decimals"])
                except TextError as err:
                    errors[name] = _upper(err)
                else:
                    if prices[currency["code"]] > MAX_MONEY:
                        errors[name] = "Too large"
        product = await db.read(_resolve, typed["code"]) if typed["code"] else None
        if not typed["code"]:
            errors["code"] = "Type the product's SKU or barcode"
        elif product is None:
            errors["code"] = f"No active product has the SKU or barcode {typed['code']}"
        if not prices and not errors.keys() & {f"price_{c['code']}" for c in refs.currencies}:
            errors["price"] = "Give the tier price in at least one currency"
        if errors:
            return await self._tier(request, tier_id, errors={"prices": errors},
                                    values={"prices": typed}, status=422)
        try:
            await db.write(service.set_prices, request.state.identity.actor, tier_id, product["id"],
                           prices)
        except FieldErrors as err:
            inputs = {c: f"price_{c}" for c in prices}
            return await self._tier(request, tier_id, errors={"prices": _messages(err, inputs)},
                                    values={"prices": typed}, status=err.status)
        except HubError as err:
            if isinstance(err, NotFoundError) and "pricing tier" in err.detail:
                raise
            return await self._tier(request, tier_id, values={"prices": typed},
                                    summary=_sentence(err), status=err.status)
        return shell.redirect(request, f"/pricing-tiers/{tier_id}",
                              f"{product['name']} now has its own price in this tier.")

    @post("/{tier_id:str}/prices/{product_id:str}/remove", opt=requires("prices.manage"),
          status_code=303)
    async def remove_prices(self, request: Request, tier_id: TierId,
                            product_id: ProductId) -> Response:
        try:
            await request.app.state.db.write(service.remove_prices, request.state.identity.actor,
                                             tier_id, product_id)
        except HubError as err:
            if isinstance(err, NotFoundError) and "pricing tier" in err.detail:
                raise
            return await self._tier(request, tier_id, summary=_sentence(err), status=err.status)
        return shell.redirect(request, f"/pricing-tiers/{tier_id}",
                              "Tier price removed: the product follows the tier's rule again.")


_LABELS = {"name": "Name", "percent": "Percent off", "code": "SKU or barcode",
           "price": "Tier price"}


def _listed(errors: dict[str, str]) -> list[tuple[str, str, str]]:
    """(input, label, message) for the error summary."""
    return [(name, _LABELS.get(name, "Tier price in " + name.removeprefix("price_")), message)
            for name, message in errors.items()]


ROUTES = [PricingTierPortal]
