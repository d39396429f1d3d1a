"""Units of measure: code, name and how many decimals a quantity of the unit may have."""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.db._listing import LIKE_ESCAPE, bool_columns, like_pattern, set_columns
from hub.db.changes import record_change
from hub.ids import new_id

ENTITY = "unit"
COLUMNS = "id, code, name, decimals, active, version, created_at, updated_at"
UPDATABLE = frozenset({"code", "name", "decimals", "active"})
# By code; `after` is the id of the last row of the previous page.
LIST_SQL = f"""
SELECT {COLUMNS} FROM units
WHERE (:active IS NULL OR active = :active)
  AND (:pattern IS NULL OR code LIKE :pattern ESCAPE '{LIKE_ESCAPE}'
       OR name LIKE :pattern ESCAPE '{LIKE_ESCAPE}')
  AND (:after IS NULL OR (code COLLATE NOCASE, id) >
       (SELECT code COLLATE NOCASE, id FROM units WHERE id = :after))
ORDER BY code COLLATE NOCASE, id LIMIT :limit
"""
INSERT_SQL = """
INSERT INTO units (id, code, name, decimals, active, version, created_at, updated_at)
VALUES (:id, :code, :name, :decimals, 1, 1, :now, :now)
"""
ACTIVE_PRODUCTS_SQL = "SELECT count(*) FROM products WHERE unit_id = :id AND active = 1"


def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    return None if row is None else bool_columns(row, ("active",))


def get_unit(conn: sqlite3.Connection, unit_id: str) -> dict[str, Any] | None:
    return _row(conn.execute(f"SELECT {COLUMNS} FROM units WHERE id = :id", {"id": unit_id}).fetchone())


def get_unit_by_code(conn: sqlite3.Connection, code: str) -> dict[str, Any] | None:
    """Codes compare without case (`KG` is `kg`)."""
    return _row(conn.execute(f"SELECT {COLUMNS} FROM units WHERE code = :code COLLATE NOCASE",
                             {"code": code}).fetchone())


def list_units(conn: sqlite3.Connection, *, q: str | None = None, active: bool | None = None,
               after: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(LIST_SQL, {"after": after, "limit": limit, "pattern": like_pattern(q),
                                   "active": None if active is None else int(active)})
    return [bool_columns(r, ("active",)) for r in rows]


def active_products(conn: sqlite3.Connection, unit_id: str) -> int:
    return int(conn.execute(ACTIVE_PRODUCTS_SQL, {"id": unit_id}).fetchone()[0])


def _publish(conn: sqlite3.Connection, unit_id: str) -> dict[str, Any]:
    unit = get_unit(conn, unit_id)
    if unit is None:
        raise KeyError(unit_id)
    record_change(conn, ENTITY, unit_id, unit["version"], "upsert", unit)
    return unit


def create_unit(conn: sqlite3.Connection, *, code: str, name: str, decimals: int = 0) -> dict[str, Any]:
    unit_id = new_id()
    conn.execute(INSERT_SQL, {"id": unit_id, "code": code, "name": name, "decimals": decimals,
                              "now": conn.stamp()})
    return _publish(conn, unit_id)


def update_unit(conn: sqlite3.Connection, unit_id: str, **fields: Any) -> dict[str, Any]:
    """Set the given columns, bump the version, publish the change; returns the new row."""
    set_columns(conn, "units", "id", unit_id, fields, UPDATABLE)
    return _publish(conn, unit_id)
