"""Rows of stock adjustments and supplier returns (documents whose posting moves stock through
hub.inventory.ledger) and their reason codes. Only hub.inventory.adjustments.service writes here."""

from __future__ import annotations

import sqlite3
from typing import Any

ADJUSTMENT_COLUMNS = ("id", "number", "status", "reason_code", "note", "value", "threshold", "created_by_id",
                      "created_by", "created_at", "submitted_by_id", "submitted_by", "submitted_at",
                      "decided_by_id", "decided_by", "decided_at", "decision_note", "posted_at", "version")
RETURN_COLUMNS = ("id", "number", "supplier_id", "goods_receipt_ref", "note", "value", "created_by_id",
                  "created_by", "posted_at")

REASONS_SQL = """
SELECT code, name, direction, active FROM stock_reasons WHERE applies_to = :applies_to ORDER BY sort, code
"""
# What a line needs of its product: the unit's decimals, whether it tracks stock, its costs.
PRODUCT_SQL = """
SELECT p.id, p.sku, p.name, p.stock_tracked, p.cost_price, p.active, u.code AS unit_code,
       u.decimals AS unit_decimals, l.on_hand, l.avg_cost
FROM products p JOIN units u ON u.id = p.unit_id LEFT JOIN stock_levels l ON l.product_id = p.id
WHERE p.id = :id
"""
NEXT_ADJUSTMENT_SQL = "SELECT coalesce(max(number), 0) + 1 FROM adjustments"
NEXT_RETURN_SQL = "SELECT coalesce(max(number), 0) + 1 FROM supplier_returns"
INSERT_ADJUSTMENT_SQL = f"""
INSERT INTO adjustments ({", ".join(ADJUSTMENT_COLUMNS)})
VALUES ({", ".join(":" + c for c in ADJUSTMENT_COLUMNS)})
"""
INSERT_ADJUSTMENT_LINE_SQL = """
INSERT INTO adjustment_lines (adjustment_id, line, product_id, quantity, unit_cost, cost, reason_code, note)
VALUES (:adjustment_id, :line, :product_id, :quantity, :unit_cost, :cost, :reason_code, :note)
"""
GET_ADJUSTMENT_SQL = f"SELECT {', '.join(ADJUSTMENT_COLUMNS)} FROM adjustments WHERE id = :id"
LINES_SQL = """
SELECT a.line, a.product_id, p.sku, p.name, u.code AS unit_code, u.decimals AS unit_decimals, a.quantity,
       a.unit_cost, a.cost, a.reason_code, a.note, l.on_hand
FROM adjustment_lines a JOIN products p ON p.id = a.product_id JOIN units u ON u.id = p.unit_id
LEFT JOIN stock_levels l ON l.product_id = a.product_id
WHERE a.adjustment_id = :id ORDER BY a.line
"""
# Newest first by number; `reason` matches the document's reason or any line's.
LIST_ADJUSTMENTS_SQL = f"""
SELECT {', '.join('a.' + c for c in ADJUSTMENT_COLUMNS)},
       (SELECT count(*) FROM adjustment_lines x WHERE x.adjustment_id = a.id) AS line_count
FROM adjustments a
WHERE (:status IS NULL OR a.status = :status)
  AND (:reason IS NULL OR a.reason_code = :reason
       OR EXISTS (SELECT 1 FROM adjustment_lines x WHERE x.adjustment_id = a.id AND x.reason_code = :reason))
  AND (:user_id IS NULL OR a.created_by_id = :user_id)
  AND (:since IS NULL OR a.created_at >= :since)
  AND (:until IS NULL OR a.created_at < :until)
  AND (:before IS NULL OR a.number < :before)
ORDER BY a.number DESC LIMIT :limit
"""
SET_STATUS_SQL = """
UPDATE adjustments SET status = :status, value = :value, threshold = :threshold,
    submitted_by_id = coalesce(:submitted_by_id, submitted_by_id),
    submitted_by = coalesce(:submitted_by, submitted_by), submitted_at = coalesce(:submitted_at, submitted_at),
    decided_by_id = :decided_by_id, decided_by = :decided_by, decided_at = :decided_at,
    decision_note = :decision_note, posted_at = :posted_at, version = version + 1
WHERE id = :id AND version = :version
"""
# A draft's head and lines are replaced while it is a draft (0014 lets a draft's lines go).
UPDATE_DRAFT_SQL = """
UPDATE adjustments SET reason_code = :reason_code, note = :note, value = :value, version = version + 1
WHERE id = :id AND version = :version AND status = 'draft'
"""
DELETE_LINES_SQL = "DELETE FROM adjustment_lines WHERE adjustment_id = :id"
INSERT_RETURN_SQL = f"""
INSERT INTO supplier_returns ({", ".join(RETURN_COLUMNS)}) VALUES ({", ".join(":" + c for c in RETURN_COLUMNS)})
"""
INSERT_RETURN_LINE_SQL = """
INSERT INTO supplier_return_lines (return_id, line, product_id, quantity, unit_cost, reason_code, note)
VALUES (:return_id, :line, :product_id, :quantity, :unit_cost, :reason_code, :note)
"""
RETURN_SELECT = f"""
SELECT {', '.join('r.' + c for c in RETURN_COLUMNS)}, s.name AS supplier_name,
       (SELECT count(*) FROM supplier_return_lines x WHERE x.return_id = r.id) AS line_count
FROM supplier_returns r JOIN suppliers s ON s.id = r.supplier_id
"""
GET_RETURN_SQL = RETURN_SELECT + " WHERE r.id = :id"
LIST_RETURNS_SQL = RETURN_SELECT + """
WHERE (:supplier_id IS NULL OR r.supplier_id = :supplier_id)
  AND (:since IS NULL OR r.posted_at >= :since)
  AND (:until IS NULL OR r.posted_at < :until)
  AND (:before IS NULL OR r.number < :before)
ORDER BY r.number DESC LIMIT :limit
"""
RETURN_LINES_SQL = """
SELECT r.line, r.product_id, p.sku, p.name, u.code AS unit_code, u.decimals AS unit_decimals, r.quantity,
       r.unit_cost, r.reason_code, r.note
FROM supplier_return_lines r JOIN products p ON p.id = r.product_id JOIN units u ON u.id = p.unit_id
WHERE r.return_id = :id ORDER BY r.line
"""
SUPPLIER_SQL = "SELECT id, name, active FROM suppliers WHERE id = :id"


def reasons(conn: sqlite3.Connection, applies_to: str) -> list[dict[str, Any]]:
    return [dict(r) | {"active": bool(r["active"])} for r in conn.execute(REASONS_SQL, {"applies_to": applies_to})]


def product(conn: sqlite3.Connection, product_id: str) -> dict[str, Any] | None:
    row = conn.execute(PRODUCT_SQL, {"id": product_id}).fetchone()
    return dict(row) if row else None


def supplier(conn: sqlite3.Connection, supplier_id: str) -> dict[str, Any] | None:
    row = conn.execute(SUPPLIER_SQL, {"id": supplier_id}).fetchone()
    return dict(row) if row else None


def next_adjustment_number(conn: sqlite3.Connection) -> int:
    return int(conn.execute(NEXT_ADJUSTMENT_SQL).fetchone()[0])


def next_return_number(conn: sqlite3.Connection) -> int:
    return int(conn.execute(NEXT_RETURN_SQL).fetchone()[0])


def insert_adjustment(conn: sqlite3.Connection, row: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    conn.execute(INSERT_ADJUSTMENT_SQL, row)
    conn.executemany(INSERT_ADJUSTMENT_LINE_SQL, [{"adjustment_id": row["id"], **line} for line in lines])


def get_adjustment(conn: sqlite3.Connection, adjustment_id: str) -> dict[str, Any] | None:
    row = conn.execute(GET_ADJUSTMENT_SQL, {"id": adjustment_id}).fetchone()
    if row is None:
        return None
    return dict(row) | {"lines": [dict(r) for r in conn.execute(LINES_SQL, {"id": adjustment_id})]}


def list_adjustments(conn: sqlite3.Connection, *, status: str | None = None, reason: str | None = None,
                     user_id: str | None = None, since: str | None = None, until: str | None = None,
                     before: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(LIST_ADJUSTMENTS_SQL, {
        "status": status, "reason": reason, "user_id": user_id, "since": since, "until": until,
        "before": before, "limit": limit})]


def set_status(conn: sqlite3.Connection, row: dict[str, Any]) -> bool:
    """Move an adjustment on (optimistic on its version); False when someone else did first."""
    params = {k: row.get(k) for k in ("id", "status", "value", "threshold", "submitted_by_id", "submitted_by",
                                      "submitted_at", "decided_by_id", "decided_by", "decided_at",
                                      "posted_at", "version")}
    params["decision_note"] = row.get("decision_note") or ""
    return conn.execute(SET_STATUS_SQL, params).rowcount == 1


def replace_draft(conn: sqlite3.Connection, row: dict[str, Any], lines: list[dict[str, Any]]) -> bool:
    """A draft's reason, note, value and lines anew (optimistic on its version); False when it is
    no longer that draft."""
    params = {k: row[k] for k in ("id", "reason_code", "note", "value", "version")}
    if conn.execute(UPDATE_DRAFT_SQL, params).rowcount != 1:
        return False
    conn.execute(DELETE_LINES_SQL, {"id": row["id"]})
    conn.executemany(INSERT_ADJUSTMENT_LINE_SQL, [{"adjustment_id": row["id"], **line} for line in lines])
    return True


def insert_return(conn: sqlite3.Connection, row: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    conn.execute(INSERT_RETURN_SQL, row)
    conn.executemany(INSERT_RETURN_LINE_SQL, [{"return_id": row["id"], **line} for line in lines])


def get_return(conn: sqlite3.Connection, return_id: str) -> dict[str, Any] | None:
    row = conn.execute(GET_RETURN_SQL, {"id": return_id}).fetchone()
    if row is None:
        return None
    return dict(row) | {"lines": [dict(r) for r in conn.execute(RETURN_LINES_SQL, {"id": return_id})]}


def list_returns(conn: sqlite3.Connection, *, supplier_id: str | None = None, since: str | None = None,
                 until: str | None = None, before: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(LIST_RETURNS_SQL, {
        "supplier_id": supplier_id, "since": since, "until": until, "before": before, "limit": limit})]
