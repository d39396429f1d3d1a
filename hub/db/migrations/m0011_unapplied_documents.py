"""0011 inventory documents sent by devices (stock-take counts and adjustments made offline), kept
by their device-made `document_id` so a replay is recognised, and the queue of those that could
not be applied (docs/inventory.md, "Unapplied documents").

Every document a device sends is kept here, applied or not: `queued` = 1 marks one that could not
be applied when it arrived, and only those are listed as unapplied documents. Status: queued
(waiting for a manager), applied (its lines went through the stock-take or adjustment service;
`applied_type`/`applied_id` name the document they made or joined), discarded (a manager decided
it is not applied, with a reason). A document is never deleted: nothing a device sent is dropped.
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    """CREATE TABLE device_documents (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        document_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('count', 'adjustment')),
        device_id TEXT NOT NULL,
        user_id TEXT,
        username TEXT,
        device_clock TEXT,
        happened_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        body TEXT NOT NULL,
        body_hash TEXT NOT NULL,
        line_count INTEGER NOT NULL CHECK (line_count >= 0),
        status TEXT NOT NULL CHECK (status IN ('queued', 'applied', 'discarded')),
        queued INTEGER NOT NULL DEFAULT 0 CHECK (queued IN (0, 1)),
        reason TEXT,
        detail TEXT NOT NULL DEFAULT '',
        failing TEXT NOT NULL DEFAULT '[]',
        attempts INTEGER NOT NULL DEFAULT 1,
        mappings TEXT NOT NULL DEFAULT '{}',
        applied_type TEXT,
        applied_id TEXT,
        applied_at TEXT,
        applied_by_id TEXT,
        applied_by TEXT,
        authority TEXT CHECK (authority IN ('device_user', 'manager')),
        discarded_at TEXT,
        discarded_by_id TEXT,
        discarded_by TEXT,
        discard_reason TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 1
    )""",
    "CREATE INDEX device_documents_queue ON device_documents (status, seq) WHERE queued = 1",
    "CREATE INDEX device_documents_device ON device_documents (device_id, seq) WHERE queued = 1",
    # What a device sent is never taken back (DESIGN.md section 3): discarding only marks it.
    """CREATE TRIGGER device_documents_no_delete BEFORE DELETE ON device_documents
       BEGIN SELECT RAISE(ABORT, 'device documents are never deleted'); END""",
    """CREATE TRIGGER device_documents_body_fixed BEFORE UPDATE OF document_id, kind, device_id, user_id, body,
       body_hash, received_at ON device_documents
       BEGIN SELECT RAISE(ABORT, 'what a device sent is never edited'); END""",
    """CREATE TRIGGER device_documents_final BEFORE UPDATE ON device_documents
       WHEN OLD.status IN ('applied', 'discarded')
       BEGIN SELECT RAISE(ABORT, 'an applied or discarded device document is never changed'); END""",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
