"""The reference-data change feed (DESIGN.md section 4).

Every feature that changes reference data calls `record_change` inside its own transaction, so
the feed and the tables never disagree. Clients read it with a cursor `<epoch>:<seq>`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Literal

RECORD_SQL = """
INSERT INTO changes (entity, entity_id, version, op, data, recorded_at)
VALUES (:entity, :entity_id, :version, :op, :data, :recorded_at)
"""
SINCE_SQL = """
SELECT seq, entity, entity_id, version, op, data, recorded_at
FROM changes WHERE seq > :after ORDER BY seq LIMIT :limit
"""


def record_change(
    conn: sqlite3.Connection,
    entity: str,
    entity_id: str,
    version: int,
    op: Literal["upsert", "delete"],
    data: dict[str, Any] | None,
) -> int:
    """Append one change row; returns its seq. Call inside the transaction that made the change."""
    if op not in ("upsert", "delete"):
        raise ValueError(f"unknown change op {op!r}")
    recorded_at = conn.stamp() if hasattr(conn, "stamp") else None
    cur = conn.execute(
        RECORD_SQL,
        {
            "entity": entity,
            "entity_id": entity_id,
            "version": version,
            "op": op,
            "data": json.dumps(data, separators=(",", ":"), sort_keys=True) if data is not None else None,
            "recorded_at": recorded_at,
        },
    )
    return int(cur.lastrowid)


def latest_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(seq) FROM changes").fetchone()
    return int(row[0] or 0)


def changes_since(conn: sqlite3.Connection, after: int, limit: int = 1000) -> list[dict[str, Any]]:
    rows = conn.execute(SINCE_SQL, {"after": after, "limit": limit}).fetchall()
    return [
        {**dict(r), "data": json.loads(r["data"]) if r["data"] is not None else None} for r in rows
    ]
