"""HQ's authoring API for its own users: sign-in, stores and enrolment codes, reference data
and CSV import, requests for a store's data (admin writes, analyst reads)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath, JSONBody

from cloud_bridge.hq import clock, hubs, reference, status, stores, users
from cloud_bridge.hq.errors import HQError

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class LoginBody(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    role: str
    display_name: Annotated[str, msgspec.Meta(max_length=200)] = ""


class StoreCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    name: Name
    time_zone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    currencies: Annotated[list[Annotated[str, msgspec.Meta(max_length=3)]], msgspec.Meta(min_length=1, max_length=10)]


class RequestCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: Annotated[str, msgspec.Meta(max_length=32)]
    params: dict[str, Any] = {}


class AuthController(Controller):
    path = "/api/hq/v1/auth"
    tags = ["hq-auth"]

    @post("/login", status_code=201)
    async def login(self, request: Request, data: JSONBody[LoginBody]) -> Response:
        settings = request.app.state.settings
        async with request.app.state.pool.connection() as conn:
            async with conn.transaction():
                token, user, expires = await users.login(conn, data.username, data.password, settings.session_hours)
        response = Response({"access_token": token, "token_type": "Bearer", "expires_at": clock.iso(expires),
                             "user": {"id": user.id, "username": user.username, "role": user.role}}, status_code=201)
        response.set_cookie(users.SESSION_COOKIE, token, httponly=True, samesite="strict", path="/",
                            secure=settings.secure_cookies, max_age=settings.session_hours * 3600)
        return response

    @post("/logout", status_code=204)
    async def logout(self, request: Request) -> None:
        token = users.token_of(request)
        if token:
            async with request.app.state.pool.connection() as conn:
                async with conn.transaction():
                    await users.logout(conn, token)


class AdminController(Controller):
    path = "/api/hq/v1"
    tags = ["hq-admin"]

    @post("/users", status_code=201)
    async def create_user(self, request: Request, data: JSONBody[UserCreate]) -> dict[str, Any]:
        (await users.current_user(request)).require_admin()
        async with request.app.state.pool.connection() as conn:
            async with conn.transaction():
                return await users.create_user(conn, data.username, data.password, data.role, data.display_name)

    @get("/stores")
    async def list_stores(self, request: Request) -> dict[str, Any]:
        await users.current_user(request)
        async with request.app.state.pool.connection() as conn:
            return {"stores": await stores.list_stores(conn)}

    @post("/stores", status_code=201)
    async def create_store(self, request: Request, data: JSONBody[StoreCreate]) -> dict[str, Any]:
        (await users.current_user(request)).require_admin()
        async with request.app.state.pool.connection() as conn:
            async with conn.transaction():
                return await stores.create_store(conn, data.code, data.name, data.time_zone, data.currencies)

    @post("/stores/{code:str}/enrolment", status_code=201)
    async def enrolment_code(self, request: Request, code: FromPath[str]) -> dict[str, Any]:
        user = await users.current_user(request)
        user.require_admin()
        async with request.app.state.pool.connection() as conn:
            async with conn.transaction():
                store = await stores.store_by_code(conn, code)
                made = await hubs.create_code(conn, store["id"], user.username)
        made["file"] = {"hq_url": request.app.state.settings.public_url, "code": made["code"], "store_code": code}
        return made

    @post("/stores/{code:str}/requests", status_code=201)
    async def queue_request(self, request: Request, code: FromPath[str],
                            data: JSONBody[RequestCreate]) -> dict[str, Any]:
        user = await users.current_user(request)
        async with request.app.state.pool.connection() as conn:
            async with conn.transaction():
                store = await stores.store_by_code(conn, code)
                return await status.queue_request(conn, store["id"], data.kind, data.params, user.username)

    @get("/requests/{request_id:str}")
    async def get_request(self, request: Request, request_id: FromPath[str]) -> dict[str, Any]:
        await users.current_user(request)
        async with request.app.state.pool.connection() as conn:
            row = await (await conn.execute(
                "SELECT r.id, s.code AS store_code, r.kind, r.params, r.status, r.created_at, r.sent_at,"
                " r.answered_at, r.result, r.error FROM requests r JOIN stores s ON s.id = r.store_id"
                " WHERE r.id = %s", (request_id,))).fetchone()
        if row is None:
            raise HQError("No such request.", code="not_found", status=404)
        return {**row, **{k: clock.iso(row[k]) for k in ("created_at", "sent_at", "answered_at")}}

    @get("/reference/{entity:str}")
    async def list_reference(self, request: Request, entity: FromPath[str]) -> dict[str, Any]:
        await users.current_user(request)
        async with request.app.state.pool.connection() as conn:
            return {"rows": await reference.list_rows(conn, entity)}

    @put("/reference/{entity:str}/{row_id:str}")
    async def put_reference(self, request: Request, entity: FromPath[str], row_id: FromPath[str]) -> dict[str, Any]:
        user = await users.current_user(request)
        user.require_admin()
        body = reference.decode_body(await request.body())
        async with request.app.state.pool.connection() as conn:
            async with conn.transaction():
                result = await reference.upsert(conn, entity, row_id, body, user.username)
        reference.after_commit(request.app.state)
        return result

    @delete("/reference/{entity:str}/{row_id:str}", status_code=200)
    async def delete_reference(self, request: Request, entity: FromPath[str], row_id: FromPath[str]) -> dict[str, Any]:
        user = await users.current_user(request)
        user.require_admin()
        async with request.app.state.pool.connection() as conn:
            async with conn.transaction():
                result = await reference.remove(conn, entity, row_id, user.username)
        reference.after_commit(request.app.state)
        return result

    @post("/import/{entity:str}", status_code=200)
    async def import_csv(self, request: Request, entity: FromPath[str]) -> dict[str, Any]:
        user = await users.current_user(request)
        user.require_admin()
        raw = await request.body()
        async with request.app.state.pool.connection() as conn:
            async with conn.transaction():
                result = await reference.import_csv(conn, entity, raw, user.username)
        reference.after_commit(request.app.state)
        return result


ADMIN_CONTROLLERS = [AuthController, AdminController]
