"""0029 fiscal_recovery: clock trust, offline files and recovery after a restore (slot)."""

from __future__ import annotations

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    pass
