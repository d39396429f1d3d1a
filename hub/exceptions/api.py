"""/api/v1/exceptions: the manager's queue of causes raised by documents that are never refused
(a sale's unknown product, price mismatch, closed shift, ...), resolved or dismissed with a note."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue._common import found
from hub.db import exceptions as rows
from hub.exceptions import service
from hub.sales.schemas import ExceptionAction, ExceptionPage, ExceptionRecord

MAX_PAGE = 200
ExceptionId = Annotated[str, Parameter(max_length=64)]
VIEW, RESOLVE = "exceptions.view", "exceptions.resolve"


class ExceptionController(Controller):
    path = "/api/v1/exceptions"
    tags = ["exceptions"]

    @get(opt=requires(VIEW), summary="Exceptions, newest first, with filters")
    async def list_exceptions(
        self, request: Request,
        kind: Annotated[str | None, Parameter(max_length=40, description="unknown_product, price_mismatch, ...")]
        = None,
        status: Annotated[str | None, Parameter(pattern="^(open|resolved|dismissed)$")] = None,
        sale: Annotated[str | None, Parameter(max_length=64, description="Raised by this sale")] = None,
        after: Annotated[str | None, Parameter(max_length=64, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> ExceptionPage:
        got = await request.app.state.db.read(rows.list_exceptions, kind=kind, status=status, sale_id=sale,
                                              before=after, limit=limit + 1)
        items = [msgspec.convert(r, ExceptionRecord) for r in got[:limit]]
        return ExceptionPage(items=items, next_after=items[-1].id if len(got) > limit and items else None)

    @get("/{exception_id:str}", opt=requires(VIEW), summary="One exception")
    async def get_exception(self, request: Request, exception_id: ExceptionId) -> ExceptionRecord:
        row = await request.app.state.db.read(rows.get, exception_id)
        return msgspec.convert(found(row, f"exception {exception_id}"), ExceptionRecord)

    @post("/{exception_id:str}/resolve", opt=requires(RESOLVE), status_code=200,
          summary="Resolve an open exception with a note")
    async def resolve(self, request: Request, identity: Caller, exception_id: ExceptionId,
                      data: JSONBody[ExceptionAction]) -> ExceptionRecord:
        """409 `exception_state` when it is not open."""
        row = await request.app.state.db.write(service.close, identity.actor, exception_id, "resolved", data.note)
        return msgspec.convert(row, ExceptionRecord)

    @post("/{exception_id:str}/dismiss", opt=requires(RESOLVE), status_code=200,
          summary="Dismiss an open exception with a note")
    async def dismiss(self, request: Request, identity: Caller, exception_id: ExceptionId,
                      data: JSONBody[ExceptionAction]) -> ExceptionRecord:
        row = await request.app.state.db.write(service.close, identity.actor, exception_id, "dismissed", data.note)
        return msgspec.convert(row, ExceptionRecord)


CONTROLLERS: list = [ExceptionController]
