"""/api/v1/roles (list, read, create, edit, delete) and /api/v1/permissions (what roles hold)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.auth.permissions import PERMISSIONS
from hub.db import roles
from hub.errors import NotFoundError
from hub.roles import service
from hub.roles.schemas import Permission, Role, RoleCreate, RoleUpdate

RoleId = Annotated[str, Parameter(max_length=64)]



def _role(row: dict[str, Any]) -> Role:
    return msgspec.convert(row, Role)


class RoleController(Controller):
    path = "/api/v1/roles"
    tags = ["roles"]

    @get(opt=requires("roles.view"), summary="Every role with its permissions, built-in first")
    async def list_roles(self, request: Request) -> list[Role]:
        return [_role(r) for r in await request.app.state.db.read(roles.list_roles)]

    @get("/{role_id:str}", opt=requires("roles.view"), summary="One role")
    async def get_role(self, request: Request, role_id: RoleId) -> Role:
        row = await request.app.state.db.read(roles.get_role, role_id)
        if row is None:
            raise NotFoundError(f"there is no role {role_id}")
        return _role(row)

    @post(opt=requires("roles.manage"), summary="Create a custom role")
    async def create_role(self, request: Request, identity: Caller,
                          data: JSONBody[RoleCreate]) -> Role:
        permissions = service.check_permissions(data.permissions)
        row = await request.app.state.db.write(
            service.create_role, identity.actor, identity.permissions,
            name=data.name, description=data.description, permissions=permissions)
        return _role(row)

    @patch("/{role_id:str}", opt=requires("roles.manage"),
           summary="Change a role's name, description or permissions")
    async def update_role(self, request: Request, identity: Caller, role_id: RoleId,
                          data: JSONBody[RoleUpdate]) -> Role:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        if "permissions" in changes:
            changes["permissions"] = service.check_permissions(changes["permissions"])
        row = await request.app.state.db.write(
            service.update_role, identity.actor, identity.permissions, role_id, changes)
        return _role(row)

    @delete("/{role_id:str}", opt=requires("roles.manage"), summary="Delete an unused custom role")
    async def delete_role(self, request: Request, identity: Caller, role_id: RoleId) -> None:
        await request.app.state.db.write(service.delete_role, identity.actor, identity.permissions,
                                         role_id)


class PermissionController(Controller):
    path = "/api/v1/permissions"
    tags = ["roles"]

    @get(opt=requires("roles.view"), summary="The named permissions a role can hold")
    async def list_permissions(self) -> list[Permission]:
        return [Permission(name=n, description=d) for n, d in PERMISSIONS.items()]
