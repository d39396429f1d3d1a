"""Roles and their permissions."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hub.auth.permissions import BUILTIN_ROLES, PERMISSIONS
from hub.db import meta
from hub.db.changes import record_change
from hub.ids import new_id

ROLE_SQL = "SELECT id, name, description, builtin, version, created_at, updated_at FROM roles"
PERMS_SQL = "SELECT permission FROM role_permissions WHERE role_id = :id ORDER BY permission"
KNOWN_PERMISSIONS_KEY = "known_permissions"


def _with_permissions(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    role = dict(row)
    role["builtin"] = bool(role["builtin"])
    role["permissions"] = [r[0] for r in conn.execute(PERMS_SQL, {"id": role["id"]})]
    return role


def get_role(conn: sqlite3.Connection, role_id: str) -> dict[str, Any] | None:
    row = conn.execute(ROLE_SQL + " WHERE id = :id", {"id": role_id}).fetchone()
    return _with_permissions(conn, row) if row else None


def get_role_by_name(conn: sqlite3.Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(ROLE_SQL + " WHERE name = :name", {"name": name}).fetchone()
    return _with_permissions(conn, row) if row else None


def list_roles(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(ROLE_SQL + " ORDER BY builtin DESC, name").fetchall()
    return [_with_permissions(conn, r) for r in rows]


def _publish(conn: sqlite3.Connection, role: dict[str, Any]) -> None:
    record_change(conn, "role", role["id"], role["version"], "upsert", role)


def create_role(conn: sqlite3.Connection, name: str, description: str, permissions: set[str],
                *, builtin: bool = False) -> dict[str, Any]:
    now = conn.stamp()
    role_id = new_id()
    conn.execute(
        "INSERT INTO roles (id, name, description, builtin, version, created_at, updated_at) "
        "VALUES (:id, :name, :description, :builtin, 1, :now, :now)",
        {"id": role_id, "name": name, "description": description, "builtin": int(builtin), "now": now},
    )
    _set_permissions(conn, role_id, permissions)
    role = get_role(conn, role_id)
    assert role is not None
    _publish(conn, role)
    return role


def _set_permissions(conn: sqlite3.Connection, role_id: str, permissions: set[str]) -> None:
    conn.execute("DELETE FROM role_permissions WHERE role_id = :id", {"id": role_id})
    conn.executemany(
        "INSERT INTO role_permissions (role_id, permission) VALUES (?, ?)",
        [(role_id, p) for p in sorted(permissions)],
    )


def update_role(conn: sqlite3.Connection, role_id: str, *, name: str | None = None,
                description: str | None = None, permissions: set[str] | None = None) -> dict[str, Any]:
    """Apply the given changes and bump the version; returns the new row."""
    conn.execute(
        "UPDATE roles SET name = coalesce(:name, name), description = coalesce(:description, description), "
        "version = version + 1, updated_at = :now WHERE id = :id",
        {"id": role_id, "name": name, "description": description, "now": conn.stamp()},
    )
    if permissions is not None:
        _set_permissions(conn, role_id, permissions)
    role = get_role(conn, role_id)
    assert role is not None
    _publish(conn, role)
    return role


def delete_role(conn: sqlite3.Connection, role: dict[str, Any]) -> None:
    conn.execute("DELETE FROM roles WHERE id = :id", {"id": role["id"]})
    record_change(conn, "role", role["id"], role["version"] + 1, "delete", None)


def users_in_role(conn: sqlite3.Connection, role_id: str) -> int:
    return int(conn.execute("SELECT count(*) FROM users WHERE role_id = ?", (role_id,)).fetchone()[0])


def seed_builtin_roles(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Create the built-in roles that are missing; return all of them by name."""
    roles = {}
    for name, (description, permissions) in BUILTIN_ROLES.items():
        role = get_role_by_name(conn, name)
        if role is None:
            role = create_role(conn, name, description, set(permissions), builtin=True)
        roles[name] = role
    meta.put(conn, KNOWN_PERMISSIONS_KEY, json.dumps(sorted(PERMISSIONS)))
    return roles


def introduce_new_permissions(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Grant permissions this database has never seen to the built-in roles that hold them by default.

    A later release adds permissions with its features. A database made before then must not
    leave its admin (or manager, ...) without them, yet a permission a store took away from a
    built-in role on purpose stays taken away: only never-seen permissions are granted, once.
    Returns role name -> permissions granted.
    """
    known = set(json.loads(meta.get(conn, KNOWN_PERMISSIONS_KEY) or "[]"))
    new = set(PERMISSIONS) - known
    granted: dict[str, list[str]] = {}
    if not new:
        return granted
    for name, (_description, defaults) in BUILTIN_ROLES.items():
        role = get_role_by_name(conn, name)
        add = (defaults & new) if role is not None and role["builtin"] else set()
        if add:
            update_role(conn, role["id"], permissions=set(role["permissions"]) | add)
            granted[name] = sorted(add)
    meta.put(conn, KNOWN_PERMISSIONS_KEY, json.dumps(sorted(PERMISSIONS)))
    return granted
