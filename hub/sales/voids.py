"""Voiding a whole sale: a new document (the sale's rows are never edited) that takes the sale's
money out of its shift and gives its stock back, with a reason, one audit entry (docs/sales.md,
"Voids"). A sale is voided at most once."""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue._common import found
from hub.customers import hooks as customer_hooks
from hub.db import audit, sales as rows
from hub.db.audit import Actor
from hub.errors import ConflictError, FieldErrors
from hub.fiscal import hooks as fiscal_hooks
from hub.ids import new_id
from hub.inventory import ledger
from hub.sales.refunds import shift_exceptions

SOURCE = "sale_void"


class AlreadyVoidedError(ConflictError):
    code = "sale_voided"


class OtherTillError(ConflictError):
    code = "other_till"


class SaleRefundedError(ConflictError):
    code = "sale_refunded"


def void_sale(conn: sqlite3.Connection, actor: Actor, sale_id: str, reason: str,
              shift_id: str | None = None) -> dict[str, Any]:
    """Void `sale_id` now: its stock comes back (kind `void`, at the hub's time), its tenders and
    change leave the shift the void happened in: `shift_id`, the shift open at the till that voids
    it (an unknown or closed one raises the exception a sale would), else the sale's own shift (a
    manager's void from the portal); returns the void row."""
    reason = reason.strip()
    if not reason:
        raise FieldErrors({"reason": "say why the sale is voided"})
    sale = found(rows.get_sale(conn, sale_id), f"sale {sale_id}")
    if sale["void_id"] is not None:
        raise AlreadyVoidedError(f"sale {sale['invoice_number']} was voided already",
                                 extra={"void_id": sale["void_id"]})
    if actor.device_id is not None and actor.device_id != sale["device_id"]:
        # A till voids what it has just rung up; another till's sale is refunded, or voided by a
        # manager from the portal, where the void names no till.
        raise OtherTillError(f"sale {sale['invoice_number']} was made at another till: refund it here, or "
                             "void it from the portal", extra={"device_id": sale["device_id"]})
    later = conn.execute("SELECT id FROM sale_refunds WHERE sale_id = :id UNION ALL"
                         " SELECT id FROM sale_corrections WHERE sale_id = :id LIMIT 1", {"id": sale_id}).fetchone()
    if later is not None:
        raise SaleRefundedError(f"sale {sale['invoice_number']} has refunds or price corrections: refund or "
                                "credit what is left instead of voiding it", extra={"document_id": later[0]})
    stamp = conn.stamp()  # type: ignore[attr-defined]
    void = {"id": new_id(), "sale_id": sale_id, "reason": reason, "device_id": actor.device_id,
            "voided_by": actor.user_id, "voided_by_name": actor.username or "", "occurred_at": stamp,
            "recorded_at": stamp, "shift_id": shift_id if shift_id is not None else sale["shift_id"]}
    rows.insert_void(conn, void)
    customer_hooks.on_void(conn, sale, void)  # credit and vouchers back (docs/customers.md)
    fiscal_hooks.on_void(conn, sale, void)  # a credit note of the fiscal invoice (docs/fiscal.md)
    raised = shift_exceptions(conn, void, "void") if shift_id is not None else []
    moved = rows.stock_moved(conn, sale_id)
    ledger.post(conn, [ledger.Line(kind="void", product_id=m["product_id"], quantity=-m["quantity"],
                                   line=m["source_line"]) for m in moved],
                source_type=SOURCE, source_id=void["id"], actor=actor, occurred_at=stamp, event_id=void["id"])
    audit.append(conn, actor, "sale.voided", "sale", sale_id, after={
        "void_id": void["id"], "invoice_number": sale["invoice_number"], "reason": reason,
        "currency": sale["currency"], "total": sale["total"], "lines_restocked": len(moved),
        "shift_id": void["shift_id"], "exceptions": raised})
    return void
