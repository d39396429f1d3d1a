"""Product barcodes: unit and pack codes, unique across the store (the code is the key)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable

OWNERS_SQL = """
SELECT b.code, b.product_id, p.sku, p.name FROM barcodes b JOIN products p ON p.id = b.product_id
WHERE b.code IN (SELECT value FROM json_each(:codes))
"""
INSERT_SQL = """
INSERT INTO barcodes (code, product_id, pack_quantity, created_at)
VALUES (:code, :product_id, :pack_quantity, :now)
"""
PRODUCT_BARCODES_SQL = """
SELECT code, pack_quantity FROM barcodes WHERE product_id = :id ORDER BY pack_quantity, code
"""


def owners(conn: sqlite3.Connection, codes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """code -> {product_id, sku, name} for those of `codes` that some product has."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return {r["code"]: {"product_id": r["product_id"], "sku": r["sku"], "name": r["name"]}
            for r in conn.execute(OWNERS_SQL, {"codes": json.dumps(wanted)})}


def of_product(conn: sqlite3.Connection, product_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(PRODUCT_BARCODES_SQL, {"id": product_id})]


def remove(conn: sqlite3.Connection, product_id: str, codes: Iterable[str]) -> None:
    conn.execute("DELETE FROM barcodes WHERE product_id = :id AND code IN (SELECT value FROM json_each(:codes))",
                 {"id": product_id, "codes": json.dumps(sorted(set(codes)))})


def add(conn: sqlite3.Connection, product_id: str, barcodes: Iterable[dict[str, Any]]) -> None:
    now = conn.stamp()
    conn.executemany(INSERT_SQL, [{"code": b["code"], "product_id": product_id,
                                   "pack_quantity": b["pack_quantity"], "now": now} for b in barcodes])


def set_pack_quantity(conn: sqlite3.Connection, product_id: str, code: str, pack_quantity: int) -> None:
    conn.execute("UPDATE barcodes SET pack_quantity = :q WHERE code = :code AND product_id = :id",
                 {"q": pack_quantity, "code": code, "id": product_id})


def replace(conn: sqlite3.Connection, product_id: str, barcodes: list[dict[str, Any]]) -> None:
    """Make the product's barcodes exactly `barcodes`, keeping the rows (and dates) of kept codes."""
    current = {b["code"]: b["pack_quantity"] for b in of_product(conn, product_id)}
    wanted = {b["code"]: b["pack_quantity"] for b in barcodes}
    remove(conn, product_id, set(current) - set(wanted))
    for code in set(current) & set(wanted):
        if current[code] != wanted[code]:
            set_pack_quantity(conn, product_id, code, wanted[code])
    add(conn, product_id, [b for b in barcodes if b["code"] not in current])
