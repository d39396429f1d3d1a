"""/api/v1/currencies: list, read, create and edit the store's currencies (archive, never delete)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue._common import DEFAULT_PAGE, MAX_PAGE, found, given, page
from hub.catalogue.currencies import service
from hub.catalogue.currencies.schemas import Currency, CurrencyCreate, CurrencyPage, CurrencyUpdate
from hub.db import currencies

CurrencyCode = Annotated[str, Parameter(max_length=3, description="ISO 4217 code")]


class CurrencyController(Controller):
    path = "/api/v1/currencies"
    tags = ["currencies"]

    @get(opt=requires("catalogue.view"), summary="Currencies by code, a page at a time")
    async def list_currencies(
        self, request: Request,
        q: Annotated[str | None, Parameter(max_length=60, description="Part of the code or name")] = None,
        active: Annotated[bool | None, Parameter(description="Only active (true) or archived (false)")] = None,
        after: Annotated[str | None, Parameter(max_length=3, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    ) -> CurrencyPage:
        rows = await request.app.state.db.read(
            currencies.list_currencies, q=q, active=active,
            after=after.upper() if after else None, limit=limit + 1)
        items, next_after = page(rows, limit, lambda r: r["code"])
        return CurrencyPage(items=msgspec.convert(items, list[Currency]), next_after=next_after)

    @get("/{code:str}", opt=requires("catalogue.view"), summary="One currency")
    async def get_currency(self, request: Request, code: CurrencyCode) -> Currency:
        row = await request.app.state.db.read(currencies.get_currency, code.upper())
        return msgspec.convert(found(row, f"currency {code}"), Currency)

    @post(opt=requires("currencies.manage"), summary="Add a currency (the first is the base)")
    async def create_currency(self, request: Request, identity: Caller,
                              data: JSONBody[CurrencyCreate]) -> Currency:
        row = await request.app.state.db.write(
            service.create_currency, identity.actor, msgspec.structs.asdict(data))
        return msgspec.convert(row, Currency)

    @patch("/{code:str}", opt=requires("currencies.manage"),
           summary="Change a currency: name, rounding, cash rounding, base, archive (active: false)")
    async def update_currency(self, request: Request, identity: Caller, code: CurrencyCode,
                              data: JSONBody[CurrencyUpdate]) -> Currency:
        row = await request.app.state.db.write(
            service.update_currency, identity.actor, code, given(data))
        return msgspec.convert(row, Currency)
