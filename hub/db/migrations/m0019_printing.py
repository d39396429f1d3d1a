"""0019 printing: configured printers, which till prints where, the durable print-job queue and
the results of one-tap printer tests.

`printers`: a printer the store set up, by address URL (tcp://, serial://, file://, usb://,
dummy://) and profile key (drivers.printers.profiles), with the status the print worker last
read from it (DLE EOT: ready, paper_low, paper_out, cover_open, offline, error, unknown) and the
last error it met.

`printer_assignments`: per till (`device_id`; '' is the store itself: boot slip, portal labels)
and role (receipt or label) the printer that serves it; a receipt assignment also says whether a
cash payment kicks the drawer.

`print_jobs`: what is to be printed, durable across restarts: its kind (receipt, copy, drawer,
labels, test_page, status_slip), what it prints (`sale_id`, `payload` JSON: rendered at print
time from the database, or `data`: bytes made when queued), its status (queued, printing,
held: the printer reported a problem, done, failed, cancelled), attempts, when it is next due
and its last error. A sale's commit adds at most one row here; the worker owns the rest.

`printer_tests`: each one-tap test (test page, drawer kick, status read) with its outcome.
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    """CREATE TABLE printers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        address TEXT NOT NULL,
        profile TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        status TEXT NOT NULL DEFAULT 'unknown',
        status_detail TEXT NOT NULL DEFAULT '',
        status_at TEXT,
        last_error TEXT NOT NULL DEFAULT '',
        last_error_at TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE printer_assignments (
        device_id TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL CHECK (role IN ('receipt', 'label')),
        printer_id TEXT NOT NULL REFERENCES printers (id),
        kick_drawer_on_cash INTEGER NOT NULL DEFAULT 0 CHECK (kick_drawer_on_cash IN (0, 1)),
        updated_at TEXT NOT NULL,
        PRIMARY KEY (device_id, role)
    )""",
    "CREATE INDEX printer_assignments_printer ON printer_assignments (printer_id)",
    """CREATE TABLE print_jobs (
        id TEXT PRIMARY KEY,
        printer_id TEXT REFERENCES printers (id),
        kind TEXT NOT NULL CHECK (kind IN ('receipt', 'copy', 'drawer', 'labels', 'test_page',
                                           'status_slip')),
        sale_id TEXT,
        device_id TEXT,
        payload TEXT NOT NULL DEFAULT '{}',
        data BLOB,
        status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'printing', 'held', 'done',
                                                                 'failed', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT NOT NULL DEFAULT '',
        created_by TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        printed_at TEXT
    )""",
    # The worker's question: what is due, per printer, oldest first.
    "CREATE INDEX print_jobs_due ON print_jobs (printer_id, id) WHERE status IN ('queued', 'held', 'printing')",
    "CREATE INDEX print_jobs_sale ON print_jobs (sale_id) WHERE sale_id IS NOT NULL",
    """CREATE TABLE printer_tests (
        id TEXT PRIMARY KEY,
        printer_id TEXT NOT NULL REFERENCES printers (id),
        kind TEXT NOT NULL CHECK (kind IN ('test_page', 'drawer_kick', 'status')),
        ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
        detail TEXT NOT NULL DEFAULT '',
        tested_by TEXT,
        tested_at TEXT NOT NULL
    )""",
    "CREATE INDEX printer_tests_printer ON printer_tests (printer_id, tested_at)",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
