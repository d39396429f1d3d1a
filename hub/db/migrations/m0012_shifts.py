"""0012 shifts: a cashier's session at one till, opened with a float and closed with a count.

A sale names the shift it was rung up in (0013). A shift is reference data the till needs (its
own open shift) and a fact trail (opened, cash movements, closed) for the manager.
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    # status: open (sales and cash movements land in it), closed (counted; later sales that name
    # it are accepted and raise a closed-shift exception).
    """CREATE TABLE shifts (
        id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices (id),
        cashier_id TEXT NOT NULL REFERENCES users (id),
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        opened_at TEXT NOT NULL,
        opened_by TEXT REFERENCES users (id),
        closed_at TEXT,
        closed_by TEXT REFERENCES users (id),
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK ((status = 'open') = (closed_at IS NULL))
    )""",
    # One open shift per till and cashier at a time.
    "CREATE UNIQUE INDEX shifts_open ON shifts (device_id, cashier_id) WHERE status = 'open'",
    "CREATE INDEX shifts_opened ON shifts (opened_at)",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
