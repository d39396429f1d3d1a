"""A migrated store on a plain connection, with products to move stock of (no server)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from hub.catalogue.seed import seed_reference_data
from hub.db import products
from hub.db.audit import Actor
from hub.db.connection import HubConnection, connect, transaction
from hub.db.migrations import migrate
from hub.ids import new_id
from hub.inventory import Source, move

CLERK = Actor(user_id="user-1", username="clerk")
TILL = Actor(user_id="user-2", username="cashier", device_id="till-1")
_skus = itertools.count(1)


def open_store(path: Path) -> HubConnection:
    conn = connect(path)
    migrate(conn)
    with transaction(conn):
        seed_reference_data(conn, Actor.system("test"))
    return conn


def add_product(conn: HubConnection, *, tracked: bool = True, **fields: Any) -> str:
    unit = conn.execute("SELECT id FROM units WHERE code = 'each'").fetchone()[0]
    tax = conn.execute("SELECT id FROM tax_classes WHERE code = 'VAT'").fetchone()[0]
    product_id = new_id()
    serial = next(_skus)
    with transaction(conn):
        products.insert_product(conn, {
            "id": product_id, "sku": f"SKU-{serial}", "name": f"Product {serial}", "receipt_name": "",
            "description": "", "category_id": None, "unit_id": unit, "tax_class_id": tax, "hs_code": "",
            "cost_price": 0, "stock_tracked": tracked, "low_stock_threshold": 0, "sold_by_weight": False,
            "plu": None, **fields})
    return product_id


def moved(conn: HubConnection, product_id: str, kind: str, quantity: int, *, actor: Actor = CLERK,
          source: Source | None = None, **kwargs: Any) -> dict[str, Any]:
    """One movement in its own transaction."""
    with transaction(conn):
        return move(conn, kind=kind, product_id=product_id, quantity=quantity, actor=actor,
                    source=source or Source("test", "doc-1"), **kwargs)


def on_hand(conn: HubConnection, product_id: str) -> int | None:
    row = conn.execute("SELECT on_hand FROM stock_levels WHERE product_id = ?", (product_id,)).fetchone()
    return None if row is None else row[0]
