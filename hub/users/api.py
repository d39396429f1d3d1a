"""/api/v1/users: list, read, create, edit, (de)activate users and reset their password or PIN."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.hashing import hash_secret
from hub.auth.identity import Caller
from hub.db import users
from hub.errors import InvalidInputError, NotFoundError
from hub.users import service
from hub.users.schemas import MAX_PAGE, PasswordReset, PinReset, User, UserCreate, UserPage, UserUpdate

UserId = Annotated[str, Parameter(max_length=64)]



def _user(row: dict[str, Any]) -> User:
    return msgspec.convert(row, User)


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @get(opt=requires("users.view"), summary="Users by username, a page at a time")
    async def list_users(
        self, request: Request,
        after: Annotated[str | None, Parameter(max_length=64, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
        include_inactive: Annotated[bool, Parameter(description="Also list deactivated users")] = True,
    ) -> UserPage:
        rows = await request.app.state.db.read(users.list_users, after=after, limit=limit,
                                               include_inactive=include_inactive)
        items = [_user(r) for r in rows]
        return UserPage(items=items, next_after=items[-1].username if len(items) == limit else None)

    @get("/{user_id:str}", opt=requires("users.view"), summary="One user")
    async def get_user(self, request: Request, user_id: UserId) -> User:
        row = await request.app.state.db.read(users.get_user, user_id)
        if row is None:
            raise NotFoundError(f"there is no user {user_id}")
        return _user(row)

    @post(opt=requires("users.manage"), summary="Create a user with a password, a PIN or both")
    async def create_user(self, request: Request, identity: Caller,
                          data: JSONBody[UserCreate]) -> User:
        if data.password is None and data.pin is None:
            raise InvalidInputError("give the user a password, a PIN or both", code="no_secret")
        service.check_secrets(data.password, data.pin)
        state = request.app.state
        password_hash = None if data.password is None else await hash_secret(state, data.password)
        pin_hash = None if data.pin is None else await hash_secret(state, data.pin)
        row = await state.db.write(
            service.create_user, identity.actor, identity.permissions,
            username=service.normalise_username(data.username), display_name=data.display_name,
            role_id=data.role_id, password_hash=password_hash, pin_hash=pin_hash,
            tills=service.normalise_tills(data.tills))
        return _user(row)

    @patch("/{user_id:str}", opt=requires("users.manage"),
           summary="Change a user's name, role or tills")
    async def update_user(self, request: Request, identity: Caller, user_id: UserId,
                          data: JSONBody[UserUpdate]) -> User:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        if "tills" in changes:
            changes["tills"] = service.normalise_tills(changes["tills"])
        row = await request.app.state.db.write(
            service.update_user, identity.actor, identity.permissions, user_id, changes)
        return _user(row)

    @post("/{user_id:str}/deactivate", status_code=200, opt=requires("users.manage"),
          summary="Deactivate a user: their tokens stop working at once")
    async def deactivate(self, request: Request, identity: Caller, user_id: UserId) -> User:
        row = await request.app.state.db.write(
            service.set_active, identity.actor, identity.permissions, user_id, False)
        return _user(row)

    @post("/{user_id:str}/activate", status_code=200, opt=requires("users.manage"),
          summary="Activate a deactivated user")
    async def activate(self, request: Request, identity: Caller, user_id: UserId) -> User:
        row = await request.app.state.db.write(
            service.set_active, identity.actor, identity.permissions, user_id, True)
        return _user(row)

    @post("/{user_id:str}/password", status_code=204, opt=requires("users.manage"),
          summary="Reset a user's password; their tokens are revoked")
    async def reset_password(self, request: Request, identity: Caller, user_id: UserId,
                             data: JSONBody[PasswordReset]) -> None:
        service.check_secrets(data.password, None)
        new_hash = await hash_secret(request.app.state, data.password)
        await request.app.state.db.write(service.reset_secret, identity.actor, identity.permissions,
                                         user_id, "password", new_hash)

    @post("/{user_id:str}/pin", status_code=204, opt=requires("users.manage"),
          summary="Reset a user's PIN")
    async def reset_pin(self, request: Request, identity: Caller, user_id: UserId,
                        data: JSONBody[PinReset]) -> None:
        service.check_secrets(None, data.pin)
        new_hash = await hash_secret(request.app.state, data.pin)
        await request.app.state.db.write(service.reset_secret, identity.actor, identity.permissions,
                                         user_id, "pin", new_hash)
