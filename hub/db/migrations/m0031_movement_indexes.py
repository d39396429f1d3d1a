"""0031 movement_indexes: drop the four stock_movements indexes no query reads through.

Every movement a sale writes (one per line) paid for eleven b-tree inserts: the table and ten
indexes. Four of them answered nothing: `stock_movements_kind`, `_user`, `_device` and
`_occurred` were made for the movements list's filters, but that list reads with optional
filters (`:x IS NULL OR m.x = :x`), which SQLite cannot plan through an index, so it walks the
table newest first and stops at its page size. No other query names them (the ledger's reads go
through `_product_time`, `_product_seq`, `_event` and `_source`;
tests/db/test_movement_indexes.py checks the plans). Dropping them takes sixty index inserts
and their pages out of every 15-line sale's transaction.
"""

from __future__ import annotations

import sqlite_utils

DROPPED = ("stock_movements_kind", "stock_movements_user", "stock_movements_device", "stock_movements_occurred")


def apply(db: sqlite_utils.Database) -> None:
    for name in DROPPED:
        db.execute(f"DROP INDEX IF EXISTS {name}")
