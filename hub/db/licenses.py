"""Installed license files, with the seats their devices use. Verification is hub.licenses.service's job."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

INSERT_SQL = """
INSERT INTO licenses (id, raw, customer, store_id, seats, features, issued_at, expires_at,
                      installed_at, installed_by)
VALUES (:id, :raw, :customer, :store_id, :seats, :features, :issued_at, :expires_at,
        :installed_at, :installed_by)
"""
# Never the raw file: it is kept for support and re-verification, not for the API.
LICENSE_SQL = """
SELECT l.id, l.customer, l.store_id, l.seats, l.features, l.issued_at, l.expires_at,
       l.installed_at, l.installed_by, u.username AS installed_by_username,
       (SELECT count(*) FROM devices d WHERE d.license_id = l.id AND d.revoked_at IS NULL) AS used_seats
FROM licenses l LEFT JOIN users u ON u.id = l.installed_by
"""
ACTIVE_SEATS_SQL = "SELECT coalesce(sum(seats), 0) FROM licenses WHERE expires_at > :now"
# The active license with a free seat that lasts longest (then the oldest installed).
FREE_SEAT_SQL = """
SELECT l.id FROM licenses l
WHERE l.expires_at > :now
  AND l.seats > (SELECT count(*) FROM devices d WHERE d.license_id = l.id AND d.revoked_at IS NULL)
ORDER BY l.expires_at DESC, l.installed_at LIMIT 1
"""


def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    found = dict(row)
    found["features"] = json.loads(found["features"])
    return found


def insert(conn: sqlite3.Connection, *, license_id: str, raw: str, customer: str,
           store_id: str | None, seats: int, features: list[str], issued_at: str, expires_at: str,
           installed_by: str | None) -> dict[str, Any]:
    conn.execute(INSERT_SQL, {
        "id": license_id, "raw": raw, "customer": customer, "store_id": store_id, "seats": seats,
        "features": json.dumps(features), "issued_at": issued_at, "expires_at": expires_at,
        "installed_at": conn.stamp(), "installed_by": installed_by})
    found = get(conn, license_id)
    assert found is not None
    return found


def get(conn: sqlite3.Connection, license_id: str) -> dict[str, Any] | None:
    return _row(conn.execute(LICENSE_SQL + " WHERE l.id = :id", {"id": license_id}).fetchone())


def list_licenses(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every installed license, the one expiring last first."""
    rows = conn.execute(LICENSE_SQL + " ORDER BY l.expires_at DESC, l.id").fetchall()
    return [lic for lic in map(_row, rows) if lic is not None]


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM licenses").fetchone()[0])


def active_seats(conn: sqlite3.Connection, now: str) -> int:
    """Total seats of the licenses not expired at `now`."""
    return int(conn.execute(ACTIVE_SEATS_SQL, {"now": now}).fetchone()[0])


def with_free_seat(conn: sqlite3.Connection, now: str) -> str | None:
    """Id of an active license with a free seat, or None."""
    row = conn.execute(FREE_SEAT_SQL, {"now": now}).fetchone()
    return row[0] if row else None
