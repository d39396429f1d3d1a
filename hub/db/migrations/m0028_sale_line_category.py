"""0028 sale_line_category: category at sale time and daily sales rollups (slot)."""

from __future__ import annotations

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    pass
