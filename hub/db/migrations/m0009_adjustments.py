"""0009 stock adjustments and supplier returns: documents whose posting moves stock through the
ledger (kinds `adjustment` and `supplier_return`, made by 0006), and their reason codes as rows.

Reasons are rows of `stock_reasons`, not a CHECK list, so a store (or a later migration) adds one
with an INSERT. `direction` says which way a line with that reason may move stock: `out` (a
decrease), `in` (an increase) or `any`. A document is never edited after posting: a mistake is
corrected by a new adjustment.
"""

from __future__ import annotations

import sqlite_utils

# (applies_to, code, name, direction, sort)
REASONS = (
    ("adjustment", "damaged", "Damaged", "out", 10),
    ("adjustment", "expired", "Expired", "out", 20),
    ("adjustment", "theft", "Theft or loss", "out", 30),
    ("adjustment", "found", "Found", "in", 40),
    ("adjustment", "correction", "Correction", "any", 50),
    ("supplier_return", "damaged", "Damaged", "out", 10),
    ("supplier_return", "expired", "Expired or short-dated", "out", 20),
    ("supplier_return", "wrong_item", "Wrong item delivered", "out", 30),
    ("supplier_return", "over_delivered", "Over-delivered", "out", 40),
    ("supplier_return", "recalled", "Recalled by the supplier", "out", 50),
)

STATEMENTS = (
    """CREATE TABLE stock_reasons (
        applies_to TEXT NOT NULL CHECK (applies_to IN ('adjustment', 'supplier_return')),
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'any')),
        sort INTEGER NOT NULL DEFAULT 0,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        PRIMARY KEY (applies_to, code)
    ) WITHOUT ROWID""",
    # status: draft (moves nothing), pending_approval (above the value threshold, moves nothing
    # until approved), posted (its movements are in the ledger), rejected (never moves anything).
    # value: the sum of |quantity| x cost of its lines at submission, minor units of the base currency.
    """CREATE TABLE adjustments (
        id TEXT PRIMARY KEY,
        number INTEGER NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('draft', 'pending_approval', 'posted', 'rejected')),
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
    "CREATE INDEX adjustments_status ON adjustments (status, number)",
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
    "CREATE INDEX adjustment_lines_reason ON adjustment_lines (reason_code, adjustment_id)",
    # goods_receipt_ref: plain text for now; the goods-receipt feature will validate it.
    """CREATE TABLE supplier_returns (
        id TEXT PRIMARY KEY,
        number INTEGER NOT NULL UNIQUE,
        supplier_id TEXT NOT NULL REFERENCES suppliers (id),
        goods_receipt_ref TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        value INTEGER NOT NULL DEFAULT 0,
        created_by_id TEXT,
        created_by TEXT,
        posted_at TEXT NOT NULL
    )""",
    """CREATE TABLE supplier_return_lines (
        return_id TEXT NOT NULL REFERENCES supplier_returns (id),
        line INTEGER NOT NULL CHECK (line >= 0),
        product_id TEXT NOT NULL REFERENCES products (id),
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        unit_cost INTEGER CHECK (unit_cost >= 0),
        reason_code TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (return_id, line)
    ) WITHOUT ROWID""",
    # Posted documents are never edited or deleted (DESIGN.md section 3): a mistake is corrected by a new one.
    """CREATE TRIGGER supplier_returns_no_update BEFORE UPDATE ON supplier_returns
       BEGIN SELECT RAISE(ABORT, 'supplier returns are never edited'); END""",
    """CREATE TRIGGER supplier_returns_no_delete BEFORE DELETE ON supplier_returns
       BEGIN SELECT RAISE(ABORT, 'supplier returns are never deleted'); END""",
    """CREATE TRIGGER supplier_return_lines_no_change BEFORE UPDATE ON supplier_return_lines
       BEGIN SELECT RAISE(ABORT, 'supplier return lines are never edited'); END""",
    """CREATE TRIGGER supplier_return_lines_no_delete BEFORE DELETE ON supplier_return_lines
       BEGIN SELECT RAISE(ABORT, 'supplier return lines are never deleted'); END""",
    """CREATE TRIGGER adjustments_posted_no_update BEFORE UPDATE ON adjustments
       WHEN OLD.status IN ('posted', 'rejected')
       BEGIN SELECT RAISE(ABORT, 'a posted or rejected adjustment is never edited'); END""",
    """CREATE TRIGGER adjustments_no_delete BEFORE DELETE ON adjustments
       BEGIN SELECT RAISE(ABORT, 'adjustments are never deleted'); END""",
    """CREATE TRIGGER adjustment_lines_no_update BEFORE UPDATE ON adjustment_lines
       BEGIN SELECT RAISE(ABORT, 'adjustment lines are never edited'); END""",
    """CREATE TRIGGER adjustment_lines_no_delete BEFORE DELETE ON adjustment_lines
       BEGIN SELECT RAISE(ABORT, 'adjustment lines are never deleted'); END""",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
    db.conn.executemany(
        "INSERT INTO stock_reasons (applies_to, code, name, direction, sort) VALUES (?, ?, ?, ?, ?)", REASONS)
