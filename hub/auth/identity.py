"""Who is calling: resolved from the bearer token (and a till's device token) on every request, by
the access guard, through the cache of callers (hub.auth.cache)."""

from __future__ import annotations

import dataclasses
import sqlite3
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from hub.auth.access import ACCESS_KEY, AUTHENTICATED, DEVICE, DEVICE_UPLOAD, HIDDEN, PUBLIC
from hub.auth.cache import cache_for
from hub.clock import format_ts, parse_ts, utc_now
from hub.db import devices, tokens
from hub.db.audit import Actor
from hub.db.tokens import hash_token
from hub.devices.presence import note_seen
from hub.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from hub.http import current_request_id


@dataclass(frozen=True, slots=True)
class Identity:
    user_id: str
    username: str
    display_name: str
    role_id: str
    role: str
    permissions: frozenset[str]
    token_id: str
    token_kind: str
    device_id: str | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, username=self.username, device_id=self.device_id,
                     request_id=current_request_id())


# The portal's session cookie holds a hub access token (see hub.portal.session).
SESSION_COOKIE = "soko_session"
API_PATH_PREFIXES = ("/api/", "/schema/")


def is_api_path(path: str) -> bool:
    """API paths take bearer tokens only: a cookie never reaches them, so CSRF cannot either."""
    return path == "/api" or path.startswith(API_PATH_PREFIXES)


def request_token(connection: ASGIConnection) -> str | None:
    """The caller's token: the bearer token on API paths, the portal's session cookie elsewhere."""
    if is_api_path(connection.scope["path"]):
        return bearer_token(connection)
    return connection.cookies.get(SESSION_COOKIE) or None


def bearer_token(connection: ASGIConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def resolve_identity(connection: ASGIConnection) -> Identity | None:
    """The Identity behind the request's token (see `request_token`), or None when there is none."""
    _, identity = await resolve_caller(connection, device=False)
    return identity


# A paired till sends its device token in this header on every call (hub.devices).
DEVICE_HEADER = "x-device-token"
MAX_DEVICE_TOKEN = 128


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    name: str
    revoked: bool = False  # only a `device_upload` route lets a revoked till through


async def resolve_device(connection: ASGIConnection) -> Device | None:
    """The till behind `X-Device-Token` (also put on `connection.state.device`); 401 if unknown or revoked."""
    device, _ = await resolve_caller(connection, identity=False)
    return device


def _caller_rows(conn: sqlite3.Connection, device_token: str | None, token: str | None,
                 now: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The till's row and the token's identity row, in one read snapshot (one hop, not two)."""
    device = devices.find_by_token(conn, device_token) if device_token is not None else None
    identity = tokens.identity_for(conn, token, now) if token is not None else None
    return device, identity


async def resolve_caller(connection: ASGIConnection, *, device: bool = True, identity: bool = True,
                         allow_revoked: bool = False) -> tuple[Device | None, Identity | None]:
    """The till (`X-Device-Token`) and the identity (`request_token`) behind the request, each
    None when not sent (or not asked for); 401 when one is unknown, expired or revoked, the
    till's refusal first (a revoked till passes with `allow_revoked`, marked `revoked`). Both
    come from the cache of callers (hub.auth.cache) when it holds them, otherwise from one
    database read."""
    state = connection.app.state
    cache = cache_for(state)
    device_token = connection.headers.get(DEVICE_HEADER, "").strip() if device else ""
    token = request_token(connection) if identity else None
    device_key = ("device", hash_token(device_token)) if device_token else None
    token_key = ("bearer", hash_token(token)) if token is not None else None
    found_device: Device | None = cache.get(device_key) if device_key else None
    found: Identity | None = cache.get(token_key) if token_key else None
    device_row = identity_row = None
    mark = cache.mark()
    read_device = device_key is not None and found_device is None and len(device_token) <= MAX_DEVICE_TOKEN
    read_identity = token_key is not None and found is None
    now = utc_now() if read_identity else None
    if read_device or read_identity:
        device_row, identity_row = await state.db.read(
            _caller_rows, device_token if read_device else None, token if read_identity else None,
            format_ts(now or utc_now()))
    if device:
        connection.state.device = None
    if device_key is not None:
        if found_device is None:
            found_device = _device(device_row)
            if not found_device.revoked:  # only live callers are kept
                cache.put(device_key, found_device, mark)
        if found_device.revoked and not allow_revoked:
            raise AuthenticationError("this till was revoked by a manager; pair it again to use it",
                                      code="device_revoked")
        connection.state.device = found_device
        await note_seen(state, found_device.id, connection.client.host if connection.client else None)
    if token_key is not None and found is None:
        found = _identity(identity_row)
        expires = identity_row["expires_at"] if identity_row else None
        lifetime = None if expires is None or now is None else (parse_ts(expires) - now).total_seconds()
        cache.put(token_key, found, mark, lifetime=lifetime)
    return found_device, found


def _device(row: dict[str, Any] | None) -> Device:
    if row is None:
        raise AuthenticationError("the device token is unknown; pair this till again",
                                  code="invalid_device_token")
    return Device(id=row["id"], name=row["name"], revoked=row["revoked_at"] is not None)


def _identity(row: dict[str, Any] | None) -> Identity:
    if row is None or row["kind"] == "refresh":
        raise AuthenticationError("the token is unknown, expired or revoked, or its user is deactivated",
                                  code="invalid_token")
    return Identity(
        user_id=row["user_id"], username=row["username"], display_name=row["display_name"],
        role_id=row["role_id"], role=row["role"], permissions=row["permissions"],
        token_id=row["token_id"], token_kind=row["kind"], device_id=row["device_id"],
    )


def bind_device(identity: Identity | None, device: Device | None) -> Identity | None:
    """The identity acting through `device`; a sign-in made on another till is refused."""
    if identity is None or device is None:
        return identity
    if identity.device_id is not None and identity.device_id != device.id:
        raise AuthenticationError("this sign-in belongs to another till; sign in on this one",
                                  code="device_mismatch")
    return dataclasses.replace(identity, device_id=device.id)


async def access_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Enforce the route's declared access rule; a route without one is refused."""
    rule = handler.opt.get(ACCESS_KEY)
    if rule is None:
        raise PermissionDeniedError(f"route {handler.handler_name} declares no access rule",
                                    code="undeclared_access")
    if rule == HIDDEN:
        raise NotFoundError("no such resource")
    if rule == PUBLIC:
        connection.state.identity = None
        return
    if rule == DEVICE_UPLOAD:  # the till alone, revoked or not: each fact names its user
        connection.state.identity = None
        device, _ = await resolve_caller(connection, identity=False, allow_revoked=True)
        if device is None:
            raise AuthenticationError("this is called by a paired till: send its X-Device-Token",
                                      code="device_required")
        return
    device, identity = await resolve_caller(connection)
    identity = bind_device(identity, device)
    connection.state.identity = identity
    if rule == DEVICE:
        if device is None:
            raise AuthenticationError("this is called by a paired till: send its X-Device-Token",
                                      code="device_required")
        return
    if identity is None:
        raise AuthenticationError("sign in first: send `Authorization: Bearer <token>`")
    if rule != AUTHENTICATED and not identity.can(rule):
        raise PermissionDeniedError(f"your role ({identity.role}) lacks the permission {rule!r}",
                                    extra={"permission": rule})


def provide_identity(request: ASGIConnection) -> Identity:
    """Dependency: the caller's identity on an authenticated route."""
    identity = getattr(request.state, "identity", None)
    if identity is None:
        raise AuthenticationError("sign in first: send `Authorization: Bearer <token>`")
    return identity


# Handler parameter type for "the signed-in caller", provided by `provide_identity`.
Caller = NamedDependency[Identity]
