"""0024 bridge: the outbox of facts for HQ and the bridge's state (slot; filled by the cloud bridge)."""

from __future__ import annotations

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    pass
