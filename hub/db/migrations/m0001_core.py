"""0001 core: identity, change feed, audit log, store settings, people and permissions."""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    # Hub identity and process-wide facts: hub_id, store_id, epoch, demo, time_floor, ...
    """CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID""",
    "INSERT INTO meta (key, value) VALUES ('time_floor', '')",
    # Reference-data change feed (DESIGN.md section 4). AUTOINCREMENT: a seq is never reused,
    # even after the oldest rows are trimmed.
    """CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        entity TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
        data TEXT,
        recorded_at TEXT
    )""",
    "CREATE INDEX changes_entity ON changes (entity, entity_id)",
    # Audit log: append-only and hash-chained.
    """CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        user_id TEXT,
        username TEXT,
        device_id TEXT,
        action TEXT NOT NULL,
        entity TEXT NOT NULL,
        entity_id TEXT,
        summary TEXT NOT NULL,
        request_id TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )""",
    "CREATE INDEX audit_log_entity ON audit_log (entity, entity_id)",
    "CREATE INDEX audit_log_user ON audit_log (user_id)",
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    # Store settings: reference data owned by this hub or HQ, one JSON value per key.
    """CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 1,
        updated_at TEXT NOT NULL
    ) WITHOUT ROWID""",
    # People and permissions.
    """CREATE TABLE roles (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        description TEXT NOT NULL DEFAULT '',
        builtin INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE role_permissions (
        role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
        permission TEXT NOT NULL,
        PRIMARY KEY (role_id, permission)
    ) WITHOUT ROWID""",
    """CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name TEXT NOT NULL,
        role_id TEXT NOT NULL REFERENCES roles (id),
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        password_hash TEXT,
        pin_hash TEXT,
        tills TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    # Bearer tokens: login (access + refresh) and named API tokens; only a hash is stored.
    """CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id),
        kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh', 'api')),
        token_hash TEXT NOT NULL UNIQUE,
        name TEXT,
        family TEXT,
        device_id TEXT,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT,
        last_used_at TEXT
    )""",
    "CREATE INDEX tokens_user ON tokens (user_id, kind)",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
