"""Exception records (m0013): one per (kind, subject), raised by the documents that find a cause
(a sale's unknown product, closed shift, ...) and resolved or dismissed by a manager."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

RAISE_SQL = """
INSERT INTO exceptions (id, kind, subject_type, subject_id, sale_id, device_id, detail, status, raised_at)
VALUES (:id, :kind, :subject_type, :subject_id, :sale_id, :device_id, :detail, 'open', :raised_at)
ON CONFLICT (kind, subject_type, subject_id) DO NOTHING
"""
LIST_SQL = """
SELECT * FROM exceptions
WHERE (:kind IS NULL OR kind = :kind) AND (:status IS NULL OR status = :status)
  AND (:sale_id IS NULL OR sale_id = :sale_id)
  AND (:before IS NULL OR id < :before)
ORDER BY id DESC LIMIT :limit
"""
CLOSE_SQL = """
UPDATE exceptions SET status = :status, resolved_by = :user_id, resolved_by_name = :username,
       resolved_at = :at, note = :note, version = version + 1
WHERE id = :id AND status = 'open'
"""


def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    record = dict(row)
    record["detail"] = json.loads(record["detail"])
    return record


def raise_once(conn: sqlite3.Connection, record: dict[str, Any]) -> bool:
    """Insert an open exception unless one of its (kind, subject) exists; True when inserted."""
    params = {**record, "detail": json.dumps(record.get("detail") or {}, sort_keys=True)}
    return conn.execute(RAISE_SQL, params).rowcount == 1


def get(conn: sqlite3.Connection, exception_id: str) -> dict[str, Any] | None:
    return _row(conn.execute("SELECT * FROM exceptions WHERE id = :id", {"id": exception_id}).fetchone())


def list_exceptions(conn: sqlite3.Connection, *, kind: str | None = None, status: str | None = None,
                    sale_id: str | None = None, before: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Newest raised first (ids are UUIDv7), a page before the cursor id."""
    params = {"kind": kind, "status": status, "sale_id": sale_id, "before": before, "limit": limit}
    return [_row(r) for r in conn.execute(LIST_SQL, params)]  # type: ignore[misc]


def for_sale(conn: sqlite3.Connection, sale_id: str) -> list[dict[str, Any]]:
    return [_row(r) for r in conn.execute(  # type: ignore[misc]
        "SELECT * FROM exceptions WHERE sale_id = :id ORDER BY kind, subject_id", {"id": sale_id})]


def close(conn: sqlite3.Connection, exception_id: str, *, status: str, user_id: str | None,
          username: str | None, at: str, note: str) -> bool:
    """Resolve or dismiss an open exception; False when it is not open."""
    params = {"id": exception_id, "status": status, "user_id": user_id, "username": username, "at": at, "note": note}
    return conn.execute(CLOSE_SQL, params).rowcount == 1
