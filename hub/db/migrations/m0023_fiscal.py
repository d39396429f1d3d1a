"""0023 fiscal: the hub as the store's ZIMRA fiscal device gateway (docs/fiscal.md).

`fiscal_settings`: key/value settings of the fiscal feature (FDMS base URL, CA bundle, the
fallback tax id and HS code for lines without their own).

`fiscal_devices`: one FDMS fiscal device per till (`till_id`), with what FDMS knows it by (device
id, serial number, activation key, model name and version), its key file (0600, never in the
database), certificate, the taxpayer FDMS confirmed, the last getConfig, and its running state in
the spec's terms: the last receipt global number, the fiscal day (number, status, opening local
time), the day's receipt counter, the device hash of the day's last receipt and its date.

`fiscal_receipts`: every fiscal document, one per sale (document_type/document_id), signed in
order on the hub's clock in the sale's own transaction (status `pending` while the device cannot
sign: day not open), then `queued` for submission in ascending global number, `submitted` with
FDMS's answer (receipt id, server date and signature, validation errors and their worst colour),
or `held` when FDMS refused it (4xx) and a person must look.

`fiscal_counters`: the open day's fiscal counters per device, kept per receipt exactly as the
spec orders them (type, currency, tax id and percent or money type), values in cents.

`fiscal_days`: each fiscal day of a device, with its close signature and outcome.

`fiscal_calls`: a log of every FDMS call (operation, HTTP status, operation id, error code).
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    """CREATE TABLE fiscal_settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE fiscal_devices (
        id TEXT PRIMARY KEY,
        till_id TEXT NOT NULL UNIQUE REFERENCES devices (id),
        fdms_device_id INTEGER NOT NULL UNIQUE CHECK (fdms_device_id > 0),
        serial_no TEXT NOT NULL,
        activation_key TEXT NOT NULL,
        model_name TEXT NOT NULL,
        model_version TEXT NOT NULL,
        key_algorithm TEXT NOT NULL CHECK (key_algorithm IN ('ecdsa', 'rsa')),
        status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'registered')),
        key_path TEXT NOT NULL DEFAULT '',
        certificate TEXT NOT NULL DEFAULT '',
        certificate_valid_till TEXT,
        taxpayer TEXT NOT NULL DEFAULT '{}',
        config TEXT NOT NULL DEFAULT '{}',
        config_at TEXT,
        operating_mode TEXT NOT NULL DEFAULT '',
        qr_url TEXT NOT NULL DEFAULT '',
        reporting_frequency INTEGER,
        last_ping_at TEXT,
        last_global_no INTEGER NOT NULL DEFAULT 0,
        day_no INTEGER NOT NULL DEFAULT 0,
        day_status TEXT NOT NULL DEFAULT 'closed'
            CHECK (day_status IN ('closed', 'opened', 'close_initiated', 'close_failed')),
        day_opened TEXT,
        day_opened_at TEXT,
        receipt_counter INTEGER NOT NULL DEFAULT 0,
        last_hash TEXT,
        last_receipt_date TEXT,
        closing_error TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE fiscal_receipts (
        id TEXT PRIMARY KEY,
        fiscal_device_id TEXT NOT NULL REFERENCES fiscal_devices (id),
        document_type TEXT NOT NULL CHECK (document_type IN ('sale', 'refund', 'void', 'correction')),
        document_id TEXT NOT NULL,
        receipt_type TEXT NOT NULL CHECK (receipt_type IN ('FiscalInvoice', 'CreditNote', 'DebitNote')),
        currency TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'queued', 'submitted', 'held')),
        day_no INTEGER,
        receipt_counter INTEGER,
        global_no INTEGER,
        receipt_date TEXT,
        signed_at TEXT,
        invoice_no TEXT,
        total INTEGER,
        hash TEXT,
        signature TEXT,
        body TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error TEXT NOT NULL DEFAULT '',
        receipt_id INTEGER,
        server_date TEXT,
        server_signature TEXT,
        validation_errors TEXT NOT NULL DEFAULT '[]',
        colour TEXT NOT NULL DEFAULT '' CHECK (colour IN ('', 'Yellow', 'Red', 'Grey')),
        submitted_at TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (document_type, document_id),
        UNIQUE (fiscal_device_id, global_no)
    )""",
    "CREATE INDEX fiscal_receipts_queue ON fiscal_receipts (fiscal_device_id, status, global_no)",
    "CREATE INDEX fiscal_receipts_pending ON fiscal_receipts (fiscal_device_id, status, created_at)",
    "CREATE UNIQUE INDEX fiscal_receipts_invoice_no ON fiscal_receipts (invoice_no) WHERE invoice_no IS NOT NULL",
    """CREATE TABLE fiscal_counters (
        fiscal_device_id TEXT NOT NULL REFERENCES fiscal_devices (id),
        day_no INTEGER NOT NULL,
        counter_type TEXT NOT NULL,
        currency TEXT NOT NULL,
        tax_id INTEGER NOT NULL DEFAULT 0,
        tax_percent TEXT NOT NULL DEFAULT '',
        money_type TEXT NOT NULL DEFAULT '',
        value INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (fiscal_device_id, day_no, counter_type, currency, tax_id, tax_percent, money_type)
    )""",
    """CREATE TABLE fiscal_days (
        fiscal_device_id TEXT NOT NULL REFERENCES fiscal_devices (id),
        day_no INTEGER NOT NULL,
        opened TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        status TEXT NOT NULL,
        receipt_counter INTEGER NOT NULL DEFAULT 0,
        counters TEXT NOT NULL DEFAULT '[]',
        signature TEXT,
        closed_at TEXT,
        closing_error TEXT,
        PRIMARY KEY (fiscal_device_id, day_no)
    )""",
    """CREATE TABLE fiscal_calls (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        fiscal_device_id TEXT,
        operation TEXT NOT NULL,
        http_status INTEGER,
        operation_id TEXT NOT NULL DEFAULT '',
        error_code TEXT NOT NULL DEFAULT '',
        error TEXT NOT NULL DEFAULT '',
        duration_ms INTEGER NOT NULL DEFAULT 0,
        at TEXT NOT NULL
    )""",
    "CREATE INDEX fiscal_calls_device ON fiscal_calls (fiscal_device_id, id)",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
