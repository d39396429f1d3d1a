"""Portal pages for users: list and filter, create, edit, (de)activate, reset a password or PIN.

Every change goes through hub.users.service inside one `db.write`, exactly as the API's does, so
the same rules hold (no granting above yourself, the last administrator) and each change writes
one audit entry.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.auth.hashing import hash_secret
from hub.db import roles, users
from hub.errors import HubError, InvalidInputError, NotFoundError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page
from hub.users import service

PAGES = (
    Page("users", "Users", "/users", "People", "users.view", keywords="people staff cashiers accounts",
         summary="Who can sign in, their roles, passwords and PINs"),
    Page("users.new", "New user", "/users/new", "People", "users.manage", sidebar=False,
         keywords="add create person staff cashier"),
)
UserId = Annotated[str, Parameter(max_length=64)]
MAX_LISTED = 1000  # a store has tens of users; the filter runs over them all
SECRET_MAX = 256


def _sentence(err: HubError) -> str:
    return err.detail[0].upper() + err.detail[1:] + ("" if err.detail.endswith(".") else ".")


def _grantable(identity: Any, role_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Roles with a `grantable` flag: the caller holds every permission the role holds."""
    return [{**r, "grantable": set(r["permissions"]) <= identity.permissions} for r in role_rows]


def matches(user: dict[str, Any], q: str, role_id: str, status: str) -> bool:
    """The list's filter: text in username or name, a role, active / inactive / all."""
    text = q.casefold()
    return ((not text or text in user["username"].casefold() or text in user["display_name"].casefold())
            and (not role_id or user["role_id"] == role_id)
            and (status == "all" or user["active"] == (status != "inactive")))


async def _hash(request: Request, secret: str | None) -> str | None:
    return None if secret is None else await hash_secret(request.app.state, secret)


class UserPortal(PortalController):
    path = "/users"

    @get(opt=requires("users.view"))
    async def list_users(self, request: Request, q: Annotated[str, Parameter(max_length=80)] = "",
                         role: Annotated[str, Parameter(max_length=64)] = "",
                         status: Annotated[str, Parameter(pattern="^(active|inactive|all)$")] = "active",
                         ) -> Template:
        db = request.app.state.db
        rows = await db.read(users.list_users, limit=MAX_LISTED)
        listed = [u for u in rows if matches(u, q.strip(), role, status)]
        return await shell.page(request, "users/list.html", key="users", users=listed,
                                total=len(rows), roles=await db.read(roles.list_roles),
                                filters={"q": q, "role": role, "status": status})

    async def _new_page(self, request: Request, values: dict[str, str], error: str | None = None,
                        status: int = 200) -> Template:
        role_rows = await request.app.state.db.read(roles.list_roles)
        return await shell.page(request, "users/new.html", key="users.new", status=status, values=values,
                                error=error, roles=_grantable(request.state.identity, role_rows))

    @get("/new", opt=requires("users.manage"))
    async def new_user(self, request: Request) -> Template:
        return await self._new_page(request, {})

    @post(opt=requires("users.manage"), status_code=303)
    async def create_user(self, request: Request) -> Response:
        identity, form = request.state.identity, Form(await request.form())
        try:
            password = form.optional("password", "Password", max_length=SECRET_MAX)
            pin = form.optional("pin", "PIN", max_length=8)
            if password is None and pin is None:
                raise InvalidInputError("Give the user a password, a PIN or both.", code="no_secret")
            service.check_secrets(password, pin)
            username = service.normalise_username(form.text("username", "Username", max_length=32))
            display_name = form.text("display_name", "Display name", max_length=80)
            row = await request.app.state.db.write(
                service.create_user, identity.actor, identity.permissions, username=username,
                display_name=display_name, role_id=form.text("role_id", "Role", max_length=64),
                password_hash=await _hash(request, password), pin_hash=await _hash(request, pin),
                tills=None)
        except HubError as err:
            return await self._new_page(request, form.values(), _sentence(err), err.status)
        return shell.redirect(request, f"/users/{row['id']}", f"User {row['username']} created.")

    async def _user_page(self, request: Request, user_id: str, errors: dict[str, str] | None = None,
                         status: int = 200) -> Template:
        db, identity = request.app.state.db, request.state.identity
        user = await db.read(users.get_user, user_id)
        if user is None:
            raise NotFoundError(f"there is no user {user_id}")
        role_rows = _grantable(identity, await db.read(roles.list_roles))
        held = next((set(r["permissions"]) for r in role_rows if r["id"] == user["role_id"]), set())
        manageable = identity.can("users.manage") and held <= identity.permissions
        return await shell.page(request, "users/edit.html", key="users", title=user["display_name"],
                                crumbs=[(user["username"], None)], user=user, roles=role_rows,
                                manageable=manageable, is_self=user["id"] == identity.user_id,
                                errors=errors or {}, status=status)

    @get("/{user_id:str}", opt=requires("users.view"))
    async def user(self, request: Request, user_id: UserId) -> Template:
        return await self._user_page(request, user_id)

    async def _change(self, request: Request, user_id: str, section: str, notice: str,
                      fn: Any, *args: Any) -> Response:
        identity = request.state.identity
        try:
            await request.app.state.db.write(fn, identity.actor, identity.permissions, user_id, *args)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._user_page(request, user_id, {section: _sentence(err)}, err.status)
        return shell.redirect(request, f"/users/{user_id}", notice)

    @post("/{user_id:str}", opt=requires("users.manage"), status_code=303)
    async def update_user(self, request: Request, user_id: UserId) -> Response:
        form = Form(await request.form())
        try:
            changes = {"display_name": form.text("display_name", "Display name", max_length=80),
                       "role_id": form.text("role_id", "Role", max_length=64)}
        except HubError as err:
            return await self._user_page(request, user_id, {"details": _sentence(err)}, err.status)
        return await self._change(request, user_id, "details", "Changes saved.", service.update_user, changes)

    @post("/{user_id:str}/deactivate", opt=requires("users.manage"), status_code=303)
    async def deactivate(self, request: Request, user_id: UserId) -> Response:
        return await self._change(request, user_id, "active",
                                  "User deactivated: their sessions ended and they cannot sign in.",
                                  service.set_active, False)

    @post("/{user_id:str}/activate", opt=requires("users.manage"), status_code=303)
    async def activate(self, request: Request, user_id: UserId) -> Response:
        return await self._change(request, user_id, "active", "User activated.", service.set_active, True)

    @post("/{user_id:str}/password", opt=requires("users.manage"), status_code=303)
    async def reset_password(self, request: Request, user_id: UserId) -> Response:
        return await self._reset(request, user_id, "password")

    @post("/{user_id:str}/pin", opt=requires("users.manage"), status_code=303)
    async def reset_pin(self, request: Request, user_id: UserId) -> Response:
        return await self._reset(request, user_id, "pin")

    async def _reset(self, request: Request, user_id: str, kind: str) -> Response:
        label = "Password" if kind == "password" else "PIN"
        form = Form(await request.form())
        try:
            secret = form.text(kind, f"New {label}", max_length=SECRET_MAX if kind == "password" else 8,
                               strip=False)
            service.check_secrets(secret if kind == "password" else None, secret if kind == "pin" else None)
        except HubError as err:
            return await self._user_page(request, user_id, {kind: _sentence(err)}, err.status)
        notice = ("Password reset: their sessions ended." if kind == "password" else "PIN reset.")
        return await self._change(request, user_id, kind, notice, service.reset_secret, kind,
                                  await hash_secret(request.app.state, secret))


ROUTES = [UserPortal]
