"""0022 sync_feed: filled by the feature that owns it (not shipped yet)."""

from __future__ import annotations

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    pass
