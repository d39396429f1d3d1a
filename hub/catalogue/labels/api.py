"""/api/v1/labels/queue: the products that need a new shelf label, and clearing printed ones.

Any price change that moves what a customer pays queues its product (hub.catalogue.products.prices);
the peripherals issue prints the labels and then clears what it printed.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue.labels import service
from hub.catalogue.products._paging import decode_cursor, encode_cursor
from hub.clock import parse_ts
from hub.db import labels
from hub.errors import FieldErrors

MAX_PAGE = 500
MAX_CLEAR = 5000


class QueuedLabel(msgspec.Struct):
    product_id: str
    sku: str
    name: str
    receipt_name: str
    prices: dict[str, int]  # what a customer pays now, per currency
    reason: str  # the price change that queued it, such as "USD 150 -> 160"
    queued_at: str


class LabelQueuePage(msgspec.Struct):
    items: list[QueuedLabel]
    next_after: str | None
    as_of: str  # pass to clear: a product whose price changes again after this stays queued


class LabelQueueClear(msgspec.Struct, forbid_unknown_fields=True):
    product_ids: Annotated[list[Annotated[str, msgspec.Meta(max_length=64)]],
                           msgspec.Meta(min_length=1, max_length=MAX_CLEAR)]
    as_of: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class LabelQueueCleared(msgspec.Struct):
    cleared: int


class LabelQueueController(Controller):
    path = "/api/v1/labels/queue"
    tags = ["labels"]

    @get(opt=requires("catalogue.view"),
         summary="Products needing a new shelf label, oldest change first")
    async def list_queue(self, request: Request,
                         after: Annotated[str | None, Parameter(max_length=400)] = None,
                         limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 100) -> LabelQueuePage:
        cursor = decode_cursor(after, 2)

        def read(conn: Any) -> tuple[list[dict[str, Any]], str]:
            found = labels.list_queue(conn, after=cursor, limit=limit + 1)  # type: ignore[arg-type]
            return found, conn.floor.stamp()

        rows, as_of = await request.app.state.db.read(read)
        items = [msgspec.convert(r, QueuedLabel) for r in rows[:limit]]
        more = len(rows) > limit
        last = encode_cursor(items[-1].queued_at, items[-1].product_id) if more and items else None
        return LabelQueuePage(items=items, as_of=as_of, next_after=last)

    @post("/clear", status_code=200, opt=requires("catalogue.manage"),
          summary="Take printed products off the queue")
    async def clear(self, request: Request, identity: Caller,
                    data: JSONBody[LabelQueueClear]) -> LabelQueueCleared:
        """With `as_of` (from the listing the labels were printed from), a product whose price
        changed again since stays queued."""
        if data.as_of is not None:
            try:
                parse_ts(data.as_of)
            except ValueError:
                raise FieldErrors([("as_of", "pass the as_of of the queue listing")]) from None
        cleared = await request.app.state.db.write(service.clear, identity.actor, data.product_ids, data.as_of)
        return LabelQueueCleared(cleared=cleared)
