"""Reading the stock ledger: movements with filters, levels per product (low stock, negative),
one product's level, and the figures for a valuation at cost. Nothing here writes."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hub.db.stock import MOVEMENT_COLUMNS

# within_count: the movement occurred at or before the product's latest count, which holds it;
# baseline: this count is the one on hand stands on now.
MOVEMENTS_SQL = f"""
SELECT {", ".join("m." + c for c in MOVEMENT_COLUMNS)}, p.sku, p.name, u.code AS unit_code,
       u.decimals AS unit_decimals, k.direction,
       CASE WHEN k.direction = 'level' THEN 0
            ELSE coalesce(m.occurred_at <= l.baseline_at, 0) END AS within_count,
       coalesce(l.baseline_id = m.id, 0) AS baseline
FROM stock_movements m
JOIN products p ON p.id = m.product_id
JOIN units u ON u.id = p.unit_id
JOIN stock_movement_kinds k ON k.kind = m.kind
LEFT JOIN stock_levels l ON l.product_id = m.product_id
WHERE (:product_id IS NULL OR m.product_id = :product_id)
  AND (:kind IS NULL OR m.kind = :kind)
  AND (:user_id IS NULL OR m.user_id = :user_id)
  AND (:device_id IS NULL OR m.device_id = :device_id)
  AND (:source_type IS NULL OR m.source_type = :source_type)
  AND (:source_id IS NULL OR m.source_id = :source_id)
  AND (:since IS NULL OR m.occurred_at >= :since)
  AND (:until IS NULL OR m.occurred_at < :until)
  AND (:before IS NULL OR m.seq < :before)
ORDER BY m.seq DESC LIMIT :limit
"""
LEVEL_SELECT = """
SELECT p.id AS product_id, p.sku, p.name, p.category_id, p.unit_id, u.code AS unit_code,
       u.decimals AS unit_decimals, p.active, p.stock_tracked, p.low_stock_threshold,
       coalesce(l.on_hand, 0) AS on_hand, l.avg_cost, l.value, l.baseline_id, l.baseline_at,
       l.last_recorded_at AS last_moved_at, coalesce(l.version, 0) AS version
FROM products p
JOIN units u ON u.id = p.unit_id
LEFT JOIN stock_levels l ON l.product_id = p.id
"""
# Search as the product list does: name or SKU containing it, or a barcode starting with it.
LEVELS_SQL = LEVEL_SELECT + r"""
WHERE p.stock_tracked = 1
  AND (:q IS NULL OR p.name LIKE :q_like ESCAPE '\' OR p.sku LIKE :q_like ESCAPE '\'
       OR p.id IN (SELECT product_id FROM barcodes WHERE code >= :q AND code < :q_end))
  AND (:categories IS NULL OR p.category_id IN (SELECT value FROM json_each(:categories)))
  AND (:low = 0 OR coalesce(l.on_hand, 0) <= p.low_stock_threshold)
  AND (:negative = 0 OR l.on_hand < 0)
  AND (:active IS NULL OR p.active = :active)
  AND (:after_name IS NULL OR (p.name COLLATE NOCASE, p.id) > (:after_name, :after_id))
ORDER BY p.name COLLATE NOCASE, p.id LIMIT :limit
"""
ONE_LEVEL_SQL = LEVEL_SELECT + "WHERE p.id = :product_id"
VALUATION_SQL = """
SELECT p.category_id, c.name AS category_name, c.parent_id AS category_parent_id,
       l.on_hand, l.value
FROM stock_levels l
JOIN products p ON p.id = l.product_id
LEFT JOIN categories c ON c.id = p.category_id
WHERE l.on_hand <> 0
"""
BASE_CURRENCY_SQL = "SELECT code, decimals FROM currencies WHERE is_base = 1"


def _level(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    for flag in ("active", "stock_tracked"):
        out[flag] = bool(out[flag])
    out["negative"] = out["on_hand"] < 0
    out["low"] = bool(out["stock_tracked"]) and out["on_hand"] <= out["low_stock_threshold"]
    return out


def list_movements(conn: sqlite3.Connection, *, product_id: str | None = None, kind: str | None = None,
                   user_id: str | None = None, device_id: str | None = None, source_type: str | None = None,
                   source_id: str | None = None, since: str | None = None, until: str | None = None,
                   before: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Movements newest first (by seq); `before` is the seq of the last row of the page before."""
    rows = conn.execute(MOVEMENTS_SQL, {
        "product_id": product_id, "kind": kind, "user_id": user_id, "device_id": device_id,
        "source_type": source_type, "source_id": source_id, "since": since, "until": until,
        "before": before, "limit": limit})
    return [{**dict(r), "within_count": bool(r["within_count"]), "baseline": bool(r["baseline"])} for r in rows]


def list_levels(conn: sqlite3.Connection, *, q: str | None = None, q_like: str | None = None,
                categories: list[str] | None = None, low: bool = False, negative: bool = False,
                active: bool | None = None, after: tuple[str, str] | None = None,
                limit: int = 50) -> list[dict[str, Any]]:
    """Stock-tracked products with their levels, by name then id (a product never moved: 0)."""
    after_name, after_id = after if after else (None, None)
    rows = conn.execute(LEVELS_SQL, {
        "q": q, "q_like": q_like, "q_end": None if q is None else q + "\x7f",
        "categories": None if categories is None else json.dumps(categories),
        "low": int(low), "negative": int(negative), "active": None if active is None else int(active),
        "after_name": after_name, "after_id": after_id, "limit": limit})
    return [_level(r) for r in rows]


def get_level(conn: sqlite3.Connection, product_id: str) -> dict[str, Any] | None:
    """One product's level (stock-tracked or not), or None for no such product."""
    row = conn.execute(ONE_LEVEL_SQL, {"product_id": product_id}).fetchone()
    return _level(row) if row else None


def valuation_rows(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """{category_id, category_name, category_parent_id, on_hand, value} of every level not at zero."""
    return [dict(r) for r in conn.execute(VALUATION_SQL)]


def base_currency(conn: sqlite3.Connection) -> dict[str, Any] | None:
    row = conn.execute(BASE_CURRENCY_SQL).fetchone()
    return dict(row) if row else None
