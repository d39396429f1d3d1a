"""0007 stock takes: count sessions with their counted lines, and each device's clock skew.

A session counts the whole store, a category (and the ones below it) or a location; posting it
writes one `count` movement per counted product through the ledger (docs/inventory.md, "Stock
takes"). A line keeps the device's own clock reading and the moment it stands for (that reading
corrected by the device's recorded skew, or the hub's receive time when the skew is unknown).

`devices.clock_skew_ms` is the device's clock minus the hub's, in milliseconds (positive: the
device runs ahead); NULL while the hub has not learnt it. Till sync records it.
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    "ALTER TABLE devices ADD COLUMN clock_skew_ms INTEGER",
    """CREATE TABLE stock_takes (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('store', 'category', 'location')),
        category_id TEXT REFERENCES categories (id),
        location TEXT NOT NULL DEFAULT '',
        blind INTEGER NOT NULL DEFAULT 0 CHECK (blind IN (0, 1)),
        uncounted_zero INTEGER NOT NULL DEFAULT 0 CHECK (uncounted_zero IN (0, 1)),
        status TEXT NOT NULL DEFAULT 'open'
            CHECK (status IN ('open', 'counting', 'review', 'posted', 'cancelled')),
        note TEXT NOT NULL DEFAULT '',
        created_by TEXT,
        created_by_name TEXT,
        approved_by TEXT,
        approved_at TEXT,
        approved_value INTEGER,
        posted_by TEXT,
        posted_at TEXT,
        cancelled_by TEXT,
        cancelled_at TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK ((scope = 'category') = (category_id IS NOT NULL)),
        CHECK (scope = 'location' OR location = ''),
        CHECK (scope <> 'location' OR uncounted_zero = 0)
    )""",
    "CREATE INDEX stock_takes_status ON stock_takes (status, id)",
    # seq orders a session's lines as they arrived; a product's count is the sum of its lines
    # from its latest recount line on (two shelves add up, a recount replaces).
    """CREATE TABLE stock_take_lines (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        stock_take_id TEXT NOT NULL REFERENCES stock_takes (id),
        product_id TEXT NOT NULL REFERENCES products (id),
        quantity INTEGER NOT NULL CHECK (quantity >= 0),
        recount INTEGER NOT NULL DEFAULT 0 CHECK (recount IN (0, 1)),
        code TEXT NOT NULL DEFAULT '',
        device_id TEXT,
        device_clock TEXT,
        counted_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        user_id TEXT,
        username TEXT,
        CHECK (counted_at <= received_at)
    )""",
    "CREATE INDEX stock_take_lines_session ON stock_take_lines (stock_take_id, product_id, seq)",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
