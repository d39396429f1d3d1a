"""0013 sales, their lines and tenders, and the exception queue (filled by the sales work)."""

from __future__ import annotations

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    """Nothing yet: this number is reserved while the feature is built."""
