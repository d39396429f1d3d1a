"""Quotations and their lines (m0020; docs/customers.md, "Quotations")."""

from __future__ import annotations

import sqlite3
from typing import Any

QUOTATION_SQL = """
SELECT q.*, 'Q-' || q.number AS label, c.name AS customer_name, c.phone AS customer_phone,
       c.email AS customer_email, c.registered_name, c.trade_name, c.tin, c.vat_number, c.address
FROM quotations q JOIN customers c ON c.id = q.customer_id
"""
LIST_SQL = QUOTATION_SQL + """
WHERE (:status IS NULL OR q.status = :status) AND (:customer_id IS NULL OR q.customer_id = :customer_id)
  AND (:due IS NULL OR (q.follow_up_on IS NOT NULL AND q.follow_up_on <= :due
                        AND q.status IN ('draft', 'sent', 'accepted')))
  AND (:after IS NULL OR q.number < :after)
ORDER BY q.number DESC LIMIT :limit
"""
PIPELINE_SQL = """
SELECT status, currency, count(*) AS count, sum(total) AS total FROM quotations
GROUP BY status, currency ORDER BY status, currency
"""
INSERT_SQL = """
INSERT INTO quotations (id, number, customer_id, currency, status, valid_until, follow_up_on, note, tax_mode,
                        tier_id, subtotal, discount_total, tax_total, total, priced_at, created_by, version,
                        created_at, updated_at)
VALUES (:id, (SELECT coalesce(max(number), 0) + 1 FROM quotations), :customer_id, :currency, 'draft', :valid_until,
        :follow_up_on, :note, :tax_mode, :tier_id, :subtotal, :discount_total, :tax_total, :total, :priced_at,
        :created_by, 1, :now, :now)
"""
LINE_SQL = """
INSERT INTO quotation_lines (quotation_id, line_no, product_id, name, sku, quantity, unit_price, gross, discount,
                             net, tax_class)
VALUES (:quotation_id, :line_no, :product_id, :name, :sku, :quantity, :unit_price, :gross, :discount, :net,
        :tax_class)
"""
PRICED = ("currency", "valid_until", "follow_up_on", "note", "tax_mode", "tier_id", "subtotal", "discount_total",
          "tax_total", "total", "priced_at")


def get(conn: sqlite3.Connection, quotation_id: str) -> dict[str, Any] | None:
    row = conn.execute(QUOTATION_SQL + " WHERE q.id = ?", (quotation_id,)).fetchone()
    return dict(row) if row else None


def by_number(conn: sqlite3.Connection, number: int) -> dict[str, Any] | None:
    row = conn.execute(QUOTATION_SQL + " WHERE q.number = ?", (number,)).fetchone()
    return dict(row) if row else None


def lines(conn: sqlite3.Connection, quotation_id: str) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT * FROM quotation_lines WHERE quotation_id = ? ORDER BY line_no", (quotation_id,))
    return [dict(r) for r in rows]


def listing(conn: sqlite3.Connection, *, status: str | None = None, customer_id: str | None = None,
            due: str | None = None, after: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(LIST_SQL, {"status": status, "customer_id": customer_id, "due": due, "after": after,
                                   "limit": limit})
    return [dict(r) for r in rows]


def pipeline(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(PIPELINE_SQL)]


def insert(conn: sqlite3.Connection, row: dict[str, Any], priced_lines: list[dict[str, Any]]) -> None:
    conn.execute(INSERT_SQL, row)
    conn.executemany(LINE_SQL, priced_lines)


def replace(conn: sqlite3.Connection, quotation_id: str, row: dict[str, Any], priced_lines: list[dict[str, Any]],
            now: str) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in PRICED)
    conn.execute(f"UPDATE quotations SET {sets}, version = version + 1, updated_at = :now WHERE id = :id",
                 {**{k: row[k] for k in PRICED}, "now": now, "id": quotation_id})
    conn.execute("DELETE FROM quotation_lines WHERE quotation_id = ?", (quotation_id,))
    conn.executemany(LINE_SQL, priced_lines)


def set_fields(conn: sqlite3.Connection, quotation_id: str, now: str, **fields: Any) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in fields)
    conn.execute(f"UPDATE quotations SET {sets}, version = version + 1, updated_at = :now WHERE id = :id",
                 {**fields, "now": now, "id": quotation_id})


def products(conn: sqlite3.Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT id, name, sku FROM products WHERE id IN ({marks})", ids)
    return {r["id"]: dict(r) for r in rows}


def product_by_code(conn: sqlite3.Connection, code: str) -> str | None:
    """The active product with this SKU or barcode."""
    row = conn.execute("SELECT id FROM products WHERE sku = ? AND archived_at IS NULL UNION ALL "
                       "SELECT p.id FROM barcodes b JOIN products p ON p.id = b.product_id WHERE b.code = ?"
                       " AND p.archived_at IS NULL LIMIT 1", (code, code)).fetchone()
    return row[0] if row else None
