"""Refunds and returns: a new document against a sale, made at a till (the sale is never edited;
docs/sales.md, "Refunds").

Idempotent by the till's refund id like a sale: the same body again changes nothing and gives
the same refund; another body under that id is 409 `refund_id_reused`. Refused: more than a line
still holds (across earlier refunds) or a voided sale (409 `not_refundable`), a total above the
store's refund limit in the receipt currency without sales.refund_unlimited (403 `refund_limit`).
An unknown or closed shift is accepted and raises the exception a sale would.

The money goes back in the sale's receipt currency's worth, to the sale's own tenders (each in
its currency at the rate the sale recorded) or as store credit; restocked lines move stock back
through the ledger (kind `refund`), written-off lines move none. One audit entry, one transaction.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from typing import Any

import msgspec

from hub.catalogue._common import found
from hub.customers import hooks as customer_hooks
from hub.clock import format_ts
from hub.db import audit, sales as rows
from hub.db.audit import Actor
from hub.db.settings import get_setting, put_setting
from hub.devices.clock import corrected_time
from hub.errors import ConflictError, FieldErrors, PermissionDeniedError
from hub.fiscal import hooks as fiscal_hooks
from hub.exceptions.service import raise_exception
from hub.inventory import ledger
from hub.pricing.rounding import div_round
from hub.sales import money
from hub.sales.schemas import RefundCreate

SOURCE = "sale_refund"
LIMITS_KEY = "sales.refund_limits"


class RefundIdReusedError(ConflictError):
    code = "refund_id_reused"


class NotRefundableError(ConflictError):
    code = "not_refundable"


class RefundLimitError(PermissionDeniedError):
    code = "refund_limit"


@dataclass
class Result:
    refund_id: str
    created: bool


# ---- the refund limit (a store setting, per receipt currency) -----------------------------------

def limits(conn: sqlite3.Connection) -> dict[str, int]:
    """Minor units per receipt currency above which a refund needs sales.refund_unlimited; a
    currency not named has no limit."""
    return {c: int(v) for c, v in sorted((get_setting(conn, LIMITS_KEY, {}) or {}).items())}


def get_settings(conn: sqlite3.Connection) -> dict[str, Any]:
    return {"limits": limits(conn)}


def update_settings(conn: sqlite3.Connection, actor: Actor, new: dict[str, int]) -> dict[str, Any]:
    """Set the limits (the whole map); setting them to what they are writes nothing."""
    specs = rows.currency_specs(conn)
    unknown = [(f"limits.{c}", f"the store does not sell in {c}") for c in sorted(new) if c not in specs]
    if unknown:
        raise FieldErrors(unknown)
    before = get_settings(conn)
    after = {"limits": dict(sorted(new.items()))}
    if before == after:
        return before
    put_setting(conn, LIMITS_KEY, after["limits"])
    audit.append(conn, actor, "settings.refunds_updated", "settings", "refunds", before=before, after=after)
    return after


def shown(amount: int, currency: str, specs: dict) -> str:
    decimals = specs.get(currency, {}).get("decimals", 2)
    if not decimals:
        return f"{currency} {amount}"
    sign = "-" if amount < 0 else ""
    whole, part = divmod(abs(amount), 10 ** decimals)
    return f"{currency} {sign}{whole}.{part:0{decimals}d}"


# ---- reading ---------------------------------------------------------------------------------------

def detail(conn: sqlite3.Connection, refund_id: str) -> dict[str, Any]:
    refund = found(rows.get_refund(conn, refund_id), f"refund {refund_id}")
    sale = rows.get_sale(conn, refund["sale_id"]) or {}
    return _with_types({**refund, "invoice_number": sale.get("invoice_number", ""),
                        **rows.refund_parts(conn, refund_id)})


def _with_types(refund: dict[str, Any]) -> dict[str, Any]:
    for tender in refund["tenders"]:
        tender.update(money_type=money.money_type(tender["method"]),
                      money_type_code=money.money_type_code(tender["method"]))
    return refund


def of_sale(conn: sqlite3.Connection, sale: dict[str, Any]) -> list[dict[str, Any]]:
    return [_with_types({**r, "invoice_number": sale["invoice_number"]}) for r in rows.refunds_of(conn, sale["id"])]


def refundable(conn: sqlite3.Connection, sale: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    """Mark each sale line with what its refunds gave back and what is still refundable."""
    done = rows.refunded_lines(conn, sale["id"])
    for line in lines:
        line["refunded"] = done.get(line["line_no"], {}).get("quantity", 0)
        line["refundable"] = 0 if sale.get("void_id") else line["quantity"] - line["refunded"]


# ---- making one ------------------------------------------------------------------------------------

def body_hash(sale_id: str, body: RefundCreate) -> str:
    return hashlib.sha256(sale_id.encode() + b"\0" + msgspec.json.encode(body, order="deterministic")).hexdigest()


def _share(total: int, before: int, quantity: int, of: int) -> int:
    """What `quantity` of `of` is worth out of `total`, after `before` was given back already:
    cumulative rounding, so refunds of a whole line add up to exactly its total."""
    return div_round(total * (before + quantity), of) - div_round(total * before, of)


def _lines(sale: dict[str, Any], body: RefundCreate, sale_lines: dict[int, dict], done: dict[int, dict]) -> list[dict]:
    problems: list[tuple[str, str]] = []
    over: list[dict[str, Any]] = []
    seen: set[int] = set()
    out = []
    for i, given in enumerate(body.lines):
        line = sale_lines.get(given.line_no)
        if line is None:
            problems.append((f"lines[{i}].line_no", f"the sale has no line {given.line_no}"))
            continue
        if given.line_no in seen:
            problems.append((f"lines[{i}].line_no", f"line {given.line_no} is given twice"))
            continue
        seen.add(given.line_no)
        reason = given.write_off_reason.strip()
        if not given.restock and not reason:
            problems.append((f"lines[{i}].write_off_reason", "say why the goods are written off, not restocked"))
        before = done.get(given.line_no, {}).get("quantity", 0)
        left = line["quantity"] - before
        if given.quantity > left:
            over.append({"line_no": given.line_no, "name": line["name"], "asked": given.quantity, "refundable": left})
        amount = _share(line["total"], before, given.quantity, line["quantity"])
        tax = _share(line["tax_amount"], before, given.quantity, line["quantity"])
        out.append({"line_no": i, "sale_line_no": given.line_no, "sale_id": sale["id"],
                    "product_id": line["product_id"], "name": line["name"], "quantity": given.quantity,
                    "amount": amount, "tax_code": line["tax_code"], "tax_rate_bp": line["tax_rate_bp"],
                    "tax_amount": tax, "restock": int(given.restock), "write_off_reason": "" if given.restock
                    else reason})
    if problems:
        raise FieldErrors(problems)
    if over:
        said = "; ".join(f"line {o['line_no']} ({o['name']}): {o['refundable'] / 1000:g} still refundable, "
                         f"{o['asked'] / 1000:g} asked" for o in over)
        raise NotRefundableError(f"more than sale {sale['invoice_number']} still holds: {said}",
                                 extra={"lines": over})
    return out


def _tenders(conn: sqlite3.Connection, sale: dict[str, Any], refund_id: str, total: int, refund_to: str,
             specs: dict) -> list[dict[str, Any]]:
    """The money handed back: store credit in the receipt currency, or the sale's own tenders in
    order, each up to what it paid net of change and earlier refunds, converted to its currency at
    the rate the sale recorded (cumulatively, so a tender refunded whole gives back what it paid),
    cash rounded half-up to its currency's smallest coin or note, also cumulatively."""
    if total == 0:
        return []
    if refund_to == "store_credit":
        return [{"refund_id": refund_id, "seq": 0, "sale_tender_seq": None, "method": "store_credit",
                 "provider": "", "reference": "", "currency": sale["currency"], "amount": total, "rate": 1,
                 "rate_scale": 1, "amount_receipt": total}]
    parts = rows.parts(conn, sale["id"])
    tenders = parts["tenders"]
    room = {t["seq"]: t["amount_receipt"] for t in tenders}
    change = sum(c["amount_receipt"] for c in parts["change"])
    for t in reversed(tenders):  # change came out of the cash tenders
        if t["method"] == "cash" and change:
            taken = min(change, room[t["seq"]])
            room[t["seq"]] -= taken
            change -= taken
    before = rows.refunded_tenders(conn, sale["id"])
    left = total
    shares: dict[int, int] = {}
    for t in tenders:
        free = max(0, room[t["seq"]] - before.get(t["seq"], {}).get("amount_receipt", 0))
        take = min(free, left)
        if take:
            shares[t["seq"]] = take
            left -= take
    if left:  # the tenders were short of the total by the conversion slack the sale allowed
        last = max(shares) if shares else tenders[-1]["seq"]
        shares[last] = shares.get(last, 0) + left
    out = []
    receipt_decimals = specs.get(sale["currency"], {}).get("decimals", 2)
    for t in tenders:
        share = shares.get(t["seq"])
        if not share:
            continue
        done = before.get(t["seq"], {}).get("amount_receipt", 0)
        decimals = specs.get(t["currency"], {}).get("decimals", receipt_decimals)

        step = specs.get(t["currency"], {}).get("cash_rounding", 1) if t["method"] == "cash" else 1

        def back(receipt: int, t: dict = t, decimals: int = decimals, step: int = step) -> int:
            # cash goes back in what the drawer holds: the currency's smallest coin or note
            return money.cash_round(money.from_receipt(receipt, t["rate"], t["rate_scale"], decimals,
                                                       receipt_decimals), step)

        amount = back(done + share) - back(done)
        if amount <= 0:
            # A share worth less than half the smallest coin, or less than one minor unit of the
            # tender's currency: handed back as it is, at least one minor unit, so every share of
            # the total has a tender that carries it.
            amount = max(1, back(done + share, step=1) - back(done, step=1))
        out.append({"refund_id": refund_id, "seq": len(out), "sale_tender_seq": t["seq"], "method": t["method"],
                    "provider": t["provider"], "reference": t["reference"], "currency": t["currency"],
                    "amount": amount, "rate": t["rate"], "rate_scale": t["rate_scale"], "amount_receipt": share})
    return out


def shift_exceptions(conn: sqlite3.Connection, refund: dict[str, Any], subject_type: str = "refund") -> list[str]:
    """The exceptions a sale's shift would raise, for a later document's shift (a refund's, a
    correction's: `subject_type`)."""
    shift_id = refund["shift_id"]
    shift = rows.shift(conn, shift_id) if shift_id else None
    if shift is None:
        kind, detail = "unknown_shift", {"reason": "no shift named" if shift_id is None
                                         else "the hub holds no such shift"}
    elif shift["device_id"] != refund["device_id"]:
        kind, detail = "unknown_shift", {"reason": "the shift is another till's"}
    elif shift["status"] == "closed":
        kind, detail = "closed_shift", {}
    else:
        return []
    raised = raise_exception(conn, kind, subject_type, refund["id"], detail={"shift_id": shift_id, **detail},
                             sale_id=refund["sale_id"], device_id=refund["device_id"])
    return [kind] if raised else []


def refund_sale(conn: sqlite3.Connection, sale_id: str, body: RefundCreate, *, device_id: str, caller: Actor,
                unlimited: bool, received_at: str | None = None, at_hub: bool = False) -> Result:
    """Record the refund `body` of `sale_id`, made at the till `device_id` by `caller` (who may
    refund above the store's limit when `unlimited`), inside the caller's transaction. `at_hub`:
    a manager in the portal names the till; the refund stands at the hub's time, not at a till
    clock corrected by that till's skew."""
    digest = body_hash(sale_id, body)
    held = rows.get_refund(conn, body.id)
    if held is not None:
        if held["body_hash"] != digest or held["device_id"] != device_id:
            raise RefundIdReusedError(f"refund {body.id} was recorded with other contents",
                                      extra={"sale_id": held["sale_id"]})
        return Result(body.id, created=False)
    sale = found(rows.get_sale(conn, sale_id), f"sale {sale_id}")
    if body.device_clock.tzinfo is None:
        raise FieldErrors([("device_clock", "needs a time zone (Z or +02:00)")])
    if not 2000 <= body.device_clock.year <= 9998:
        raise FieldErrors([("device_clock", "must be between the years 2000 and 9998")])
    reason = body.reason.strip()
    if not reason:
        raise FieldErrors([("reason", "say why the goods come back")])
    if sale["void_id"] is not None:
        raise NotRefundableError(f"sale {sale['invoice_number']} was voided: nothing is left to refund",
                                 extra={"void_id": sale["void_id"]})
    sale_lines = {line["line_no"]: line for line in rows.parts(conn, sale_id)["lines"]}
    lines = _lines(sale, body, sale_lines, rows.refunded_lines(conn, sale_id))
    for line in lines:
        line["refund_id"] = body.id
    exclusive = sale["tax_mode"] == "exclusive"
    tax_total = sum(line["tax_amount"] for line in lines)
    total = sum(line["amount"] for line in lines) + (tax_total if exclusive else 0)
    specs = rows.currency_specs(conn)
    limit = limits(conn).get(sale["currency"])
    if limit is not None and total > limit and not unlimited:
        raise RefundLimitError(
            f"a refund above the limit of {shown(limit, sale['currency'], specs)} needs the permission "
            f"sales.refund_unlimited (this one is {shown(total, sale['currency'], specs)})",
            extra={"limit": limit, "currency": sale["currency"], "total": total})
    tenders = _tenders(conn, sale, body.id, total, body.refund_to, specs)
    recorded_at = conn.stamp()  # type: ignore[attr-defined]
    occurred_at = recorded_at if at_hub else corrected_time(conn, device_id, body.device_clock,
                                                            received_at=received_at or recorded_at)
    user = conn.execute("SELECT username FROM users WHERE id = ?", (caller.user_id,)).fetchone()
    refund = {"id": body.id, "sale_id": sale_id, "device_id": device_id, "shift_id": body.shift_id,
              "refunded_by": caller.user_id or "", "refunded_by_name": user[0] if user else (caller.username or ""),
              "currency": sale["currency"], "refund_to": body.refund_to, "total": total, "tax_total": tax_total,
              "reason": reason, "occurred_at": occurred_at, "device_clock": format_ts(body.device_clock),
              "recorded_at": recorded_at, "body_hash": digest}
    rows.insert_refund(conn, refund, lines, tenders)
    customer_hooks.on_refund(conn, sale, refund, tenders)  # store credit, credit account (docs/customers.md)
    fiscal_hooks.on_refund(conn, sale, refund)  # a credit note of the fiscal invoice (docs/fiscal.md)
    moved = {m["source_line"]: m for m in rows.stock_moved(conn, sale_id)}
    back = [line for line in lines if line["restock"] and line["sale_line_no"] in moved]
    actor = Actor(user_id=caller.user_id, username=caller.username, device_id=device_id,
                  request_id=caller.request_id)
    ledger.post(conn, [ledger.Line(kind="refund", product_id=moved[line["sale_line_no"]]["product_id"],
                                   quantity=line["quantity"], line=line["line_no"]) for line in back],
                source_type=SOURCE, source_id=body.id, actor=actor, occurred_at=occurred_at, event_id=body.id)
    raised = shift_exceptions(conn, refund)
    audit.append(conn, caller, "sale.refunded", "sale", sale_id, after={
        "refund_id": body.id, "invoice_number": sale["invoice_number"], "currency": sale["currency"],
        "total": total, "refund_to": body.refund_to, "lines": len(lines), "lines_restocked": len(back),
        "lines_written_off": sum(1 for line in lines if not line["restock"]), "reason": reason,
        "occurred_at": occurred_at, "exceptions": raised})
    return Result(body.id, created=True)
