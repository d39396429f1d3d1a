"""Stock takes (count sessions) and their counted lines; the movements a count's expected level
is computed from. Posting moves stock through hub.inventory.ledger, never here."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hub.db._listing import bool_columns

TAKE_COLUMNS = ("id", "name", "scope", "category_id", "location", "blind", "uncounted_zero", "status", "note",
                "created_by", "created_by_name", "approved_by", "approved_at", "approved_value", "posted_by",
                "posted_at", "cancelled_by", "cancelled_at", "version", "created_at", "updated_at")
FLAGS = ("blind", "uncounted_zero")
TAKE_SQL = f"""
SELECT {", ".join("t." + c for c in TAKE_COLUMNS)}, c.name AS category_name,
       (SELECT count(*) FROM stock_take_lines l WHERE l.stock_take_id = t.id) AS line_count
FROM stock_takes t LEFT JOIN categories c ON c.id = t.category_id
"""
INSERT_SQL = f"""
INSERT INTO stock_takes ({", ".join(TAKE_COLUMNS)})
VALUES ({", ".join(":" + c for c in TAKE_COLUMNS)})
"""
# Newest first (ids are UUIDv7); `before` is the id of the last row of the previous page.
LIST_SQL = TAKE_SQL + """
WHERE (:status IS NULL OR t.status = :status) AND (:before IS NULL OR t.id < :before)
ORDER BY t.id DESC LIMIT :limit
"""
LINE_COLUMNS = ("seq", "id", "stock_take_id", "product_id", "quantity", "recount", "code", "device_id",
                "device_clock", "counted_at", "received_at", "user_id", "username")
INSERT_LINE_SQL = f"""
INSERT INTO stock_take_lines ({", ".join(LINE_COLUMNS[1:])})
VALUES ({", ".join(":" + c for c in LINE_COLUMNS[1:])})
"""
LINES_SQL = f"""
SELECT {", ".join("l." + c for c in LINE_COLUMNS)}, p.sku, p.name, u.code AS unit_code,
       u.decimals AS unit_decimals
FROM stock_take_lines l JOIN products p ON p.id = l.product_id JOIN units u ON u.id = p.unit_id
WHERE l.stock_take_id = :take_id ORDER BY l.seq
"""
# A product's movements that occurred at or before a moment, other than this session's own
# counts: what its level was at that moment (projection.on_hand_of).
FACTS_UNTIL_SQL = """
SELECT m.id, k.direction, m.quantity, m.unit_cost, m.occurred_at
FROM stock_movements m JOIN stock_movement_kinds k ON k.kind = m.kind
WHERE m.product_id = :product_id AND m.occurred_at <= :moment
  AND NOT (m.source_type = 'stock_take' AND m.source_id = :take_id)
"""
# Stock-tracked active products of a scope (categories NULL: the whole store) whose level is not
# zero: what "uncounted means zero" would count as zero.
IN_SCOPE_SQL = """
SELECT p.id AS product_id, p.sku, p.name, u.code AS unit_code, u.decimals AS unit_decimals,
       s.on_hand, s.avg_cost
FROM products p JOIN stock_levels s ON s.product_id = p.id JOIN units u ON u.id = p.unit_id
WHERE p.stock_tracked = 1 AND p.active = 1 AND s.on_hand <> 0
  AND (:all_categories = 1 OR p.category_id IN (SELECT value FROM json_each(:categories)))
ORDER BY p.name COLLATE NOCASE, p.id
"""


def _take(row: sqlite3.Row | None) -> dict[str, Any] | None:
    return None if row is None else bool_columns(row, FLAGS)


def get_take(conn: sqlite3.Connection, take_id: str) -> dict[str, Any] | None:
    return _take(conn.execute(TAKE_SQL + " WHERE t.id = :id", {"id": take_id}).fetchone())


def list_takes(conn: sqlite3.Connection, *, status: str | None, before: str | None,
               limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(LIST_SQL, {"status": status, "before": before, "limit": limit})
    return [bool_columns(r, FLAGS) for r in rows]


def insert_take(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    conn.execute(INSERT_SQL, {c: row.get(c) for c in TAKE_COLUMNS})


def update_take(conn: sqlite3.Connection, take_id: str, fields: dict[str, Any], now: str) -> None:
    """Set the given columns, bump the version."""
    unknown = set(fields) - set(TAKE_COLUMNS[1:])
    if unknown:
        raise ValueError(f"unknown stock take fields {sorted(unknown)}")
    sets = ", ".join(f"{k} = :{k}" for k in fields)
    conn.execute(f"UPDATE stock_takes SET {sets}, version = version + 1, updated_at = :now WHERE id = :id",
                 {**fields, "now": now, "id": take_id})


def lines(conn: sqlite3.Connection, take_id: str) -> list[dict[str, Any]]:
    return [bool_columns(r, ("recount",)) for r in conn.execute(LINES_SQL, {"take_id": take_id})]


def insert_line(conn: sqlite3.Connection, row: dict[str, Any]) -> int:
    cur = conn.execute(INSERT_LINE_SQL, {c: row.get(c) for c in LINE_COLUMNS[1:]})
    return int(cur.lastrowid or 0)


def delete_line(conn: sqlite3.Connection, take_id: str, line_id: str) -> dict[str, Any] | None:
    """Remove a line of a session still being counted; the removed line, or None."""
    row = conn.execute("DELETE FROM stock_take_lines WHERE stock_take_id = :t AND id = :id RETURNING *",
                       {"t": take_id, "id": line_id}).fetchone()
    return None if row is None else dict(row)


def facts_until(conn: sqlite3.Connection, product_id: str, moment: str, take_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(FACTS_UNTIL_SQL, {"product_id": product_id, "moment": moment,
                                                            "take_id": take_id})]


def in_scope(conn: sqlite3.Connection, categories: list[str] | None) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(IN_SCOPE_SQL, {
        "all_categories": int(categories is None), "categories": json.dumps(categories or [])})]


def levels(conn: sqlite3.Connection, product_ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = conn.execute("SELECT product_id, on_hand, avg_cost FROM stock_levels WHERE product_id IN"
                        " (SELECT value FROM json_each(:ids))", {"ids": json.dumps(product_ids)})
    return {r["product_id"]: dict(r) for r in rows}



def product(conn: sqlite3.Connection, product_id: str) -> dict[str, Any] | None:
    """What a counted line needs of a product: id, sku, name, stock_tracked, category and unit."""
    row = conn.execute("SELECT p.id, p.sku, p.name, p.stock_tracked, p.category_id, u.code AS unit_code,"
                       " u.decimals AS unit_decimals FROM products p JOIN units u ON u.id = p.unit_id"
                       " WHERE p.id = :id", {"id": product_id}).fetchone()
    return None if row is None else bool_columns(row, ("stock_tracked",))
