"""A hub's status (the store's health), the requests HQ queues for it and their results, and the
backups it uploads (docs/cloud-bridge.md, "Status, health and requests")."""

from __future__ import annotations

import hashlib
import os
import re
from datetime import timedelta
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request

from cloud_bridge.hq import clock
from cloud_bridge.hq.errors import HQError, InvalidError, NotFoundError, TooLargeError
from cloud_bridge.hq.hubs import HubIdentity
from cloud_bridge.hq.settings import MAX_BACKUP_BYTES

MAX_STATUS_BYTES = 64 * 1024
MAX_RESULT_BYTES = 8 * 1024 * 1024
RESEND_AFTER = timedelta(minutes=15)  # a request sent but not answered goes out again after this
REQUEST_KINDS = ("resend", "report", "doctor")
BACKUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class StatusBody(msgspec.Struct):
    hub_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    epoch: str | int
    hub_time: str | None = None
    versions: dict[str, Any] = {}
    backlog: Annotated[int, msgspec.Meta(ge=0, le=2**62)] | None = None
    oldest_unsent_at: str | None = None
    last_error: str | None = None
    cursor: str | None = None
    fiscal: dict[str, Any] | None = None
    tills: Annotated[int, msgspec.Meta(ge=0, le=100_000)] | None = None


class ResultBody(msgspec.Struct, forbid_unknown_fields=True):
    status: Literal["done", "failed"]
    data: Any = None
    error: Annotated[str, msgspec.Meta(max_length=4000)] | None = None


def parse_status(raw: bytes) -> StatusBody:
    if len(raw) > MAX_STATUS_BYTES:
        raise TooLargeError("A status report is at most 64 KiB.")
    try:
        return msgspec.json.decode(raw, type=StatusBody)
    except msgspec.ValidationError as err:
        raise InvalidError({"status": str(err)}) from err
    except msgspec.DecodeError as err:
        raise HQError(f"The body is not JSON: {err}", code="invalid_request") from err


def parse_result(raw: bytes) -> ResultBody:
    try:
        return msgspec.json.decode(raw, type=ResultBody)
    except msgspec.ValidationError as err:
        raise InvalidError({"result": str(err)}) from err
    except msgspec.DecodeError as err:
        raise HQError(f"The body is not JSON: {err}", code="invalid_request") from err


def _time_or_none(text: str | None) -> Any:
    if not text:
        return None
    try:
        return clock.parse(text)
    except ValueError:
        return None


STATUS_SQL = """INSERT INTO store_status (store_id, hub_id, epoch, received_at, backlog, oldest_unsent_at, body)
    VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (store_id) DO UPDATE SET hub_id = excluded.hub_id,
    epoch = excluded.epoch, received_at = excluded.received_at, backlog = excluded.backlog,
    oldest_unsent_at = excluded.oldest_unsent_at, body = excluded.body"""

DUE_SQL = """UPDATE requests SET status = 'sent', sent_at = %s
    WHERE store_id = %s AND (status = 'queued' OR (status = 'sent' AND sent_at < %s))
    RETURNING id, kind, params, created_at"""


async def record_status(conn: Any, hub: HubIdentity, body: StatusBody) -> dict[str, Any]:
    from psycopg.types.json import Jsonb

    moment = clock.now()
    await conn.execute(STATUS_SQL, (hub.store_id, hub.hub_id, str(body.epoch), moment, body.backlog,
                                    _time_or_none(body.oldest_unsent_at), Jsonb(msgspec.to_builtins(body))))
    due = await (await conn.execute(DUE_SQL, (moment, hub.store_id, moment - RESEND_AFTER))).fetchall()
    due.sort(key=lambda r: r["created_at"])
    return {"hq_time": clock.iso(moment),
            "requests": [{"id": r["id"], "kind": r["kind"], "params": r["params"]} for r in due]}


async def record_result(conn: Any, hub: HubIdentity, request_id: str, body: ResultBody) -> dict[str, Any]:
    from psycopg.types.json import Jsonb

    row = await (await conn.execute("SELECT status FROM requests WHERE id = %s AND store_id = %s FOR UPDATE",
                                    (request_id, hub.store_id))).fetchone()
    if row is None:
        raise NotFoundError("No such request for this store.", code="request_unknown")
    if row["status"] in ("done", "failed"):  # an answer sent twice (its reply was lost): the first stands
        return {"id": request_id, "status": row["status"], "hq_time": clock.iso_now()}
    if body.status == "failed" and not body.error:
        raise InvalidError({"error": "a failed request says why"})
    await conn.execute("UPDATE requests SET status = %s, answered_at = %s, result = %s, error = %s WHERE id = %s",
                       (body.status, clock.now(), Jsonb(body.data) if body.status == "done" else None,
                        body.error, request_id))
    return {"id": request_id, "status": body.status, "hq_time": clock.iso_now()}


async def queue_request(conn: Any, store_id: str, kind: str, params: dict[str, Any], created_by: str) -> dict:
    import uuid

    from psycopg.types.json import Jsonb

    if kind not in REQUEST_KINDS:
        raise InvalidError({"kind": f"one of {', '.join(REQUEST_KINDS)}"})
    request_id = str(uuid.uuid4())
    await conn.execute("INSERT INTO requests (id, store_id, kind, params, created_by) VALUES (%s, %s, %s, %s, %s)",
                       (request_id, store_id, kind, Jsonb(params), created_by))
    return {"id": request_id, "kind": kind, "params": params, "status": "queued"}


async def receive_backup(request: Request, hub: HubIdentity, name: str) -> dict[str, Any]:
    """Stream the body into <backups>/<store code>/<name> (through a .part file), at most 2 GiB."""
    if not BACKUP_NAME.match(name) or name.endswith(".part"):
        raise InvalidError({"name": "letters, digits, dot, dash and underscore, at most 128"})
    state = request.app.state
    folder = state.settings.backups_path / hub.store_code
    folder.mkdir(parents=True, exist_ok=True)
    final, part = folder / name, folder / f".{name}.{os.getpid()}.part"
    digest, size = hashlib.sha256(), 0
    try:
        with open(part, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_BACKUP_BYTES:
                    raise TooLargeError("A backup is at most 2 GiB.")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidError({"body": "an empty backup"})
        os.replace(part, final)
    finally:
        if part.exists():
            part.unlink()
    async with state.pool.connection() as conn:
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO backups (store_id, name, size, sha256, received_at) VALUES (%s, %s, %s, %s, now())"
                " ON CONFLICT (store_id, name) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256,"
                " received_at = excluded.received_at", (hub.store_id, name, size, digest.hexdigest()))
    return {"name": name, "size": size, "sha256": digest.hexdigest(), "hq_time": clock.iso_now()}


async def list_backups(conn: Any, store_id: str) -> list[dict[str, Any]]:
    rows = await (await conn.execute("SELECT name, size, sha256, received_at FROM backups WHERE store_id = %s"
                                     " ORDER BY received_at DESC, name", (store_id,))).fetchall()
    return [{**r, "received_at": clock.iso(r["received_at"])} for r in rows]

