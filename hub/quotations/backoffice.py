"""Selling a quotation in the portal: the back office as a till of its own (docs/customers.md,
"Selling a quotation in the portal").

A business customer often pays a quotation by bank transfer, card or mobile money, or takes it on
account, without coming to a till. The manager then records the sale in the portal, and it is
made exactly as a till's: `ingest_sale` on the hub's **back-office till** (a device row of
platform `backoffice`, till code `BO`, made the first time it sells; it holds no token, so
nothing can call the API as it), with its own gap-free invoice numbers, stock movements, credit
account posting, exceptions, and its fiscal invoice when that till is registered as a fiscal
device. It has no cash drawer, so it takes no cash and keeps no shift.

The quotation's lines are sold at their quoted prices; a quoted discount is approved by the
manager who records the sale. Tax is the rate in force now (tax is due when the goods are
supplied), per tax class on the class's net, rounded once per class as the pricing engine does,
and spread over the class's lines with the rounding on its last line, so the sale's tax equals
the engine's.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import hub
from hub.clock import parse_ts
from hub.db import audit, sales as sale_rows
from hub.db.audit import Actor
from hub.errors import ConflictError, FieldErrors
from hub.ids import new_id
from hub.pricing.tax import class_tax

PLATFORM = "backoffice"
NAME = "Back office"
METHODS = ("bank_transfer", "card", "mobile_money", "credit_account")
METHOD_NAMES = {"bank_transfer": "Bank transfer", "card": "Card", "mobile_money": "Mobile money",
                "credit_account": "On the customer's account"}


def device_id(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT id FROM devices WHERE platform = ? AND revoked_at IS NULL ORDER BY paired_at LIMIT 1",
                       (PLATFORM,)).fetchone()
    return row[0] if row else None


def is_backoffice(conn: sqlite3.Connection, device: str) -> bool:
    row = conn.execute("SELECT platform FROM devices WHERE id = ?", (device,)).fetchone()
    return row is not None and row[0] == PLATFORM


def ensure_device(conn: sqlite3.Connection, actor: Actor) -> str:
    """The back-office till, made (and audited) the first time the portal sells."""
    found = device_id(conn)
    if found is not None:
        return found
    made, now = new_id(), conn.stamp()  # type: ignore[attr-defined]
    code = next(c for c in ("BO", *(f"BO{i}" for i in range(2, 100))) if sale_rows.code_holder(conn, c) is None)
    # token_hash: a value no token hashes to (hashes are hex), so no request is ever this device.
    conn.execute(
        "INSERT INTO devices (id, name, kind, platform, app_version, serial, token_hash, license_id, paired_at,"
        " paired_by, version, created_at, updated_at, code) VALUES (?, ?, 'till', ?, ?, NULL, ?, NULL, ?, ?, 1, ?, ?, ?)",
        (made, NAME, PLATFORM, hub.__version__, f"{PLATFORM}:{made}", now, actor.user_id, now, now, code))
    audit.append(conn, actor, "device.backoffice_created", "device", made,
                 after={"name": NAME, "platform": PLATFORM, "code": code})
    return made


def _rates(conn: sqlite3.Connection, class_ids: set[str], at: str) -> dict[str, dict[str, Any]]:
    out = {}
    for class_id in class_ids:
        row = conn.execute("SELECT id, code, exempt FROM tax_classes WHERE id = ?", (class_id,)).fetchone()
        if row is None:
            continue
        rate = conn.execute("SELECT rate_bp FROM tax_rates WHERE tax_class_id = ? AND effective_from <= ?"
                            " ORDER BY effective_from DESC LIMIT 1", (class_id, at)).fetchone()
        out[class_id] = {"code": row["code"] or "", "rate_bp": 0 if row["exempt"] or rate is None else rate[0]}
    return out


def _lines(conn: sqlite3.Connection, q: dict[str, Any], actor: Actor, at: str) -> list[dict[str, Any]]:
    rates = _rates(conn, {ln["tax_class"] for ln in q["lines"] if ln["tax_class"]}, at)
    lines = []
    for ln in q["lines"]:
        tax = rates.get(ln["tax_class"], {"code": "", "rate_bp": 0})
        discounts = [{"amount": ln["discount"], "approved_by": actor.user_id,
                      "reason": f"Quoted in {q['label']}"}] if ln["discount"] else []
        lines.append({"name": ln["name"], "quantity": ln["quantity"], "unit_price": ln["unit_price"],
                      "total": ln["net"], "product_id": ln["product_id"], "code": ln["sku"], "discounts": discounts,
                      "tax_class_id": ln["tax_class"] or None, "tax_code": tax["code"][:3],
                      "tax_rate_bp": tax["rate_bp"], "tax_amount": 0})
    by_class: dict[Any, list[dict[str, Any]]] = {}
    for line in lines:
        by_class.setdefault(line["tax_class_id"], []).append(line)
    for group in by_class.values():  # rounded once per class, as the engine does
        rate = group[0]["tax_rate_bp"]
        if not rate:
            continue
        total = class_tax(sum(ln["total"] for ln in group), rate, q["tax_mode"])
        for line in group[:-1]:
            line["tax_amount"] = class_tax(line["total"], rate, q["tax_mode"])
        group[-1]["tax_amount"] = total - sum(ln["tax_amount"] for ln in group[:-1])
    return lines


def sell(conn: sqlite3.Connection, actor: Actor, quotation_id: str, method: str, *, reference: str = "",
         provider: str = "") -> dict[str, Any]:
    """Record the quotation's sale on the back-office till, paid by `method` (or on account), and
    link it; returns {"sale_id", "invoice_number", "quotation"}. Refused: an expired, already
    sold or past-valid-until quotation (409), cash or an unknown method (422 naming `method`)."""
    from hub.quotations import service
    from hub.sales.ingest import ingest_sale

    q = service.quotation(conn, quotation_id)
    if method not in METHODS:
        raise FieldErrors([("method", "bank transfer, card, mobile money or on account: cash is taken at a till, "
                                      "where a drawer counts it")])
    if q["sale_id"]:
        raise service.QuotationStateError("the quotation is sold already", extra={"sale_id": q["sale_id"]})
    if q["status"] not in ("draft", "sent", "accepted", "converted"):
        raise service.QuotationStateError(f"a {q['status']} quotation is not sold", extra={"status": q["status"]})
    if q["past_valid_until"]:
        raise service.QuotationStateError(f"the quotation was valid until {q['valid_until']}: edit it to price it "
                                          "again", code="quotation_expired", extra={"valid_until": q["valid_until"]})
    if method == "credit_account" and not q["customer_id"]:
        raise FieldErrors([("method", "only a customer's quotation goes on account")])
    till = ensure_device(conn, actor)
    at = conn.stamp()  # type: ignore[attr-defined]
    lines = _lines(conn, q, actor, at)
    tax = sum(ln["tax_amount"] for ln in lines)
    net = sum(ln["total"] for ln in lines)
    total = net + (tax if q["tax_mode"] == "exclusive" else 0)
    if total <= 0:
        raise ConflictError("the quotation comes to nothing: there is no sale to record", code="quotation_empty")
    sequence = conn.execute("SELECT coalesce(max(sequence), 0) + 1 FROM sales WHERE device_id = ?",
                            (till,)).fetchone()[0]
    subtotal = sum(ln["total"] + sum(d["amount"] for d in ln["discounts"]) for ln in lines)
    body = {"id": new_id(), "sequence": sequence, "currency": q["currency"],
            "device_clock": parse_ts(at).astimezone(dt.timezone.utc).isoformat(), "lines": lines,
            "tenders": [{"method": method, "currency": q["currency"], "amount": total,
                         "provider": provider.strip()[:40], "reference": reference.strip()[:64]}],
            "subtotal": subtotal, "discount_total": subtotal - net, "tax_total": tax, "total": total,
            "customer_id": q["customer_id"]}
    # One audit entry for the whole change: the sale's, naming the quotation it sold.
    result = ingest_sale(conn, body, device_id=till, caller=actor, origin={
        "quotation_id": quotation_id, "quotation": q["label"], "status_before": q["status"], "method": method})
    from hub.db import quotations as rows

    rows.set_fields(conn, quotation_id, at, status="converted", sale_id=result.sale_id,
                    conversion="on_account" if method == "credit_account" else None)  # how it was sold
    sale = conn.execute("SELECT invoice_number FROM sales WHERE id = ?", (result.sale_id,)).fetchone()
    return {"sale_id": result.sale_id, "invoice_number": sale[0], "quotation": service.quotation(conn, quotation_id)}
