"""Rows of inventory documents sent by devices and the queue of those not applied (migration 0011).
Only hub.inventory.unapplied writes here."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

COLUMNS = ("seq", "id", "document_id", "kind", "device_id", "user_id", "username", "device_clock", "happened_at",
           "received_at", "body", "body_hash", "line_count", "status", "queued", "reason", "detail", "failing",
           "attempts", "mappings", "applied_type", "applied_id", "applied_at", "applied_by_id", "applied_by",
           "authority", "discarded_at", "discarded_by_id", "discarded_by", "discard_reason", "updated_at",
           "version")
INSERTED = COLUMNS[1:-1]
UPDATABLE = frozenset({"status", "queued", "reason", "detail", "failing", "attempts", "mappings", "applied_type",
                       "applied_id", "applied_at", "applied_by_id", "applied_by", "authority", "discarded_at",
                       "discarded_by_id", "discarded_by", "discard_reason"})
JSON_COLUMNS = ("body", "failing", "mappings")

SELECT_SQL = f"""
SELECT {", ".join("d." + c for c in COLUMNS)}, coalesce(v.name, d.device_id) AS device_name
FROM device_documents d LEFT JOIN devices v ON v.id = d.device_id
"""
INSERT_SQL = f"""
INSERT INTO device_documents ({", ".join(INSERTED)}) VALUES ({", ".join(":" + c for c in INSERTED)})
"""
# The queue: documents that could not be applied when they arrived, newest first.
LIST_SQL = SELECT_SQL + """
WHERE d.queued = 1
  AND (:status IS NULL OR d.status = :status)
  AND (:reason IS NULL OR d.reason = :reason)
  AND (:device_id IS NULL OR d.device_id = :device_id)
  AND (:before IS NULL OR d.seq < :before)
ORDER BY d.seq DESC LIMIT :limit
"""
QUEUED_COUNT_SQL = "SELECT count(*) FROM device_documents WHERE queued = 1 AND status = 'queued'"
REASONS_SQL = "SELECT DISTINCT reason FROM device_documents WHERE queued = 1 AND reason IS NOT NULL ORDER BY reason"
DEVICES_SQL = """
SELECT DISTINCT d.device_id AS id, coalesce(v.name, d.device_id) AS name
FROM device_documents d LEFT JOIN devices v ON v.id = d.device_id WHERE d.queued = 1 ORDER BY name
"""


def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    doc = dict(row)
    for column in JSON_COLUMNS:
        doc[column] = json.loads(doc[column])
    doc["queued"] = bool(doc["queued"])
    return doc


def get(conn: sqlite3.Connection, doc_id: str) -> dict[str, Any] | None:
    return _row(conn.execute(SELECT_SQL + " WHERE d.id = :id", {"id": doc_id}).fetchone())


def by_document_id(conn: sqlite3.Connection, document_id: str) -> dict[str, Any] | None:
    return _row(conn.execute(SELECT_SQL + " WHERE d.document_id = :id", {"id": document_id}).fetchone())


def insert(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    values = {c: row.get(c) for c in INSERTED}
    for column in JSON_COLUMNS:
        values[column] = json.dumps(values[column] if values[column] is not None else
                                    ({} if column == "mappings" else []), sort_keys=True)
    values["queued"] = int(bool(values["queued"]))
    conn.execute(INSERT_SQL, values)


def update(conn: sqlite3.Connection, doc_id: str, version: int, fields: dict[str, Any], now: str) -> bool:
    """Set the given columns if the row is still at `version`; False when it changed meanwhile."""
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValueError(f"unknown device document fields {sorted(unknown)}")
    values = {k: (json.dumps(v, sort_keys=True) if k in JSON_COLUMNS else v) for k, v in fields.items()}
    if "queued" in values:
        values["queued"] = int(bool(values["queued"]))
    sets = ", ".join(f"{k} = :{k}" for k in values)
    cur = conn.execute(f"UPDATE device_documents SET {sets}, version = version + 1, updated_at = :now"
                       " WHERE id = :id AND version = :version", {**values, "now": now, "id": doc_id,
                                                                  "version": version})
    return cur.rowcount == 1


def list_queue(conn: sqlite3.Connection, *, status: str | None = None, reason: str | None = None,
               device_id: str | None = None, before: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(LIST_SQL, {"status": status, "reason": reason, "device_id": device_id, "before": before,
                                   "limit": limit})
    return [_row(r) for r in rows]  # type: ignore[misc]


def queued_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute(QUEUED_COUNT_SQL).fetchone()[0])


def reasons(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(REASONS_SQL)]


def devices(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(DEVICES_SQL)]


def device_name(conn: sqlite3.Connection, device_id: str) -> str | None:
    row = conn.execute("SELECT name FROM devices WHERE id = :id", {"id": device_id}).fetchone()
    return None if row is None else row[0]
