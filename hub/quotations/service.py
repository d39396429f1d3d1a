"""Rules for quotations (docs/customers.md, "Quotations"): a draft for a customer priced by the
pricing engine (hub.pricing.quote, the tills' own rules) at the customer's tier; edited while a
draft or sent; marked sent, accepted or expired; converted into a basket a till fetches and sells
(paid at the till, or on the customer's account). Each change is one `db.write` with one audit entry.

Every sale is born at a till (its invoice number, its fiscal device, its stock movement), so the
hub never makes a sale itself: converting hands the till the quotation's lines at the quoted
prices, and the till's sale links back with `fulfil`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from hub.catalogue._common import found
from hub.db import audit, customers as customer_rows, quotations as rows
from hub.db.audit import Actor
from hub.errors import ConflictError, FieldErrors
from hub.ids import new_id

STATUSES = ("draft", "sent", "accepted", "expired", "converted")
EDITABLE = ("draft", "sent")
MODES = ("pay_at_till", "on_account")
MAX_LINES = 200
# status -> the statuses it may move to by hand
MOVES = {"sent": ("draft",), "accepted": ("draft", "sent"), "expired": ("draft", "sent", "accepted")}


class QuotationStateError(ConflictError):
    code = "quotation_state"


def _now(conn: sqlite3.Connection) -> str:
    return conn.stamp()  # type: ignore[attr-defined]


def today(conn: sqlite3.Connection) -> dt.date:
    from hub.customers.credit import today_in

    return today_in(conn)


def quotation(conn: sqlite3.Connection, quotation_id: str) -> dict[str, Any]:
    q = found(rows.get(conn, quotation_id), f"quotation {quotation_id}")
    q["lines"] = rows.lines(conn, quotation_id)
    q["past_valid_until"] = q["valid_until"] < today(conn).isoformat()
    return q


def _day(value: str | None, field: str, problems: list[tuple[str, str]]) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        problems.append((field, "must be a day such as 2026-12-31"))
        return None


def _priced(conn: sqlite3.Connection, values: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The quotation's row and lines priced by the engine at the customer's tier, now; FieldErrors
    naming each wrong field (the engine's refusals name their line)."""
    from hub.pricing.quote import quote

    problems: list[tuple[str, str]] = []
    customer = customer_rows.survivor(conn, values.get("customer_id"))
    if customer is None:
        problems.append(("customer_id", "there is no such customer"))
    valid_until = _day(values.get("valid_until"), "valid_until", problems)
    if values.get("valid_until") is None:
        problems.append(("valid_until", "say until when the prices hold"))
    follow_up = _day(values.get("follow_up_on"), "follow_up_on", problems)
    lines = values.get("lines") or []
    if not lines:
        problems.append(("lines", "a quotation needs at least one line"))
    elif len(lines) > MAX_LINES:
        problems.append(("lines", f"at most {MAX_LINES} lines"))
    if problems:
        raise FieldErrors(problems)
    assert customer is not None
    tier = customer["tier_id"]
    result = quote(conn, {"currency": values["currency"], "tier": tier,
                          "lines": [{"product": ln["product_id"], "quantity": ln["quantity"]} for ln in lines]})
    names = rows.products(conn, [ln["product_id"] for ln in lines])
    priced = []
    for i, (given, got) in enumerate(zip(lines, result["lines"])):
        product = names.get(given["product_id"], {"name": given["product_id"], "sku": ""})
        priced.append({"line_no": i, "product_id": given["product_id"], "name": product["name"],
                       "sku": product["sku"], "quantity": given["quantity"], "unit_price": got["unit_price"],
                       "gross": got["gross"], "discount": sum(d["amount"] for d in got["discounts"]),
                       "net": got["net"], "tax_class": got["tax_class"]})
    row = {"customer_id": customer["id"], "currency": values["currency"], "valid_until": valid_until,
           "follow_up_on": follow_up, "note": (values.get("note") or "").strip(), "tax_mode": result["tax_mode"],
           "tier_id": tier, "subtotal": result["subtotal"], "discount_total": result["discount_total"],
           "tax_total": result["tax_total"], "total": result["total"], "priced_at": result["at"]}
    return row, priced


def create(conn: sqlite3.Connection, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    row, priced = _priced(conn, values)
    quotation_id = new_id()
    for line in priced:
        line["quotation_id"] = quotation_id
    rows.insert(conn, {**row, "id": quotation_id, "created_by": actor.user_id, "now": _now(conn)}, priced)
    q = quotation(conn, quotation_id)
    audit.append(conn, actor, "quotation.created", "quotation", quotation_id, after=_audited(q))
    return q


def _audited(q: dict[str, Any]) -> dict[str, Any]:
    return {"number": q["label"], "customer_id": q["customer_id"], "currency": q["currency"], "total": q["total"],
            "lines": len(q["lines"]), "valid_until": q["valid_until"], "follow_up_on": q["follow_up_on"],
            "status": q["status"]}


def update(conn: sqlite3.Connection, actor: Actor, quotation_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """Replace the customer, currency, lines, dates and note, priced again now (a draft or sent one)."""
    before = quotation(conn, quotation_id)
    if before["status"] not in EDITABLE:
        raise QuotationStateError(f"a {before['status']} quotation is not edited", extra={"status": before["status"]})
    row, priced = _priced(conn, values)
    for line in priced:
        line["quotation_id"] = quotation_id
    rows.replace(conn, quotation_id, row, priced, _now(conn))
    if row["customer_id"] != before["customer_id"]:
        rows.set_fields(conn, quotation_id, _now(conn), customer_id=row["customer_id"])
    after = quotation(conn, quotation_id)
    audit.append(conn, actor, "quotation.updated", "quotation", quotation_id, before=_audited(before),
                 after=_audited(after))
    return after


def mark(conn: sqlite3.Connection, actor: Actor, quotation_id: str, status: str) -> dict[str, Any]:
    """Mark sent, accepted or expired (from the statuses MOVES allows)."""
    q = quotation(conn, quotation_id)
    if q["status"] not in MOVES[status]:
        raise QuotationStateError(f"a {q['status']} quotation is not marked {status}", extra={"status": q["status"]})
    rows.set_fields(conn, quotation_id, _now(conn), status=status)
    audit.append(conn, actor, f"quotation.{status}", "quotation", quotation_id,
                 before={"status": q["status"]}, after={"status": status})
    return quotation(conn, quotation_id)


def convert(conn: sqlite3.Connection, actor: Actor, quotation_id: str, mode: str) -> dict[str, Any]:
    """Hand the quotation to the tills as a basket: paid at the till, or on the customer's account
    (the till rings it with a credit_account tender). Refused once expired or past its valid-until day."""
    q = quotation(conn, quotation_id)
    if mode not in MODES:
        raise FieldErrors([("mode", "pay_at_till or on_account")])
    if q["status"] not in ("draft", "sent", "accepted"):
        raise QuotationStateError(f"a {q['status']} quotation is not converted", extra={"status": q["status"]})
    if q["past_valid_until"]:
        raise QuotationStateError(f"the quotation was valid until {q['valid_until']}: edit it to price it again",
                                  code="quotation_expired", extra={"valid_until": q["valid_until"]})
    rows.set_fields(conn, quotation_id, _now(conn), status="converted", conversion=mode)
    audit.append(conn, actor, "quotation.converted", "quotation", quotation_id,
                 before={"status": q["status"]}, after={"status": "converted", "conversion": mode})
    return quotation(conn, quotation_id)


def fulfil(conn: sqlite3.Connection, actor: Actor, quotation_id: str, sale_id: str) -> dict[str, Any]:
    """The till's sale of a converted quotation's basket; the same sale again changes nothing."""
    q = quotation(conn, quotation_id)
    if q["sale_id"] == sale_id:
        return q
    if q["status"] != "converted" or q["sale_id"]:
        raise QuotationStateError("only a converted quotation not yet sold takes a sale", extra={"status": q["status"]})
    sale = conn.execute("SELECT id FROM sales WHERE id = ?", (sale_id,)).fetchone()
    if sale is None:
        raise FieldErrors([("sale_id", "the hub holds no such sale")])
    rows.set_fields(conn, quotation_id, _now(conn), sale_id=sale_id)
    audit.append(conn, actor, "quotation.fulfilled", "quotation", quotation_id, after={"sale_id": sale_id})
    return quotation(conn, quotation_id)


def basket(conn: sqlite3.Connection, number: int) -> dict[str, Any]:
    """A converted quotation as the till sells it: lines at the quoted prices, customer, tender."""
    from hub.errors import NotFoundError

    q = rows.by_number(conn, number)
    if q is None or q["status"] != "converted":
        raise NotFoundError(f"no converted quotation Q-{number}")
    q = quotation(conn, q["id"])
    return {"quotation_id": q["id"], "number": q["label"], "customer_id": q["customer_id"],
            "customer_name": q["customer_name"], "currency": q["currency"], "tier_id": q["tier_id"],
            "tax_mode": q["tax_mode"], "conversion": q["conversion"],
            "tender": "credit_account" if q["conversion"] == "on_account" else None,
            "sale_id": q["sale_id"], "total": q["total"], "lines": q["lines"]}


def pipeline(conn: sqlite3.Connection) -> dict[str, Any]:
    """Per status: count and total per currency (never summed across currencies); and what is due."""
    out: dict[str, dict[str, Any]] = {s: {"count": 0, "totals": {}} for s in STATUSES}
    for r in rows.pipeline(conn):
        out[r["status"]]["count"] += r["count"]
        out[r["status"]]["totals"][r["currency"]] = r["total"]
    return {"statuses": [{"status": s, **out[s]} for s in STATUSES],
            "due": rows.listing(conn, due=today(conn).isoformat(), limit=200)}
