"""0017 training sales: a till in training mode records its sales like any other, marked so.

A training sale is kept (a trainer reviews it) but never touches stock, reports, fiscal or HQ:
every reader of money or stock filters `training = 0`. It is set once, when the sale is ingested,
and never changes. docs/sales.md, "Training mode".
"""

from __future__ import annotations

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    db.execute("ALTER TABLE sales ADD COLUMN training INTEGER NOT NULL DEFAULT 0 CHECK (training IN (0, 1))")
