"""0012 shifts: a cashier's session at one till, opened with a float and closed with a count.

A sale names the shift it was rung up in (0013). A shift is reference data the till needs (its
own open shift) and a fact trail (opened, cash movements, closed) for the manager.

Floats, cash movements, counts and close figures are facts: written once, never edited
(triggers refuse UPDATE and DELETE). Amounts are integer minor units of their own currency;
money in different currencies is never added together. Cash-movement reasons and cash
denominations are rows, so a store (or a later migration) adds one with an INSERT.
"""

from __future__ import annotations

import sqlite_utils

# (kind, code, name, sort)
REASONS = (
    ("pay_in", "float_top_up", "Change float top-up", 10),
    ("pay_in", "cash_from_safe", "Cash brought from the safe", 20),
    ("pay_in", "customer_account", "Customer account payment", 30),
    ("pay_in", "other", "Other (see note)", 90),
    ("pay_out", "supplier_paid", "Supplier paid", 10),
    ("pay_out", "expenses", "Store expenses", 20),
    ("pay_out", "float_top_up", "Change float top-up (to another till)", 30),
    ("pay_out", "wages", "Casual wages", 40),
    ("pay_out", "other", "Other (see note)", 90),
    ("safe_drop", "too_much_cash", "Too much cash in the drawer", 10),
    ("safe_drop", "scheduled", "Scheduled drop", 20),
    ("safe_drop", "before_close", "Before closing the shift", 30),
)

# (currency, kind, value in minor units, label, sort). USD: the US notes and coins that circulate
# in Zimbabwe. ZWG: the Reserve Bank of Zimbabwe's ZiG notes (ZiG 1 to 200, issued April 2024) and
# coins (1 to 50 cents); a store whose drawer differs edits these rows.
DENOMINATIONS = (
    ("USD", "note", 10000, "$100", 10), ("USD", "note", 5000, "$50", 20), ("USD", "note", 2000, "$20", 30),
    ("USD", "note", 1000, "$10", 40), ("USD", "note", 500, "$5", 50), ("USD", "note", 200, "$2", 60),
    ("USD", "note", 100, "$1", 70), ("USD", "coin", 100, "$1 coin", 80), ("USD", "coin", 50, "50c", 90),
    ("USD", "coin", 25, "25c", 100), ("USD", "coin", 10, "10c", 110), ("USD", "coin", 5, "5c", 120),
    ("USD", "coin", 1, "1c", 130),
    ("ZWG", "note", 20000, "ZiG 200", 10), ("ZWG", "note", 10000, "ZiG 100", 20),
    ("ZWG", "note", 5000, "ZiG 50", 30), ("ZWG", "note", 2000, "ZiG 20", 40), ("ZWG", "note", 1000, "ZiG 10", 50),
    ("ZWG", "note", 500, "ZiG 5", 60), ("ZWG", "note", 200, "ZiG 2", 70), ("ZWG", "note", 100, "ZiG 1", 80),
    ("ZWG", "coin", 50, "50 cents", 90), ("ZWG", "coin", 25, "25 cents", 100), ("ZWG", "coin", 10, "10 cents", 110),
    ("ZWG", "coin", 5, "5 cents", 120), ("ZWG", "coin", 1, "1 cent", 130),
)

FACT_TABLES = ("shift_floats", "cash_movements", "shift_close_lines", "shift_count_denominations")

STATEMENTS = (
    # status: open (sales and cash movements land in it), closed (counted; later sales that name
    # it are accepted and raise a closed-shift exception). number: the human shift number
    # (null only for a row written without it).
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
        number INTEGER UNIQUE,
        close_note TEXT NOT NULL DEFAULT '',
        CHECK ((status = 'open') = (closed_at IS NULL))
    )""",
    # One open shift per till and cashier at a time.
    "CREATE UNIQUE INDEX shifts_open ON shifts (device_id, cashier_id) WHERE status = 'open'",
    "CREATE INDEX shifts_opened ON shifts (opened_at)",
    "CREATE INDEX shifts_cashier ON shifts (cashier_id, number)",
    "CREATE INDEX shifts_device ON shifts (device_id, number)",
    # The opening float per currency (a currency with no row had no float).
    """CREATE TABLE shift_floats (
        shift_id TEXT NOT NULL REFERENCES shifts (id),
        currency TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (amount >= 0),
        PRIMARY KEY (shift_id, currency)
    ) WITHOUT ROWID""",
    """CREATE TABLE cash_movement_reasons (
        kind TEXT NOT NULL CHECK (kind IN ('pay_in', 'pay_out', 'safe_drop')),
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        sort INTEGER NOT NULL DEFAULT 0,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        PRIMARY KEY (kind, code)
    ) WITHOUT ROWID""",
    # A pay-in adds cash to the drawer; a pay-out and a safe drop take it out. amount > 0 always.
    """CREATE TABLE cash_movements (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        shift_id TEXT NOT NULL REFERENCES shifts (id),
        kind TEXT NOT NULL CHECK (kind IN ('pay_in', 'pay_out', 'safe_drop')),
        currency TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0),
        reason_code TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        user_id TEXT,
        username TEXT,
        device_id TEXT,
        at TEXT NOT NULL,
        FOREIGN KEY (kind, reason_code) REFERENCES cash_movement_reasons (kind, code)
    )""",
    "CREATE INDEX cash_movements_shift ON cash_movements (shift_id, seq)",
    """CREATE TABLE currency_denominations (
        currency TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('note', 'coin')),
        value INTEGER NOT NULL CHECK (value > 0),
        label TEXT NOT NULL,
        sort INTEGER NOT NULL DEFAULT 0,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        PRIMARY KEY (currency, kind, value)
    ) WITHOUT ROWID""",
    # The close figures, one row per tender and currency: method 'cash' (provider '') holds the
    # counted cash; card, mobile money and the rest hold what the provider's statement reported
    # (null: not reported); variance = counted - expected.
    """CREATE TABLE shift_close_lines (
        shift_id TEXT NOT NULL REFERENCES shifts (id),
        method TEXT NOT NULL,
        provider TEXT NOT NULL DEFAULT '',
        currency TEXT NOT NULL,
        expected INTEGER NOT NULL,
        counted INTEGER,
        variance INTEGER,
        PRIMARY KEY (shift_id, method, provider, currency)
    ) WITHOUT ROWID""",
    # A count by denomination (when the cashier counted that way): quantity of each note or coin.
    """CREATE TABLE shift_count_denominations (
        shift_id TEXT NOT NULL REFERENCES shifts (id),
        currency TEXT NOT NULL,
        kind TEXT NOT NULL,
        value INTEGER NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity >= 0),
        PRIMARY KEY (shift_id, currency, kind, value)
    ) WITHOUT ROWID""",
)


def _fact_triggers(table: str) -> tuple[str, str]:
    return (f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} are facts: never edited'); END""",
            f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} are facts: never deleted'); END""")


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
    for table in FACT_TABLES:
        for trigger in _fact_triggers(table):
            db.execute(trigger)
    db.conn.executemany("INSERT INTO cash_movement_reasons (kind, code, name, sort) VALUES (?, ?, ?, ?)", REASONS)
    db.conn.executemany("INSERT INTO currency_denominations (currency, kind, value, label, sort)"
                        " VALUES (?, ?, ?, ?, ?)", DENOMINATIONS)
