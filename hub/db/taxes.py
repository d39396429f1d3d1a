"""Tax classes and their rates: basis points with an effective-from history that is only ever
added to. A class is published on the change feed with its whole rate history."""

from __future__ import annotations

import sqlite3
from typing import Any, Sequence

from hub.db._listing import LIKE_ESCAPE, bool_columns, like_pattern, set_columns
from hub.db.changes import record_change
from hub.ids import new_id

ENTITY = "tax_class"
COLUMNS = "id, code, name, exempt, zimra_tax_id, active, version, created_at, updated_at"
BOOLEANS = ("exempt", "active")
UPDATABLE = frozenset({"code", "name", "exempt", "active"})
INSERT_SQL = """
INSERT INTO tax_classes (id, code, name, exempt, zimra_tax_id, active, version, created_at, updated_at)
VALUES (:id, :code, :name, :exempt, NULL, 1, 1, :now, :now)
"""
RATES_SQL = """
SELECT id, rate_bp, effective_from, created_by, created_at FROM tax_rates
WHERE tax_class_id = :id ORDER BY effective_from, created_at, id
"""
INSERT_RATE_SQL = """
INSERT INTO tax_rates (id, tax_class_id, rate_bp, effective_from, created_by, created_at)
VALUES (:id, :class_id, :rate_bp, :effective_from, :created_by, :now)
"""
# By code; `after` is the id of the last row of the previous page.
LIST_SQL = f"""
SELECT {COLUMNS} FROM tax_classes
WHERE (:active IS NULL OR active = :active)
  AND (:exempt IS NULL OR exempt = :exempt)
  AND (:pattern IS NULL OR code LIKE :pattern ESCAPE '{LIKE_ESCAPE}'
       OR name LIKE :pattern ESCAPE '{LIKE_ESCAPE}')
  AND (:after IS NULL OR (code COLLATE NOCASE, id) >
       (SELECT code COLLATE NOCASE, id FROM tax_classes WHERE id = :after))
ORDER BY code COLLATE NOCASE, id LIMIT :limit
"""
ACTIVE_PRODUCTS_SQL = "SELECT count(*) FROM products WHERE tax_class_id = :id AND active = 1"


def _with_rates(conn: sqlite3.Connection, row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    tax_class = bool_columns(row, BOOLEANS)
    tax_class["rates"] = rates_of(conn, tax_class["id"])
    return tax_class


def rates_of(conn: sqlite3.Connection, class_id: str) -> list[dict[str, Any]]:
    """The class's rate history, oldest start first."""
    return [dict(r) for r in conn.execute(RATES_SQL, {"id": class_id})]


def get_tax_class(conn: sqlite3.Connection, class_id: str) -> dict[str, Any] | None:
    row = conn.execute(f"SELECT {COLUMNS} FROM tax_classes WHERE id = :id", {"id": class_id}).fetchone()
    return _with_rates(conn, row)


def get_tax_class_by_code(conn: sqlite3.Connection, code: str) -> dict[str, Any] | None:
    """Codes compare without case."""
    row = conn.execute(f"SELECT {COLUMNS} FROM tax_classes WHERE code = :code COLLATE NOCASE",
                       {"code": code}).fetchone()
    return _with_rates(conn, row)


def list_tax_classes(conn: sqlite3.Connection, *, q: str | None = None, active: bool | None = None,
                     exempt: bool | None = None, after: str | None = None,
                     limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(LIST_SQL, {
        "after": after, "limit": limit, "pattern": like_pattern(q),
        "active": None if active is None else int(active),
        "exempt": None if exempt is None else int(exempt)}).fetchall()
    return [c for c in (_with_rates(conn, r) for r in rows) if c is not None]


def active_products(conn: sqlite3.Connection, class_id: str) -> int:
    return int(conn.execute(ACTIVE_PRODUCTS_SQL, {"id": class_id}).fetchone()[0])


def _publish(conn: sqlite3.Connection, class_id: str) -> dict[str, Any]:
    tax_class = get_tax_class(conn, class_id)
    if tax_class is None:
        raise KeyError(class_id)
    record_change(conn, ENTITY, class_id, tax_class["version"], "upsert", tax_class)
    return tax_class


def create_tax_class(conn: sqlite3.Connection, *, code: str, name: str, exempt: bool = False,
                     rates: Sequence[tuple[int, str]] = (),
                     created_by: str | None = None) -> dict[str, Any]:
    """A new class with its first rates, `(rate_bp, effective_from)` each, published once."""
    class_id = new_id()
    now = conn.stamp()
    conn.execute(INSERT_SQL, {"id": class_id, "code": code, "name": name, "exempt": int(exempt),
                              "now": now})
    for rate_bp, effective_from in rates:
        conn.execute(INSERT_RATE_SQL, {"id": new_id(), "class_id": class_id, "rate_bp": rate_bp,
                                       "effective_from": effective_from, "created_by": created_by,
                                       "now": now})
    return _publish(conn, class_id)


def update_tax_class(conn: sqlite3.Connection, class_id: str, **fields: Any) -> dict[str, Any]:
    """Set the given columns, bump the version, publish the change; returns the new row."""
    set_columns(conn, "tax_classes", "id", class_id, fields, UPDATABLE)
    return _publish(conn, class_id)


def add_rate(conn: sqlite3.Connection, class_id: str, *, rate_bp: int, effective_from: str,
             created_by: str | None) -> dict[str, Any]:
    """Append one rate to the history, bump the class's version and publish the class."""
    conn.execute(INSERT_RATE_SQL, {"id": new_id(), "class_id": class_id, "rate_bp": rate_bp,
                                   "effective_from": effective_from, "created_by": created_by,
                                   "now": conn.stamp()})
    set_columns(conn, "tax_classes", "id", class_id, {}, UPDATABLE)
    return _publish(conn, class_id)
