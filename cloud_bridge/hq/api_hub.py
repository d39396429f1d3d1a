"""The routes hubs call (docs/cloud-bridge.md): enrol, facts, changes, snapshot, status,
request results and backups. Thin: the rules live in hubs.py, facts.py, feed.py, status.py."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, JSONBody, Parameter

from cloud_bridge.hq import facts as facts_service
from cloud_bridge.hq import feed, hubs, status
from cloud_bridge.hq.errors import OverloadedError
from cloud_bridge.hq.hubs import HubIdentity

Short = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class EnrolBody(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    hub_id: Short
    store_code: Short
    epoch: str | int
    hub_version: Annotated[str, msgspec.Meta(max_length=64)] = ""
    schema_version: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 0


async def hub_of(request: Request) -> HubIdentity:
    pool = request.app.state.pool
    async with pool.connection() as conn:
        hub = await hubs.authenticate(conn, request.headers.get("authorization"), request.headers.get("x-soko-hub"))
        await conn.rollback()
    return hub


class HubController(Controller):
    path = "/api/hq/v1"
    tags = ["hubs"]

    @get("/health")
    async def health(self, request: Request) -> Response:
        """For a load balancer or monitor: 200 when the database answers, else 503 (no auth)."""
        from cloud_bridge.hq import clock

        try:
            async with request.app.state.pool.connection(timeout=5) as conn:
                await conn.execute("SELECT 1")
                await conn.rollback()
        except Exception as err:  # the pool's or the database's: either way HQ cannot serve
            return Response({"status": "unavailable", "detail": str(err)[:200], "hq_time": clock.iso_now()},
                            status_code=503, headers={"Retry-After": "10"})
        return Response({"status": "ok", "hq_time": clock.iso_now()})

    @post("/enrol", status_code=201)
    async def enrol(self, request: Request, data: JSONBody[EnrolBody]) -> dict[str, Any]:
        async with request.app.state.pool.connection() as conn:
            async with conn.transaction():
                return await hubs.enrol(conn, msgspec.structs.asdict(data))

    @post("/facts", status_code=200)
    async def facts(self, request: Request) -> dict[str, Any]:
        state = request.app.state
        hub = await hub_of(request)
        raw = await request.body()
        batch = facts_service.parse_batch(facts_service.read_body(raw, request.headers.get("content-encoding")))
        checked = facts_service.check_facts(batch)
        if state.inflight >= state.settings.max_batches:
            raise OverloadedError("HQ is storing as many batches as it takes at once: retry later.",
                                  headers={"Retry-After": str(state.settings.retry_after)})
        state.inflight += 1
        try:
            await state.partitions.ensure(state.pool, {c.occurred_on for c in checked})
            async with state.pool.connection() as conn:
                async with conn.transaction():
                    return await facts_service.store_batch(conn, hub, batch, checked)
        finally:
            state.inflight -= 1

    @get("/changes")
    async def changes(self, request: Request, cursor: Annotated[str | None, Parameter(max_length=100)] = None,
                      limit: Annotated[int, Parameter(ge=1, le=2000)] = 500,
                      wait: Annotated[int, Parameter(ge=0, le=30)] = 0) -> Response:
        hub = await hub_of(request)
        return await feed.changes_response(request, hub, cursor, limit, wait)

    @get("/snapshot")
    async def snapshot(self, request: Request) -> Response:
        hub = await hub_of(request)
        return await feed.snapshot_response(request, hub)

    @post("/status", status_code=200)
    async def status(self, request: Request) -> dict[str, Any]:
        hub = await hub_of(request)
        body = status.parse_status(await request.body())
        async with request.app.state.pool.connection() as conn:
            async with conn.transaction():
                return await status.record_status(conn, hub, body)

    @post("/requests/{request_id:str}/result", status_code=200)
    async def request_result(self, request: Request, request_id: FromPath[str]) -> dict[str, Any]:
        hub = await hub_of(request)
        body = status.parse_result(facts_service.read_body(await request.body(), request.headers.get("content-encoding"),
                                                           limit=status.MAX_RESULT_BYTES))
        async with request.app.state.pool.connection() as conn:
            async with conn.transaction():
                return await status.record_result(conn, hub, request_id, body)

    @put("/backups/{name:str}", status_code=201, request_max_body_size=None)
    async def put_backup(self, request: Request, name: FromPath[str]) -> dict[str, Any]:
        hub = await hub_of(request)
        return await status.receive_backup(request, hub, name)

    @get("/backups")
    async def list_backups(self, request: Request) -> dict[str, Any]:
        hub = await hub_of(request)
        async with request.app.state.pool.connection() as conn:
            return {"backups": await status.list_backups(conn, hub.store_id)}
