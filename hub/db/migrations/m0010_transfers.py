"""0010 stock transfers between the chain's stores: out documents (sent from this store, kind
`transfer_out`) and in documents (imported from another store's transfer file, kind `transfer_in`),
both movement kinds made by 0006.

An out transfer is a draft (moves nothing, may be discarded), then `in_transit` once posted (its
stock has left), then `received` when the receiver's confirmation is imported (nothing moves then).
An in transfer is born `in_transit` from the sender's file and becomes `received` when posted (its
stock arrives). `other_store_code` is the destination of an out transfer and the source of an in
one; an in transfer remembers the sender's transfer id, unique per sending store, so a file
imported twice is refused.
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    """CREATE TABLE transfers (
        id TEXT PRIMARY KEY,
        number TEXT NOT NULL UNIQUE,
        direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
        status TEXT NOT NULL CHECK (status IN ('draft', 'in_transit', 'received', 'discarded')),
        other_store_code TEXT NOT NULL,
        other_store_name TEXT NOT NULL DEFAULT '',
        other_hub_id TEXT,
        source_transfer_id TEXT,
        source_number TEXT,
        sent_at TEXT,
        note TEXT NOT NULL DEFAULT '',
        created_by TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        posted_at TEXT,
        posted_by TEXT,
        received_at TEXT,
        received_by TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        CHECK (direction = 'out' OR (source_transfer_id IS NOT NULL AND status <> 'draft'))
    )""",
    "CREATE INDEX transfers_listing ON transfers (created_at, id)",
    "CREATE INDEX transfers_status ON transfers (direction, status, created_at)",
    """CREATE UNIQUE INDEX transfers_source ON transfers (other_store_code, source_transfer_id)
       WHERE direction = 'in'""",
    # product_id: NULL on an in line not yet matched to a local product. sku, barcode, name: as the
    # sender named the product. quantity: sent (thousandths); received: what arrived (an in line
    # as the receiver typed it; an out line from the receiver's confirmation). unit_cost: the
    # sender's average cost when it left, minor units of the base currency (NULL: none known).
    """CREATE TABLE transfer_lines (
        transfer_id TEXT NOT NULL REFERENCES transfers (id),
        line INTEGER NOT NULL CHECK (line >= 0),
        product_id TEXT REFERENCES products (id),
        sku TEXT NOT NULL DEFAULT '',
        barcode TEXT NOT NULL DEFAULT '',
        name TEXT NOT NULL DEFAULT '',
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        unit_cost INTEGER CHECK (unit_cost >= 0),
        received INTEGER CHECK (received >= 0),
        not_received INTEGER NOT NULL DEFAULT 0 CHECK (not_received IN (0, 1)),
        PRIMARY KEY (transfer_id, line)
    ) WITHOUT ROWID""",
    "CREATE INDEX transfer_lines_product ON transfer_lines (product_id)",
    # A transfer that moved stock is never edited again nor deleted (DESIGN.md section 3).
    """CREATE TRIGGER transfers_received_no_update BEFORE UPDATE ON transfers
       WHEN OLD.status IN ('received', 'discarded')
       BEGIN SELECT RAISE(ABORT, 'a received or discarded transfer is never edited'); END""",
    """CREATE TRIGGER transfers_no_delete BEFORE DELETE ON transfers
       BEGIN SELECT RAISE(ABORT, 'transfers are never deleted'); END""",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
