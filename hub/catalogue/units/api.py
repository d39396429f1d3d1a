"""/api/v1/units: list, read, create and edit units of measure (archive, never delete)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue._common import DEFAULT_PAGE, MAX_PAGE, found, given, page
from hub.catalogue.units import service
from hub.catalogue.units.schemas import Unit, UnitCreate, UnitPage, UnitUpdate
from hub.db import units

UnitId = Annotated[str, Parameter(max_length=64)]


class UnitController(Controller):
    path = "/api/v1/units"
    tags = ["units"]

    @get(opt=requires("catalogue.view"), summary="Units by code, a page at a time")
    async def list_units(
        self, request: Request,
        q: Annotated[str | None, Parameter(max_length=60, description="Part of the code or name")] = None,
        active: Annotated[bool | None, Parameter(description="Only active (true) or archived (false)")] = None,
        after: Annotated[str | None, Parameter(max_length=64, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    ) -> UnitPage:
        rows = await request.app.state.db.read(service.list_units, q=q, active=active, after=after,
                                               limit=limit + 1)
        items, next_after = page(rows, limit, lambda r: r["id"])
        return UnitPage(items=msgspec.convert(items, list[Unit]), next_after=next_after)

    @get("/{unit_id:str}", opt=requires("catalogue.view"), summary="One unit")
    async def get_unit(self, request: Request, unit_id: UnitId) -> Unit:
        row = await request.app.state.db.read(units.get_unit, unit_id)
        return msgspec.convert(found(row, f"unit {unit_id}"), Unit)

    @post(opt=requires("catalogue.manage"), summary="Add a unit of measure")
    async def create_unit(self, request: Request, identity: Caller, data: JSONBody[UnitCreate]) -> Unit:
        row = await request.app.state.db.write(
            service.create_unit, identity.actor, msgspec.structs.asdict(data))
        return msgspec.convert(row, Unit)

    @patch("/{unit_id:str}", opt=requires("catalogue.manage"),
           summary="Change a unit; archive it (active: false) once no active product uses it")
    async def update_unit(self, request: Request, identity: Caller, unit_id: UnitId,
                          data: JSONBody[UnitUpdate]) -> Unit:
        row = await request.app.state.db.write(service.update_unit, identity.actor, unit_id, given(data))
        return msgspec.convert(row, Unit)
