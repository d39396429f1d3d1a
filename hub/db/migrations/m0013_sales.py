"""0013 sales: the sale document (lines, their discounts, tenders, change given), the exception
queue, and a short code per till that starts its invoice numbers.

A sale is a fact: its id is the till's UUIDv7, it is stored once (a replay of the same body
changes nothing) and never edited; a void (`sale_voids`), refund or correction is a new document. Money is
integer minor units of the sale's one receipt currency, except a tender's `amount` (its own
currency) and change (the currency it was given in). `rates` holds the exchange rates the till
used, as JSON `{currency: [rate, rate_scale]}`: one unit of the receipt currency is
rate / rate_scale units of that currency (docs/sales.md, "Currencies").

The invoice number `<store code>-<till code>-<sequence>` is what a person reads and ZIMRA sees;
it is never a key (two sales may carry the same number: the second raises an exception).

An exception is one cause of a manager's attention: unique per (kind, subject), so a cause seen
twice (a replayed sale) raises one record. `devices.code` is a till's short code, unique in the
store, given at pairing (T1, T2, ... by a trigger) or set by a manager.
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    """CREATE TABLE sales (
        id TEXT PRIMARY KEY,
        invoice_number TEXT NOT NULL,
        store_code TEXT NOT NULL,
        till_code TEXT NOT NULL,
        sequence INTEGER NOT NULL CHECK (sequence >= 1),
        device_id TEXT NOT NULL REFERENCES devices (id),
        shift_id TEXT,
        cashier_id TEXT NOT NULL,
        cashier_name TEXT NOT NULL DEFAULT '',
        customer_id TEXT,
        currency TEXT NOT NULL,
        rates TEXT NOT NULL DEFAULT '{}',
        tax_mode TEXT NOT NULL CHECK (tax_mode IN ('inclusive', 'exclusive')),
        subtotal INTEGER NOT NULL,
        discount_total INTEGER NOT NULL,
        tax_total INTEGER NOT NULL,
        rounding INTEGER NOT NULL DEFAULT 0,
        total INTEGER NOT NULL CHECK (total >= 0),
        paid INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'completed' CHECK (status IN ('completed', 'voided')),
        occurred_at TEXT NOT NULL,
        device_clock TEXT,
        recorded_at TEXT NOT NULL,
        body_hash TEXT NOT NULL
    )""",
    "CREATE INDEX sales_number ON sales (invoice_number)",
    "CREATE INDEX sales_occurred ON sales (occurred_at, id)",
    "CREATE INDEX sales_shift ON sales (shift_id) WHERE shift_id IS NOT NULL",
    "CREATE INDEX sales_device ON sales (device_id, occurred_at)",
    "CREATE INDEX sales_cashier ON sales (cashier_id, occurred_at)",
    # catalogue_price: what the hub's pricing gave for the line at its moment (None: unknown).
    """CREATE TABLE sale_lines (
        sale_id TEXT NOT NULL REFERENCES sales (id),
        line_no INTEGER NOT NULL,
        product_id TEXT,
        code TEXT NOT NULL DEFAULT '',
        name TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        unit_price INTEGER NOT NULL CHECK (unit_price >= 0),
        catalogue_price INTEGER,
        gross INTEGER NOT NULL,
        discount INTEGER NOT NULL DEFAULT 0,
        tax_class_id TEXT,
        tax_code TEXT NOT NULL DEFAULT '',
        tax_rate_bp INTEGER NOT NULL DEFAULT 0 CHECK (tax_rate_bp BETWEEN 0 AND 10000),
        tax_amount INTEGER NOT NULL DEFAULT 0,
        total INTEGER NOT NULL,
        PRIMARY KEY (sale_id, line_no)
    ) WITHOUT ROWID""",
    "CREATE INDEX sale_lines_product ON sale_lines (product_id) WHERE product_id IS NOT NULL",
    # A discount names its cause: a promotion, or the supervisor who approved it (or neither:
    # accepted, and an exception is raised).
    """CREATE TABLE sale_line_discounts (
        sale_id TEXT NOT NULL,
        line_no INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0),
        promotion_id TEXT,
        approved_by TEXT,
        reason TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (sale_id, line_no, seq),
        FOREIGN KEY (sale_id, line_no) REFERENCES sale_lines (sale_id, line_no)
    ) WITHOUT ROWID""",
    # amount: in the tender's currency; amount_receipt: converted at the recorded rate (docs/sales.md).
    """CREATE TABLE sale_tenders (
        sale_id TEXT NOT NULL REFERENCES sales (id),
        seq INTEGER NOT NULL,
        method TEXT NOT NULL CHECK (method IN ('cash', 'card', 'mobile_money', 'bank_transfer',
                                               'credit_account', 'voucher', 'store_credit')),
        provider TEXT NOT NULL DEFAULT '',
        reference TEXT NOT NULL DEFAULT '',
        currency TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0),
        rate INTEGER NOT NULL CHECK (rate > 0),
        rate_scale INTEGER NOT NULL CHECK (rate_scale > 0),
        amount_receipt INTEGER NOT NULL,
        PRIMARY KEY (sale_id, seq)
    ) WITHOUT ROWID""",
    "CREATE INDEX sale_tenders_method ON sale_tenders (method, currency)",
    # Change handed back, per currency: cash out of that currency's drawer.
    """CREATE TABLE sale_change (
        sale_id TEXT NOT NULL REFERENCES sales (id),
        currency TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0),
        amount_receipt INTEGER NOT NULL,
        PRIMARY KEY (sale_id, currency)
    ) WITHOUT ROWID""",
    # A void is a new document: the sale's row is never edited. Its money leaves the sale's own
    # shift (its tenders and change stop counting there) and its stock comes back when voided.
    """CREATE TABLE sale_voids (
        id TEXT PRIMARY KEY,
        sale_id TEXT NOT NULL UNIQUE REFERENCES sales (id),
        reason TEXT NOT NULL,
        device_id TEXT,
        voided_by TEXT,
        voided_by_name TEXT NOT NULL DEFAULT '',
        occurred_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    )""",
    """CREATE TABLE exceptions (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        subject_type TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        sale_id TEXT,
        device_id TEXT,
        detail TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed')),
        raised_at TEXT NOT NULL,
        resolved_by TEXT,
        resolved_by_name TEXT,
        resolved_at TEXT,
        note TEXT NOT NULL DEFAULT '',
        version INTEGER NOT NULL DEFAULT 1,
        CHECK ((status = 'open') = (resolved_at IS NULL)),
        UNIQUE (kind, subject_type, subject_id)
    )""",
    "CREATE INDEX exceptions_status ON exceptions (status, id)",
    "CREATE INDEX exceptions_kind ON exceptions (kind, id)",
    "CREATE INDEX exceptions_sale ON exceptions (sale_id) WHERE sale_id IS NOT NULL",
    # A till's short code, unique in the store; the trigger gives a new till the next free T<n>.
    "ALTER TABLE devices ADD COLUMN code TEXT",
    "CREATE UNIQUE INDEX devices_code ON devices (code) WHERE code IS NOT NULL",
    """CREATE TRIGGER devices_code_at_pairing AFTER INSERT ON devices WHEN NEW.code IS NULL
    BEGIN
        UPDATE devices SET code = 'T' || (1 + coalesce((
            SELECT max(CAST(substr(code, 2) AS INTEGER)) FROM devices
            WHERE code GLOB 'T[0-9]*' AND NOT substr(code, 2) GLOB '*[^0-9]*'), 0))
        WHERE id = NEW.id;
    END""",
)

# Tills paired before this migration get T1, T2, ... in pairing order.
BACKFILL_SQL = """
UPDATE devices SET code = 'T' || (SELECT count(*) FROM devices d2
                                  WHERE d2.paired_at < devices.paired_at
                                     OR (d2.paired_at = devices.paired_at AND d2.id <= devices.id))
"""


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
    db.execute(BACKFILL_SQL)
