"""0010 stock transfers between the chain's stores (filled by the transfers work)."""

from __future__ import annotations

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    """Nothing yet: this number is reserved while the feature is built."""
