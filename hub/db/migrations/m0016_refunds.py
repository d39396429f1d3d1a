"""0016 refunds, returns and price corrections: new documents against a sale (the sale is never
edited), and the shift a void happened in.

A refund is the till's fact: its id is the till's UUIDv7, stored once (the same body again changes
nothing). It names the sale, the shift open at its till when it happened (checked like a sale's:
an unknown or closed one raises an exception) and its lines: a sale line and a quantity in
thousandths, with the money that quantity is worth in the sale's receipt currency
(`amount`, its `tax_amount` at the line's rate), restocked (a `refund` stock movement) or written
off (no movement, `write_off_reason` says why). Its tenders are the money handed back: to the
sale's own tenders (`sale_tender_seq`), in each tender's currency at the rate the sale recorded,
or issued as store credit (method `store_credit`, in the receipt currency). docs/sales.md, "Refunds".

A price correction (`sale_corrections`) is also the till's fact, idempotent the same way: an
extra charge (`kind` charge: money in) or credit (`kind` credit: money out) after the sale, with a
reason, per sale line or for the whole sale (`sale_line_no` NULL), each line with its tax code,
rate and tax amount (a debit or credit note's per-rate amounts), and its own tenders in their
currencies at the rates the till used (`rates`, as a sale's). It moves no stock.

`sale_voids.shift_id`: the shift open at the till when the void happened (a manager's void from
the portal names none: the sale's own shift then). Voids recorded before this migration keep
counting in the sale's own shift.
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    """CREATE TABLE sale_refunds (
        id TEXT PRIMARY KEY,
        sale_id TEXT NOT NULL REFERENCES sales (id),
        device_id TEXT NOT NULL REFERENCES devices (id),
        shift_id TEXT,
        refunded_by TEXT NOT NULL,
        refunded_by_name TEXT NOT NULL DEFAULT '',
        currency TEXT NOT NULL,
        refund_to TEXT NOT NULL CHECK (refund_to IN ('original', 'store_credit')),
        total INTEGER NOT NULL CHECK (total >= 0),
        tax_total INTEGER NOT NULL CHECK (tax_total >= 0),
        reason TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        device_clock TEXT,
        recorded_at TEXT NOT NULL,
        body_hash TEXT NOT NULL
    )""",
    "CREATE INDEX sale_refunds_sale ON sale_refunds (sale_id, occurred_at)",
    "CREATE INDEX sale_refunds_shift ON sale_refunds (shift_id) WHERE shift_id IS NOT NULL",
    """CREATE TABLE sale_refund_lines (
        refund_id TEXT NOT NULL REFERENCES sale_refunds (id),
        line_no INTEGER NOT NULL,
        sale_line_no INTEGER NOT NULL,
        sale_id TEXT NOT NULL,
        product_id TEXT,
        name TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        amount INTEGER NOT NULL CHECK (amount >= 0),
        tax_code TEXT NOT NULL DEFAULT '',
        tax_rate_bp INTEGER NOT NULL DEFAULT 0,
        tax_amount INTEGER NOT NULL DEFAULT 0,
        restock INTEGER NOT NULL CHECK (restock IN (0, 1)),
        write_off_reason TEXT NOT NULL DEFAULT '',
        CHECK (restock = 1 OR write_off_reason != ''),
        PRIMARY KEY (refund_id, line_no),
        FOREIGN KEY (sale_id, sale_line_no) REFERENCES sale_lines (sale_id, line_no)
    ) WITHOUT ROWID""",
    "CREATE INDEX sale_refund_lines_sale ON sale_refund_lines (sale_id, sale_line_no)",
    # amount: in the tender's currency; amount_receipt: the same money in the receipt currency.
    """CREATE TABLE sale_refund_tenders (
        refund_id TEXT NOT NULL REFERENCES sale_refunds (id),
        seq INTEGER NOT NULL,
        sale_tender_seq INTEGER,
        method TEXT NOT NULL CHECK (method IN ('cash', 'card', 'mobile_money', 'bank_transfer',
                                               'credit_account', 'voucher', 'store_credit')),
        provider TEXT NOT NULL DEFAULT '',
        reference TEXT NOT NULL DEFAULT '',
        currency TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0),
        rate INTEGER NOT NULL CHECK (rate > 0),
        rate_scale INTEGER NOT NULL CHECK (rate_scale > 0),
        amount_receipt INTEGER NOT NULL,
        PRIMARY KEY (refund_id, seq)
    ) WITHOUT ROWID""",
    """CREATE TABLE sale_corrections (
        id TEXT PRIMARY KEY,
        sale_id TEXT NOT NULL REFERENCES sales (id),
        device_id TEXT NOT NULL REFERENCES devices (id),
        shift_id TEXT,
        kind TEXT NOT NULL CHECK (kind IN ('charge', 'credit')),
        corrected_by TEXT NOT NULL,
        corrected_by_name TEXT NOT NULL DEFAULT '',
        currency TEXT NOT NULL,
        rates TEXT NOT NULL DEFAULT '{}',
        total INTEGER NOT NULL CHECK (total > 0),
        tax_total INTEGER NOT NULL CHECK (tax_total >= 0),
        reason TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        device_clock TEXT,
        recorded_at TEXT NOT NULL,
        body_hash TEXT NOT NULL
    )""",
    "CREATE INDEX sale_corrections_sale ON sale_corrections (sale_id, occurred_at)",
    "CREATE INDEX sale_corrections_shift ON sale_corrections (shift_id) WHERE shift_id IS NOT NULL",
    """CREATE TABLE sale_correction_lines (
        correction_id TEXT NOT NULL REFERENCES sale_corrections (id),
        line_no INTEGER NOT NULL,
        sale_line_no INTEGER,
        description TEXT NOT NULL DEFAULT '',
        tax_code TEXT NOT NULL DEFAULT '',
        tax_rate_bp INTEGER NOT NULL DEFAULT 0 CHECK (tax_rate_bp BETWEEN 0 AND 10000),
        amount INTEGER NOT NULL CHECK (amount > 0),
        tax_amount INTEGER NOT NULL CHECK (tax_amount >= 0),
        PRIMARY KEY (correction_id, line_no)
    ) WITHOUT ROWID""",
    """CREATE TABLE sale_correction_tenders (
        correction_id TEXT NOT NULL REFERENCES sale_corrections (id),
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
        PRIMARY KEY (correction_id, seq)
    ) WITHOUT ROWID""",
    "ALTER TABLE sale_voids ADD COLUMN shift_id TEXT",
    "UPDATE sale_voids SET shift_id = (SELECT s.shift_id FROM sales s WHERE s.id = sale_voids.sale_id)",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
