"""0030 bridge_product_local: `product_local` facts in the HQ outbox (docs/cloud-bridge.md)."""

from __future__ import annotations

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    pass
