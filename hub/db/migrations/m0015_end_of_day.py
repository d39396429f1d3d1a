"""0015 end of day: bank deposits and the record of each closed trading day.

A trading day is the store's local date (its time zone). Both tables hold facts, never edited
nor deleted (triggers refuse it):

- `bank_deposits`: cash of one currency taken to the bank for a trading day (amount, bank, the
  slip's reference, who took it and when). A mistake is corrected by a `reversal`, a new row that
  names the deposit it cancels (once) and says why; the day's deposited cash is the deposits less
  their reversals.
- `trading_days`: one row per closed day: who closed it and when, the day's bounds in UTC, and as
  JSON the state of every end-of-day step and the per-currency figures at that moment. A day is
  closed once (its date is the key).
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    """CREATE TABLE bank_deposits (
        id TEXT PRIMARY KEY,
        business_day TEXT NOT NULL CHECK (business_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
        kind TEXT NOT NULL CHECK (kind IN ('deposit', 'reversal')),
        reverses TEXT UNIQUE REFERENCES bank_deposits (id),
        currency TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0),
        bank TEXT NOT NULL DEFAULT '',
        reference TEXT NOT NULL DEFAULT '',
        deposited_by TEXT NOT NULL DEFAULT '',
        deposited_at TEXT,
        reason TEXT NOT NULL DEFAULT '',
        recorded_by TEXT,
        recorded_by_name TEXT,
        recorded_at TEXT NOT NULL,
        CHECK ((kind = 'reversal') = (reverses IS NOT NULL)),
        CHECK (kind = 'deposit' OR reason != ''),
        CHECK (kind = 'reversal' OR (bank != '' AND reference != '' AND deposited_by != ''
                                     AND deposited_at IS NOT NULL))
    )""",
    "CREATE INDEX bank_deposits_day ON bank_deposits (business_day, recorded_at)",
    """CREATE TABLE trading_days (
        business_day TEXT PRIMARY KEY CHECK (business_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
        starts_at TEXT NOT NULL,
        ends_at TEXT NOT NULL CHECK (ends_at > starts_at),
        closed_at TEXT NOT NULL,
        closed_by TEXT,
        closed_by_name TEXT,
        steps TEXT NOT NULL,
        figures TEXT NOT NULL
    ) WITHOUT ROWID""",
)
FACT_TABLES = ("bank_deposits", "trading_days")


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
