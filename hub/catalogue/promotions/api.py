"""/api/v1/promotions: list, read, create, edit and end promotions (never delete them)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue.promotions import service
from hub.catalogue.promotions.schemas import (MAX_PAGE, Kind, Promotion, PromotionCreate,
                                              PromotionPage, PromotionUpdate, Status)
from hub.db import promotions as store
from hub.errors import NotFoundError

PromotionId = Annotated[str, Parameter(max_length=64)]


def _promotion(row: dict[str, Any], now: str) -> Promotion:
    return msgspec.convert(service.with_status(row, now), Promotion)


def _read(conn, fn, *args: Any, **kwargs: Any) -> tuple[Any, str]:
    """Run a store read and tell the moment it was read at (for each promotion's status)."""
    return fn(conn, *args, **kwargs), service.now_stamp(conn)


class PromotionController(Controller):
    path = "/api/v1/promotions"
    tags = ["promotions"]

    @get(opt=requires("catalogue.view"), summary="Promotions, newest first, a page at a time")
    async def list_promotions(
        self, request: Request,
        status: Annotated[Status | None, Parameter(description="Only those scheduled, running or ended now")] = None,
        kind: Annotated[Kind | None, Parameter(description="Only this kind")] = None,
        source: Annotated[str | None, Parameter(pattern="^(store|hq)$", description="store or hq")] = None,
        q: Annotated[str | None, Parameter(max_length=120, description="Part of the name")] = None,
        after: Annotated[str | None, Parameter(max_length=64, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> PromotionPage:
        def page(conn):
            now = service.now_stamp(conn)
            return store.list_promotions(conn, now=now, after=after, limit=limit, kind=kind,
                                         status=status, source=source, q=q), now

        rows, now = await request.app.state.db.read(page)
        items = [_promotion(r, now) for r in rows]
        return PromotionPage(items=items, next_after=items[-1].id if len(items) == limit else None)

    @get("/{promotion_id:str}", opt=requires("catalogue.view"), summary="One promotion")
    async def get_promotion(self, request: Request, promotion_id: PromotionId) -> Promotion:
        row, now = await request.app.state.db.read(_read, store.get_promotion, promotion_id)
        if row is None or not row["active"]:
            raise NotFoundError(f"there is no promotion {promotion_id}")
        return _promotion(row, now)

    @post(opt=requires("promotions.manage"),
          summary="Create a promotion of any kind of docs/pricing.md; every wrong field is named")
    async def create_promotion(self, request: Request, identity: Caller,
                               data: JSONBody[PromotionCreate]) -> Promotion:
        fields = msgspec.to_builtins(data)
        row, now = await request.app.state.db.write(_read, service.create_promotion,
                                                    identity.actor, fields)
        return _promotion(row, now)

    @patch("/{promotion_id:str}", opt=requires("promotions.manage"),
           summary="Change a promotion's fields (null removes an optional one); checked whole")
    async def update_promotion(self, request: Request, identity: Caller, promotion_id: PromotionId,
                               data: JSONBody[PromotionUpdate]) -> Promotion:
        changes = {k: msgspec.to_builtins(v) for k, v in msgspec.structs.asdict(data).items()
                   if v is not msgspec.UNSET}
        row, now = await request.app.state.db.write(_read, service.update_promotion,
                                                    identity.actor, promotion_id, changes)
        return _promotion(row, now)

    @post("/{promotion_id:str}/end", status_code=200, opt=requires("promotions.manage"),
          summary="End a promotion now (valid_until = now); it is kept, never deleted")
    async def end_promotion(self, request: Request, identity: Caller,
                            promotion_id: PromotionId) -> Promotion:
        row, now = await request.app.state.db.write(_read, service.end_promotion,
                                                    identity.actor, promotion_id)
        return _promotion(row, now)
