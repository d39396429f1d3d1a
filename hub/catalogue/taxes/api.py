"""/api/v1/tax-classes: list, read, create and edit tax classes; add rates to their history and
read the rate in force at a moment."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue._common import DEFAULT_PAGE, MAX_PAGE, given, page
from hub.catalogue.taxes import service
from hub.catalogue.taxes.schemas import (
    TaxClass, TaxClassCreate, TaxClassPage, TaxClassUpdate, TaxRateAt, TaxRateCreate,
)

ClassId = Annotated[str, Parameter(max_length=64)]


class TaxClassController(Controller):
    path = "/api/v1/tax-classes"
    tags = ["tax-classes"]

    @get(opt=requires("catalogue.view"), summary="Tax classes by code with their rate history")
    async def list_tax_classes(
        self, request: Request,
        q: Annotated[str | None, Parameter(max_length=60, description="Part of the code or name")] = None,
        active: Annotated[bool | None, Parameter(description="Only active (true) or archived (false)")] = None,
        exempt: Annotated[bool | None, Parameter(description="Only exempt (true) or taxed (false)")] = None,
        after: Annotated[str | None, Parameter(max_length=64, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    ) -> TaxClassPage:
        rows = await request.app.state.db.read(service.list_tax_classes, q=q, active=active,
                                               exempt=exempt, after=after, limit=limit + 1)
        items, next_after = page(rows, limit, lambda r: r["id"])
        return TaxClassPage(items=msgspec.convert(items, list[TaxClass]), next_after=next_after)

    @get("/{class_id:str}", opt=requires("catalogue.view"), summary="One tax class")
    async def get_tax_class(self, request: Request, class_id: ClassId) -> TaxClass:
        return msgspec.convert(await request.app.state.db.read(service.get_tax_class, class_id), TaxClass)

    @get("/{class_id:str}/rates/current", opt=requires("catalogue.view"),
         summary="The class's rate in force at a moment (default now)")
    async def rate_at(
        self, request: Request, class_id: ClassId,
        at: Annotated[str | None, Parameter(max_length=40, description="ISO 8601 with an offset")] = None,
    ) -> TaxRateAt:
        return msgspec.convert(await request.app.state.db.read(service.rate_at, class_id, at), TaxRateAt)

    @post(opt=requires("taxes.manage"), summary="Add a tax class, optionally with its first rate")
    async def create_tax_class(self, request: Request, identity: Caller,
                               data: JSONBody[TaxClassCreate]) -> TaxClass:
        row = await request.app.state.db.write(
            service.create_tax_class, identity.actor, msgspec.structs.asdict(data))
        return msgspec.convert(row, TaxClass)

    @patch("/{class_id:str}", opt=requires("taxes.manage"),
           summary="Change a tax class's code, name or exemption, or archive it")
    async def update_tax_class(self, request: Request, identity: Caller, class_id: ClassId,
                               data: JSONBody[TaxClassUpdate]) -> TaxClass:
        row = await request.app.state.db.write(
            service.update_tax_class, identity.actor, class_id, given(data))
        return msgspec.convert(row, TaxClass)

    @post("/{class_id:str}/rates", opt=requires("taxes.manage"),
          summary="Add a rate starting now or later (a rate is never edited or deleted)")
    async def add_rate(self, request: Request, identity: Caller, class_id: ClassId,
                       data: JSONBody[TaxRateCreate]) -> TaxClass:
        row = await request.app.state.db.write(
            service.add_rate, identity.actor, class_id, msgspec.structs.asdict(data))
        return msgspec.convert(row, TaxClass)
