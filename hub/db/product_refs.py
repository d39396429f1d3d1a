"""The reference rows a product names (units, tax classes, categories, currencies, suppliers),
read whole for validating products and resolving the CSV's codes and category paths.

These tables are small (tens to a few thousand rows) and a product check needs most of them, so
one read of each beats a query per field; an import of thousands of rows reads them once.
"""

from __future__ import annotations

import sqlite3
from typing import Any

UNITS_SQL = "SELECT id, code, name, decimals, active FROM units"
TAX_CLASSES_SQL = "SELECT id, code, name, exempt, active FROM tax_classes"
CATEGORIES_SQL = "SELECT id, name, parent_id, active FROM categories"
CURRENCIES_SQL = "SELECT code, decimals, is_base, active FROM currencies"
SUPPLIERS_SQL = "SELECT id, name, active FROM suppliers"
DESCENDANTS_SQL = """
WITH RECURSIVE tree (id) AS (
    SELECT id FROM categories WHERE id = :id
    UNION SELECT c.id FROM categories c JOIN tree t ON c.parent_id = t.id
)
SELECT id FROM tree
"""


def _rows(conn: sqlite3.Connection, sql: str, key: str) -> dict[str, dict[str, Any]]:
    out = {}
    for row in conn.execute(sql):
        item = dict(row)
        for flag in ("active", "exempt", "is_base"):
            if flag in item:
                item[flag] = bool(item[flag])
        out[item[key]] = item
    return out


def load_refs(conn: sqlite3.Connection) -> dict[str, dict[str, dict[str, Any]]]:
    """Every unit, tax class, category, currency and supplier, by id (currencies by code)."""
    return {
        "units": _rows(conn, UNITS_SQL, "id"),
        "tax_classes": _rows(conn, TAX_CLASSES_SQL, "id"),
        "categories": _rows(conn, CATEGORIES_SQL, "id"),
        "currencies": _rows(conn, CURRENCIES_SQL, "code"),
        "suppliers": _rows(conn, SUPPLIERS_SQL, "id"),
    }


def category_and_descendants(conn: sqlite3.Connection, category_id: str) -> list[str]:
    """`category_id` and every category below it (empty when there is no such category)."""
    return [r[0] for r in conn.execute(DESCENDANTS_SQL, {"id": category_id})]

