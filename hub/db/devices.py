"""Paired devices (tills) and their one-time pairing codes; secrets are kept only as SHA-256.

`pending_uploads` is written by till sync (the till reports its queue); nothing here changes it.
`touch` records when and from where a device was last seen: telemetry, so it bumps no version,
publishes no change and is not audited.
"""

from __future__ import annotations

import secrets
import sqlite3
from typing import Any

from hub.db.changes import record_change
from hub.db.tokens import hash_token
from hub.ids import new_id

DEVICE_TOKEN_PREFIX = "shd_"

DEVICE_SQL = """
SELECT d.id, d.name, d.kind, d.platform, d.app_version, d.serial, d.license_id,
       d.paired_at, d.paired_by, pu.username AS paired_by_username, d.last_seen_at, d.last_address,
       d.pending_uploads, d.revoked_at, d.revoked_by, d.version, d.created_at, d.updated_at
FROM devices d LEFT JOIN users pu ON pu.id = d.paired_by
"""
INSERT_SQL = """
INSERT INTO devices (id, name, kind, platform, app_version, serial, token_hash, license_id,
                     paired_at, paired_by, last_seen_at, last_address, version, created_at, updated_at)
VALUES (:id, :name, 'till', :platform, :app_version, :serial, :token_hash, :license_id,
        :now, :paired_by, :now, :address, 1, :now, :now)
"""
LIST_SQL = DEVICE_SQL + """
WHERE (:after IS NULL OR d.id > :after) AND (:all OR d.revoked_at IS NULL)
ORDER BY d.id LIMIT :limit
"""
BY_TOKEN_SQL = "SELECT id, name, revoked_at FROM devices WHERE token_hash = :hash"
TOUCH_SQL = """
UPDATE devices SET last_seen_at = :at, last_address = :address
WHERE id = :id AND revoked_at IS NULL
"""
# The portal's back-office till (hub.quotations.backoffice) takes no license seat: it is the hub itself.
LIVE_SQL = "SELECT count(*) FROM devices WHERE revoked_at IS NULL AND platform != 'backoffice'"
LIVE_ON_LICENSE_SQL = """
SELECT count(*) FROM devices WHERE revoked_at IS NULL AND license_id = :license_id
  AND (:except IS NULL OR id != :except)
"""
# Live devices whose license (if any) is not active at :now: candidates for a new license's seats.
UNCOVERED_SQL = """
SELECT d.id FROM devices d LEFT JOIN licenses l ON l.id = d.license_id
WHERE d.revoked_at IS NULL AND d.platform != 'backoffice' AND (l.id IS NULL OR l.expires_at <= :now)
ORDER BY d.id
"""
UPDATABLE = frozenset({"name", "license_id", "revoked_at", "revoked_by"})

CODE_INSERT_SQL = """
INSERT INTO pairing_codes (id, code_hash, created_by, created_at, expires_at)
VALUES (:id, :code_hash, :created_by, :created_at, :expires_at)
"""
CODE_SQL = """
SELECT id, created_by, created_at, expires_at, used_at, device_id FROM pairing_codes
WHERE code_hash = :hash
"""


def _publish(conn: sqlite3.Connection, device: dict[str, Any]) -> None:
    record_change(conn, "device", device["id"], device["version"], "upsert", device)


def get_device(conn: sqlite3.Connection, device_id: str) -> dict[str, Any] | None:
    row = conn.execute(DEVICE_SQL + " WHERE d.id = :id", {"id": device_id}).fetchone()
    return dict(row) if row else None


def list_devices(conn: sqlite3.Connection, *, include_revoked: bool = False, after: str | None = None,
                 limit: int = 100) -> list[dict[str, Any]]:
    """Devices in pairing order (ids are UUIDv7), a page after `after`."""
    params = {"after": after, "all": int(include_revoked), "limit": limit}
    return [dict(r) for r in conn.execute(LIST_SQL, params)]


def create_device(conn: sqlite3.Connection, *, name: str, platform: str, app_version: str,
                  serial: str | None, paired_by: str | None, license_id: str | None,
                  address: str | None) -> tuple[str, dict[str, Any]]:
    """Pair a device; returns (its token, shown once, and the device row)."""
    secret = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    device_id = new_id()
    conn.execute(INSERT_SQL, {
        "id": device_id, "name": name, "platform": platform, "app_version": app_version,
        "serial": serial, "token_hash": hash_token(secret), "license_id": license_id,
        "paired_by": paired_by, "address": address, "now": conn.stamp()})
    device = get_device(conn, device_id)
    assert device is not None
    _publish(conn, device)
    return secret, device


def update_device(conn: sqlite3.Connection, device_id: str, **fields: Any) -> dict[str, Any]:
    """Set the given columns, bump the version, publish the change; returns the new row."""
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)}")
    sets = "".join(f"{k} = :{k}, " for k in fields)
    conn.execute(f"UPDATE devices SET {sets}version = version + 1, updated_at = :now WHERE id = :id",
                 {**fields, "id": device_id, "now": conn.stamp()})
    device = get_device(conn, device_id)
    if device is None:
        raise KeyError(device_id)
    _publish(conn, device)
    return device


def find_by_token(conn: sqlite3.Connection, token: str) -> dict[str, Any] | None:
    """The device (id, name, revoked_at) holding `token`, revoked or not; None when unknown."""
    row = conn.execute(BY_TOKEN_SQL, {"hash": hash_token(token)}).fetchone()
    return dict(row) if row else None


def touch(conn: sqlite3.Connection, device_id: str, address: str | None) -> None:
    conn.execute(TOUCH_SQL, {"id": device_id, "address": address, "at": conn.stamp()})


def count_live(conn: sqlite3.Connection) -> int:
    """Devices not revoked: the seats in use."""
    return int(conn.execute(LIVE_SQL).fetchone()[0])


def count_live_on_license(conn: sqlite3.Connection, license_id: str, *,
                          except_device: str | None = None) -> int:
    params = {"license_id": license_id, "except": except_device}
    return int(conn.execute(LIVE_ON_LICENSE_SQL, params).fetchone()[0])


def uncovered(conn: sqlite3.Connection, now: str) -> list[str]:
    """Ids of live devices without an active license at `now`."""
    return [r[0] for r in conn.execute(UNCOVERED_SQL, {"now": now})]


def create_code(conn: sqlite3.Connection, code: str, *, created_by: str | None, created_at: str,
                expires_at: str) -> dict[str, Any]:
    row = {"id": new_id(), "code_hash": hash_token(code), "created_by": created_by,
           "created_at": created_at, "expires_at": expires_at}
    conn.execute(CODE_INSERT_SQL, row)
    return {k: v for k, v in row.items() if k != "code_hash"}


def find_code(conn: sqlite3.Connection, code: str) -> dict[str, Any] | None:
    row = conn.execute(CODE_SQL, {"hash": hash_token(code)}).fetchone()
    return dict(row) if row else None


def use_code(conn: sqlite3.Connection, code_id: str, device_id: str) -> None:
    conn.execute("UPDATE pairing_codes SET used_at = :now, device_id = :device WHERE id = :id",
                 {"id": code_id, "device": device_id, "now": conn.stamp()})


def clock_skew(conn: sqlite3.Connection, device_id: str) -> tuple[bool, int | None]:
    """(whether the device is paired here, its recorded clock skew in milliseconds or None)."""
    row = conn.execute("SELECT clock_skew_ms FROM devices WHERE id = :id", {"id": device_id}).fetchone()
    return (False, None) if row is None else (True, row[0])
