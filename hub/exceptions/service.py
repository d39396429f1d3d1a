"""The exception queue: causes a manager must look at, raised by the documents that find them
(a sale is never refused for a business reason; it raises an exception instead), resolved or
dismissed with a note (docs/sales.md, "Exceptions").

One record per cause: unique per (kind, subject), so a replayed document raises nothing new.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue._common import found
from hub.db import audit
from hub.db import exceptions as rows
from hub.db.audit import Actor
from hub.errors import ConflictError
from hub.ids import new_id

# kind -> what it means (the subject is a sale, or one of its lines as `<sale id>#<line no>`).
KINDS = {
    # till sync (docs/sync.md): subject a quarantined fact (`sync_quarantine`) or a till (`device`)
    "fact_quarantined": "a till's uploaded fact was kept in quarantine, not applied: accept or reject it",
    "sync_conflict": "a till uploaded a different fact under a sequence number already used",
    "clock_skew": "a till's clock is far from the hub's",
    "unknown_product": "a sale line names a product (or code) the store does not know; no stock moved",
    "price_mismatch": "a sale line's unit price differs from the store's price at that moment",
    "unapproved_discount": "a discount names neither a known promotion nor a supervisor who approved it",
    "negative_stock": "a sale line took the product's stock from zero or more to below zero",
    "unknown_shift": "a sale names no shift, a shift the hub does not know, or another till's shift",
    "closed_shift": "a sale names a shift that was already closed",
    "duplicate_invoice_number": "a sale carries an invoice number another sale already has",
    "credit_limit_exceeded": "a credit-account sale took the customer's balance beyond their credit limit",
    "unknown_customer": "a credit-account sale names no customer, or one the hub does not know; nothing was posted",
    "voucher_redeemed_again": "a sale redeemed a voucher (or store credit) that an earlier sale had already spent",
    "voucher_invalid": "a sale redeemed an unknown or expired voucher, or more than it had left",
    # fiscal (docs/fiscal.md): subject a sale line (`<sale id>#<line no>`), a sale or a fiscal document
    "fiscal_fallback": "a sale line had no FDMS tax mapping or usable HS code and took a fiscal fallback",
    "fiscal_buyer_data": "a business customer's TIN or VAT number is not in the form FDMS takes",
    "fiscal_blocked": "a fiscal document was set aside unsigned: FDMS would mark it red",
}
STATUSES = ("open", "resolved", "dismissed")


class ExceptionStateError(ConflictError):
    code = "exception_state"


def raise_exception(conn: sqlite3.Connection, kind: str, subject_type: str, subject_id: str, *,
                    detail: dict[str, Any] | None = None, sale_id: str | None = None,
                    device_id: str | None = None) -> bool:
    """Raise one open exception for (kind, subject) unless it was raised before; True when new."""
    if kind not in KINDS:
        raise ValueError(f"unknown exception kind {kind!r}")
    return rows.raise_once(conn, {"id": new_id(), "kind": kind, "subject_type": subject_type,
                                  "subject_id": subject_id, "sale_id": sale_id, "device_id": device_id,
                                  "detail": detail or {}, "raised_at": conn.stamp()})  # type: ignore[attr-defined]


def close(conn: sqlite3.Connection, actor: Actor, exception_id: str, status: str, note: str) -> dict[str, Any]:
    """Resolve (`resolved`) or dismiss (`dismissed`) an open exception with a note; one audit entry."""
    before = found(rows.get(conn, exception_id), f"exception {exception_id}")
    if before["status"] != "open":
        raise ExceptionStateError(f"this exception is already {before['status']}",
                                  extra={"status": before["status"]})
    rows.close(conn, exception_id, status=status, user_id=actor.user_id, username=actor.username,
               at=conn.stamp(), note=note.strip())  # type: ignore[attr-defined]
    after = rows.get(conn, exception_id)
    assert after is not None
    audit.append(conn, actor, f"exception.{status}", "exception", exception_id,
                 before={"status": before["status"]}, after={"status": status, "note": after["note"]})
    return after
