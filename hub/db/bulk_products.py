"""Many products at once (the demo catalogue, benchmark catalogues): executemany with the product
store's own statements, then the change feed, a few hundred products per read.

Callers check the rows first (unique SKUs, barcodes and PLUs; known categories, units, tax
classes and suppliers); a constraint that still fails raises and the caller's transaction rolls
back whole.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Iterable, Sequence

from hub.db import barcodes, product_prices, products
from hub.db.changes import record_change

PUBLISH_BATCH = 500
PRODUCT_DEFAULTS = {"receipt_name": "", "description": "", "category_id": None, "hs_code": "",
                    "cost_price": 0, "stock_tracked": 1, "low_stock_threshold": 0,
                    "sold_by_weight": 0, "plu": None}


def insert(conn: sqlite3.Connection, rows: Sequence[dict[str, Any]],
           prices: Iterable[dict[str, Any]] = (), codes: Iterable[dict[str, Any]] = (),
           suppliers: Iterable[dict[str, Any]] = ()) -> int:
    """Insert products (`id`, `sku`, `name`, `unit_id`, `tax_class_id`, ...), their prices
    (`product_id`, `currency`, `price`), barcodes (`code`, `product_id`, `pack_quantity`) and
    supplier links (`product_id`, `supplier_id`, `supplier_code`, `cost`, ...). Returns the count."""
    now = conn.stamp()
    conn.executemany(products.INSERT_SQL, ({**PRODUCT_DEFAULTS, **row, "now": now} for row in rows))
    conn.executemany(product_prices.UPSERT_PRICE_SQL,
                     ({"override_price": None, **price, "now": now} for price in prices))
    conn.executemany(barcodes.INSERT_SQL, ({**code, "now": now} for code in codes))
    conn.executemany(products.SUPPLIER_INSERT_SQL,
                     ({"cost": None, "currency": None, "pack_size": 1000, "preferred": 1, **link}
                      for link in suppliers))
    return len(rows)


def publish(conn: sqlite3.Connection, product_ids: Sequence[str]) -> int:
    """One `product` change per product, in the shape the product store publishes for tills."""
    published = 0
    for start in range(0, len(product_ids), PUBLISH_BATCH):
        for doc in products.get_products(conn, list(product_ids[start:start + PUBLISH_BATCH])):
            record_change(conn, "product", doc["id"], doc["version"], "upsert", products.till_view(doc))
            published += 1
    return published


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM products").fetchone()[0])
