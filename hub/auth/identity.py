"""Who is calling: resolved from the bearer token on every request, by the access guard."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from hub.auth.access import ACCESS_KEY, AUTHENTICATED, HIDDEN, PUBLIC
from hub.clock import format_ts, utc_now
from hub.db import devices, tokens
from hub.db.audit import Actor
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
    token = request_token(connection)
    if token is None:
        return None
    db = connection.app.state.db
    row = await db.read(tokens.identity_for, token, format_ts(utc_now()))
    if row is None or row["kind"] == "refresh":
        raise AuthenticationError("the token is unknown, expired or revoked, or its user is deactivated",
                                  code="invalid_token")
    return Identity(
        user_id=row["user_id"], username=row["username"], display_name=row["display_name"],
        role_id=row["role_id"], role=row["role"], permissions=row["permissions"],
        token_id=row["token_id"], token_kind=row["kind"], device_id=row["device_id"],
    )


# A paired till sends its device token in this header on every call (hub.devices).
DEVICE_HEADER = "x-device-token"
MAX_DEVICE_TOKEN = 128


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    name: str


async def resolve_device(connection: ASGIConnection) -> Device | None:
    """The till behind `X-Device-Token` (also put on `connection.state.device`); 401 if unknown or revoked."""
    token = connection.headers.get(DEVICE_HEADER, "").strip()
    connection.state.device = None
    if not token:
        return None
    state = connection.app.state
    found = await state.db.read(devices.find_by_token, token) if len(token) <= MAX_DEVICE_TOKEN else None
    if found is None:
        raise AuthenticationError("the device token is unknown; pair this till again",
                                  code="invalid_device_token")
    if found["revoked_at"] is not None:
        raise AuthenticationError("this till was revoked by a manager; pair it again to use it",
                                  code="device_revoked")
    device = Device(id=found["id"], name=found["name"])
    connection.state.device = device
    await note_seen(state, device.id, connection.client.host if connection.client else None)
    return device


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
    device = await resolve_device(connection)
    identity = bind_device(await resolve_identity(connection), device)
    connection.state.identity = identity
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
