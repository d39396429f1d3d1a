"""Operations rows: settings (hub.ops.config), backup runs and update attempts."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

SETTING_UPSERT_SQL = """
INSERT INTO ops_settings (key, value, updated_at) VALUES (:key, :value, :now)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
"""
BACKUP_COLUMNS = ("name", "trigger", "status", "started_at", "finished_at", "size", "sha256", "verified",
                  "verify_detail", "bundle", "key_id", "usb_status", "usb_detail", "hq_status", "hq_detail",
                  "error")
BACKUP_INSERT_SQL = (f"INSERT OR REPLACE INTO ops_backups ({', '.join(BACKUP_COLUMNS)}) "
                     f"VALUES ({', '.join(':' + c for c in BACKUP_COLUMNS)})")
BACKUPS_SQL = "SELECT * FROM ops_backups ORDER BY started_at DESC, name DESC LIMIT :limit"
LAST_SCHEDULED_SQL = ("SELECT started_at FROM ops_backups WHERE trigger = 'scheduled' "
                      "ORDER BY started_at DESC LIMIT 1")
LAST_OK_SQL = "SELECT * FROM ops_backups WHERE status = 'ok' ORDER BY started_at DESC LIMIT 1"
UPDATE_INSERT_SQL = """
INSERT INTO ops_updates (version, from_version, status, forced, bundle_sha256, detail, started_at, finished_at)
VALUES (:version, :from_version, :status, :forced, :bundle_sha256, :detail, :started_at, :finished_at)
RETURNING id
"""


def settings(conn: sqlite3.Connection) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM ops_settings")}


def put_setting(conn: sqlite3.Connection, key: str, value: Any) -> None:
    conn.execute(SETTING_UPSERT_SQL, {"key": key, "value": json.dumps(value), "now": conn.stamp()})  # type: ignore[attr-defined]


def record_backup(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    conn.execute(BACKUP_INSERT_SQL, {c: row.get(c) for c in BACKUP_COLUMNS})


def mark_pruned(conn: sqlite3.Connection, name: str, at: str) -> None:
    conn.execute("UPDATE ops_backups SET pruned_at = :at WHERE name = :name AND pruned_at IS NULL",
                 {"name": name, "at": at})


def backups(conn: sqlite3.Connection, limit: int = 200) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(BACKUPS_SQL, {"limit": limit})]


def backup(conn: sqlite3.Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM ops_backups WHERE name = ?", (name,)).fetchone()
    return dict(row) if row else None


def last_scheduled(conn: sqlite3.Connection) -> str | None:
    row = conn.execute(LAST_SCHEDULED_SQL).fetchone()
    return row[0] if row else None


def last_ok(conn: sqlite3.Connection) -> dict[str, Any] | None:
    row = conn.execute(LAST_OK_SQL).fetchone()
    return dict(row) if row else None


def record_update(conn: sqlite3.Connection, row: dict[str, Any]) -> int:
    return int(conn.execute(UPDATE_INSERT_SQL, row).fetchone()[0])


def finish_update(conn: sqlite3.Connection, update_id: int, status: str, detail: str, at: str) -> None:
    conn.execute("UPDATE ops_updates SET status = :status, detail = :detail, finished_at = :at WHERE id = :id",
                 {"id": update_id, "status": status, "detail": detail, "at": at})


def updates(conn: sqlite3.Connection, limit: int = 20) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute("SELECT * FROM ops_updates ORDER BY id DESC LIMIT ?", (limit,))]
