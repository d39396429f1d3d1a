"""0008 purchasing: purchase orders and goods receipts (GRNs) with their lines.

A goods receipt is a draft until posted; posting moves its lines into stock through the ledger
(kind `receipt`) and it is never edited after. A reversal is a new receipt document (`kind`
`reversal`) naming the one it reverses; `reverses_id` is unique, so a receipt is reversed at most
once. Quantities are integer thousandths of the product's unit, costs integer minor units of the
base currency per unit. A purchase order keeps, per line, what was ordered and what posted
receipts brought in (`received`), so its status follows from the receipts.
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    """CREATE TABLE purchase_orders (
        id TEXT PRIMARY KEY,
        number TEXT NOT NULL UNIQUE,
        supplier_id TEXT NOT NULL REFERENCES suppliers (id),
        status TEXT NOT NULL DEFAULT 'draft'
            CHECK (status IN ('draft', 'sent', 'part_received', 'closed', 'cancelled')),
        expected_on TEXT,
        note TEXT NOT NULL DEFAULT '',
        created_by TEXT,
        sent_at TEXT,
        sent_by TEXT,
        closed_at TEXT,
        closed_by TEXT,
        close_reason TEXT NOT NULL DEFAULT '',
        cancelled_at TEXT,
        cancelled_by TEXT,
        cancel_reason TEXT NOT NULL DEFAULT '',
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX purchase_orders_supplier ON purchase_orders (supplier_id, created_at)",
    "CREATE INDEX purchase_orders_status ON purchase_orders (status, created_at)",
    "CREATE INDEX purchase_orders_created ON purchase_orders (created_at, id)",
    """CREATE TABLE purchase_order_lines (
        order_id TEXT NOT NULL REFERENCES purchase_orders (id),
        line INTEGER NOT NULL CHECK (line >= 0),
        product_id TEXT NOT NULL REFERENCES products (id),
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        unit_cost INTEGER CHECK (unit_cost >= 0),
        received INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (order_id, line)
    ) WITHOUT ROWID""",
    """CREATE TABLE goods_receipts (
        id TEXT PRIMARY KEY,
        number TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL DEFAULT 'receipt' CHECK (kind IN ('receipt', 'reversal')),
        supplier_id TEXT NOT NULL REFERENCES suppliers (id),
        order_id TEXT REFERENCES purchase_orders (id),
        reverses_id TEXT UNIQUE REFERENCES goods_receipts (id),
        status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'posted')),
        supplier_ref TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        update_supplier_cost INTEGER NOT NULL DEFAULT 0 CHECK (update_supplier_cost IN (0, 1)),
        created_by TEXT,
        posted_at TEXT,
        posted_by TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK (kind = 'receipt' OR reverses_id IS NOT NULL)
    )""",
    "CREATE INDEX goods_receipts_supplier ON goods_receipts (supplier_id, created_at)",
    "CREATE INDEX goods_receipts_order ON goods_receipts (order_id) WHERE order_id IS NOT NULL",
    "CREATE INDEX goods_receipts_created ON goods_receipts (created_at, id)",
    # entered/entered_as/pack_size: what was typed (packs or units) and the pack it was turned
    # into units with; quantity is always in thousandths of the product's unit.
    """CREATE TABLE goods_receipt_lines (
        receipt_id TEXT NOT NULL REFERENCES goods_receipts (id),
        line INTEGER NOT NULL CHECK (line >= 0),
        product_id TEXT NOT NULL REFERENCES products (id),
        order_line INTEGER,
        entered INTEGER NOT NULL CHECK (entered > 0),
        entered_as TEXT NOT NULL CHECK (entered_as IN ('unit', 'pack')),
        pack_size INTEGER NOT NULL CHECK (pack_size > 0),
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        unit_cost INTEGER NOT NULL CHECK (unit_cost >= 0),
        PRIMARY KEY (receipt_id, line)
    ) WITHOUT ROWID""",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
