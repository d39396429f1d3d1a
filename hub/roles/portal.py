"""Portal pages for roles: list, create, edit permissions (checkboxes grouped by area), delete.

Changes go through hub.roles.service in one `db.write` each, as the API's do: the same rules
(no granting what you lack, built-in roles stay usable) and one audit entry per change.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.auth.permissions import PERMISSIONS
from hub.db import roles
from hub.errors import HubError, NotFoundError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page
from hub.roles import service

PAGES = (
    Page("roles", "Roles", "/roles", "People", "roles.view", keywords="permissions access rights",
         summary="What each role may do"),
    Page("roles.new", "New role", "/roles/new", "People", "roles.manage", sidebar=False,
         keywords="add create permissions"),
)
RoleId = Annotated[str, Parameter(max_length=64)]
AREAS = {"users": "Users", "roles": "Roles", "audit": "Audit log", "settings": "Store settings",
         "backups": "Backups"}


def permission_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """(area label, [(permission, description)]) in the order PERMISSIONS lists them."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name, description in PERMISSIONS.items():
        area = name.split(".", 1)[0]
        label = AREAS.get(area, area.replace("_", " ").capitalize())
        groups.setdefault(label, []).append((name, description))
    return list(groups.items())


def _sentence(err: HubError) -> str:
    return err.detail[0].upper() + err.detail[1:] + ("" if err.detail.endswith(".") else ".")


def _read(form: Form, with_name: bool = True) -> dict[str, Any]:
    """The role's fields from its form; a built-in role's name is shown, not sent."""
    fields = {"description": form.text("description", "Description", max_length=200, required=False),
              "permissions": service.check_permissions(form.getall("permission"))}
    return {"name": form.text("name", "Name", max_length=40), **fields} if with_name else fields


class RolePortal(PortalController):
    path = "/roles"

    @get(opt=requires("roles.view"))
    async def list_roles(self, request: Request) -> Template:
        rows = await request.app.state.db.read(roles.list_roles)
        return await shell.page(request, "roles/list.html", key="roles", roles=rows,
                                total_permissions=len(PERMISSIONS))

    async def _form(self, request: Request, role: dict[str, Any] | None, values: dict[str, Any],
                    error: str | None = None, status: int = 200) -> Template:
        identity = request.state.identity
        editable = identity.can("roles.manage") and (
            role is None or set(role["permissions"]) <= identity.permissions)
        crumbs = [(role["name"], None)] if role else []
        return await shell.page(request, "roles/form.html", key="roles.new" if role is None else "roles",
                                title=role["name"] if role else None, crumbs=crumbs, role=role,
                                values=values, groups=permission_groups(), editable=editable,
                                held=identity.permissions, error=error, status=status)

    @get("/new", opt=requires("roles.manage"))
    async def new_role(self, request: Request) -> Template:
        return await self._form(request, None, {"name": "", "description": "", "permissions": set()})

    @post(opt=requires("roles.manage"), status_code=303)
    async def create_role(self, request: Request) -> Response:
        identity, form = request.state.identity, Form(await request.form())
        try:
            fields = _read(form)
            row = await request.app.state.db.write(service.create_role, identity.actor,
                                                   identity.permissions, **fields)
        except HubError as err:
            values = {"name": form.get("name"), "description": form.get("description"),
                      "permissions": set(form.getall("permission"))}
            return await self._form(request, None, values, _sentence(err), err.status)
        return shell.redirect(request, f"/roles/{row['id']}", f"Role {row['name']} created.")

    async def _role(self, request: Request, role_id: str) -> dict[str, Any]:
        role = await request.app.state.db.read(roles.get_role, role_id)
        if role is None:
            raise NotFoundError(f"there is no role {role_id}")
        return role

    @get("/{role_id:str}", opt=requires("roles.view"))
    async def role(self, request: Request, role_id: RoleId) -> Template:
        role = await self._role(request, role_id)
        return await self._form(request, role, {**role, "permissions": set(role["permissions"])})

    @post("/{role_id:str}", opt=requires("roles.manage"), status_code=303)
    async def update_role(self, request: Request, role_id: RoleId) -> Response:
        identity, form = request.state.identity, Form(await request.form())
        role = await self._role(request, role_id)
        try:
            changes = _read(form, with_name=not role["builtin"])
            await request.app.state.db.write(service.update_role, identity.actor, identity.permissions,
                                             role_id, changes)
        except HubError as err:
            values = {"name": form.get("name") or role["name"], "description": form.get("description"),
                      "permissions": set(form.getall("permission"))}
            return await self._form(request, role, values, _sentence(err), err.status)
        return shell.redirect(request, f"/roles/{role_id}", "Changes saved.")

    @post("/{role_id:str}/delete", opt=requires("roles.manage"), status_code=303)
    async def delete_role(self, request: Request, role_id: RoleId) -> Response:
        identity = request.state.identity
        role = await self._role(request, role_id)
        try:
            await request.app.state.db.write(service.delete_role, identity.actor, identity.permissions,
                                             role_id)
        except HubError as err:
            return await self._form(request, role, {**role, "permissions": set(role["permissions"])},
                                    _sentence(err), err.status)
        return shell.redirect(request, "/roles", f"Role {role['name']} deleted.")


ROUTES = [RolePortal]
