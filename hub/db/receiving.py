"""Goods receipts (GRNs) and their lines: the rows behind hub.inventory.receiving."""

from __future__ import annotations

import sqlite3
from typing import Any

RECEIPT_COLUMNS = ("id", "number", "kind", "supplier_id", "order_id", "reverses_id", "status", "supplier_ref",
                   "note", "update_supplier_cost", "created_by", "posted_at", "posted_by", "version",
                   "created_at", "updated_at")
RECEIPT_SQL = """
SELECT r.*, s.name AS supplier_name, o.number AS order_number, o.status AS order_status,
       v.id AS reversed_by_id, v.number AS reversed_by_number, orig.number AS reverses_number
FROM goods_receipts r
JOIN suppliers s ON s.id = r.supplier_id
LEFT JOIN purchase_orders o ON o.id = r.order_id
LEFT JOIN goods_receipts v ON v.reverses_id = r.id
LEFT JOIN goods_receipts orig ON orig.id = r.reverses_id
"""
LIST_SQL = RECEIPT_SQL + """
WHERE (:supplier_id IS NULL OR r.supplier_id = :supplier_id)
  AND (:status IS NULL OR r.status = :status)
  AND (:kind IS NULL OR r.kind = :kind)
  AND (:order_id IS NULL OR r.order_id = :order_id)
  AND (:since IS NULL OR r.created_at >= :since)
  AND (:until IS NULL OR r.created_at < :until)
  AND (:after_at IS NULL OR (r.created_at, r.id) < (:after_at, :after_id))
ORDER BY r.created_at DESC, r.id DESC LIMIT :limit
"""
LINES_SQL = """
SELECT l.*, p.sku, p.name, u.code AS unit_code, u.decimals AS unit_decimals
FROM goods_receipt_lines l
JOIN products p ON p.id = l.product_id
JOIN units u ON u.id = p.unit_id
WHERE l.receipt_id = :id ORDER BY l.line
"""
INSERT_SQL = f"""
INSERT INTO goods_receipts ({', '.join(RECEIPT_COLUMNS)})
VALUES ({', '.join(':' + c for c in RECEIPT_COLUMNS)})
"""
LINE_COLUMNS = ("receipt_id", "line", "product_id", "order_line", "entered", "entered_as", "pack_size",
                "quantity", "unit_cost")
LINE_INSERT_SQL = f"""
INSERT INTO goods_receipt_lines ({', '.join(LINE_COLUMNS)})
VALUES ({', '.join(':' + c for c in LINE_COLUMNS)})
"""
UPDATABLE = frozenset({"supplier_id", "order_id", "status", "supplier_ref", "note", "update_supplier_cost",
                       "posted_at", "posted_by"})
# A product as a receipt line needs it: found by id, SKU or barcode, with the supplier's pack and
# cost, and a scanned barcode's own pack.
RESOLVE_SQL = """
SELECT p.id, p.sku, p.name, p.stock_tracked, p.cost_price, u.decimals AS unit_decimals,
       ps.pack_size AS supplier_pack, ps.cost AS supplier_cost, ps.currency AS supplier_currency,
       b.pack_quantity AS barcode_pack
FROM products p
JOIN units u ON u.id = p.unit_id
LEFT JOIN product_suppliers ps ON ps.product_id = p.id AND ps.supplier_id = :supplier_id
LEFT JOIN barcodes b ON b.code = :code AND b.product_id = p.id
WHERE p.id = coalesce(:product_id, (SELECT product_id FROM barcodes WHERE code = :code),
                      (SELECT id FROM products WHERE sku = :code))
"""
NUMBER_SQL = "SELECT max(CAST(substr(number, 5) AS INTEGER)) FROM goods_receipts"
SUPPLIER_SQL = "SELECT id, name, active, lead_time_days FROM suppliers WHERE id = :id"
SUPPLIER_COST_SQL = """
INSERT INTO product_suppliers (product_id, supplier_id, cost, currency)
VALUES (:product_id, :supplier_id, :cost, :currency)
ON CONFLICT (product_id, supplier_id) DO UPDATE SET cost = excluded.cost, currency = excluded.currency
"""


def next_number(conn: sqlite3.Connection) -> str:
    last = conn.execute(NUMBER_SQL).fetchone()[0]
    return f"GRN-{(last or 0) + 1:06d}"


def _receipt(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    out["update_supplier_cost"] = bool(out["update_supplier_cost"])
    return out


def get_receipt(conn: sqlite3.Connection, receipt_id: str) -> dict[str, Any] | None:
    row = conn.execute(RECEIPT_SQL + " WHERE r.id = :id", {"id": receipt_id}).fetchone()
    return _receipt(row) if row else None


def lines(conn: sqlite3.Connection, receipt_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(LINES_SQL, {"id": receipt_id})]


def list_receipts(conn: sqlite3.Connection, *, supplier_id: str | None = None, status: str | None = None,
                  kind: str | None = None, order_id: str | None = None, since: str | None = None,
                  until: str | None = None, after: tuple[str, str] | None = None,
                  limit: int = 50) -> list[dict[str, Any]]:
    params = {"supplier_id": supplier_id, "status": status, "kind": kind, "order_id": order_id, "since": since,
              "until": until, "after_at": after[0] if after else None, "after_id": after[1] if after else None,
              "limit": limit}
    return [_receipt(r) for r in conn.execute(LIST_SQL, params)]


def insert_receipt(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    conn.execute(INSERT_SQL, {**row, "update_supplier_cost": int(row["update_supplier_cost"])})


def update_receipt(conn: sqlite3.Connection, receipt_id: str, fields: dict[str, Any]) -> None:
    """Set the given columns and bump the version."""
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)}")
    values = {k: int(v) if isinstance(v, bool) else v for k, v in fields.items()}
    sets = "".join(f"{k} = :{k}, " for k in values)
    conn.execute(f"UPDATE goods_receipts SET {sets}version = version + 1, updated_at = :_now WHERE id = :_id",
                 {**values, "_now": conn.stamp(), "_id": receipt_id})  # type: ignore[attr-defined]


def replace_lines(conn: sqlite3.Connection, receipt_id: str, rows: list[dict[str, Any]]) -> None:
    conn.execute("DELETE FROM goods_receipt_lines WHERE receipt_id = :id", {"id": receipt_id})
    conn.executemany(LINE_INSERT_SQL, [{**{c: r.get(c) for c in LINE_COLUMNS}, "receipt_id": receipt_id}
                                       for r in rows])


def resolve_product(conn: sqlite3.Connection, *, supplier_id: str, product_id: str | None,
                    code: str | None) -> dict[str, Any] | None:
    row = conn.execute(RESOLVE_SQL, {"supplier_id": supplier_id, "product_id": product_id,
                                     "code": code}).fetchone()
    return dict(row) if row else None


def supplier(conn: sqlite3.Connection, supplier_id: str) -> dict[str, Any] | None:
    row = conn.execute(SUPPLIER_SQL, {"id": supplier_id}).fetchone()
    return dict(row) if row else None


def set_supplier_cost(conn: sqlite3.Connection, product_id: str, supplier_id: str, cost: int,
                      currency: str | None) -> None:
    conn.execute(SUPPLIER_COST_SQL, {"product_id": product_id, "supplier_id": supplier_id, "cost": cost,
                                     "currency": currency})


def supplier_cost(conn: sqlite3.Connection, product_id: str, supplier_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT cost, currency FROM product_suppliers WHERE product_id = :p AND supplier_id = :s",
                       {"p": product_id, "s": supplier_id}).fetchone()
    return dict(row) if row else None
