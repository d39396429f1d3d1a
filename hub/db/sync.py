"""Till sync's rows (m0018): uploaded events, the quarantine, each till's sync state and the
loss-prevention records. Facts are inserted, never edited; a quarantined fact's decision is set once."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

EVENT_COLUMNS = ("device_id", "device_seq", "event_id", "type", "user_id", "device_time", "payload_hash", "payload",
                 "shift_id", "status", "applied_type", "applied_id", "exceptions", "quarantine_id", "received_at")
INSERT_EVENT_SQL = (f"INSERT INTO sync_events ({', '.join(EVENT_COLUMNS)}) "
                    f"VALUES ({', '.join(':' + c for c in EVENT_COLUMNS)})")
QUARANTINE_COLUMNS = ("id", "device_id", "device_seq", "event_id", "type", "user_id", "device_time", "payload_hash",
                      "payload", "reason", "detail", "exception_id", "received_at")
INSERT_QUARANTINE_SQL = (f"INSERT INTO sync_quarantine ({', '.join(QUARANTINE_COLUMNS)}) "
                         f"VALUES ({', '.join(':' + c for c in QUARANTINE_COLUMNS)})")
LP_COLUMNS = ("id", "device_id", "device_seq", "kind", "cashier_id", "cashier_name", "supervisor_id",
              "supervisor_name", "shift_id", "sale_id", "product_id", "code", "name", "quantity", "currency", "amount",
              "price_before", "price_after", "reason", "lines", "document", "training", "device_time", "occurred_at",
              "recorded_at")
INSERT_LP_SQL = (f"INSERT INTO till_lp_events ({', '.join(LP_COLUMNS)}) "
                 f"VALUES ({', '.join(':' + c for c in LP_COLUMNS)})")
SLOTS_SQL = """
SELECT device_seq, event_id, payload_hash, status, quarantine_id FROM sync_events
WHERE device_id = :device_id AND device_seq BETWEEN :first AND :last
"""
HELD_EVENT_SQL = ("SELECT * FROM sync_events WHERE event_id = :event_id AND status != 'duplicate'"
                  " ORDER BY status != 'applied', hub_seq LIMIT 1")
ENSURE_DEVICE_SQL = "INSERT INTO sync_devices (device_id) VALUES (:device_id) ON CONFLICT (device_id) DO NOTHING"
ACKED_SQL = """
UPDATE sync_devices SET acked_through = :acked, applied = applied + :applied, duplicates = duplicates + :duplicates,
       quarantined = quarantined + :quarantined, last_upload_at = :at
WHERE device_id = :device_id
"""
SKEW_SQL = "UPDATE sync_devices SET skew_ms = :skew, skew_at = :at WHERE device_id = :device_id"
DEVICE_SKEW_SQL = "UPDATE devices SET clock_skew_ms = :skew WHERE id = :device_id"
STATUS_SQL = """
UPDATE sync_devices SET queue_depth = :queue_depth, oldest_unsent_seq = :oldest_unsent_seq,
       oldest_unsent_at = :oldest_unsent_at, last_failed_request = :last_failed_request, last_error = :last_error,
       last_failed_at = :last_failed_at, app_version = :app_version, protocol_version = :protocol_version,
       offline_seconds = :offline_seconds, device_time = :device_time, reported_at = :reported_at
WHERE device_id = :device_id
"""
PENDING_SQL = "UPDATE devices SET pending_uploads = :pending WHERE id = :device_id"
QUARANTINE_LIST_SQL = """
SELECT q.*, d.name AS device_name, u.username AS username FROM sync_quarantine q
LEFT JOIN devices d ON d.id = q.device_id LEFT JOIN users u ON u.id = q.user_id
WHERE (:status IS NULL OR q.status = :status) AND (:device_id IS NULL OR q.device_id = :device_id)
  AND (:before IS NULL OR q.id < :before)
ORDER BY q.id DESC LIMIT :limit
"""
DECIDE_SQL = """
UPDATE sync_quarantine SET status = :status, decided_by = :user_id, decided_by_name = :username, decided_at = :at,
       note = :note, applied_type = :applied_type, applied_id = :applied_id, version = version + 1
WHERE id = :id AND status = 'pending'
"""
MONITOR_SQL = """
SELECT d.id, d.name, d.code, d.app_version AS paired_app_version, d.last_seen_at, d.last_address, d.revoked_at,
       d.clock_skew_ms, d.pending_uploads, s.acked_through, s.applied, s.duplicates, s.quarantined,
       s.last_upload_at, s.skew_at, s.queue_depth, s.oldest_unsent_seq, s.oldest_unsent_at, s.last_failed_request,
       s.last_error, s.last_failed_at, s.app_version, s.protocol_version, s.offline_seconds, s.device_time,
       s.reported_at,
       (SELECT count(*) FROM sync_quarantine q WHERE q.device_id = d.id AND q.status = 'pending') AS pending_quarantine
FROM devices d LEFT JOIN sync_devices s ON s.device_id = d.id
WHERE d.kind = 'till' AND d.platform != 'backoffice'
ORDER BY d.revoked_at IS NOT NULL, d.name, d.id
"""
SHIFT_EVENTS_SQL = """
SELECT event_id, type, payload FROM sync_events
WHERE shift_id = :shift_id AND device_id = :device_id AND status != 'duplicate'
ORDER BY event_id LIMIT :limit
"""


def insert_event(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    conn.execute(INSERT_EVENT_SQL, {**row, "exceptions": json.dumps(row.get("exceptions") or [])})


def slots(conn: sqlite3.Connection, device_id: str, first: int, last: int) -> dict[int, dict[str, Any]]:
    """The held events of `device_id` with seqs from `first` through `last`, by seq."""
    return {r["device_seq"]: dict(r) for r in conn.execute(SLOTS_SQL, {"device_id": device_id, "first": first,
                                                                        "last": last})}


def held_event(conn: sqlite3.Connection, event_id: str) -> dict[str, Any] | None:
    row = conn.execute(HELD_EVENT_SQL, {"event_id": event_id}).fetchone()
    return dict(row) if row else None


def device_state(conn: sqlite3.Connection, device_id: str) -> dict[str, Any]:
    """The till's sync row (made on first use)."""
    conn.execute(ENSURE_DEVICE_SQL, {"device_id": device_id})
    return dict(conn.execute("SELECT * FROM sync_devices WHERE device_id = :id", {"id": device_id}).fetchone())


def read_state(conn: sqlite3.Connection, device_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM sync_devices WHERE device_id = :id", {"id": device_id}).fetchone()
    return dict(row) if row else None


def acked(conn: sqlite3.Connection, device_id: str, acked_through: int, counts: dict[str, int], at: str) -> None:
    conn.execute(ACKED_SQL, {"device_id": device_id, "acked": acked_through, "at": at,
                             "applied": counts.get("applied", 0), "duplicates": counts.get("duplicate", 0),
                             "quarantined": counts.get("quarantined", 0)})


def set_skew(conn: sqlite3.Connection, device_id: str, skew_ms: int, at: str) -> None:
    """The till's clock minus the hub's: telemetry (no version, no change row, no audit entry)."""
    conn.execute(ENSURE_DEVICE_SQL, {"device_id": device_id})
    conn.execute(SKEW_SQL, {"device_id": device_id, "skew": skew_ms, "at": at})
    conn.execute(DEVICE_SKEW_SQL, {"device_id": device_id, "skew": skew_ms})


def set_status(conn: sqlite3.Connection, device_id: str, report: dict[str, Any]) -> None:
    """The till's latest report, and its queue depth as the device's pending uploads (telemetry)."""
    conn.execute(ENSURE_DEVICE_SQL, {"device_id": device_id})
    conn.execute(STATUS_SQL, {**report, "device_id": device_id})
    conn.execute(PENDING_SQL, {"device_id": device_id, "pending": report["queue_depth"]})


def insert_quarantine(conn: sqlite3.Connection, row: dict[str, Any]) -> bool:
    """Keep a fact in quarantine; False when that very fact is quarantined already."""
    try:
        conn.execute(INSERT_QUARANTINE_SQL, row)
    except sqlite3.IntegrityError:
        return False
    return True


def find_quarantine(conn: sqlite3.Connection, device_id: str, device_seq: int, event_id: str,
                    payload_hash: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM sync_quarantine WHERE device_id = ? AND device_seq = ? AND event_id = ?"
                       " AND payload_hash = ?", (device_id, device_seq, event_id, payload_hash)).fetchone()
    return dict(row) if row else None


def get_quarantine(conn: sqlite3.Connection, quarantine_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT q.*, d.name AS device_name, u.username AS username FROM sync_quarantine q"
                       " LEFT JOIN devices d ON d.id = q.device_id LEFT JOIN users u ON u.id = q.user_id"
                       " WHERE q.id = :id", {"id": quarantine_id}).fetchone()
    return dict(row) if row else None


def list_quarantine(conn: sqlite3.Connection, *, status: str | None = None, device_id: str | None = None,
                    before: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    params = {"status": status, "device_id": device_id, "before": before, "limit": limit}
    return [dict(r) for r in conn.execute(QUARANTINE_LIST_SQL, params)]


def decide(conn: sqlite3.Connection, quarantine_id: str, **fields: Any) -> bool:
    return conn.execute(DECIDE_SQL, {"id": quarantine_id, "applied_type": None, "applied_id": None,
                                     **fields}).rowcount == 1


def insert_lp(conn: sqlite3.Connection, row: dict[str, Any]) -> bool:
    """One loss-prevention record; False when the event is held already."""
    return conn.execute(INSERT_LP_SQL.replace("INSERT", "INSERT OR IGNORE", 1), row).rowcount == 1


def monitor(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every till with its sync state, live ones first."""
    return [dict(r) for r in conn.execute(MONITOR_SQL)]


def shift_events(conn: sqlite3.Connection, device_id: str, shift_id: str, limit: int) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(SHIFT_EVENTS_SQL, {"device_id": device_id, "shift_id": shift_id,
                                                              "limit": limit})]


def quarantine_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {r[0]: r[1] for r in conn.execute("SELECT status, count(*) FROM sync_quarantine GROUP BY status")}
