"""0027 fiscal_documents: a fiscal document the hub knows FDMS would mark red is set aside.

`fiscal_receipts.blocked`: the hub's own validation of a document before it is signed (the spec's
RCPT rules the hub can check, hub/fiscal/validation.py) as a JSON list of {code, message, line};
'' while nothing is wrong. A blocked document stays `pending`, unsigned (no counter, global
number or hash used), is never submitted, and is skipped so the documents after it are signed and
the fiscal day can close; it raises an exception record and is signed once a manager fixes the
cause and releases it. Buyer data comes from the customer's registered name, TIN, VAT number,
address, phone and e-mail (m0020), so no column is added for it.
"""

from __future__ import annotations

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    db.execute("ALTER TABLE fiscal_receipts ADD COLUMN blocked TEXT NOT NULL DEFAULT ''")
