"""Clearing the shelf-label queue: the one path the API and the portal share (one audit entry)."""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.db import audit, labels
from hub.db.audit import Actor

LIST_BATCH = 500


def clear(conn: sqlite3.Connection, actor: Actor, product_ids: list[str], as_of: str | None) -> int:
    """Take printed products off the queue; with `as_of`, a product queued again since stays."""
    cleared = labels.clear(conn, product_ids, as_of)
    audit.append(conn, actor, "labels.cleared", "label_queue", None,
                 detail={"requested": len(set(product_ids)), "cleared": cleared, "as_of": as_of})
    return cleared


def queued_ids(conn: sqlite3.Connection) -> list[str]:
    """Every product on the queue now, oldest change first."""
    found: list[dict[str, Any]] = []
    while batch := labels.list_queue(conn, after=(found[-1]["queued_at"], found[-1]["product_id"])
                                     if found else None, limit=LIST_BATCH):
        found.extend(batch)
    return [row["product_id"] for row in found]
