"""/api/v1/shifts: open or resume a shift at a paired till, cash movements, the X report, the
close with counted cash and the close report. Every change is one `db.write` with its audit entry
(and a `changes` row when the till's own shift changes)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, Parameter

from hub.audit.portal import day_start
from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue.products._paging import encode_cursor
from hub.db.pricing import DEFAULT_TIMEZONE
from hub.db.settings import get_setting
from hub.inventory.api import seq_cursor
from hub.portal.templating import store_zone
from hub.shifts import schemas, service

MAX_PAGE = 200
ShiftId = Annotated[str, Parameter(max_length=64)]
Limit = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
Cursor = Annotated[str | None, Parameter(max_length=400, description="next_after of the last page")]
Day = Annotated[dt.date | None, Parameter(description="Shifts opened on this day (the store's time zone)")]
SELL, CASH, VIEW, MANAGE = "sales.sell", "shifts.cash", "shifts.view", "shifts.manage"


def store_day(conn: Any, day: dt.date | None) -> tuple[str | None, str | None]:
    """The UTC bounds of a day in the store's time zone (None, None for no day)."""
    if day is None:
        return None, None
    zone = store_zone(get_setting(conn, "store.timezone", DEFAULT_TIMEZONE))
    return day_start(day.isoformat(), zone), day_start(day.isoformat(), zone, days_after=1)


def _list(conn: Any, day: dt.date | None, **filters: Any) -> list[dict[str, Any]]:
    since, until = store_day(conn, day)
    return service.list_shifts(conn, since=since, until=until, **filters)


class ShiftController(Controller):
    path = "/api/v1/shifts"
    tags = ["shifts"]

    @post(opt=requires(SELL), summary="Open a shift at this till with a float per currency, or resume it",
          responses={200: ResponseSpec(schemas.Shift, description="An open shift was resumed")})
    async def open_shift(self, request: Request, identity: Caller,
                         data: JSONBody[schemas.ShiftOpen]) -> Response[schemas.Shift]:
        """Called by a paired till (X-Device-Token) with the cashier signed in: 201 with a new
        shift. When the cashier already has an open shift at this till it is returned (200,
        `resumed: true`) and the floats
        given are ignored. With `cashier_id`, someone holding shifts.manage resumes another
        cashier's open shift at this till."""
        row = await request.app.state.db.write(service.open_shift, identity.actor, msgspec.to_builtins(data),
                                               can_manage=identity.can(MANAGE))
        shift = msgspec.convert(row, schemas.Shift)
        return Response(shift, status_code=200 if shift.resumed else 201)

    @get(opt=requires(VIEW), summary="Shifts, newest first, with filters")
    async def list_shifts(
        self, request: Request,
        status: Annotated[schemas.Status | None, Parameter(description="open or closed")] = None,
        till: Annotated[str | None, Parameter(max_length=64, description="The till's device id")] = None,
        cashier: Annotated[str | None, Parameter(max_length=64, description="The cashier's user id")] = None,
        date: Day = None, after: Cursor = None, limit: Limit = 50,
    ) -> schemas.ShiftPage:
        rows = await request.app.state.db.read(_list, date, status=status, device_id=till, cashier_id=cashier,
                                               before=seq_cursor(after), limit=limit + 1)
        items = [msgspec.convert(r, schemas.ShiftSummary) for r in rows[:limit]]
        more = len(rows) > limit and items
        return schemas.ShiftPage(items=items, next_after=encode_cursor(str(items[-1].number)) if more else None)

    @get("/cash-reasons", opt=requires(CASH), summary="The reasons of pay-ins, pay-outs and safe drops")
    async def cash_reasons(self, request: Request) -> list[schemas.CashReason]:
        rows = await request.app.state.db.read(service.reasons)
        return [msgspec.convert(r, schemas.CashReason) for r in rows]

    @get("/denominations", opt=requires(CASH), summary="The notes and coins of each currency, for counting")
    async def denominations(
        self, request: Request,
        currency: Annotated[str | None, Parameter(max_length=3, description="One currency")] = None,
    ) -> list[schemas.Denomination]:
        rows = await request.app.state.db.read(service.denominations, currency)
        return [msgspec.convert(r, schemas.Denomination) for r in rows]

    @get("/current/x-report", opt=requires(SELL),
         summary="The X report of the caller's own open shift at this till")
    async def own_x_report(self, request: Request, identity: Caller) -> schemas.XReport:
        """A cashier's X report at any time, from the till they are signed in at; reading any other
        shift's needs shifts.view. 404 `no_open_shift` when the caller has none open at this till,
        422 `till_required` away from a till."""
        return msgspec.convert(await request.app.state.db.read(service.own_x_report, identity.actor),
                               schemas.XReport)

    @get("/{shift_id:str}", opt=requires(VIEW), summary="One shift with its floats, cash movements and close")
    async def get_shift(self, request: Request, shift_id: ShiftId) -> schemas.Shift:
        return msgspec.convert(await request.app.state.db.read(service.get_shift, shift_id), schemas.Shift)

    @post("/{shift_id:str}/cash-movements", opt=requires(CASH),
          summary="A pay-in, pay-out or safe drop on an open shift")
    async def add_movement(self, request: Request, identity: Caller, shift_id: ShiftId,
                           data: JSONBody[schemas.CashMovementCreate]) -> schemas.CashMovement:
        """On one's own shift; on another cashier's with shifts.manage. A closed shift refuses it
        (409 `shift_closed`)."""
        row = await request.app.state.db.write(service.add_movement, identity.actor, shift_id,
                                               msgspec.to_builtins(data), can_manage=identity.can(MANAGE))
        return msgspec.convert(row, schemas.CashMovement)

    @get("/{shift_id:str}/x-report", opt=requires(VIEW),
         summary="The shift so far: float, cash movements, sales, tenders and expected cash per currency")
    async def x_report(self, request: Request, shift_id: ShiftId) -> schemas.XReport:
        return msgspec.convert(await request.app.state.db.read(service.x_report, shift_id), schemas.XReport)

    @post("/{shift_id:str}/close", opt=requires(SELL), status_code=200,
          summary="Close a shift with its counted cash per currency and the providers' reported totals")
    async def close(self, request: Request, identity: Caller, shift_id: ShiftId,
                    data: JSONBody[schemas.ShiftClose]) -> schemas.CloseReport:
        """One's own shift; another cashier's needs shifts.manage (403 `not_your_shift`). Returns
        the close report; a closed shift is never edited (409 `shift_closed`)."""
        row = await request.app.state.db.write(service.close_shift, identity.actor, shift_id,
                                               msgspec.to_builtins(data), can_manage=identity.can(MANAGE))
        return msgspec.convert(row, schemas.CloseReport)

    @get("/{shift_id:str}/close-report", opt=requires(VIEW),
         summary="A closed shift's figures: expected, counted and variance per currency and tender")
    async def close_report(self, request: Request, shift_id: ShiftId) -> schemas.CloseReport:
        return msgspec.convert(await request.app.state.db.read(service.close_report, shift_id),
                               schemas.CloseReport)


CONTROLLERS: list[Any] = [ShiftController]
