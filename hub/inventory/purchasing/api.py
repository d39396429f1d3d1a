"""/api/v1/inventory/purchase-orders: purchase orders drafted, edited, sent, closed and cancelled,
reorder suggestions and an order made from them, under purchasing.manage."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue._common import given
from hub.catalogue.products._paging import decode_cursor, encode_cursor
from hub.db import purchasing
from hub.inventory.api import _moment
from hub.inventory.purchasing import schemas, service

MANAGE = "purchasing.manage"
MAX_PAGE = 200
OrderId = Annotated[str, Parameter(max_length=64)]


def _fields(data: Any, fields: dict[str, Any]) -> dict[str, Any]:
    if "lines" in fields:
        fields["lines"] = [msgspec.structs.asdict(line) for line in data.lines]
    if fields.get("expected_on") is not None:
        fields["expected_on"] = fields["expected_on"].isoformat()
    return fields


def order(row: dict[str, Any]) -> schemas.PurchaseOrder:
    return msgspec.convert(row, schemas.PurchaseOrder)


class PurchaseOrderController(Controller):
    path = "/api/v1/inventory/purchase-orders"
    tags = ["inventory"]

    @get(opt=requires(MANAGE), summary="Purchase orders, newest first, with filters")
    async def list_orders(
        self, request: Request,
        supplier_id: Annotated[str | None, Parameter(max_length=64)] = None,
        status: Annotated[str | None, Parameter(pattern="^(draft|sent|part_received|closed|cancelled)$")] = None,
        since: Annotated[dt.datetime | None, Parameter(description="Made at or after")] = None,
        until: Annotated[dt.datetime | None, Parameter(description="Made before")] = None,
        after: Annotated[str | None, Parameter(max_length=400, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> schemas.PurchaseOrderPage:
        cursor = decode_cursor(after, 2)
        rows = await request.app.state.db.read(
            purchasing.list_orders, supplier_id=supplier_id, status=status, since=_moment("since", since),
            until=_moment("until", until), after=cursor, limit=limit + 1)
        items = [msgspec.convert(r, schemas.PurchaseOrderSummary) for r in rows[:limit]]
        more = len(rows) > limit and items
        return schemas.PurchaseOrderPage(
            items=items, next_after=encode_cursor(items[-1].created_at, items[-1].id) if more else None)

    @get("/suggestions", opt=requires(MANAGE), summary="Products due for ordering, with suggested quantities")
    async def suggestions(
        self, request: Request,
        supplier_id: Annotated[str | None, Parameter(max_length=64, description="Default: every supplier")] = None,
        days: Annotated[int, Parameter(ge=1, le=365, description="Days of sales to measure")] = 28,
        review_days: Annotated[int, Parameter(ge=0, le=365, description="Days until the next order")] = 7,
    ) -> list[schemas.Suggestion]:
        """Stock-tracked products at or below their low-stock threshold, or whose sales over the
        last `days` would empty them within the supplier's lead time + `review_days`; each with
        the quantity to order in whole supplier packs (docs/inventory.md, "Reorder suggestions").
        With no supplier, each product is listed under its preferred supplier."""
        rows = await request.app.state.db.read(service.suggestions, supplier_id=supplier_id, days=days,
                                               review_days=review_days)
        return msgspec.convert(rows, list[schemas.Suggestion])

    @post("/from-suggestions", opt=requires(MANAGE), summary="A draft order of a supplier's suggestions")
    async def create_from_suggestions(self, request: Request, identity: Caller,
                                      data: JSONBody[schemas.FromSuggestions]) -> schemas.PurchaseOrder:
        return order(await request.app.state.db.write(
            service.create_from_suggestions, identity.actor, supplier_id=data.supplier_id, days=data.days,
            review_days=data.review_days, product_ids=data.product_ids))

    @get("/{order_id:str}", opt=requires(MANAGE), summary="One purchase order, ordered against received")
    async def get_order(self, request: Request, order_id: OrderId) -> schemas.PurchaseOrder:
        return order(await request.app.state.db.read(service.document, order_id))

    @post(opt=requires(MANAGE), summary="Draft a purchase order")
    async def create_order(self, request: Request, identity: Caller,
                           data: JSONBody[schemas.PurchaseOrderCreate]) -> schemas.PurchaseOrder:
        fields = _fields(data, msgspec.structs.asdict(data))
        return order(await request.app.state.db.write(service.create_order, identity.actor, fields))

    @patch("/{order_id:str}", opt=requires(MANAGE), summary="Change a draft purchase order")
    async def update_order(self, request: Request, identity: Caller, order_id: OrderId,
                           data: JSONBody[schemas.PurchaseOrderUpdate]) -> schemas.PurchaseOrder:
        return order(await request.app.state.db.write(service.update_order, identity.actor, order_id,
                                                      _fields(data, given(data))))

    @post("/{order_id:str}/send", opt=requires(MANAGE), status_code=200, summary="Mark a draft order sent")
    async def send_order(self, request: Request, identity: Caller, order_id: OrderId) -> schemas.PurchaseOrder:
        return order(await request.app.state.db.write(service.send_order, identity.actor, order_id))

    @post("/{order_id:str}/close", opt=requires(MANAGE), status_code=200,
          summary="Close a sent or part-received order by hand, with a reason")
    async def close_order(self, request: Request, identity: Caller, order_id: OrderId,
                          data: JSONBody[schemas.Reason]) -> schemas.PurchaseOrder:
        return order(await request.app.state.db.write(service.close_order, identity.actor, order_id, data.reason))

    @post("/{order_id:str}/cancel", opt=requires(MANAGE), status_code=200,
          summary="Cancel an order of which nothing was received")
    async def cancel_order(self, request: Request, identity: Caller, order_id: OrderId,
                           data: JSONBody[schemas.Reason]) -> schemas.PurchaseOrder:
        return order(await request.app.state.db.write(service.cancel_order, identity.actor, order_id, data.reason))
