"""The event stream: WebSocket `/api/v1/events` (scans, print jobs, printer status, alerts).

Who may connect (access rule `authenticated`, enforced by the app's one guard):

- Tills and programs send `Authorization: Bearer <token>` (and a till its `X-Device-Token`) on
  the handshake, as on every API call.
- A portal page cannot set headers on a browser WebSocket. On this route only, and only on a
  WebSocket handshake that carries no Authorization header, the portal's session cookie stands
  in for the bearer token when the handshake's `Origin` is the hub itself (the same host and
  port as the `Host` the browser connected to, and the scheme that matches the connection). A
  browser always sends `Origin` on a WebSocket handshake and a page's script cannot change it,
  so another site's page cannot open the stream with the manager's cookie (cross-site WebSocket
  hijacking); the cookie is SameSite=Strict besides. Plain HTTP requests to API paths still
  never take the cookie (hub.auth.identity.is_api_path), so CSRF stays impossible there.
- A refused handshake is answered with the problem document (401/403) as the HTTP response
  where the server supports the ASGI denial-response extension (uvicorn does), and otherwise
  closed with 4401/4403. A plain GET without an upgrade gets 426 after the same access rule.
- The caller is checked again every REVALIDATE_S: a revoked or expired token closes the stream
  with 4401.

Frames are JSON text: `{"seq": n, "kind": "scan", "data": {...}}`; first `{"seq": 0, "kind":
"hello", "data": {"kinds": [...]}}`; after a slow reader lost events, `{"kind": "dropped",
"data": {"count": n}}`. `?kinds=scan,print_job` limits what is sent. What the client sends is
ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar import Controller, WebSocket, get, websocket
from litestar.types import ASGIApp, Receive, Scope, Send

from hub.auth.access import authenticated
from hub.auth.identity import SESSION_COOKIE, resolve_caller
from hub.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, AuthenticationError, HubError

log = logging.getLogger(__name__)

PATH = "/api/v1/events"
REVALIDATE_S = 60.0
KINDS = ("scan", "print_job", "printer_status", "sync_alert", "device_alert")
MAX_KINDS_PARAM = 200


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def same_origin(scope: Scope) -> bool:
    """True when the handshake's Origin names this very hub: scheme, host and port of the connection."""
    origin, host = _header(scope, b"origin"), _header(scope, b"host")
    if not origin or not host:
        return False
    parts = urlsplit(origin)
    secure = scope.get("scheme") in ("wss", "https")
    if parts.scheme != ("https" if secure else "http") or not parts.netloc:
        return False
    default = "443" if secure else "80"

    def norm(netloc: str) -> str:
        netloc = netloc.lower()
        return netloc if netloc.rsplit("]", 1)[-1].count(":") else f"{netloc}:{default}"

    return norm(parts.netloc) == norm(host)


def portal_cookie_middleware(app: ASGIApp) -> ASGIApp:
    """On a same-origin WebSocket handshake without a bearer token, the portal's session cookie
    is offered to the access guard as the bearer token; and a refusal becomes a clear answer."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and _header(scope, b"authorization") is None:
            cookie = _cookie(scope, SESSION_COOKIE)
            if cookie and same_origin(scope):
                headers = [*scope["headers"], (b"authorization", b"Bearer " + cookie.encode("latin-1"))]
                scope = {**scope, "headers": headers}  # type: ignore[assignment]
        if scope["type"] == "websocket":
            # The caller is checked here first, as the guard will check it again, so a refusal
            # reaches the client as a problem document instead of Litestar's bare close.
            try:
                _, identity = await resolve_caller(WebSocket(scope, receive, send))
                if identity is None:
                    raise AuthenticationError("sign in first: send `Authorization: Bearer <token>`")
            except HubError as err:
                await _refuse(scope, send, err)
                return
        await app(scope, receive, send)

    return middleware


async def _refuse(scope: Scope, send: Send, err: HubError) -> None:
    body = msgspec.json.encode({"type": PROBLEM_TYPE_BASE + err.code, "title": err.title,
                                "status": err.status, "detail": err.detail, "code": err.code,
                                "instance": scope.get("path")})
    if "websocket.http.response" in (scope.get("extensions") or {}):
        headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                   (b"content-length", str(len(body)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in err.headers.items()]
        await send({"type": "websocket.http.response.start", "status": err.status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
        return
    await send({"type": "websocket.close", "code": 4000 + err.status, "reason": err.code})


def _kinds(param: str | None) -> frozenset[str] | None:
    if not param:
        return None
    return frozenset(k.strip() for k in param[:MAX_KINDS_PARAM].split(",") if k.strip())


def _frame(seq: int, kind: str, data: dict[str, Any]) -> str:
    return msgspec.json.encode({"seq": seq, "kind": kind, "data": data}).decode()


async def event_stream(socket: WebSocket) -> None:
    """Bus events as JSON text frames to a signed-in till or portal page."""
    from hub.events.bus import bus_for

    kinds = _kinds(socket.query_params.get("kinds"))
    bus = bus_for(socket.app.state)
    sub = bus.subscribe()
    try:
        await socket.accept()
        await socket.send_text(_frame(0, "hello", {"kinds": sorted(kinds) if kinds else list(KINDS)}))
        await _pump(socket, sub, kinds)
    finally:
        bus.unsubscribe(sub)


async def _pump(socket: WebSocket, sub: Any, kinds: frozenset[str] | None) -> None:
    from litestar.exceptions import WebSocketDisconnect

    loop = asyncio.get_running_loop()
    receive = asyncio.ensure_future(socket.receive())
    nxt = asyncio.ensure_future(sub.next())
    checked = loop.time()
    reported = 0
    try:
        while True:
            done, _ = await asyncio.wait({receive, nxt}, timeout=REVALIDATE_S,
                                         return_when=asyncio.FIRST_COMPLETED)
            if nxt in done:  # an event first, even when the client spoke at the same moment
                event = nxt.result()
                nxt = asyncio.ensure_future(sub.next())
                if sub.dropped > reported:
                    await socket.send_text(_frame(event.seq, "dropped", {"count": sub.dropped - reported}))
                    reported = sub.dropped
                if kinds is None or event.kind in kinds:
                    await socket.send_text(_frame(event.seq, event.kind, event.data))
            if receive in done:
                message = receive.result()
                if message["type"] == "websocket.disconnect":
                    return
                receive = asyncio.ensure_future(socket.receive())  # what a client sends is ignored
            if loop.time() - checked >= REVALIDATE_S:
                checked = loop.time()
                if not await _still_signed_in(socket):
                    await socket.close(code=4401, reason="invalid_token")
                    return
    except (WebSocketDisconnect, OSError):  # gone while we wrote (uvicorn's ClientDisconnected is an OSError)
        return
    finally:
        for task in (receive, nxt):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


async def _still_signed_in(socket: WebSocket) -> bool:
    try:
        _, identity = await resolve_caller(socket, device=False)
    except HubError:
        return False
    return identity is not None


class UpgradeRequiredError(HubError):
    status, code, title = 426, "upgrade_required", "Upgrade required"


class EventStreamController(Controller):
    """A controller, as every feature's routes are, so each app gets its own copies of the
    handlers (hub._deferred_routes) and no two apps share their resolved state."""

    path = PATH
    tags = ["events"]

    @websocket("/", opt=authenticated(), middleware=[portal_cookie_middleware])
    async def stream(self, socket: WebSocket) -> None:
        """Bus events as JSON text frames to a signed-in till or portal page."""
        await event_stream(socket)

    @get("/", opt=authenticated(), status_code=426, include_in_schema=False)
    async def needs_upgrade(self) -> None:
        """A plain GET: the stream is a WebSocket."""
        raise UpgradeRequiredError("the event stream is a WebSocket: connect with `Upgrade: websocket`",
                                   headers={"Upgrade": "websocket", "Connection": "Upgrade"})


CONTROLLERS: list = [EventStreamController]
