"""The portal's cookies: the session (a hub access token), the CSRF token, and one-shot notices.

All three are HttpOnly and SameSite=Strict, and Secure whenever the hub serves HTTPS. The session
cookie lives as long as the access token inside it; when it lapses the next page sends the user
to sign in again and back to where they were (`safe_next`).

CSRF is a double-submit token: a random value in the `soko_csrf` cookie that every form repeats
in its `_csrf_token` field (or a script in the `X-CSRF-Token` header). A page on another site
can neither read the cookie nor make the browser send it (SameSite=Strict), so it cannot forge
the pair. It needs no server secret, so a restart never invalidates an open form.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers.base import BaseRouteHandler
from litestar.utils.scope.state import ScopeState

from hub.auth.identity import SESSION_COOKIE, is_api_path
from hub.errors import PermissionDeniedError

CSRF_COOKIE = "soko_csrf"
CSRF_FIELD = "_csrf_token"  # the field name Litestar's `csrf_input` uses too
CSRF_HEADER = "x-csrf-token"
FLASH_COOKIE = "soko_flash"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
MAX_FLASH_CHARS = 300


class CsrfError(PermissionDeniedError):
    code, title = "csrf_failed", "The form could not be accepted"


def secure(request: ASGIConnection) -> bool:
    return request.url.scheme == "https"


def _cookie(request: ASGIConnection, key: str, value: str, max_age: int | None) -> Cookie:
    return Cookie(key=key, value=value, max_age=max_age, path="/", httponly=True,
                  samesite="strict", secure=secure(request))


def session_cookie(request: ASGIConnection, token: str) -> Cookie:
    """The session cookie for a fresh login, living as long as its access token."""
    return _cookie(request, SESSION_COOKIE, token, request.app.state.settings.access_token_ttl_s)


def expired(request: ASGIConnection, key: str) -> Cookie:
    """A cookie that makes the browser forget `key`."""
    return _cookie(request, key, "", 0)


def safe_next(value: str | None, default: str = "/") -> str:
    """`value` when it is a path on this hub (never another host, never the sign-in page), else `default`."""
    if not value or len(value) > 2000 or not value.startswith("/") or value.startswith("//"):
        return default
    if any(c in value for c in "\\\r\n\t") or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or is_api_path(parts.path) or parts.path in ("/login", "/logout"):
        return default
    return value


# -- CSRF ----------------------------------------------------------------------------------


def csrf_token(request: ASGIConnection) -> str:
    """The token this page's forms carry: the cookie's, or a new one that `csrf_cookie` sets."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if not _TOKEN.match(token):
        token = getattr(request.state, "csrf_new", None) or secrets.token_urlsafe(32)
        request.state.csrf_new = token
    ScopeState.from_scope(request.scope).csrf_token = token  # Litestar's `csrf_input` uses it
    return token


def new_csrf_cookie(request: ASGIConnection) -> Cookie:
    """A fresh token (at sign-in and sign-out, so a token never outlives the session it served)."""
    request.state.csrf_new = secrets.token_urlsafe(32)
    return _cookie(request, CSRF_COOKIE, request.state.csrf_new, None)


def csrf_cookie(request: ASGIConnection) -> Cookie | None:
    """The cookie to set when this request made a new token, else None."""
    token = getattr(request.state, "csrf_new", None)
    return _cookie(request, CSRF_COOKIE, token, None) if token else None


async def csrf_guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Refuse an unsafe request whose form (or header) does not repeat the CSRF cookie."""
    if connection.scope["method"] in SAFE_METHODS:
        return
    cookie = connection.cookies.get(CSRF_COOKIE, "")
    sent = connection.headers.get(CSRF_HEADER)
    if sent is None and isinstance(connection, Request):
        sent = (await connection.form()).get(CSRF_FIELD)
    if not _TOKEN.match(cookie) or not isinstance(sent, str) or not hmac.compare_digest(cookie, sent):
        raise CsrfError("the form was not sent from a page of this hub, or it is too old; "
                        "go back, reload the page and try again (cookies must be enabled)")


# -- one-shot notices (after a redirect) -----------------------------------------------------


def flash_cookie(request: ASGIConnection, text: str, kind: str = "ok") -> Cookie:
    """A notice for the next page ("User created"); `kind` is ok or error."""
    payload = json.dumps({"kind": kind, "text": text[:MAX_FLASH_CHARS]}, ensure_ascii=False)
    value = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return _cookie(request, FLASH_COOKIE, value, 60)


def read_flash(request: ASGIConnection) -> dict[str, Any] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return None
    return {"kind": "error" if data.get("kind") == "error" else "ok", "text": data["text"][:MAX_FLASH_CHARS]}
