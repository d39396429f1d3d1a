"""0018 sync events: the facts tills upload, their quarantine, each till's sync state, and the
tills' loss-prevention records (docs/sync.md, "Up: facts").

`sync_events` holds one row per used `(device, device_seq)`: the event, its payload as received
and what became of it; `hub_seq` is the hub's receive order (nothing is ordered by a till's
clock). `event_id` is unique among the facts applied (a slot that carried a fact already held under
another seq is a `duplicate` and keeps no second copy of its effects). `sync_quarantine` keeps a
fact the hub did not apply (a revoked till, an unknown type, a refusal, a conflicting event under
a used seq) until a manager accepts or rejects it. `sync_devices` is each till's sync state:
what the hub acknowledged and what the till last reported. `till_lp_events` is one row per
loss-prevention fact (line deleted, basket cancelled, price override, manual discount, drawer
opened without a sale, reprint) for the per-cashier reports.
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    """CREATE TABLE sync_events (
        hub_seq INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL REFERENCES devices (id),
        device_seq INTEGER NOT NULL CHECK (device_seq >= 1),
        event_id TEXT NOT NULL,
        type TEXT NOT NULL,
        user_id TEXT,
        device_time TEXT NOT NULL,
        payload_hash TEXT NOT NULL,
        payload TEXT NOT NULL,
        shift_id TEXT,
        status TEXT NOT NULL CHECK (status IN ('applied', 'quarantined', 'duplicate')),
        applied_type TEXT,
        applied_id TEXT,
        exceptions TEXT NOT NULL DEFAULT '[]',
        quarantine_id TEXT,
        received_at TEXT NOT NULL,
        UNIQUE (device_id, device_seq)
    )""",
    "CREATE UNIQUE INDEX sync_events_event ON sync_events (event_id) WHERE status = 'applied'",
    "CREATE INDEX sync_events_event_id ON sync_events (event_id)",
    "CREATE INDEX sync_events_shift ON sync_events (shift_id) WHERE shift_id IS NOT NULL",
    """CREATE TABLE sync_quarantine (
        id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices (id),
        device_seq INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        type TEXT NOT NULL,
        user_id TEXT,
        device_time TEXT NOT NULL,
        payload_hash TEXT NOT NULL,
        payload TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (reason IN ('seq_conflict', 'device_revoked', 'unknown_type', 'malformed',
                                               'refused', 'user_unknown', 'permission_missing')),
        detail TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
        exception_id TEXT,
        received_at TEXT NOT NULL,
        decided_by TEXT,
        decided_by_name TEXT,
        decided_at TEXT,
        note TEXT NOT NULL DEFAULT '',
        applied_type TEXT,
        applied_id TEXT,
        version INTEGER NOT NULL DEFAULT 1
    )""",
    "CREATE INDEX sync_quarantine_status ON sync_quarantine (status, id)",
    "CREATE UNIQUE INDEX sync_quarantine_conflict ON sync_quarantine (device_id, device_seq, event_id, payload_hash)",
    """CREATE TABLE sync_devices (
        device_id TEXT PRIMARY KEY REFERENCES devices (id),
        acked_through INTEGER NOT NULL DEFAULT 0,
        applied INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        quarantined INTEGER NOT NULL DEFAULT 0,
        last_upload_at TEXT,
        skew_ms INTEGER,
        skew_at TEXT,
        queue_depth INTEGER,
        oldest_unsent_seq INTEGER,
        oldest_unsent_at TEXT,
        last_failed_request TEXT NOT NULL DEFAULT '',
        last_error TEXT NOT NULL DEFAULT '',
        last_failed_at TEXT,
        app_version TEXT NOT NULL DEFAULT '',
        protocol_version TEXT NOT NULL DEFAULT '',
        offline_seconds INTEGER,
        device_time TEXT,
        reported_at TEXT
    )""",
    """CREATE TABLE till_lp_events (
        id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices (id),
        device_seq INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('line_deleted', 'basket_cancelled', 'price_override',
                                           'manual_discount', 'no_sale', 'reprint')),
        cashier_id TEXT,
        cashier_name TEXT NOT NULL DEFAULT '',
        supervisor_id TEXT,
        supervisor_name TEXT NOT NULL DEFAULT '',
        shift_id TEXT,
        sale_id TEXT,
        product_id TEXT,
        code TEXT NOT NULL DEFAULT '',
        name TEXT NOT NULL DEFAULT '',
        quantity INTEGER,
        currency TEXT,
        amount INTEGER,
        price_before INTEGER,
        price_after INTEGER,
        reason TEXT NOT NULL DEFAULT '',
        lines INTEGER,
        document TEXT NOT NULL DEFAULT '',
        training INTEGER NOT NULL DEFAULT 0 CHECK (training IN (0, 1)),
        device_time TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    )""",
    "CREATE INDEX till_lp_events_cashier ON till_lp_events (cashier_id, occurred_at)",
    "CREATE INDEX till_lp_events_when ON till_lp_events (occurred_at, kind)",
    # facts are never edited: a quarantined fact's decision is the only change, on its own table
    """CREATE TRIGGER sync_events_no_delete BEFORE DELETE ON sync_events
       BEGIN SELECT RAISE(ABORT, 'sync events are facts: never deleted'); END""",
    """CREATE TRIGGER till_lp_events_no_update BEFORE UPDATE ON till_lp_events
       BEGIN SELECT RAISE(ABORT, 'loss-prevention records are facts: never edited'); END""",
    """CREATE TRIGGER till_lp_events_no_delete BEFORE DELETE ON till_lp_events
       BEGIN SELECT RAISE(ABORT, 'loss-prevention records are facts: never deleted'); END""",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
