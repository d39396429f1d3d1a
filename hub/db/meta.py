"""The `meta` table: the hub's identity (hub id, store id, epoch), demo flag and time floor."""

from __future__ import annotations

import sqlite3

from hub.ids import new_id

GET_SQL = "SELECT value FROM meta WHERE key = :key"
SET_SQL = """
INSERT INTO meta (key, value) VALUES (:key, :value)
ON CONFLICT (key) DO UPDATE SET value = excluded.value
"""


def get(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    row = conn.execute(GET_SQL, {"key": key}).fetchone()
    return row[0] if row else default


def put(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(SET_SQL, {"key": key, "value": value})


def all_values(conn: sqlite3.Connection) -> dict[str, str]:
    return {r[0]: r[1] for r in conn.execute("SELECT key, value FROM meta")}


def is_demo(conn: sqlite3.Connection) -> bool:
    return get(conn, "demo") == "1"


def new_epoch(conn: sqlite3.Connection) -> str:
    """Give the database a new epoch: every client cursor of the old one becomes unknown (410)."""
    epoch = new_id()
    put(conn, "epoch", epoch)
    return epoch
