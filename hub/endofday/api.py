"""/api/v1/end-of-day: one trading day's steps and figures, bank deposits (and their reversals)
and closing the day. Reading needs sales.view; recording a deposit, reversing one and closing the
day need endofday.manage. Every change is one `db.write` with its audit entry."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.endofday import backups, schemas, service

VIEW, MANAGE = "sales.view", "endofday.manage"
DepositId = Annotated[str, Parameter(max_length=64)]
Day = Annotated[dt.date | None, Parameter(description="The trading day (the store's local date); default today")]


async def newest_backup(request: Request) -> dict[str, Any] | None:
    """The newest backup and whether it verifies (hashing a file: off the event loop)."""
    path = request.app.state.settings.backup_path
    return await asyncio.get_running_loop().run_in_executor(None, backups.newest, path)


async def day_or_today(request: Request, day: dt.date | None) -> dt.date:
    return day if day is not None else await request.app.state.db.read(service.today)


async def read_day(request: Request, day: dt.date | None) -> dict[str, Any]:
    """The walk-through of `day` (default today), as the API and the portal show it."""
    found = await newest_backup(request)
    return await request.app.state.db.read(service.walk, await day_or_today(request, day), newest_backup=found)


class EndOfDayController(Controller):
    path = "/api/v1/end-of-day"
    tags = ["end-of-day"]

    @get(opt=requires(VIEW), summary="A trading day's end-of-day steps, cash-up figures per currency and deposits")
    async def day(self, request: Request, date: Day = None) -> schemas.EndOfDay:
        """Each step is `done`, `needs_action` or `not_applicable` with why and where to fix it;
        `can_close` is true when none needs action and the day is not closed yet."""
        return msgspec.convert(await read_day(request, date), schemas.EndOfDay)

    @get("/deposits", opt=requires(VIEW), summary="A trading day's bank deposits and reversals")
    async def deposits(self, request: Request, date: Day = None) -> schemas.DepositList:
        day = await day_or_today(request, date)
        items = await request.app.state.db.read(service.list_deposits, day)
        return schemas.DepositList(date=day.isoformat(), items=[msgspec.convert(d, schemas.Deposit) for d in items],
                                   deposited=service.deposited(items))

    @post("/deposits", opt=requires(MANAGE), summary="Record a bank deposit of one currency for a trading day")
    async def record_deposit(self, request: Request, identity: Caller,
                             data: JSONBody[schemas.DepositCreate]) -> schemas.Deposit:
        """A deposit is never edited: a mistake is corrected by reversing it (with a reason)."""
        body = {f: getattr(data, f) for f in data.__struct_fields__}
        row = await request.app.state.db.write(service.record_deposit, identity.actor, body)
        return msgspec.convert(row, schemas.Deposit)

    @post("/deposits/{deposit_id:str}/reverse", opt=requires(MANAGE),
          summary="Cancel a deposit recorded by mistake with a reversing entry and a reason")
    async def reverse_deposit(self, request: Request, identity: Caller, deposit_id: DepositId,
                              data: JSONBody[schemas.DepositReverse]) -> schemas.Deposit:
        """Returns the reversal; 409 `deposit_state` for a reversal or a deposit already reversed."""
        row = await request.app.state.db.write(service.reverse_deposit, identity.actor, deposit_id, data.reason)
        return msgspec.convert(row, schemas.Deposit)

    @post("/close", opt=requires(MANAGE), status_code=200, summary="Close a trading day")
    async def close(self, request: Request, identity: Caller, data: JSONBody[schemas.DayClose]) -> schemas.EndOfDay:
        """Only when every applicable step is done (409 `day_not_ready` with the `blocking`
        steps); a day is closed once (409 `day_closed`). Records who, when, the step states and
        the per-currency figures."""
        found = await newest_backup(request)
        row = await request.app.state.db.write(service.close_day, identity.actor, data.date, newest_backup=found)
        return msgspec.convert(row, schemas.EndOfDay)


CONTROLLERS: list[Any] = [EndOfDayController]
