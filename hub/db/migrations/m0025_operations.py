"""0025 operations: the operations feature's settings, its backup runs and its updates (docs/operations.md).

`ops_settings`: key/value settings of operations (backup times and interval, retention, the USB
copy directory, the backup recipient's public key and its id, the UPS source, trading hours for
updates), one JSON value per key; defaults live in hub.ops.config.

`ops_backups`: one row per backup the hub took (scheduled or on demand): when, how it ended, its
scratch-restore verification, its encrypted bundle and where copies went (USB, HQ: `not_yet_bridge`
while the bridge has no upload), and when retention removed it.

`ops_updates`: every update attempt: from and to which version, forced or not, and how it ended
(installed and waiting for its health check, healthy, rolled back, refused, failed).
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    """CREATE TABLE ops_settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE ops_backups (
        name TEXT PRIMARY KEY,
        trigger TEXT NOT NULL CHECK (trigger IN ('scheduled', 'manual')),
        status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        size INTEGER,
        sha256 TEXT,
        verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
        verify_detail TEXT NOT NULL DEFAULT '',
        bundle TEXT NOT NULL DEFAULT '',
        key_id TEXT NOT NULL DEFAULT '',
        usb_status TEXT NOT NULL DEFAULT 'off' CHECK (usb_status IN ('off', 'copied', 'failed')),
        usb_detail TEXT NOT NULL DEFAULT '',
        hq_status TEXT NOT NULL DEFAULT 'off'
            CHECK (hq_status IN ('off', 'not_yet_bridge', 'queued', 'sent', 'failed')),
        hq_detail TEXT NOT NULL DEFAULT '',
        error TEXT NOT NULL DEFAULT '',
        pruned_at TEXT
    )""",
    "CREATE INDEX ops_backups_started ON ops_backups (started_at)",
    """CREATE TABLE ops_updates (
        id INTEGER PRIMARY KEY,
        version TEXT NOT NULL,
        from_version TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('installed', 'healthy', 'rolled_back', 'refused', 'failed')),
        forced INTEGER NOT NULL DEFAULT 0 CHECK (forced IN (0, 1)),
        bundle_sha256 TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '',
        started_at TEXT NOT NULL,
        finished_at TEXT
    )""",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
