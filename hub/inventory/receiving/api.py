"""/api/v1/inventory/receipts: goods receipts (GRNs) listed, read, drafted, edited, posted into
stock and reversed, under inventory.receive."""

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
from hub.inventory.api import _moment
from hub.inventory.receiving import schemas, service

RECEIVE = "inventory.receive"
MAX_PAGE = 200
ReceiptId = Annotated[str, Parameter(max_length=64)]


def _lines(data: Any) -> list[dict[str, Any]]:
    return [msgspec.structs.asdict(line) for line in data]


def receipt(row: dict[str, Any]) -> schemas.GoodsReceipt:
    return msgspec.convert(row, schemas.GoodsReceipt)


class ReceiptController(Controller):
    path = "/api/v1/inventory/receipts"
    tags = ["inventory"]

    @get(opt=requires(RECEIVE), summary="Goods receipts, newest first, with filters")
    async def list_receipts(
        self, request: Request,
        supplier_id: Annotated[str | None, Parameter(max_length=64)] = None,
        status: Annotated[str | None, Parameter(pattern="^(draft|posted)$")] = None,
        kind: Annotated[str | None, Parameter(pattern="^(receipt|reversal)$")] = None,
        order_id: Annotated[str | None, Parameter(max_length=64)] = None,
        since: Annotated[dt.datetime | None, Parameter(description="Made at or after")] = None,
        until: Annotated[dt.datetime | None, Parameter(description="Made before")] = None,
        after: Annotated[str | None, Parameter(max_length=400, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> schemas.GoodsReceiptPage:
        cursor = decode_cursor(after, 2)
        rows = await request.app.state.db.read(
            service.list_receipts, supplier_id=supplier_id, status=status, kind=kind, order_id=order_id,
            since=_moment("since", since), until=_moment("until", until), after=cursor, limit=limit + 1)
        items = [msgspec.convert(r, schemas.GoodsReceiptSummary) for r in rows[:limit]]
        more = len(rows) > limit and items
        return schemas.GoodsReceiptPage(
            items=items, next_after=encode_cursor(items[-1].created_at, items[-1].id) if more else None)

    @get("/{receipt_id:str}", opt=requires(RECEIVE), summary="One goods receipt with its lines")
    async def get_receipt(self, request: Request, receipt_id: ReceiptId) -> schemas.GoodsReceipt:
        return receipt(await request.app.state.db.read(service.document, receipt_id))

    @post(opt=requires(RECEIVE), summary="Draft a goods receipt")
    async def create_receipt(self, request: Request, identity: Caller,
                             data: JSONBody[schemas.GoodsReceiptCreate]) -> schemas.GoodsReceipt:
        fields = msgspec.structs.asdict(data) | {"lines": _lines(data.lines)}
        return receipt(await request.app.state.db.write(service.create_receipt, identity.actor, fields))

    @patch("/{receipt_id:str}", opt=requires(RECEIVE), summary="Change a draft goods receipt")
    async def update_receipt(self, request: Request, identity: Caller, receipt_id: ReceiptId,
                             data: JSONBody[schemas.GoodsReceiptUpdate]) -> schemas.GoodsReceipt:
        changes = given(data)
        if "lines" in changes:
            changes["lines"] = _lines(data.lines)
        return receipt(await request.app.state.db.write(service.update_receipt, identity.actor, receipt_id, changes))

    @post("/{receipt_id:str}/post", opt=requires(RECEIVE), status_code=200,
          summary="Post a draft: its lines move into stock")
    async def post_receipt(self, request: Request, identity: Caller, receipt_id: ReceiptId) -> schemas.GoodsReceipt:
        """One transaction: every line moves in through the ledger (kind `receipt`) at its unit cost,
        the order's received quantities and status follow, and, when the receipt asks, each
        product's cost from this supplier is set to the cost received at."""
        return receipt(await request.app.state.db.write(service.post_receipt, identity.actor, receipt_id))

    @post("/{receipt_id:str}/reverse", opt=requires(RECEIVE), status_code=201,
          summary="Reverse a posted goods receipt with a new document")
    async def reverse_receipt(self, request: Request, identity: Caller, receipt_id: ReceiptId,
                              data: JSONBody[schemas.Reverse]) -> schemas.GoodsReceipt:
        """A new posted document (kind `reversal`) moving the same quantities out (kind
        `receipt_reversal`); a receipt is reversed at most once (409 `receipt_reversed`)."""
        return receipt(await request.app.state.db.write(service.reverse_receipt, identity.actor, receipt_id,
                                                         data.note))
