"""0030 bridge_product_local: `product_local` facts in the HQ outbox (docs/cloud-bridge.md).

HQ names what each store sells from these: a product the store made, or changed in its own
fields (the store's override price, cost, stock settings), reaches HQ as one fact per version.

- Triggers on `products`: `AFTER INSERT` (a new product, version 1) and `AFTER UPDATE` when the
  version moved (every change of a product bumps it, prices, barcodes and suppliers included:
  hub.db.products.update_product) write one outbox row, event id `<product id>:<version>`,
  `ref` the product id. `INSERT OR IGNORE` on the UNIQUE event id: one version is one fact.
- HQ's own writes never echo back: while the hub applies HQ's feed (hub.bridge.apply.hq_writes)
  the one row of `bridge_hq_writing` exists (inside that transaction only, so nobody else sees
  it), and the triggers write nothing.
- Backfill: each product whose latest change was the store's (its latest audit entry is not
  `system:hq`'s, or it has none), at its current version, in the order they were last changed.
"""

from __future__ import annotations

import sqlite_utils

HQ_ACTOR = "system:hq"
NOT_HQ = "NOT EXISTS (SELECT 1 FROM bridge_hq_writing)"
INSERT = ("INSERT OR IGNORE INTO bridge_outbox (event_id, kind, ref, occurred_at, recorded_at) "
          "VALUES (NEW.id || ':' || NEW.version, 'product_local', NEW.id, NEW.updated_at, NEW.updated_at)")

STATEMENTS = (
    # One row while HQ's changes are being applied (inside the applying transaction only).
    """CREATE TABLE bridge_hq_writing (
        one INTEGER PRIMARY KEY CHECK (one = 1)
    )""",
    f"CREATE TRIGGER bridge_outbox_products_insert AFTER INSERT ON products WHEN {NOT_HQ} "
    f"BEGIN {INSERT}; END",
    f"CREATE TRIGGER bridge_outbox_products_update AFTER UPDATE ON products "
    f"WHEN NEW.version <> OLD.version AND {NOT_HQ} BEGIN {INSERT}; END",
)


def backfill() -> str:
    """The store's products as they are now: one fact each at its current version."""
    return f"""INSERT OR IGNORE INTO bridge_outbox (event_id, kind, ref, occurred_at, recorded_at)
        SELECT p.id || ':' || p.version, 'product_local', p.id, p.updated_at, p.updated_at
        FROM products p
        WHERE coalesce((SELECT a.username FROM audit_log a WHERE a.entity = 'product' AND a.entity_id = p.id
                        ORDER BY a.seq DESC LIMIT 1), '') <> '{HQ_ACTOR}'
        ORDER BY p.updated_at, p.id"""


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
    db.execute(backfill())
