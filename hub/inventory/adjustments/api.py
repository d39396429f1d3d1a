"""/api/v1/inventory/adjustments, /api/v1/inventory/supplier-returns and
/api/v1/settings/adjustments (the approval threshold). Every change is one `db.write`: the
document, its stock movements through hub.inventory.ledger and one audit entry."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue.products._paging import encode_cursor
from hub.clock import format_ts
from hub.db import adjustments as store
from hub.errors import FieldErrors
from hub.inventory.adjustments import schemas, service
from hub.inventory.api import seq_cursor

MAX_PAGE = 200
DocId = Annotated[str, Parameter(max_length=64)]
Limit = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
Cursor = Annotated[str | None, Parameter(max_length=400, description="next_after of the last page")]
Moment = Annotated[dt.datetime | None, Parameter(description="An ISO 8601 moment with a time zone")]
VIEW, ADJUST, APPROVE = "inventory.view", "inventory.adjust", "inventory.approve"
# Supplier returns are the receiving side's work: whoever checks goods in from a supplier sends
# back what is wrong with them (docs/inventory.md, "Supplier returns").
RETURN = "inventory.receive"


def _moment(name: str, value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise FieldErrors([(name, "needs a time zone (Z or +02:00)")])
    if not 2000 <= value.year <= 9998:
        raise FieldErrors([(name, "must be between the years 2000 and 9998")])
    return format_ts(value)


def _next(items: list[Any], rows: list[dict[str, Any]], limit: int) -> str | None:
    return encode_cursor(str(items[-1].number)) if len(rows) > limit and items else None


class AdjustmentController(Controller):
    path = "/api/v1/inventory/adjustments"
    tags = ["inventory"]

    @get(opt=requires(VIEW), summary="Stock adjustments, newest first, with filters")
    async def list_adjustments(
        self, request: Request,
        status: Annotated[schemas.Status | None, Parameter(
            description="draft, pending_approval, posted, rejected, discarded")] = None,
        reason: Annotated[str | None, Parameter(
            max_length=32, description="The document's or any line's reason")] = None,
        user_id: Annotated[str | None, Parameter(max_length=64, description="Who created it")] = None,
        since: Moment = None, until: Moment = None, after: Cursor = None, limit: Limit = 50,
    ) -> schemas.AdjustmentPage:
        rows = await request.app.state.db.read(
            store.list_adjustments, status=status, reason=reason, user_id=user_id, since=_moment("since", since),
            until=_moment("until", until), before=seq_cursor(after), limit=limit + 1)
        items = [msgspec.convert(r, schemas.AdjustmentSummary) for r in rows[:limit]]
        return schemas.AdjustmentPage(items=items, next_after=_next(items, rows, limit))

    @get("/reasons", opt=requires(VIEW), summary="The adjustment reason codes")
    async def reasons(self, request: Request) -> list[schemas.Reason]:
        rows = await request.app.state.db.read(store.reasons, "adjustment")
        return [msgspec.convert(r, schemas.Reason) for r in rows]

    @get("/{adjustment_id:str}", opt=requires(VIEW), summary="One adjustment with its lines")
    async def get_adjustment(self, request: Request, adjustment_id: DocId) -> schemas.Adjustment:
        return msgspec.convert(await request.app.state.db.read(service.get_adjustment, adjustment_id),
                               schemas.Adjustment)

    @post(opt=requires(ADJUST), summary="A new adjustment: a draft, or posted at once")
    async def create_adjustment(self, request: Request, identity: Caller,
                                data: JSONBody[schemas.AdjustmentCreate]) -> schemas.Adjustment:
        """With `post: true` it moves stock at once when its value at cost is at or below the
        store's approval threshold, else it waits as `pending_approval` (nothing moves)."""
        fields = msgspec.to_builtins(data)
        row = await request.app.state.db.write(service.create_adjustment, identity.actor, fields, post=data.post)
        return msgspec.convert(row, schemas.Adjustment)

    @put("/{adjustment_id:str}", opt=requires(ADJUST), summary="Replace a draft's lines, reason and note")
    async def update_adjustment(self, request: Request, identity: Caller, adjustment_id: DocId,
                                data: JSONBody[schemas.AdjustmentUpdate]) -> schemas.Adjustment:
        """Only a draft (409 `not_draft`); it stays a draft and moves nothing."""
        row = await request.app.state.db.write(service.update_adjustment, identity.actor, adjustment_id,
                                               msgspec.to_builtins(data))
        return msgspec.convert(row, schemas.Adjustment)

    @post("/{adjustment_id:str}/discard", opt=requires(ADJUST), status_code=200,
          summary="Discard a draft: kept for the record, it never moves stock")
    async def discard(self, request: Request, identity: Caller, adjustment_id: DocId,
                      data: JSONBody[schemas.Discard | None] = None) -> schemas.Adjustment:
        """Only a draft (409 `not_draft`); a waiting adjustment is rejected instead."""
        row = await request.app.state.db.write(service.discard_adjustment, identity.actor, adjustment_id,
                                               data.reason if data else "")
        return msgspec.convert(row, schemas.Adjustment)

    @post("/{adjustment_id:str}/post", opt=requires(ADJUST), status_code=200, summary="Post a draft adjustment")
    async def post_adjustment(self, request: Request, identity: Caller, adjustment_id: DocId) -> schemas.Adjustment:
        row = await request.app.state.db.write(service.post_adjustment, identity.actor, adjustment_id)
        return msgspec.convert(row, schemas.Adjustment)

    @post("/{adjustment_id:str}/approve", opt=requires(APPROVE), status_code=200,
          summary="Approve an adjustment waiting for approval: its stock moves now")
    async def approve(self, request: Request, identity: Caller, adjustment_id: DocId,
                      data: JSONBody[schemas.Approval | None] = None) -> schemas.Adjustment:
        """Whoever created or posted it cannot approve it (403 `own_adjustment`)."""
        row = await request.app.state.db.write(service.approve_adjustment, identity.actor, adjustment_id,
                                               data.note if data else "")
        return msgspec.convert(row, schemas.Adjustment)

    @post("/{adjustment_id:str}/reject", opt=requires(APPROVE), status_code=200,
          summary="Reject an adjustment waiting for approval, with a reason: nothing moves")
    async def reject(self, request: Request, identity: Caller, adjustment_id: DocId,
                     data: JSONBody[schemas.Rejection]) -> schemas.Adjustment:
        row = await request.app.state.db.write(service.reject_adjustment, identity.actor, adjustment_id, data.reason)
        return msgspec.convert(row, schemas.Adjustment)


class SupplierReturnController(Controller):
    path = "/api/v1/inventory/supplier-returns"
    tags = ["inventory"]

    @get(opt=requires(VIEW), summary="Supplier returns, newest first")
    async def list_returns(
        self, request: Request, supplier_id: Annotated[str | None, Parameter(max_length=64)] = None,
        since: Moment = None, until: Moment = None, after: Cursor = None, limit: Limit = 50,
    ) -> schemas.SupplierReturnPage:
        rows = await request.app.state.db.read(
            store.list_returns, supplier_id=supplier_id, since=_moment("since", since),
            until=_moment("until", until), before=seq_cursor(after), limit=limit + 1)
        items = [msgspec.convert(r, schemas.SupplierReturn) for r in rows[:limit]]
        return schemas.SupplierReturnPage(items=items, next_after=_next(items, rows, limit))

    @get("/reasons", opt=requires(VIEW), summary="The supplier-return reason codes")
    async def reasons(self, request: Request) -> list[schemas.Reason]:
        rows = await request.app.state.db.read(store.reasons, "supplier_return")
        return [msgspec.convert(r, schemas.Reason) for r in rows]

    @get("/{return_id:str}", opt=requires(VIEW), summary="One supplier return with its lines")
    async def get_return(self, request: Request, return_id: DocId) -> schemas.SupplierReturn:
        return msgspec.convert(await request.app.state.db.read(service.get_return, return_id), schemas.SupplierReturn)

    @post(opt=requires(RETURN), summary="Post a supplier return: its lines move stock out at once")
    async def create_return(self, request: Request, identity: Caller,
                            data: JSONBody[schemas.SupplierReturnCreate]) -> schemas.SupplierReturn:
        row = await request.app.state.db.write(service.create_return, identity.actor, msgspec.to_builtins(data))
        return msgspec.convert(row, schemas.SupplierReturn)


class AdjustmentSettingsController(Controller):
    path = "/api/v1/settings/adjustments"
    tags = ["settings"]

    @get(opt=requires("settings.view"), summary="The value above which an adjustment waits for approval")
    async def get_settings(self, request: Request) -> schemas.AdjustmentSettings:
        return msgspec.convert(await request.app.state.db.read(service.get_settings), schemas.AdjustmentSettings)

    @put(opt=requires("settings.manage"), summary="Set the approval threshold (base-currency minor units at cost)")
    async def update_settings(self, request: Request, identity: Caller,
                              data: JSONBody[schemas.AdjustmentSettingsUpdate]) -> schemas.AdjustmentSettings:
        row = await request.app.state.db.write(service.update_settings, identity.actor, data.approval_threshold)
        return msgspec.convert(row, schemas.AdjustmentSettings)
