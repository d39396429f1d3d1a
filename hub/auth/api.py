"""/api/v1/auth: login, refresh, logout, the caller's own profile and secrets, and API tokens."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import JSONBody, Parameter

from hub.auth import service, signin
from hub.auth.access import authenticated, public
from hub.auth.hashing import hash_secret
from hub.auth.identity import Caller, resolve_device
from hub.auth.schemas import (ApiToken, ApiTokenCreate, ApiTokenCreated, Credentials, Me, MeUpdate,
                              PasswordChange, PinChange, RefreshRequest, Session)
from hub.db import tokens
from hub.errors import AuthenticationError, InvalidInputError, PermissionDeniedError
from hub.http import current_request_id
from hub.users.service import check_secrets



class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/login", opt=public(), summary="Sign in with username and password or PIN")
    async def login(self, request: Request, data: JSONBody[Credentials]) -> Session:
        method, secret = service.login_method(data.password, data.pin)
        device = await resolve_device(request)  # a till's sign-in is bound to that till
        session = await signin.sign_in(request, data.username, method, secret,
                                       device_id=device.id if device else None)
        return msgspec.convert(session, Session)

    @post("/refresh", opt=public(), summary="Swap a refresh token for a new token pair")
    async def refresh(self, request: Request, data: JSONBody[RefreshRequest]) -> Session:
        outcome = await request.app.state.db.write(
            service.refresh, data.refresh_token, address=signin.client_address(request),
            request_id=current_request_id(), ttl=signin.token_ttl(request))
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
        await signin.check_own_secret(request, identity, data.current_password)
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
            await signin.check_own_secret(request, identity, data.current_password)
        else:
            await signin.check_own_secret(request, identity, data.current_pin or "", kind="pin")
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
