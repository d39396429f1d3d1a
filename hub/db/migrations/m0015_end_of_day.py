"""0015 end of day: the store's trading days and bank deposits (filled by the end-of-day work)."""

from __future__ import annotations

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    """Nothing yet: this number is reserved while the feature is built."""
