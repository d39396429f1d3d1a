"""Stock transfers between the chain's stores and their lines: the rows behind
hub.inventory.transfers. Only hub.inventory.transfers.service writes here."""

from __future__ import annotations

import sqlite3
from typing import Any

COLUMNS = ("id", "number", "direction", "status", "other_store_code", "other_store_name", "other_hub_id",
           "source_transfer_id", "source_number", "sent_at", "note", "created_by", "created_at", "updated_at",
           "posted_at", "posted_by", "received_at", "received_by", "version")
LINE_COLUMNS = ("transfer_id", "line", "product_id", "sku", "barcode", "name", "quantity", "unit_cost",
                "received", "not_received")
UPDATABLE = frozenset({"status", "other_store_code", "other_store_name", "other_hub_id", "note", "posted_at",
                       "posted_by", "received_at", "received_by"})

INSERT_SQL = f"INSERT INTO transfers ({', '.join(COLUMNS)}) VALUES ({', '.join(':' + c for c in COLUMNS)})"
LINE_INSERT_SQL = (f"INSERT INTO transfer_lines ({', '.join(LINE_COLUMNS)})"
                   f" VALUES ({', '.join(':' + c for c in LINE_COLUMNS)})")
GET_SQL = f"""
SELECT {', '.join(COLUMNS)},
       (SELECT count(*) FROM transfer_lines l WHERE l.transfer_id = t.id) AS line_count,
       (SELECT count(*) FROM transfer_lines l WHERE l.transfer_id = t.id AND l.product_id IS NULL
          AND l.not_received = 0) AS unmatched
FROM transfers t
"""
LIST_SQL = GET_SQL + """
WHERE (:direction IS NULL OR t.direction = :direction)
  AND (:status IS NULL OR t.status = :status)
  AND (:store IS NULL OR t.other_store_code = :store)
  AND (:since IS NULL OR t.created_at >= :since)
  AND (:until IS NULL OR t.created_at < :until)
  AND (:after_at IS NULL OR (t.created_at, t.id) < (:after_at, :after_id))
ORDER BY t.created_at DESC, t.id DESC LIMIT :limit
"""
# Each line with its local product (when matched): the unit's decimals and the level now.
LINES_SQL = """
SELECT l.line, l.product_id, l.sku, l.barcode, l.name, l.quantity, l.unit_cost, l.received, l.not_received,
       p.sku AS product_sku, p.name AS product_name, u.code AS unit_code, u.decimals AS unit_decimals
FROM transfer_lines l
LEFT JOIN products p ON p.id = l.product_id
LEFT JOIN units u ON u.id = p.unit_id
WHERE l.transfer_id = :id ORDER BY l.line
"""
NUMBER_SQL = "SELECT max(CAST(substr(number, 4) AS INTEGER)) FROM transfers WHERE direction = :direction"
# What a line needs of a product: found by id, unit barcode or SKU; the barcode to name it by
# in a transfer file is its first unit barcode.
PRODUCT_SQL = """
SELECT p.id, p.sku, p.name, p.stock_tracked, p.active, u.code AS unit_code, u.decimals AS unit_decimals,
       (SELECT b.code FROM barcodes b WHERE b.product_id = p.id AND b.pack_quantity = 1000
        ORDER BY b.created_at, b.code LIMIT 1) AS barcode
FROM products p JOIN units u ON u.id = p.unit_id
WHERE p.id = :id
"""
BY_SKU_SQL = "SELECT id FROM products WHERE sku = :sku"
BY_BARCODE_SQL = "SELECT product_id, pack_quantity FROM barcodes WHERE code = :code"
BY_SOURCE_SQL = GET_SQL + " WHERE t.direction = 'in' AND t.other_store_code = :store AND t.source_transfer_id = :id"


def next_number(conn: sqlite3.Connection, direction: str) -> str:
    last = conn.execute(NUMBER_SQL, {"direction": direction}).fetchone()[0]
    return f"{'TO' if direction == 'out' else 'TI'}-{(last or 0) + 1:06d}"


def get_transfer(conn: sqlite3.Connection, transfer_id: str) -> dict[str, Any] | None:
    row = conn.execute(GET_SQL + " WHERE t.id = :id", {"id": transfer_id}).fetchone()
    return dict(row) if row else None


def by_source(conn: sqlite3.Connection, store_code: str, source_transfer_id: str) -> dict[str, Any] | None:
    row = conn.execute(BY_SOURCE_SQL, {"store": store_code, "id": source_transfer_id}).fetchone()
    return dict(row) if row else None


def lines(conn: sqlite3.Connection, transfer_id: str) -> list[dict[str, Any]]:
    out = []
    for row in conn.execute(LINES_SQL, {"id": transfer_id}):
        line = dict(row)
        line["not_received"] = bool(line["not_received"])
        out.append(line)
    return out


def list_transfers(conn: sqlite3.Connection, *, direction: str | None = None, status: str | None = None,
                   store: str | None = None, since: str | None = None, until: str | None = None,
                   after: tuple[str, str] | None = None, limit: int = 50) -> list[dict[str, Any]]:
    params = {"direction": direction, "status": status, "store": store, "since": since, "until": until,
              "after_at": after[0] if after else None, "after_id": after[1] if after else None, "limit": limit}
    return [dict(r) for r in conn.execute(LIST_SQL, params)]


def insert_transfer(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    conn.execute(INSERT_SQL, {c: row.get(c) for c in COLUMNS})


def update_transfer(conn: sqlite3.Connection, transfer_id: str, fields: dict[str, Any]) -> None:
    """Set the given columns and bump the version."""
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)}")
    sets = "".join(f"{k} = :{k}, " for k in fields)
    conn.execute(f"UPDATE transfers SET {sets}version = version + 1, updated_at = :_now WHERE id = :_id",
                 {**fields, "_now": conn.stamp(), "_id": transfer_id})  # type: ignore[attr-defined]


def replace_lines(conn: sqlite3.Connection, transfer_id: str, rows: list[dict[str, Any]]) -> None:
    conn.execute("DELETE FROM transfer_lines WHERE transfer_id = :id", {"id": transfer_id})
    conn.executemany(LINE_INSERT_SQL, [{**{c: r.get(c) for c in LINE_COLUMNS}, "transfer_id": transfer_id,
                                        "not_received": int(bool(r.get("not_received")))} for r in rows])


def product(conn: sqlite3.Connection, product_id: str) -> dict[str, Any] | None:
    row = conn.execute(PRODUCT_SQL, {"id": product_id}).fetchone()
    return dict(row) if row else None


def product_by_sku(conn: sqlite3.Connection, sku: str) -> str | None:
    row = conn.execute(BY_SKU_SQL, {"sku": sku}).fetchone()
    return row[0] if row else None


def barcode(conn: sqlite3.Connection, code: str) -> dict[str, Any] | None:
    row = conn.execute(BY_BARCODE_SQL, {"code": code}).fetchone()
    return dict(row) if row else None
