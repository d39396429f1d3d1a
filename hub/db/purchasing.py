"""Purchase orders and their lines: the rows behind hub.inventory.purchasing."""

from __future__ import annotations

import sqlite3
from typing import Any

ORDER_COLUMNS = ("id", "number", "supplier_id", "status", "expected_on", "note", "created_by", "sent_at",
                 "sent_by", "closed_at", "closed_by", "close_reason", "cancelled_at", "cancelled_by",
                 "cancel_reason", "version", "created_at", "updated_at")
ORDER_SQL = """
SELECT o.*, s.name AS supplier_name, s.lead_time_days
FROM purchase_orders o JOIN suppliers s ON s.id = o.supplier_id
"""
LIST_SQL = ORDER_SQL + """
WHERE (:supplier_id IS NULL OR o.supplier_id = :supplier_id)
  AND (:status IS NULL OR o.status = :status)
  AND (:since IS NULL OR o.created_at >= :since)
  AND (:until IS NULL OR o.created_at < :until)
  AND (:after_at IS NULL OR (o.created_at, o.id) < (:after_at, :after_id))
ORDER BY o.created_at DESC, o.id DESC LIMIT :limit
"""
LINES_SQL = """
SELECT l.*, p.sku, p.name, u.code AS unit_code, u.decimals AS unit_decimals,
       coalesce(ps.pack_size, 1000) AS pack_size
FROM purchase_order_lines l
JOIN purchase_orders o ON o.id = l.order_id
JOIN products p ON p.id = l.product_id
JOIN units u ON u.id = p.unit_id
LEFT JOIN product_suppliers ps ON ps.product_id = l.product_id AND ps.supplier_id = o.supplier_id
WHERE l.order_id = :id ORDER BY l.line
"""
INSERT_SQL = f"""
INSERT INTO purchase_orders ({', '.join(ORDER_COLUMNS)})
VALUES ({', '.join(':' + c for c in ORDER_COLUMNS)})
"""
LINE_COLUMNS = ("order_id", "line", "product_id", "quantity", "unit_cost", "received")
LINE_INSERT_SQL = f"""
INSERT INTO purchase_order_lines ({', '.join(LINE_COLUMNS)})
VALUES ({', '.join(':' + c for c in LINE_COLUMNS)})
"""
UPDATABLE = frozenset({"supplier_id", "status", "expected_on", "note", "sent_at", "sent_by", "closed_at",
                       "closed_by", "close_reason", "cancelled_at", "cancelled_by", "cancel_reason"})
NUMBER_SQL = "SELECT max(CAST(substr(number, 4) AS INTEGER)) FROM purchase_orders"
RECEIVED_SQL = """
UPDATE purchase_order_lines SET received = received + :quantity WHERE order_id = :order_id AND line = :line
"""
# Reorder: each stock-tracked active product (of one supplier, or any) with its level, threshold,
# the supplier's pack, cost and lead time, and what `sale` movements took out since a moment.
REORDER_SQL = """
SELECT p.id AS product_id, p.sku, p.name, p.low_stock_threshold, p.cost_price, u.code AS unit_code,
       u.decimals AS unit_decimals, coalesce(l.on_hand, 0) AS on_hand,
       s.id AS supplier_id, s.name AS supplier_name, s.lead_time_days,
       ps.pack_size, ps.cost AS supplier_cost, ps.currency AS supplier_currency,
       coalesce((SELECT -sum(m.quantity) FROM stock_movements m
                 WHERE m.product_id = p.id AND m.kind = 'sale' AND m.occurred_at >= :since), 0) AS sold,
       coalesce((SELECT sum(ol.quantity - ol.received) FROM purchase_order_lines ol
                 JOIN purchase_orders po ON po.id = ol.order_id
                 WHERE ol.product_id = p.id AND po.status IN ('draft', 'sent', 'part_received')
                   AND ol.quantity > ol.received), 0) AS on_order
FROM products p
JOIN units u ON u.id = p.unit_id
JOIN product_suppliers ps ON ps.product_id = p.id
JOIN suppliers s ON s.id = ps.supplier_id
LEFT JOIN stock_levels l ON l.product_id = p.id
WHERE p.stock_tracked = 1 AND p.active = 1 AND s.active = 1
  AND (:supplier_id IS NULL OR ps.supplier_id = :supplier_id)
  AND (:supplier_id IS NOT NULL OR ps.preferred = 1
       OR NOT EXISTS (SELECT 1 FROM product_suppliers o WHERE o.product_id = p.id AND o.preferred = 1)
          AND ps.supplier_id = (SELECT min(o.supplier_id) FROM product_suppliers o WHERE o.product_id = p.id))
ORDER BY s.name COLLATE NOCASE, s.id, p.name COLLATE NOCASE, p.id
"""


def next_number(conn: sqlite3.Connection) -> str:
    last = conn.execute(NUMBER_SQL).fetchone()[0]
    return f"PO-{(last or 0) + 1:06d}"


def get_order(conn: sqlite3.Connection, order_id: str) -> dict[str, Any] | None:
    row = conn.execute(ORDER_SQL + " WHERE o.id = :id", {"id": order_id}).fetchone()
    return dict(row) if row else None


def lines(conn: sqlite3.Connection, order_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(LINES_SQL, {"id": order_id})]


def list_orders(conn: sqlite3.Connection, *, supplier_id: str | None = None, status: str | None = None,
                since: str | None = None, until: str | None = None, after: tuple[str, str] | None = None,
                limit: int = 50) -> list[dict[str, Any]]:
    params = {"supplier_id": supplier_id, "status": status, "since": since, "until": until,
              "after_at": after[0] if after else None, "after_id": after[1] if after else None, "limit": limit}
    return [dict(r) for r in conn.execute(LIST_SQL, params)]


def insert_order(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    conn.execute(INSERT_SQL, {c: row.get(c) for c in ORDER_COLUMNS})


def update_order(conn: sqlite3.Connection, order_id: str, fields: dict[str, Any]) -> None:
    """Set the given columns and bump the version."""
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)}")
    sets = "".join(f"{k} = :{k}, " for k in fields)
    conn.execute(f"UPDATE purchase_orders SET {sets}version = version + 1, updated_at = :_now WHERE id = :_id",
                 {**fields, "_now": conn.stamp(), "_id": order_id})  # type: ignore[attr-defined]


def replace_lines(conn: sqlite3.Connection, order_id: str, rows: list[dict[str, Any]]) -> None:
    conn.execute("DELETE FROM purchase_order_lines WHERE order_id = :id", {"id": order_id})
    conn.executemany(LINE_INSERT_SQL, [{**{c: r.get(c) for c in LINE_COLUMNS}, "order_id": order_id,
                                        "received": r.get("received", 0)} for r in rows])


def add_received(conn: sqlite3.Connection, order_id: str, line: int, quantity: int) -> None:
    conn.execute(RECEIVED_SQL, {"order_id": order_id, "line": line, "quantity": quantity})


def reorder_rows(conn: sqlite3.Connection, *, supplier_id: str | None, since: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(REORDER_SQL, {"supplier_id": supplier_id, "since": since})]
