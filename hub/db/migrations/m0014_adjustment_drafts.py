"""0014 adjustment drafts: a draft's lines may be replaced, and a draft may be discarded.

0009 refused every DELETE of an adjustment's lines and knew no `discarded` status. A draft moves
no stock, so replacing its lines while it is a draft loses nothing the ledger holds (the audit
entry keeps the lines before and after); once it is posted, waiting, rejected or discarded its
lines stay as they are. A discarded draft is kept for the record and never changes again.

SQLite cannot change a CHECK in place, so both tables are made anew under their own names and
their rows copied: the old ones are renamed aside first (which also points the lines' foreign key
at the renamed parent), then dropped child first, so no foreign key is ever left dangling while
foreign keys are enforced inside the migration's transaction.
"""

from __future__ import annotations

import sqlite_utils

ADJUSTMENT_COLUMNS = ("id, number, status, reason_code, note, value, threshold, created_by_id, created_by, "
                      "created_at, submitted_by_id, submitted_by, submitted_at, decided_by_id, decided_by, "
                      "decided_at, decision_note, posted_at, version")
LINE_COLUMNS = "adjustment_id, line, product_id, quantity, unit_cost, cost, reason_code, note"

STATEMENTS = (
    "DROP TRIGGER adjustments_posted_no_update",
    "DROP TRIGGER adjustments_no_delete",
    "DROP TRIGGER adjustment_lines_no_update",
    "DROP TRIGGER adjustment_lines_no_delete",
    "DROP INDEX adjustments_status",
    "DROP INDEX adjustment_lines_reason",
    "ALTER TABLE adjustment_lines RENAME TO adjustment_lines_0009",
    "ALTER TABLE adjustments RENAME TO adjustments_0009",
    # status: draft (moves nothing; its lines may be replaced), pending_approval (above the value
    # threshold, moves nothing until approved), posted (its movements are in the ledger), rejected
    # (an approver refused it: never moves anything), discarded (a draft given up: never moves
    # anything; decided_by/decided_at say who and when, decision_note why).
    """CREATE TABLE adjustments (
        id TEXT PRIMARY KEY,
        number INTEGER NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('draft', 'pending_approval', 'posted', 'rejected', 'discarded')),
        reason_code TEXT,
        note TEXT NOT NULL DEFAULT '',
        value INTEGER NOT NULL DEFAULT 0,
        threshold INTEGER,
        created_by_id TEXT,
        created_by TEXT,
        created_at TEXT NOT NULL,
        submitted_by_id TEXT,
        submitted_by TEXT,
        submitted_at TEXT,
        decided_by_id TEXT,
        decided_by TEXT,
        decided_at TEXT,
        decision_note TEXT NOT NULL DEFAULT '',
        posted_at TEXT,
        version INTEGER NOT NULL DEFAULT 1
    )""",
    f"INSERT INTO adjustments ({ADJUSTMENT_COLUMNS}) SELECT {ADJUSTMENT_COLUMNS} FROM adjustments_0009",
    """CREATE TABLE adjustment_lines (
        adjustment_id TEXT NOT NULL REFERENCES adjustments (id),
        line INTEGER NOT NULL CHECK (line >= 0),
        product_id TEXT NOT NULL REFERENCES products (id),
        quantity INTEGER NOT NULL CHECK (quantity <> 0),
        unit_cost INTEGER CHECK (unit_cost >= 0),
        cost INTEGER CHECK (cost >= 0),
        reason_code TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (adjustment_id, line)
    ) WITHOUT ROWID""",
    f"INSERT INTO adjustment_lines ({LINE_COLUMNS}) SELECT {LINE_COLUMNS} FROM adjustment_lines_0009",
    "DROP TABLE adjustment_lines_0009",
    "DROP TABLE adjustments_0009",
    "CREATE INDEX adjustments_status ON adjustments (status, number)",
    "CREATE INDEX adjustment_lines_reason ON adjustment_lines (reason_code, adjustment_id)",
    """CREATE TRIGGER adjustments_posted_no_update BEFORE UPDATE ON adjustments
       WHEN OLD.status IN ('posted', 'rejected', 'discarded')
       BEGIN SELECT RAISE(ABORT, 'a posted, rejected or discarded adjustment is never edited'); END""",
    """CREATE TRIGGER adjustments_no_delete BEFORE DELETE ON adjustments
       BEGIN SELECT RAISE(ABORT, 'adjustments are never deleted'); END""",
    """CREATE TRIGGER adjustment_lines_no_update BEFORE UPDATE ON adjustment_lines
       BEGIN SELECT RAISE(ABORT, 'adjustment lines are never edited: a draft''s are replaced'); END""",
    """CREATE TRIGGER adjustment_lines_no_delete BEFORE DELETE ON adjustment_lines
       WHEN (SELECT status FROM adjustments WHERE id = OLD.adjustment_id) IS NOT 'draft'
       BEGIN SELECT RAISE(ABORT, 'adjustment lines are never deleted once it is not a draft'); END""",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
