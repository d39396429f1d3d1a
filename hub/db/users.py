"""Users: identity, role, secrets (hashed) and the tills they may use."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hub.db.changes import record_change
from hub.ids import new_id

USER_SQL = """
SELECT u.id, u.username, u.display_name, u.role_id, r.name AS role, u.active,
       u.password_hash IS NOT NULL AS has_password, u.pin_hash IS NOT NULL AS has_pin,
       u.tills, u.version, u.created_at, u.updated_at
FROM users u JOIN roles r ON r.id = u.role_id
"""
SECRETS_SQL = "SELECT id, active, password_hash, pin_hash FROM users WHERE {col} = :value"
UPDATABLE = frozenset({"display_name", "role_id", "active", "password_hash", "pin_hash", "tills"})


def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    user = dict(row)
    user["active"] = bool(user["active"])
    user["has_password"] = bool(user["has_password"])
    user["has_pin"] = bool(user["has_pin"])
    user["tills"] = json.loads(user["tills"]) if user["tills"] is not None else None
    return user


def get_user(conn: sqlite3.Connection, user_id: str) -> dict[str, Any] | None:
    return _row(conn.execute(USER_SQL + " WHERE u.id = :id", {"id": user_id}).fetchone())


def get_user_by_username(conn: sqlite3.Connection, username: str) -> dict[str, Any] | None:
    return _row(conn.execute(USER_SQL + " WHERE u.username = :u", {"u": username}).fetchone())


def get_secrets(conn: sqlite3.Connection, *, user_id: str | None = None,
                username: str | None = None) -> dict[str, Any] | None:
    col, value = ("id", user_id) if user_id is not None else ("username", username)
    row = conn.execute(SECRETS_SQL.format(col=col), {"value": value}).fetchone()
    return dict(row) if row else None


def list_users(conn: sqlite3.Connection, *, after: str | None = None, limit: int = 100,
               include_inactive: bool = True) -> list[dict[str, Any]]:
    rows = conn.execute(
        USER_SQL + " WHERE (:after IS NULL OR u.username > :after COLLATE NOCASE)"
        " AND (:all OR u.active = 1) ORDER BY u.username COLLATE NOCASE LIMIT :limit",
        {"after": after, "limit": limit, "all": int(include_inactive)},
    ).fetchall()
    return [u for u in map(_row, rows) if u is not None]


def _publish(conn: sqlite3.Connection, user: dict[str, Any]) -> None:
    public = {k: v for k, v in user.items() if k not in ("has_password", "has_pin")}
    record_change(conn, "user", user["id"], user["version"], "upsert", public)


def create_user(conn: sqlite3.Connection, *, username: str, display_name: str, role_id: str,
                password_hash: str | None = None, pin_hash: str | None = None,
                tills: list[str] | None = None) -> dict[str, Any]:
    now = conn.stamp()
    user_id = new_id()
    conn.execute(
        "INSERT INTO users (id, username, display_name, role_id, active, password_hash, pin_hash,"
        " tills, version, created_at, updated_at) VALUES (:id, :username, :display_name, :role_id,"
        " 1, :password_hash, :pin_hash, :tills, 1, :now, :now)",
        {"id": user_id, "username": username, "display_name": display_name, "role_id": role_id,
         "password_hash": password_hash, "pin_hash": pin_hash,
         "tills": json.dumps(tills) if tills is not None else None, "now": now},
    )
    user = get_user(conn, user_id)
    assert user is not None
    _publish(conn, user)
    return user


def update_user(conn: sqlite3.Connection, user_id: str, **fields: Any) -> dict[str, Any]:
    """Set the given columns, bump the version, publish the change; returns the new row."""
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)}")
    if "tills" in fields and fields["tills"] is not None:
        fields["tills"] = json.dumps(fields["tills"])
    if "active" in fields:
        fields["active"] = int(bool(fields["active"]))
    sets = ", ".join(f"{k} = :{k}" for k in fields)
    conn.execute(
        f"UPDATE users SET {sets}{', ' if sets else ''}version = version + 1, updated_at = :now"
        " WHERE id = :id",
        {**fields, "id": user_id, "now": conn.stamp()},
    )
    user = get_user(conn, user_id)
    if user is None:
        raise KeyError(user_id)
    _publish(conn, user)
    return user


def count_active_with_permission(conn: sqlite3.Connection, permission: str) -> int:
    """How many active users hold `permission` (to refuse removing the last admin)."""
    return int(conn.execute(
        "SELECT count(*) FROM users u JOIN role_permissions p ON p.role_id = u.role_id"
        " WHERE u.active = 1 AND p.permission = :p", {"p": permission},
    ).fetchone()[0])


def permissions_of(conn: sqlite3.Connection, user_id: str) -> frozenset[str]:
    """The permissions a user holds through their role."""
    return frozenset(r[0] for r in conn.execute(
        "SELECT p.permission FROM users u JOIN role_permissions p ON p.role_id = u.role_id"
        " WHERE u.id = :id", {"id": user_id},
    ))
