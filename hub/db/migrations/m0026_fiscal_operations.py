"""0026 fiscal_operations: fiscal day schedule, certificate renewal, reports (slot)."""

from __future__ import annotations

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    pass
