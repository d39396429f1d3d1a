"""0002 devices and licenses: paired tills, their one-time pairing codes, installed license files."""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    # Signed license files as installed (hub.licenses.service verifies them before they land here).
    # `id` is the license's own id from the file, so the same file cannot be installed twice.
    """CREATE TABLE licenses (
        id TEXT PRIMARY KEY,
        raw TEXT NOT NULL,
        customer TEXT NOT NULL,
        store_id TEXT,
        seats INTEGER NOT NULL CHECK (seats >= 1),
        features TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        installed_at TEXT NOT NULL,
        installed_by TEXT
    )""",
    # Paired tills: reference data on the change feed (never with token_hash).
    """CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'till' CHECK (kind IN ('till')),
        platform TEXT NOT NULL,
        app_version TEXT NOT NULL,
        serial TEXT,
        token_hash TEXT NOT NULL UNIQUE,
        license_id TEXT REFERENCES licenses (id),
        paired_at TEXT NOT NULL,
        paired_by TEXT,
        last_seen_at TEXT,
        last_address TEXT,
        -- Facts the till reported it still holds; maintained by till sync (sync/status), shown
        -- when a device is revoked as the sales it may still hold.
        pending_uploads INTEGER NOT NULL DEFAULT 0 CHECK (pending_uploads >= 0),
        revoked_at TEXT,
        revoked_by TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX devices_license ON devices (license_id)",
    # Revoking a till revokes the sign-ins made on it (hub.db.tokens.revoke_all_for_device).
    "CREATE INDEX tokens_device ON tokens (device_id) WHERE device_id IS NOT NULL",
    # One-time pairing codes; only a SHA-256 of the code is kept.
    """CREATE TABLE pairing_codes (
        id TEXT PRIMARY KEY,
        code_hash TEXT NOT NULL UNIQUE,
        created_by TEXT,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        device_id TEXT REFERENCES devices (id)
    )""",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
