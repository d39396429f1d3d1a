"""/api/v1/sync/changes and /api/v1/sync/snapshot: reference data down to a paired till
(docs/sync.md, "Down"). Access rule `device`: the till's X-Device-Token alone.

The feed and snapshot code (hub.sync.feed, hub.sync.snapshot) is imported inside the handlers,
so the hub's start does not pay for it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any, AsyncIterator

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import Parameter
from litestar.response import Stream

from hub.auth.access import device
from hub.errors import FieldErrors, GoneError

SNAPSHOT_PATH = "/api/v1/sync/snapshot"
# Snapshots sent at once; a further till waits its turn (each holds a read transaction and a core).
MAX_SNAPSHOTS = 2
# A batch this large or larger goes gzip-compressed to a till that accepts it (a page of 500
# products is about half a megabyte of JSON; a till on Wi-Fi pays for every byte).
GZIP_FROM = 4096
CursorParam = Annotated[str, Parameter(max_length=120, description="`<epoch>:<seq>` from the last batch or snapshot")]
LimitParam = Annotated[int, Parameter(ge=1, le=5000, description="Most change rows in the batch (1..5000)")]
WaitParam = Annotated[int, Parameter(ge=0, le=30, description="Seconds to hold when nothing is new (0..30)")]


class Change(msgspec.Struct):
    seq: int
    entity: str
    id: str
    version: int
    op: str
    data: dict[str, Any] | None


class ChangesPage(msgspec.Struct):
    """A batch of the feed; `cursor` is where the next call starts."""

    cursor: str
    changes: list[Change]
    more: bool
    hub_time: str


def _gzip(body: bytes) -> bytes:
    from hub.compression import gzip_bytes

    return gzip_bytes(body)


def _gone(err: Any) -> GoneError:
    from hub.clock import format_ts, utc_now

    return GoneError(err.detail, code=err.reason, extra={"snapshot": SNAPSHOT_PATH, "hub_time": format_ts(utc_now())})


def _page_bytes(batch: Any) -> bytes:
    """The page as JSON, each change's data spliced in as the feed stores it (no re-encoding)."""
    from hub.sync import feed

    changes = ",".join(
        f'{{"seq":{c.seq},"entity":{json.dumps(c.entity)},"id":{json.dumps(c.id)},'
        f'"version":{c.version},"op":"{c.op}","data":{c.data if c.data is not None else "null"}}}'
        for c in batch.changes)
    cursor = json.dumps(feed.format_cursor(batch.epoch, batch.through))
    return (f'{{"cursor":{cursor},"changes":[{changes}],"more":{"true" if batch.more else "false"},'
            f'"hub_time":{json.dumps(batch.hub_time)}}}').encode()


class SyncDownController(Controller):
    path = "/api/v1/sync"
    tags = ["sync"]

    @get("/changes", opt=device(), summary="The change feed after a cursor, for this till (long-poll with wait)")
    async def changes(self, request: Request, cursor: CursorParam, limit: LimitParam = 500,
                      wait: WaitParam = 0) -> Response[ChangesPage]:
        from hub.sync import feed

        parsed = feed.parse_cursor(cursor)
        if parsed is None:
            raise FieldErrors([("cursor", "is not a cursor `<epoch>:<seq>` from this hub")])
        till = request.state.device
        try:
            batch = await feed.wait_for_batch(request.app.state, till.id, parsed[0], parsed[1], limit, wait)
        except feed.CursorError as err:
            raise _gone(err) from None
        body = _page_bytes(batch)
        if len(body) >= GZIP_FROM and "gzip" in request.headers.get("accept-encoding", ""):
            return Response(_gzip(body), media_type="application/json",
                            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        return Response(body, media_type="application/json", headers={"Vary": "Accept-Encoding"})

    @get("/snapshot", opt=device(), summary="Everything this till holds, as gzip NDJSON from one read transaction",
         response_description="gzip-compressed NDJSON: header line, one line per row, end line with the count")
    async def snapshot(self, request: Request) -> Stream:
        from hub.sync.snapshot import SnapshotStream

        state = request.app.state
        gate = getattr(state, "sync_snapshot_gate", None)
        if gate is None:
            gate = state.sync_snapshot_gate = asyncio.Semaphore(MAX_SNAPSHOTS)
        till, db = request.state.device, state.db

        async def body() -> AsyncIterator[bytes]:
            # Everything is taken once the body is being sent, so an answer never sent holds nothing.
            async with gate:
                stream = await asyncio.to_thread(SnapshotStream, db.path, till.id, db.floor)
                try:
                    while (chunk := await asyncio.to_thread(stream.next_chunk)) is not None:
                        if chunk:
                            yield chunk
                finally:
                    stream.close()

        return Stream(body(), media_type="application/x-ndjson",
                      headers={"Content-Encoding": "gzip", "Cache-Control": "no-store"})


CONTROLLERS: list = [SyncDownController]
