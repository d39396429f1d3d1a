"""0016 refunds, returns and price corrections (filled by the refunds work)."""

from __future__ import annotations

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    """Nothing yet: this number is reserved while the feature is built."""
