"""Wire structs of /api/v1/roles and /api/v1/permissions."""

from __future__ import annotations

from typing import Annotated

import msgspec

RoleName = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^\S(.*\S)?$")]
Description = Annotated[str, msgspec.Meta(max_length=200)]
PermissionName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
PermissionNames = Annotated[list[PermissionName], msgspec.Meta(max_length=200)]


class Role(msgspec.Struct):
    id: str
    name: str
    description: str
    builtin: bool
    permissions: list[str]
    version: int
    created_at: str
    updated_at: str


class RoleCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: RoleName
    description: Description = ""
    permissions: PermissionNames = []


class RoleUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: RoleName | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    permissions: PermissionNames | msgspec.UnsetType = msgspec.UNSET


class Permission(msgspec.Struct):
    name: str
    description: str
