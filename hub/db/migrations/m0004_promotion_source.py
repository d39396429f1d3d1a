"""0004 promotion source: whether a promotion came from HQ or is the store's own.

Once the hub is enrolled, HQ owns every field of an HQ promotion (hub/catalogue/ownership.toml,
`[promotions] all = "hq"`) while the store may still add and end its own; the check needs to
know which is which, and 0003 kept no such mark. Existing rows were made here: 'store'.
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    "ALTER TABLE promotions ADD COLUMN source TEXT NOT NULL DEFAULT 'store'"
    " CHECK (source IN ('store', 'hq'))",
    # The loader asks for the promotions in force at a moment: active ones, by their window.
    "CREATE INDEX promotions_in_force ON promotions (active, valid_until)",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
