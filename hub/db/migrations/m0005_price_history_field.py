"""0005 price history field: which price a history row is about, `price` or `override_price`.

Once a hub is enrolled, HQ changes a product's `price` and the store its `override_price`
(hub/catalogue/ownership.toml), and a scheduled, bulk or imported change can land on either.
0003's `source` says why a price changed but not which of the two did, so a row could not say
whether the shelf price moved. Rows written before this migration were all about `price`.
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    "ALTER TABLE price_history ADD COLUMN field TEXT NOT NULL DEFAULT 'price'"
    " CHECK (field IN ('price', 'override_price'))",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
