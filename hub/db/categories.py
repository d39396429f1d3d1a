"""Categories: a tree by parent_id. The tree's shape is read whole (a store has hundreds, not
millions) and worked on by hub.catalogue.categories.tree."""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.db._listing import bool_columns, set_columns
from hub.db.changes import record_change
from hub.ids import new_id

ENTITY = "category"
COLUMNS = "id, name, parent_id, sort_order, active, version, created_at, updated_at"
UPDATABLE = frozenset({"name", "parent_id", "sort_order", "active"})
INSERT_SQL = """
INSERT INTO categories (id, name, parent_id, sort_order, active, version, created_at, updated_at)
VALUES (:id, :name, :parent_id, :sort_order, 1, 1, :now, :now)
"""
SIBLING_SQL = f"""
SELECT {COLUMNS} FROM categories
WHERE parent_id IS :parent_id AND name = :name COLLATE NOCASE AND active = 1 AND id IS NOT :id
"""
IN_USE_SQL = """
SELECT (SELECT count(*) FROM products WHERE category_id = :id AND active = 1) AS products,
       (SELECT count(*) FROM categories WHERE parent_id = :id AND active = 1) AS children
"""


def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    return None if row is None else bool_columns(row, ("active",))


def get_category(conn: sqlite3.Connection, category_id: str) -> dict[str, Any] | None:
    return _row(conn.execute(f"SELECT {COLUMNS} FROM categories WHERE id = :id",
                             {"id": category_id}).fetchone())


def all_categories(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every category, archived ones too, in no particular order."""
    return [bool_columns(r, ("active",)) for r in conn.execute(f"SELECT {COLUMNS} FROM categories")]


def parents(conn: sqlite3.Connection) -> dict[str, str | None]:
    """id -> parent_id of every category."""
    return {r[0]: r[1] for r in conn.execute("SELECT id, parent_id FROM categories")}


def active_sibling_named(conn: sqlite3.Connection, parent_id: str | None, name: str,
                         category_id: str | None = None) -> dict[str, Any] | None:
    """An active category under `parent_id` with this name (without case), other than `category_id`."""
    return _row(conn.execute(SIBLING_SQL, {"parent_id": parent_id, "name": name,
                                           "id": category_id}).fetchone())


def in_use(conn: sqlite3.Connection, category_id: str) -> dict[str, int]:
    """How many active products and active child categories sit directly in this category."""
    return dict(conn.execute(IN_USE_SQL, {"id": category_id}).fetchone())


def _publish(conn: sqlite3.Connection, category_id: str) -> dict[str, Any]:
    category = get_category(conn, category_id)
    if category is None:
        raise KeyError(category_id)
    record_change(conn, ENTITY, category_id, category["version"], "upsert", category)
    return category


def create_category(conn: sqlite3.Connection, *, name: str, parent_id: str | None = None,
                    sort_order: int = 0) -> dict[str, Any]:
    category_id = new_id()
    conn.execute(INSERT_SQL, {"id": category_id, "name": name, "parent_id": parent_id,
                              "sort_order": sort_order, "now": conn.stamp()})
    return _publish(conn, category_id)


def update_category(conn: sqlite3.Connection, category_id: str, **fields: Any) -> dict[str, Any]:
    """Set the given columns, bump the version, publish the change; returns the new row."""
    set_columns(conn, "categories", "id", category_id, fields, UPDATABLE)
    return _publish(conn, category_id)
