"""0011 the queue of device inventory documents that could not be applied (filled by the unapplied-documents work)."""

from __future__ import annotations

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    """Nothing yet: this number is reserved while the feature is built."""
