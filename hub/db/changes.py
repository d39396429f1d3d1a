"""The reference-data change feed (DESIGN.md section 4).

Every feature that changes reference data calls `record_change` inside its own transaction, so
the feed and the tables never disagree. Clients read it with a cursor `<epoch>:<seq>`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Literal

RECORD_SQL = """
INSERT INTO changes (entity, entity_id, version, op, data, recorded_at, txn)
VALUES (:entity, :entity_id, :version, :op, :data, :recorded_at, :txn)
"""
# Before migration 22 (a migration's own code, or a test of an older schema): no marks.
RECORD_UNMARKED_SQL = """
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
    """Append one change row; returns its seq. Call inside the transaction that made the change.

    The rows one transaction records share a mark, `txn` (the seq of its first row, NULL on that
    row), so the feed never hands a till half of them (hub.sync.feed). The mark lives on the
    connection (HubConnection.feed_txn), which hub.db.connection.transaction clears at BEGIN.
    """
    if op not in ("upsert", "delete"):
        raise ValueError(f"unknown change op {op!r}")
    recorded_at = conn.stamp() if hasattr(conn, "stamp") else None
    first = getattr(conn, "feed_txn", None) if conn.in_transaction else None
    values = {
        "entity": entity,
        "entity_id": entity_id,
        "version": version,
        "op": op,
        "data": json.dumps(data, separators=(",", ":"), sort_keys=True) if data is not None else None,
        "recorded_at": recorded_at,
        "txn": first,
    }
    try:
        cur = conn.execute(RECORD_SQL, values)
    except sqlite3.OperationalError as err:
        if "txn" not in str(err):
            raise
        cur = conn.execute(RECORD_UNMARKED_SQL, values)
    seq = int(cur.lastrowid)
    if first is None and conn.in_transaction and hasattr(conn, "feed_txn"):
        conn.feed_txn = seq
    return seq


def record_changes(
    conn: sqlite3.Connection,
    entity: str,
    rows: list[tuple[str, int, dict[str, Any] | None]],
    op: Literal["upsert", "delete"] = "upsert",
) -> None:
    """`record_change` for several rows of one entity, (entity_id, version, data) each, in order:
    one stamp and one statement for them all (a sale's stock levels)."""
    if not rows:
        return
    if op not in ("upsert", "delete"):
        raise ValueError(f"unknown change op {op!r}")
    first = getattr(conn, "feed_txn", None) if conn.in_transaction else None
    if first is None or not hasattr(conn, "stamp"):
        entity_id, version, data = rows[0]
        record_change(conn, entity, entity_id, version, op, data)  # the transaction's mark, or no marks at all
        rows = rows[1:]
        first = getattr(conn, "feed_txn", None) if conn.in_transaction else None
        if first is None or not rows:
            for entity_id, version, data in rows:
                record_change(conn, entity, entity_id, version, op, data)
            return
    recorded_at = conn.stamp()  # type: ignore[attr-defined]
    conn.executemany(RECORD_SQL, [
        {"entity": entity, "entity_id": entity_id, "version": version, "op": op,
         "data": json.dumps(data, separators=(",", ":"), sort_keys=True) if data is not None else None,
         "recorded_at": recorded_at, "txn": first}
        for entity_id, version, data in rows])


def latest_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(seq) FROM changes").fetchone()
    return int(row[0] or 0)


def changes_since(conn: sqlite3.Connection, after: int, limit: int = 1000) -> list[dict[str, Any]]:
    rows = conn.execute(SINCE_SQL, {"after": after, "limit": limit}).fetchall()
    return [
        {**dict(r), "data": json.loads(r["data"]) if r["data"] is not None else None} for r in rows
    ]
