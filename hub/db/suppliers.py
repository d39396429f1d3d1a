"""Suppliers: the store's own (never HQ's), with contacts, payment terms and lead time."""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.db._listing import LIKE_ESCAPE, bool_columns, like_pattern, set_columns
from hub.db.changes import record_change
from hub.ids import new_id

ENTITY = "supplier"
FIELDS = ("name", "contact_name", "phone", "email", "address", "tin", "payment_terms_days",
          "lead_time_days", "notes")
COLUMNS = "id, " + ", ".join(FIELDS) + ", active, version, created_at, updated_at"
UPDATABLE = frozenset({*FIELDS, "active"})
INSERT_SQL = f"""
INSERT INTO suppliers (id, {", ".join(FIELDS)}, active, version, created_at, updated_at)
VALUES (:id, {", ".join(":" + f for f in FIELDS)}, 1, 1, :now, :now)
"""
# By name without case, then id; `after` is the id of the last row of the previous page.
LIST_SQL = f"""
SELECT {COLUMNS} FROM suppliers
WHERE (:active IS NULL OR active = :active)
  AND (:pattern IS NULL OR name LIKE :pattern ESCAPE '{LIKE_ESCAPE}')
  AND (:after IS NULL OR (name COLLATE NOCASE, id) >
       (SELECT name COLLATE NOCASE, id FROM suppliers WHERE id = :after))
ORDER BY name COLLATE NOCASE, id LIMIT :limit
"""
DEFAULTS: dict[str, Any] = {"contact_name": "", "phone": "", "email": "", "address": "", "tin": "",
                            "payment_terms_days": 0, "lead_time_days": 0, "notes": ""}


def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    return None if row is None else bool_columns(row, ("active",))


def get_supplier(conn: sqlite3.Connection, supplier_id: str) -> dict[str, Any] | None:
    return _row(conn.execute(f"SELECT {COLUMNS} FROM suppliers WHERE id = :id",
                             {"id": supplier_id}).fetchone())


def list_suppliers(conn: sqlite3.Connection, *, q: str | None = None, active: bool | None = None,
                   after: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(LIST_SQL, {"after": after, "limit": limit, "pattern": like_pattern(q),
                                   "active": None if active is None else int(active)})
    return [bool_columns(r, ("active",)) for r in rows]


def _publish(conn: sqlite3.Connection, supplier_id: str) -> dict[str, Any]:
    supplier = get_supplier(conn, supplier_id)
    if supplier is None:
        raise KeyError(supplier_id)
    record_change(conn, ENTITY, supplier_id, supplier["version"], "upsert", supplier)
    return supplier


def create_supplier(conn: sqlite3.Connection, **fields: Any) -> dict[str, Any]:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown supplier fields {sorted(unknown)}")
    supplier_id = new_id()
    conn.execute(INSERT_SQL, {**DEFAULTS, **fields, "id": supplier_id, "now": conn.stamp()})
    return _publish(conn, supplier_id)


def update_supplier(conn: sqlite3.Connection, supplier_id: str, **fields: Any) -> dict[str, Any]:
    """Set the given columns, bump the version, publish the change; returns the new row."""
    set_columns(conn, "suppliers", "id", supplier_id, fields, UPDATABLE)
    return _publish(conn, supplier_id)
