"""/api/v1/auth: login, refresh, logout, the caller's own profile and secrets, and API tokens."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from hub.auth import service
from hub.auth.access import authenticated, public
from hub.auth.hashing import hash_secret, hasher_for, limiter_for, verify_secret
from hub.auth.identity import Identity
from hub.auth.schemas import (ApiToken, ApiTokenCreate, ApiTokenCreated, Credentials, Me, MeUpdate,
                              PasswordChange, PinChange, RefreshRequest, Session)
from hub.db import tokens, users
from hub.errors import AuthenticationError, InvalidInputError, PermissionDeniedError, RateLimitedError
from hub.http import current_request_id
from hub.users.service import check_secrets

Caller = NamedDependency[Identity]  # the signed-in user, from the access guard


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _ttl(request: Request) -> tuple[int, int]:
    settings = request.app.state.settings
    return settings.access_token_ttl_s, settings.refresh_token_ttl_s


def _acquire_attempt(request: Request, username: str) -> None:
    """Count a secret check against the rate limit, or refuse it with 429 and Retry-After."""
    wait = limiter_for(request.app.state).acquire(username, _address(request))
    if wait is not None:
        raise RateLimitedError(f"too many failed attempts; try again in {wait} s",
                               headers={"Retry-After": str(wait)}, extra={"retry_after_s": wait})


async def _check_own_secret(request: Request, identity: Identity, secret: str, kind: str = "password") -> None:
    """Refuse (403) unless `secret` is the caller's password (or PIN); wrong guesses count like failed logins."""
    _acquire_attempt(request, identity.username)
    state = request.app.state
    found = await state.db.read(users.get_secrets, user_id=identity.user_id)
    if not await verify_secret(state, found[f"{kind}_hash"] if found else None, secret):
        raise PermissionDeniedError(f"the current {kind} is wrong", code=f"wrong_{kind}")
    limiter_for(state).succeeded(identity.username, _address(request))


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/login", opt=public(), summary="Sign in with username and password or PIN")
    async def login(self, request: Request, data: JSONBody[Credentials]) -> Session:
        method, secret = service.login_method(data.password, data.pin)
        _acquire_attempt(request, data.username)
        state, address, request_id = request.app.state, _address(request), current_request_id()
        found = await state.db.read(users.get_secrets, username=data.username)
        stored = found[f"{method}_hash"] if found else None
        ok = await verify_secret(state, stored, secret)  # implies `found`
        session = None
        if ok and found["active"]:
            stale = (await hasher_for(state)).needs_rehash(stored)
            session = await state.db.write(
                service.login, found["id"], method=method, address=address, request_id=request_id,
                ttl=_ttl(request), rehash=await hash_secret(state, secret) if stale else None)
        if session is None:
            reason = "unknown_user" if found is None else "wrong_secret" if not ok else "inactive"
            await state.db.write(service.login_failed, username=data.username,
                                 user_id=found["id"] if found else None, reason=reason,
                                 method=method, address=address, request_id=request_id)
            raise AuthenticationError(service.INVALID_CREDENTIALS, code="invalid_credentials")
        limiter_for(state).succeeded(data.username, address)
        return msgspec.convert(session, Session)

    @post("/refresh", opt=public(), summary="Swap a refresh token for a new token pair")
    async def refresh(self, request: Request, data: JSONBody[RefreshRequest]) -> Session:
        outcome = await request.app.state.db.write(
            service.refresh, data.refresh_token, address=_address(request),
            request_id=current_request_id(), ttl=_ttl(request))
        if "error" in outcome:
            raise AuthenticationError(
                "the refresh token is unknown, expired or revoked; sign in again", code=outcome["error"])
        return msgspec.convert(outcome["session"], Session)

    @post("/logout", status_code=204, opt=authenticated(),
          summary="Sign out: revoke this login's tokens")
    async def logout(self, request: Request, identity: Caller) -> None:
        await request.app.state.db.write(service.logout, identity.actor, identity.token_id)

    @get("/me", opt=authenticated(), summary="The signed-in user and their permissions")
    async def me(self, request: Request, identity: Caller) -> Me:
        return msgspec.convert(await request.app.state.db.read(service.me, identity.user_id), Me)

    @patch("/me", opt=authenticated(), summary="Change your display name")
    async def update_me(self, request: Request, identity: Caller, data: JSONBody[MeUpdate]) -> Me:
        row = await request.app.state.db.write(service.update_me, identity.actor, identity.user_id,
                                               data.display_name)
        return msgspec.convert(row, Me)

    @post("/me/password", status_code=204, opt=authenticated(),
          summary="Change your password; your other logins and API tokens are revoked")
    async def change_password(self, request: Request, identity: Caller,
                              data: JSONBody[PasswordChange]) -> None:
        check_secrets(data.new_password, None)
        await _check_own_secret(request, identity, data.current_password)
        new_hash = await hash_secret(request.app.state, data.new_password)
        await request.app.state.db.write(service.change_password, identity.actor, identity.user_id,
                                         new_hash, keep_token_id=identity.token_id)

    @post("/me/pin", status_code=204, opt=authenticated(), summary="Change your PIN")
    async def change_pin(self, request: Request, identity: Caller,
                         data: JSONBody[PinChange]) -> None:
        check_secrets(None, data.new_pin)
        if (data.current_password is None) == (data.current_pin is None):
            raise InvalidInputError("give current_password or current_pin (exactly one)",
                                    code="current_secret_required")
        if data.current_password is not None:
            await _check_own_secret(request, identity, data.current_password)
        else:
            await _check_own_secret(request, identity, data.current_pin or "", kind="pin")
        new_hash = await hash_secret(request.app.state, data.new_pin)
        await request.app.state.db.write(service.change_pin, identity.actor, identity.user_id,
                                         new_hash)

    @get("/tokens", opt=authenticated(), summary="Your live API tokens (never their secrets)")
    async def list_tokens(self, request: Request, identity: Caller) -> list[ApiToken]:
        rows = await request.app.state.db.read(tokens.list_api_tokens, identity.user_id)
        return [msgspec.convert(r, ApiToken) for r in rows]

    @post("/tokens", opt=authenticated(), summary="Create an API token; its secret is shown once")
    async def create_token(self, request: Request, identity: Caller,
                           data: JSONBody[ApiTokenCreate]) -> ApiTokenCreated:
        if identity.token_kind == "api":
            # Otherwise a leaked API token could mint successors that outlive its revocation.
            raise PermissionDeniedError(
                "sign in to create API tokens; an API token cannot make another",
                code="api_token_cannot_mint")
        row: dict[str, Any] = await request.app.state.db.write(
            service.create_api_token, identity.actor, identity.user_id, data.name,
            data.expires_in_days)
        return msgspec.convert(row, ApiTokenCreated)

    @delete("/tokens/{token_id:str}", opt=authenticated(), summary="Revoke one of your API tokens")
    async def revoke_token(self, request: Request, identity: Caller,
                           token_id: Annotated[str, Parameter(max_length=64)]) -> None:
        await request.app.state.db.write(service.revoke_api_token, identity.actor, identity.user_id,
                                         token_id)
