"""0025 operations: backup schedule and copies, clock samples, updates (slot)."""

from __future__ import annotations

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    pass
