"""0027 fiscal_documents: buyer data and printed fiscal documents (slot)."""

from __future__ import annotations

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    pass
