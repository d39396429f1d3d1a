"""/api/v1/suppliers: list (search by name), read, create and edit suppliers (archive, never delete)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue._common import DEFAULT_PAGE, MAX_PAGE, found, given, page
from hub.catalogue.suppliers import service
from hub.catalogue.suppliers.schemas import Supplier, SupplierCreate, SupplierPage, SupplierUpdate
from hub.db import suppliers

SupplierId = Annotated[str, Parameter(max_length=64)]


class SupplierController(Controller):
    path = "/api/v1/suppliers"
    tags = ["suppliers"]

    @get(opt=requires("catalogue.view"), summary="Suppliers by name, a page at a time")
    async def list_suppliers(
        self, request: Request,
        q: Annotated[str | None, Parameter(max_length=120, description="Part of the name")] = None,
        active: Annotated[bool | None, Parameter(description="Only active (true) or archived (false)")] = None,
        after: Annotated[str | None, Parameter(max_length=64, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    ) -> SupplierPage:
        rows = await request.app.state.db.read(service.list_suppliers, q=q, active=active,
                                               after=after, limit=limit + 1)
        items, next_after = page(rows, limit, lambda r: r["id"])
        return SupplierPage(items=msgspec.convert(items, list[Supplier]), next_after=next_after)

    @get("/{supplier_id:str}", opt=requires("catalogue.view"), summary="One supplier")
    async def get_supplier(self, request: Request, supplier_id: SupplierId) -> Supplier:
        row = await request.app.state.db.read(suppliers.get_supplier, supplier_id)
        return msgspec.convert(found(row, f"supplier {supplier_id}"), Supplier)

    @post(opt=requires("catalogue.manage"), summary="Add a supplier")
    async def create_supplier(self, request: Request, identity: Caller,
                              data: JSONBody[SupplierCreate]) -> Supplier:
        row = await request.app.state.db.write(
            service.create_supplier, identity.actor, msgspec.structs.asdict(data))
        return msgspec.convert(row, Supplier)

    @patch("/{supplier_id:str}", opt=requires("catalogue.manage"),
           summary="Change a supplier; archive it with active: false")
    async def update_supplier(self, request: Request, identity: Caller, supplier_id: SupplierId,
                              data: JSONBody[SupplierUpdate]) -> Supplier:
        row = await request.app.state.db.write(
            service.update_supplier, identity.actor, supplier_id, given(data))
        return msgspec.convert(row, Supplier)
