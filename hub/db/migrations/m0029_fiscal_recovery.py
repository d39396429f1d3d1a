"""0029 fiscal_recovery: clock trust, offline-mode files and fiscal recovery after a restore
(docs/fiscal.md).

`fiscal_recoveries`: one row per database epoch in which the fiscal state had to be reconciled
(a restore from backup gives the database a new epoch, hub/backup/restore.py): `open` while the
hub signs nothing new (sales wait as pending), with what FDMS's getStatus said of each device
(`fdms`, JSON keyed by fiscal device id) and, once a manager finishes it, the numbers adopted
(`outcome`), who and when. `meta.fiscal_epoch` names the epoch whose fiscal numbers the hub
trusts; a registered fiscal device under another epoch means recovery.

`fiscal_claims`: the fiscal receipts tills resend after a restore (they printed them): the sale
id they belong to and the device's numbers, hash and signature. A pending sale with a claim whose
signature the device's own key verifies is adopted with those numbers instead of being signed
again. `fiscal_receipts.adopted_at` marks an adopted receipt.

`fiscal_files`: submitFile uploads of a device ZIMRA set to Offline mode: one row per file of a
closed fiscal day (sequence, the base64 JSON body sent, its size), the operation id FDMS
answered and the processing status getFileStatus reports, with its errors.
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    """CREATE TABLE fiscal_recoveries (
        epoch TEXT PRIMARY KEY,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'finished')),
        started_at TEXT NOT NULL,
        fdms TEXT NOT NULL DEFAULT '{}',
        checked_at TEXT,
        outcome TEXT NOT NULL DEFAULT '{}',
        finished_at TEXT,
        finished_by TEXT
    )""",
    """CREATE TABLE fiscal_claims (
        sale_id TEXT PRIMARY KEY,
        fiscal_device_id TEXT NOT NULL REFERENCES fiscal_devices (id),
        till_id TEXT NOT NULL,
        day_no INTEGER NOT NULL CHECK (day_no > 0),
        receipt_counter INTEGER NOT NULL CHECK (receipt_counter > 0),
        global_no INTEGER NOT NULL CHECK (global_no > 0),
        receipt_date TEXT NOT NULL,
        invoice_no TEXT NOT NULL,
        hash TEXT NOT NULL,
        signature TEXT NOT NULL,
        previous_hash TEXT,
        verified INTEGER NOT NULL DEFAULT 0,
        adopted_receipt_id TEXT,
        reported_at TEXT NOT NULL
    )""",
    "CREATE INDEX fiscal_claims_device ON fiscal_claims (fiscal_device_id, global_no)",
    "ALTER TABLE fiscal_receipts ADD COLUMN adopted_at TEXT",
    """CREATE TABLE fiscal_files (
        id TEXT PRIMARY KEY,
        fiscal_device_id TEXT NOT NULL REFERENCES fiscal_devices (id),
        day_no INTEGER NOT NULL,
        file_sequence INTEGER NOT NULL CHECK (file_sequence > 0),
        receipts INTEGER NOT NULL DEFAULT 0,
        last_file INTEGER NOT NULL DEFAULT 0,
        body TEXT NOT NULL,
        size INTEGER NOT NULL,
        operation_id TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'built' CHECK (status IN ('built', 'sent', 'in_progress', 'successful',
                                                              'failed', 'waiting')),
        errors TEXT NOT NULL DEFAULT '[]',
        attempts INTEGER NOT NULL DEFAULT 0,
        sent_at TEXT,
        checked_at TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (fiscal_device_id, day_no, file_sequence)
    )""",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
    # The fiscal numbers of an existing hub are its own: trust them under its current epoch.
    row = db.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()
    if row and row[0]:
        db.execute("INSERT INTO meta (key, value) VALUES ('fiscal_epoch', ?) ON CONFLICT (key) DO NOTHING", [row[0]])
