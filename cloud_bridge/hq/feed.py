"""HQ's change feed to the hubs: batches by cursor with long poll, and the gzip NDJSON snapshot
(docs/cloud-bridge.md, "Down"; the shapes of docs/sync.md)."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import zlib
from collections.abc import AsyncIterator
from typing import Any

from litestar import Request, Response
from litestar.response import Stream

from cloud_bridge.hq import clock
from cloud_bridge.hq.errors import GoneError, HQError, InvalidError
from cloud_bridge.hq.hubs import HubIdentity
from cloud_bridge.hq.trim import trimmed_through

ENTITIES = ("category", "product", "exchange_rate", "promotion", "user", "setting")
GZIP_FROM = 4096  # bytes: a smaller answer is sent as is
RECHECK = 1.0  # seconds: a long poll also re-reads the feed this often (another HQ process wrote)
_CURSOR = re.compile(r"^([A-Za-z0-9_-]{1,64}):(\d{1,18})$")

ROWS_SQL = """SELECT seq, store_id, entity, id, version, op, data, txid FROM changes
    WHERE seq > %s ORDER BY seq LIMIT %s"""
TX_ROWS_SQL = """SELECT seq, store_id, entity, id, version, op, data, txid FROM changes
    WHERE seq > %s AND txid = %s ORDER BY seq"""


def parse_cursor(cursor: str | None) -> tuple[str, int]:
    if cursor is None:
        raise HQError("A cursor is required (from the snapshot's header).", code="invalid_request")
    m = _CURSOR.match(cursor)
    if m is None:
        raise InvalidError({"cursor": "not <epoch>:<seq>"})
    return m[1], int(m[2])


TOP_SQL = """SELECT greatest(coalesce((SELECT max(seq) FROM changes), 0),
    coalesce((SELECT value::bigint FROM meta WHERE key = 'trimmed_through'), 0)) AS m"""


async def feed_top(conn: Any) -> int:
    """The last seq HQ issued (trimming may have dropped its row)."""
    return (await (await conn.execute(TOP_SQL)).fetchone())["m"]


CHANNEL = "hq_feed"  # NOTIFY'd by every feed write at its commit: every HQ process wakes its polls


def notify(state: Any) -> None:
    """Wake the long polls: a feed write committed."""
    event = state.feed_event
    state.feed_event = asyncio.Event()
    event.set()


async def listen(dsn: str, state: Any) -> None:
    """Wake this process's long polls on every commit of a feed write, whichever HQ process made
    it (PostgreSQL LISTEN on its own connection); the polls' RECHECK covers a lost connection."""
    import psycopg

    while True:
        try:
            async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                async for _note in conn.notifies():
                    notify(state)
        except asyncio.CancelledError:
            raise
        except Exception:  # the database restarted: listen again shortly
            await asyncio.sleep(RECHECK)


async def read_batch(conn: Any, store_id: str, after: int, limit: int) -> tuple[list[dict], int, bool]:
    """(changes for this store, the new seq, more): never ends inside one transaction's rows
    unless that transaction alone is longer than `limit` (it then comes whole)."""
    rows = await (await conn.execute(ROWS_SQL, (after, limit + 1))).fetchall()
    more = len(rows) > limit
    if more:
        cut, following = rows[:limit], rows[limit]
        if cut[-1]["txid"] == following["txid"]:
            kept = [r for r in cut if r["txid"] != following["txid"]]
            if kept:
                cut = kept
            else:  # one transaction longer than the limit: carry it whole
                cut = cut + await (await conn.execute(TX_ROWS_SQL, (cut[-1]["seq"], following["txid"]))).fetchall()
                nxt = await (await conn.execute("SELECT 1 FROM changes WHERE seq > %s LIMIT 1",
                                                (cut[-1]["seq"],))).fetchone()
                more = nxt is not None
        rows = cut
    changes = [{"seq": r["seq"], "entity": r["entity"], "id": r["id"], "version": r["version"], "op": r["op"],
                "data": r["data"]} for r in rows if r["store_id"] is None or r["store_id"] == store_id]
    return changes, (rows[-1]["seq"] if rows else after), more


def _json_response(request: Request, payload: dict[str, Any]) -> Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = {}
    if len(body) >= GZIP_FROM and "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, compresslevel=5)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/json", headers=headers)


async def changes_response(request: Request, hub: HubIdentity, cursor: str | None, limit: int, wait: int) -> Response:
    state = request.app.state
    epoch, seq = parse_cursor(cursor)
    if epoch != state.epoch:
        raise GoneError("This cursor is from another HQ database: load the snapshot.", code="epoch_unknown",
                        extra={"snapshot": "/api/hq/v1/snapshot"})
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    first = True
    while True:
        event = state.feed_event
        async with state.pool.connection() as conn:
            if first:
                top = await feed_top(conn)
                if seq > top:
                    raise GoneError("This cursor is past anything HQ issued: load the snapshot.",
                                    code="epoch_unknown", extra={"snapshot": "/api/hq/v1/snapshot"})
                if seq < await trimmed_through(conn):
                    raise GoneError("The feed no longer holds every change after this cursor: load the snapshot.",
                                    code="cursor_trimmed", extra={"snapshot": "/api/hq/v1/snapshot"})
                first = False
            changes, seq, more = await read_batch(conn, hub.store_id, seq, limit)
            await conn.rollback()
        remaining = deadline - loop.time()
        if changes or more or remaining <= 0:
            return _json_response(request, {"cursor": f"{epoch}:{seq}", "changes": changes, "more": more,
                                            "hq_time": clock.iso_now()})
        try:
            await asyncio.wait_for(event.wait(), timeout=min(RECHECK, remaining))
        except asyncio.TimeoutError:
            pass


SNAPSHOT_SQL = """SELECT entity, id, version, data FROM reference
    WHERE NOT deleted AND (store_id IS NULL OR store_id = %s) ORDER BY entity, id"""


async def snapshot_response(request: Request, hub: HubIdentity) -> Response:
    state = request.app.state

    async def lines() -> AsyncIterator[bytes]:
        z = zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip container
        async with state.pool.connection() as conn:
            async with conn.transaction():
                await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                top = await feed_top(conn)
                header = {"epoch": state.epoch, "cursor": f"{state.epoch}:{top}", "hq_time": clock.iso_now(),
                          "entities": list(ENTITIES)}
                out = [json.dumps(header, separators=(",", ":")).encode() + b"\n"]
                count = 0
                async with conn.cursor(name="snapshot") as cur:
                    await cur.execute(SNAPSHOT_SQL, (hub.store_id,))
                    async for r in cur:
                        out.append(json.dumps({"entity": r["entity"], "id": r["id"], "version": r["version"],
                                               "data": r["data"]}, separators=(",", ":"),
                                              ensure_ascii=False).encode("utf-8") + b"\n")
                        count += 1
                        if len(out) >= 500:
                            chunk = z.compress(b"".join(out))
                            out.clear()
                            if chunk:
                                yield chunk
                out.append(json.dumps({"end": True, "count": count}).encode() + b"\n")
        yield z.compress(b"".join(out)) + z.flush()

    return Stream(lines(), media_type="application/x-ndjson", headers={"Content-Encoding": "gzip"})
