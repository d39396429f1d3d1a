"""/api/v1/exchange-rates: the rate history, the rate in force at a moment, and new rates."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue._common import DEFAULT_PAGE, MAX_PAGE, page
from hub.catalogue.exchange_rates import service
from hub.catalogue.exchange_rates.schemas import ExchangeRate, ExchangeRateCreate, ExchangeRatePage

CodeParam = Annotated[str | None, Parameter(max_length=3, description="ISO 4217 code")]


class ExchangeRateController(Controller):
    path = "/api/v1/exchange-rates"
    tags = ["exchange-rates"]

    @get(opt=requires("catalogue.view"),
         summary="Rates, newest start first; history=false keeps only rates in force and scheduled")
    async def list_rates(
        self, request: Request, base: CodeParam = None, quote: CodeParam = None,
        history: Annotated[bool, Parameter(description="Include superseded rates")] = True,
        after: Annotated[str | None, Parameter(max_length=64, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    ) -> ExchangeRatePage:
        rows = await request.app.state.db.read(
            service.list_rates, base=base, quote=quote, history=history, after=after, limit=limit + 1)
        items, next_after = page(rows, limit, lambda r: r["id"])
        return ExchangeRatePage(items=msgspec.convert(items, list[ExchangeRate]), next_after=next_after)

    @get("/current", opt=requires("catalogue.view"),
         summary="The rate in force for base -> quote at a moment (default now)")
    async def current_rate(
        self, request: Request,
        quote: Annotated[str, Parameter(max_length=3, description="ISO 4217 code")],
        base: Annotated[str | None, Parameter(max_length=3, description="Default: the base currency")] = None,
        at: Annotated[str | None, Parameter(max_length=40, description="ISO 8601 with an offset")] = None,
    ) -> ExchangeRate:
        row = await request.app.state.db.read(service.current_rate, base=base, quote=quote, at=at)
        return msgspec.convert(row, ExchangeRate)

    @post(opt=requires("currencies.manage"),
          summary="Record a rate (from now, or scheduled); a correction is a new rate")
    async def create_rate(self, request: Request, identity: Caller,
                          data: JSONBody[ExchangeRateCreate]) -> ExchangeRate:
        row = await request.app.state.db.write(
            service.create_rate, identity.actor, msgspec.structs.asdict(data))
        return msgspec.convert(row, ExchangeRate)
