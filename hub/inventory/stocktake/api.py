"""/api/v1/inventory/stock-takes: count sessions (whole store, a category, a location), their
counted lines from the portal, a scanner or a till, the variance review, approval and posting.

Counting, reviewing and posting need inventory.count; approving needs inventory.approve (and
posting needs an approval when the variance value is above the threshold). In a blind count the
expected quantities and variances are left out while it is counted, and always for a caller who
may not view stock (inventory.view).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller, Identity
from hub.db import stock_takes
from hub.errors import FieldErrors
from hub.inventory.stocktake import schemas, service

TakeId = Annotated[str, Parameter(max_length=64)]
LineId = Annotated[str, Parameter(max_length=64)]
MAX_PAGE = 200
COUNT, APPROVE, VIEW = "inventory.count", "inventory.approve", "inventory.view"
HIDDEN = ("expected", "variance", "variance_value", "avg_cost")


def shows_expected(take: dict[str, Any], identity: Identity) -> bool:
    """What the ledger expects is shown to one who may view stock, and in a blind count only once
    the counting is over."""
    if not identity.can(VIEW):
        return False
    return not take["blind"] or take["status"] not in ("open", "counting")


def detail(conn: Any, take_id: str, show: bool | None = None, identity: Identity | None = None) -> dict[str, Any]:
    """The session, its lines, its variances by product and totals, with what is hidden hidden."""
    reviewed = service.review(conn, take_id)
    shown = show if show is not None else shows_expected(reviewed["take"], identity)  # type: ignore[arg-type]
    products = reviewed["products"]
    totals = dict(reviewed["totals"])
    if not shown:
        products = [{**p, **{k: None for k in HIDDEN}} for p in products]
        totals.update(variance_value=None, absolute_value=None, gains_value=None, losses_value=None,
                      needs_approval=None, approved=None)
    return {"stock_take": reviewed["take"], "lines": reviewed["lines"], "products": products, "totals": totals,
            "expected_shown": shown}


class StockTakeController(Controller):
    path = "/api/v1/inventory/stock-takes"
    tags = ["inventory"]

    @get(opt=requires(COUNT), summary="Stock takes, newest first")
    async def list_stock_takes(
        self, request: Request,
        status: Annotated[str | None, Parameter(
            pattern="^(open|counting|review|posted|cancelled)$", description="Only sessions in this state")] = None,
        after: Annotated[str | None, Parameter(max_length=64, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> schemas.StockTakePage:
        rows = await request.app.state.db.read(stock_takes.list_takes, status=status, before=after,
                                               limit=limit + 1)
        items = rows[:limit]
        more = len(rows) > limit and items
        return schemas.StockTakePage(items=msgspec.convert(items, list[schemas.StockTake]),
                                     next_after=items[-1]["id"] if more else None)

    @post(opt=requires(COUNT), summary="Start a count session")
    async def create_stock_take(self, request: Request, identity: Caller,
                                data: JSONBody[schemas.StockTakeCreate]) -> schemas.StockTake:
        row = await request.app.state.db.write(service.create, identity.actor, msgspec.structs.asdict(data))
        return msgspec.convert(row, schemas.StockTake)

    async def _detail(self, request: Request, identity: Identity, take_id: str) -> schemas.StockTakeDetail:
        found = await request.app.state.db.read(detail, take_id, identity=identity)
        return msgspec.convert(found, schemas.StockTakeDetail)

    @get("/{take_id:str}", opt=requires(COUNT), summary="One stock take with its lines and variances")
    async def get_stock_take(self, request: Request, identity: Caller, take_id: TakeId) -> schemas.StockTakeDetail:
        """Per product: counted (lines add up; a recount replaces), the moment it stands at, and
        what the ledger held at that moment (expected), the variance and its value at average cost."""
        return await self._detail(request, identity, take_id)

    @post("/{take_id:str}/lines", opt=requires(COUNT), summary="Add counted lines (a batch)")
    async def add_lines(self, request: Request, identity: Caller, take_id: TakeId,
                        data: JSONBody[schemas.CountLines]) -> schemas.StockTakeDetail:
        """All lines or none. A line's moment is its device's clock corrected by that device's
        recorded skew, or the hub's receive time when the skew is not known."""
        lines = [msgspec.structs.asdict(line) for line in data.lines]
        await request.app.state.db.write(service.add_lines, identity.actor, take_id, lines)
        return await self._detail(request, identity, take_id)

    @delete("/{take_id:str}/lines/{line_id:str}", opt=requires(COUNT), status_code=200,
            summary="Remove a line counted by mistake")
    async def remove_line(self, request: Request, identity: Caller, take_id: TakeId,
                          line_id: LineId) -> schemas.StockTakeDetail:
        await request.app.state.db.write(service.remove_line, identity.actor, take_id, line_id)
        return await self._detail(request, identity, take_id)

    @post("/{take_id:str}/review", opt=requires(COUNT), status_code=200, summary="Finish counting: review")
    async def review(self, request: Request, identity: Caller, take_id: TakeId) -> schemas.StockTakeDetail:
        await request.app.state.db.write(service.to_review, identity.actor, take_id)
        return await self._detail(request, identity, take_id)

    @post("/{take_id:str}/approve", opt=requires(APPROVE), status_code=200,
          summary="Approve the variances as they stand")
    async def approve(self, request: Request, identity: Caller, take_id: TakeId) -> schemas.StockTakeDetail:
        await request.app.state.db.write(service.approve, identity.actor, take_id)
        return await self._detail(request, identity, take_id)

    @post("/{take_id:str}/post", opt=requires(COUNT), status_code=200,
          summary="Post the counts to the stock ledger")
    async def post_stock_take(self, request: Request, identity: Caller, take_id: TakeId) -> schemas.StockTakeDetail:
        """One `count` movement per counted product at its count moment, in one transaction. 409
        approval_required when the absolute variance value is above the threshold and not approved."""
        await request.app.state.db.write(service.post, identity.actor, take_id)
        return await self._detail(request, identity, take_id)

    @post("/{take_id:str}/cancel", opt=requires(COUNT), status_code=200, summary="Cancel a session not posted")
    async def cancel(self, request: Request, identity: Caller, take_id: TakeId) -> schemas.StockTakeDetail:
        await request.app.state.db.write(service.cancel, identity.actor, take_id)
        return await self._detail(request, identity, take_id)


__all__ = ["StockTakeController", "FieldErrors"]
