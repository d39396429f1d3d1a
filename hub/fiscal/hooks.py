"""The fiscal hook of `ingest_sale`: every sale of a till that is a registered fiscal device
becomes a fiscal invoice, signed in the sale's own transaction (docs/fiscal.md).

Does nothing (one indexed look-up) while the till is not a fiscal device, and never refuses a
sale: a sale the device cannot sign now (day not open, maximum day length reached, a setting
missing, the key unreadable) waits as `pending` and is signed, in order, when it can be.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

log = logging.getLogger(__name__)


def on_sale(conn: sqlite3.Connection, sale_row: dict[str, Any], lines: list[dict[str, Any]],
            tenders: list[dict[str, Any]]) -> list[str]:
    """Enqueue the sale as a fiscal invoice and sign what the device can; the exception kinds
    raised (none yet)."""
    found = conn.execute("SELECT id FROM fiscal_devices WHERE till_id = ? AND status = 'registered'",
                         (sale_row["device_id"],)).fetchone()
    if found is None:
        return []
    training = conn.execute("SELECT training FROM sales WHERE id = ?", (sale_row["id"],)).fetchone()
    if training is not None and training[0]:
        return []  # a training sale is never fiscal (m0017)
    from hub.fiscal import service

    device = service.get_device(conn, found[0])
    service.enqueue(conn, device, "sale", sale_row["id"], "FiscalInvoice", sale_row["currency"])
    conn.execute("SAVEPOINT fiscal_sign")
    try:
        service.sign_pending(conn, device)
    except Exception:  # signing must never refuse a sale: it stays pending, in order
        log.exception("fiscal signing failed for sale %s; it stays pending", sale_row["id"])
        conn.execute("ROLLBACK TO fiscal_sign")
    conn.execute("RELEASE fiscal_sign")
    return []


def on_refund(conn: sqlite3.Connection, sale: dict[str, Any], refund: dict[str, Any]) -> list[str]:
    """A refund of a fiscalised sale becomes a credit note (negative amounts, the reason in its notes)."""
    if conn.execute("SELECT 1 FROM fiscal_devices LIMIT 1").fetchone() is None:
        return []
    from hub.fiscal import service

    service.enqueue_note(conn, "refund", refund["id"], sale["id"])
    return []


def on_void(conn: sqlite3.Connection, sale: dict[str, Any], void: dict[str, Any]) -> list[str]:
    """A void of a fiscalised sale becomes a credit note of the whole sale."""
    if conn.execute("SELECT 1 FROM fiscal_devices LIMIT 1").fetchone() is None:
        return []
    from hub.fiscal import service

    service.enqueue_note(conn, "void", void["id"], sale["id"])
    return []


def on_correction(conn: sqlite3.Connection, sale: dict[str, Any], correction: dict[str, Any]) -> list[str]:
    """A price correction of a fiscalised sale: a charge becomes a debit note, a credit a credit note."""
    if conn.execute("SELECT 1 FROM fiscal_devices LIMIT 1").fetchone() is None:
        return []
    from hub.fiscal import service, validation

    validation.refuse_correction(conn, sale, correction)  # never a note with a tax the invoice lacks (RCPT036)
    service.enqueue_note(conn, "correction", correction["id"], sale["id"],
                         "DebitNote" if correction["kind"] == "charge" else "CreditNote")
    return []
