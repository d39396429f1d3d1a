"""Checking a person's secret over HTTP: the login rate limit, the KDF off the loop, the audit entry.

Shared by POST /api/v1/auth/login and the portal's sign-in form, so both count attempts in the
one limiter and record the same `auth.login` / `auth.login_failed` entries (hub.auth.service).
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from hub.auth import service
from hub.auth.hashing import hash_secret, hasher_for, limiter_for, verify_secret
from hub.auth.identity import Identity
from hub.db import users
from hub.errors import AuthenticationError, HubError, PermissionDeniedError, RateLimitedError
from hub.http import current_request_id


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def token_ttl(request: Request) -> tuple[int, int]:
    """(access, refresh) token lifetimes in seconds, from the settings."""
    settings = request.app.state.settings
    return settings.access_token_ttl_s, settings.refresh_token_ttl_s


def acquire_attempt(request: Request, username: str) -> None:
    """Count a secret check against the rate limit, or refuse it with 429 and Retry-After."""
    wait = limiter_for(request.app.state).acquire(username, client_address(request))
    if wait is not None:
        raise RateLimitedError(f"too many failed attempts; try again in {wait} s",
                               headers={"Retry-After": str(wait)}, extra={"retry_after_s": wait})


async def check_own_secret(request: Request, identity: Identity, secret: str,
                           kind: str = "password") -> None:
    """Refuse (403) unless `secret` is the caller's password (or PIN); wrong guesses count like failed logins."""
    acquire_attempt(request, identity.username)
    state = request.app.state
    found = await state.db.read(users.get_secrets, user_id=identity.user_id)
    if not await verify_secret(state, found[f"{kind}_hash"] if found else None, secret):
        raise PermissionDeniedError(f"the current {kind} is wrong", code=f"wrong_{kind}")
    limiter_for(state).succeeded(identity.username, client_address(request))


async def sign_in(request: Request, username: str, method: str, secret: str, *,
                  device_id: str | None = None) -> dict[str, Any]:
    """A new login's session (token pair and user), bound to the till `device_id` if any; else 401/403/429."""
    acquire_attempt(request, username)
    state, address, request_id = request.app.state, client_address(request), current_request_id()
    found = await state.db.read(users.get_secrets, username=username)
    stored = found[f"{method}_hash"] if found else None
    ok = await verify_secret(state, stored, secret)  # implies `found`
    session = None
    if ok and found["active"]:
        stale = (await hasher_for(state)).needs_rehash(stored)
        try:
            session = await state.db.write(
                service.login, found["id"], method=method, address=address, request_id=request_id,
                ttl=token_ttl(request), rehash=await hash_secret(state, secret) if stale else None,
                device_id=device_id)
        except HubError as refusal:  # e.g. till_not_allowed: the login transaction rolled back
            await state.db.write(service.login_failed, username=username, user_id=found["id"],
                                 reason=refusal.code, method=method, address=address,
                                 request_id=request_id, device_id=device_id)
            raise
    if session is None:
        reason = "unknown_user" if found is None else "wrong_secret" if not ok else "inactive"
        await state.db.write(service.login_failed, username=username,
                             user_id=found["id"] if found else None, reason=reason,
                             method=method, address=address, request_id=request_id)
        raise AuthenticationError(service.INVALID_CREDENTIALS, code="invalid_credentials")
    limiter_for(state).succeeded(username, address)
    return session
