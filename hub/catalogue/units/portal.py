"""Portal pages for units of measure: the list (search, active or archived, paged), adding a unit,
editing its symbol, name and decimals, archiving and restoring it.

Every change goes through hub.catalogue.units.service inside one `db.write`, exactly as the API's
does, so the same rules hold (codes unique without case, no archiving a unit active products are
sold in) and each change writes one audit entry and one `changes` row.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue import ownership
from hub.catalogue._common import given
from hub.catalogue._refdata_portal import Refusal, checked, refusal, state_refusal
from hub.catalogue.units import service
from hub.catalogue.units.schemas import UnitCreate, UnitUpdate
from hub.db import units
from hub.errors import HubError, NotFoundError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.parse import whole_number
from hub.portal.registry import Page

PAGES = (
    Page("units", "Units", "/units", "Catalogue", "catalogue.view",
         keywords="units of measure uom each kg kilogram litre decimals weight",
         summary="Units products are sold in and how many decimals a quantity may have"),
    Page("units.new", "New unit", "/units/new", "Catalogue", "catalogue.manage", sidebar=False,
         keywords="add unit of measure"),
)
UnitId = Annotated[str, Parameter(max_length=64)]
PAGE_SIZE = 50
STATUSES = (("active", "Active"), ("archived", "Archived"), ("all", "All, archived too"))
ACTIVE = {"active": True, "archived": False, "all": None}
LABELS = {"code": "Symbol", "name": "Name", "decimals": "Decimals", "active": "Archive"}
FIELDS = ("code", "name", "decimals")
# Quantities are integer thousandths; a unit allows 0 to 3 of those decimals (schemas.Decimals).
DECIMALS = (("0", "0: whole numbers only (3)"), ("1", "1: tenths (2.5)"),
            ("2", "2: hundredths (0.75)"), ("3", "3: thousandths (1.250)"))
SHOWN = {0: "0 (whole numbers)", 1: "1 (such as 2.5)", 2: "2 (such as 0.75)", 3: "3 (such as 1.250)"}
FORMATS = {"code": "may use only letters, digits, dots, dashes and underscores, such as kg or 500ml"}


def listing(conn: Any, *, q: str | None, active: bool | None, after: str | None) -> dict[str, Any]:
    """A page of units, each with how many active products are sold in it."""
    rows = service.list_units(conn, q=q, active=active, after=after, limit=PAGE_SIZE + 1)
    shown = [{**u, "products": units.active_products(conn, u["id"])} for u in rows[:PAGE_SIZE]]
    return {"units": shown, "next_after": shown[-1]["id"] if len(rows) > PAGE_SIZE else None,
            "enrolled": ownership.is_enrolled(conn)}


def unit_view(conn: Any, unit_id: str) -> dict[str, Any]:
    unit = units.get_unit(conn, unit_id)
    if unit is None:
        raise NotFoundError(f"there is no unit {unit_id}")
    enrolled = ownership.is_enrolled(conn)
    return {"unit": {**unit, "products": units.active_products(conn, unit_id)},
            "hq": ownership.hq_fields(service.OWNERSHIP, FIELDS + ("active",)) if enrolled else []}


def fields_from(form: Form) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's fields as the API's, and any that could not be read; a disabled (HQ-owned)
    input is not sent, so that field is left as it is."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in (n for n in FIELDS if n in form.data):
        if name == "decimals":
            values[name] = whole_number(form.get(name))
            if values[name] is None:
                errors[name] = "must be a whole number from 0 to 3"
        else:
            values[name] = form.get(name).strip()
    return values, errors


class UnitPortal(PortalController):
    path = "/units"

    @get(opt=requires("catalogue.view"))
    async def list_units(
        self, request: Request, q: Annotated[str, Parameter(max_length=60)] = "",
        status: Annotated[str, Parameter(pattern="^(active|archived|all)$")] = "active",
        after: Annotated[str | None, Parameter(max_length=64)] = None,
    ) -> Template:
        text = q.strip() or None
        found = await request.app.state.db.read(listing, q=text, active=ACTIVE[status], after=after)
        query = urlencode({"q": q, "status": status})
        return await shell.page(
            request, "units/list.html", key="units", **found, filters={"q": q, "status": status},
            statuses=STATUSES, filtered=bool(text) or status != "active", decimals=SHOWN,
            first=f"/units?{query}" if after else None,
            next=f"/units?{query}&after={found['next_after']}" if found["next_after"] else None)

    async def _new_page(self, request: Request, values: dict[str, Any],
                        refused: Refusal | None = None) -> Template:
        enrolled = await request.app.state.db.read(ownership.is_enrolled)
        refused = refused or Refusal()
        return await shell.page(request, "units/new.html", key="units.new", status=refused.status,
                                values=values, refused=refused, labels=LABELS, decimals=DECIMALS,
                                enrolled=enrolled)

    @get("/new", opt=requires("catalogue.manage"))
    async def new_unit(self, request: Request) -> Template:
        return await self._new_page(request, {"decimals": 0})

    @post(opt=requires("catalogue.manage"), status_code=303)
    async def create_unit(self, request: Request) -> Response:
        form = Form(await request.form())
        try:
            values, errors = fields_from(form)
            data = checked(values, each=UnitUpdate, whole_as=UnitCreate, formats=FORMATS, errors=errors)
            row = await request.app.state.db.write(service.create_unit, request.state.identity.actor,
                                                   msgspec.structs.asdict(data))
        except HubError as err:
            return await self._new_page(request, form.values(), refusal(err, "The unit was not added"))
        return shell.redirect(request, "/units", f"Unit {row['name']} ({row['code']}) added.")

    async def _page(self, request: Request, unit_id: str, values: dict[str, Any] | None = None,
                    refused: Refusal | None = None) -> Template:
        view = await request.app.state.db.read(unit_view, unit_id)
        unit, refused = view["unit"], refused or Refusal()
        return await shell.page(request, "units/edit.html", key="units", title=unit["name"],
                                crumbs=[(unit["code"], None)], status=refused.status, values=values or unit,
                                refused=refused, labels=LABELS, decimals=DECIMALS, **view)

    @get("/{unit_id:str}", opt=requires("catalogue.view"))
    async def unit(self, request: Request, unit_id: UnitId) -> Template:
        return await self._page(request, unit_id)

    @post("/{unit_id:str}", opt=requires("catalogue.manage"), status_code=303)
    async def update_unit(self, request: Request, unit_id: UnitId) -> Response:
        form = Form(await request.form())
        try:
            values, errors = fields_from(form)
            data = checked(values, each=UnitUpdate, whole_as=UnitUpdate, formats=FORMATS, errors=errors)
            row = await request.app.state.db.write(service.update_unit, request.state.identity.actor,
                                                   unit_id, given(data))
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._page(request, unit_id, form.values(), refusal(err, "The unit was not saved"))
        return shell.redirect(request, f"/units/{unit_id}", f"Unit {row['name']} ({row['code']}) saved.")

    async def _set_active(self, request: Request, unit_id: str, active: bool) -> Response:
        try:
            row = await request.app.state.db.write(service.update_unit, request.state.identity.actor,
                                                   unit_id, {"active": active})
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            lead = "The unit was not restored" if active else "The unit was not archived"
            return await self._page(request, unit_id, None, state_refusal(err, lead))
        done = "restored" if active else "archived"
        return shell.redirect(request, f"/units/{unit_id}", f"Unit {row['name']} ({row['code']}) {done}.")

    @post("/{unit_id:str}/archive", opt=requires("catalogue.manage"), status_code=303)
    async def archive(self, request: Request, unit_id: UnitId) -> Response:
        return await self._set_active(request, unit_id, False)

    @post("/{unit_id:str}/restore", opt=requires("catalogue.manage"), status_code=303)
    async def restore(self, request: Request, unit_id: UnitId) -> Response:
        return await self._set_active(request, unit_id, True)


ROUTES = [UnitPortal]
