"""Shelf labels read from the catalogue: each product's name, first barcode, price per active
currency (the base currency first) and, for goods sold by weight, the price per unit. Reads only."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from drivers.labels import ShelfLabel
from hub.inventory._format import amount_text

LABELS_SQL = """
SELECT p.id, p.sku, p.name, p.receipt_name, p.sold_by_weight, u.code AS unit,
       (SELECT min(b.code) FROM barcodes b WHERE b.product_id = p.id AND b.pack_quantity = 1000) AS barcode,
       (SELECT json_group_array(json_array(c.code, c.decimals, coalesce(pp.override_price, pp.price)))
        FROM product_prices pp JOIN currencies c ON c.code = pp.currency
        WHERE pp.product_id = p.id AND c.active = 1 ORDER BY c.is_base DESC, c.code) AS prices
FROM products p JOIN units u ON u.id = p.unit_id
WHERE p.id IN (SELECT value FROM json_each(:ids))
"""


def shelf_labels(conn: sqlite3.Connection, product_ids: list[str]) -> list[ShelfLabel]:
    """Labels in the order asked (an unknown product is left out)."""
    rows = {r["id"]: dict(r) for r in conn.execute(LABELS_SQL, {"ids": json.dumps(product_ids)})}
    found = []
    for product_id in product_ids:
        row = rows.get(product_id)
        if row is None:
            continue
        prices = tuple((code, amount_text(price, decimals, grouped=True))
                       for code, decimals, price in json.loads(row["prices"]) if price is not None)
        unit_price = f"{prices[0][0]} {prices[0][1]} / {row['unit']}" if row["sold_by_weight"] and prices else ""
        found.append(ShelfLabel(name=row["name"], sku=row["sku"], barcode=row["barcode"] or "", prices=prices,
                                unit_price=unit_price))
    return found


def known(conn: sqlite3.Connection, product_ids: list[str]) -> set[str]:
    return {r[0] for r in conn.execute("SELECT id FROM products WHERE id IN (SELECT value FROM json_each(:ids))",
                                       {"ids": json.dumps(product_ids)})}


def by_sku(conn: sqlite3.Connection, skus: list[str]) -> dict[str, Any]:
    """SKU (any case) or barcode -> product id, for the portal's typed list."""
    found: dict[str, Any] = {}
    for code in skus:
        row = conn.execute("SELECT id FROM products WHERE sku = :c COLLATE NOCASE UNION ALL "
                           "SELECT product_id FROM barcodes WHERE code = :c LIMIT 1", {"c": code}).fetchone()
        found[code] = row[0] if row else None
    return found
