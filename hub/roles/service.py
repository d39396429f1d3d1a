"""Rules for roles: known permissions only, no granting what you lack, built-in roles stay usable.

The `*_role` functions each run as one `db.write` transaction and append exactly one audit
entry, or raise and change nothing.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Iterable

from hub.auth.permissions import PERMISSIONS, unknown
from hub.db import audit, roles
from hub.db.audit import Actor
from hub.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from hub.users.service import ADMIN_PERMISSION, check_admin_remains

ADMIN_ROLE = "admin"


def check_permissions(permissions: Iterable[str]) -> set[str]:
    """The permissions as a set; InvalidInputError naming any that do not exist."""
    wanted = set(permissions)
    bad = sorted(unknown(wanted))
    if bad:
        raise InvalidInputError(f"unknown permissions: {', '.join(bad)} (see GET /api/v1/permissions)",
                                code="unknown_permission", extra={"unknown": bad})
    return wanted


def check_holds(actor_permissions: frozenset[str], permissions: Iterable[str], what: str) -> None:
    """Nobody creates, widens, narrows or deletes a role beyond their own permissions."""
    missing = sorted(set(permissions) - actor_permissions)
    if missing:
        raise PermissionDeniedError(f"{what} involves permissions you do not hold: {', '.join(missing)}",
                                    code="privilege_escalation", extra={"missing": missing})


def check_builtin_change(role: dict[str, Any], changes: dict[str, Any]) -> None:
    """Built-in roles keep their names, and the built-in admin role keeps every permission."""
    if not role["builtin"]:
        return
    if "name" in changes:
        raise ConflictError(f"the built-in role {role['name']!r} cannot be renamed", code="builtin_role")
    keeps_all = changes.get("permissions", set(PERMISSIONS)) == set(PERMISSIONS)
    if role["name"] == ADMIN_ROLE and not keeps_all:
        raise ConflictError("the built-in admin role keeps every permission", code="builtin_role")


def _name_free(conn: sqlite3.Connection, name: str, role_id: str | None = None) -> None:
    other = roles.get_role_by_name(conn, name)
    if other is not None and other["id"] != role_id:
        raise ConflictError(f"there is already a role named {other['name']!r}", code="role_name_taken")


def _existing(conn: sqlite3.Connection, role_id: str) -> dict[str, Any]:
    role = roles.get_role(conn, role_id)
    if role is None:
        raise NotFoundError(f"there is no role {role_id}")
    return role


def create_role(conn: sqlite3.Connection, actor: Actor, actor_permissions: frozenset[str], *,
                name: str, description: str, permissions: set[str]) -> dict[str, Any]:
    check_holds(actor_permissions, permissions, f"the role {name!r}")
    _name_free(conn, name)
    role = roles.create_role(conn, name, description, permissions)
    audit.append(conn, actor, "role.created", "role", role["id"], after=role)
    return role


def update_role(conn: sqlite3.Connection, actor: Actor, actor_permissions: frozenset[str],
                role_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply name / description / permissions (a set); a change that changes nothing writes nothing."""
    role = _existing(conn, role_id)
    current = {"name": role["name"], "description": role["description"],
               "permissions": set(role["permissions"])}
    changes = {k: v for k, v in changes.items() if current[k] != v}
    if not changes:
        return role
    check_holds(actor_permissions, role["permissions"], f"the role {role['name']!r}")
    check_builtin_change(role, changes)
    if "permissions" in changes:
        check_holds(actor_permissions, changes["permissions"], f"the role {role['name']!r}")
    if "name" in changes:
        _name_free(conn, changes["name"], role_id)
    updated = roles.update_role(conn, role_id, **changes)
    check_admin_remains(conn, ADMIN_PERMISSION in role["permissions"])
    audit.append(conn, actor, "role.updated", "role", role_id, before=role, after=updated)
    return updated


def delete_role(conn: sqlite3.Connection, actor: Actor, actor_permissions: frozenset[str],
                role_id: str) -> None:
    role = _existing(conn, role_id)
    if role["builtin"]:
        raise ConflictError(f"the built-in role {role['name']!r} cannot be deleted", code="builtin_role")
    check_holds(actor_permissions, role["permissions"], f"the role {role['name']!r}")
    in_use = roles.users_in_role(conn, role_id)
    if in_use:
        raise ConflictError(f"{in_use} user(s) hold the role {role['name']!r}; move them to another "
                            "role first", code="role_in_use", extra={"users": in_use})
    roles.delete_role(conn, role)
    audit.append(conn, actor, "role.deleted", "role", role_id, before=role)
