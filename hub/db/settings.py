"""Store settings: reference data (name, code, time zone, ...), one JSON value per key."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hub.db.changes import record_change

UPSERT_SQL = """
INSERT INTO settings (key, value, version, updated_at) VALUES (:key, :value, 1, :now)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = settings.version + 1,
                                updated_at = excluded.updated_at
RETURNING version
"""


def get_setting(conn: sqlite3.Connection, key: str, default: Any = None) -> Any:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else default


def all_settings(conn: sqlite3.Connection) -> dict[str, Any]:
    return {r[0]: json.loads(r[1]) for r in conn.execute("SELECT key, value FROM settings ORDER BY key")}


def put_setting(conn: sqlite3.Connection, key: str, value: Any) -> int:
    """Set one setting and publish it on the change feed; returns its new version."""
    version = conn.execute(
        UPSERT_SQL, {"key": key, "value": json.dumps(value), "now": conn.stamp()}
    ).fetchone()[0]
    record_change(conn, "setting", key, version, "upsert", {"key": key, "value": value})
    return int(version)
