"""Price corrections: an extra charge (or a credit) after a sale, made at a till with a reason and
its own tenders; a new document (the sale is never edited) that moves money and no stock
(docs/sales.md, "Price corrections").

Idempotent by the till's correction id like a sale (409 `correction_id_reused` for another body
under it). Per sale line (its tax code and rate) or for the whole sale (the body names the tax
code and rate); the hub works out each line's tax at the sale's tax mode, so the document holds
what a debit or credit note needs: the sale, the currency and the amounts per tax rate. Its
tenders must make up its total (each in its currency at the rate the till gives, within the
same conversion slack a sale has). It counts in the shift it names; an unknown or closed shift
raises the exception a sale would. One audit entry, one transaction.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from typing import Any

import msgspec

from hub.catalogue._common import found
from hub.clock import format_ts
from hub.db import audit, sales as rows
from hub.db.audit import Actor
from hub.devices.clock import corrected_time
from hub.errors import ConflictError, FieldErrors
from hub.fiscal import hooks as fiscal_hooks
from hub.pricing.rounding import div_round
from hub.sales import money
from hub.sales.refunds import shift_exceptions, shown
from hub.sales.schemas import CorrectionCreate


class CorrectionIdReusedError(ConflictError):
    code = "correction_id_reused"


class NotCorrectableError(ConflictError):
    code = "not_correctable"


@dataclass
class Result:
    correction_id: str
    created: bool


def _shown_row(conn: sqlite3.Connection, row: dict[str, Any], invoice_number: str) -> dict[str, Any]:
    for tender in row["tenders"]:
        tender.update(money_type=money.money_type(tender["method"]),
                      money_type_code=money.money_type_code(tender["method"]))
    taxes: dict[tuple[str, int], list[int]] = {}
    for line in row["lines"]:
        got = taxes.setdefault((line["tax_code"], line["tax_rate_bp"]), [0, 0])
        got[0] += line["amount"]
        got[1] += line["tax_amount"]
    row["taxes"] = [{"tax_code": code, "tax_rate_bp": bp, "amount": a, "tax": t}
                    for (code, bp), (a, t) in sorted(taxes.items())]
    return {**row, "invoice_number": invoice_number}


def detail(conn: sqlite3.Connection, correction_id: str) -> dict[str, Any]:
    row = found(rows.get_correction(conn, correction_id), f"correction {correction_id}")
    sale = rows.get_sale(conn, row["sale_id"]) or {}
    return _shown_row(conn, row, sale.get("invoice_number", ""))


def of_sale(conn: sqlite3.Connection, sale: dict[str, Any]) -> list[dict[str, Any]]:
    return [_shown_row(conn, r, sale["invoice_number"]) for r in rows.corrections_of(conn, sale["id"])]


def body_hash(sale_id: str, body: CorrectionCreate) -> str:
    return hashlib.sha256(sale_id.encode() + b"\0" + msgspec.json.encode(body, order="deterministic")).hexdigest()


def _lines(sale: dict[str, Any], body: CorrectionCreate, sale_lines: dict[int, dict],
           problems: list[tuple[str, str]]) -> list[dict[str, Any]]:
    exclusive = sale["tax_mode"] == "exclusive"
    out = []
    for i, given in enumerate(body.lines):
        if given.line_no is not None:
            line = sale_lines.get(given.line_no)
            if line is None:
                problems.append((f"lines[{i}].line_no", f"the sale has no line {given.line_no}"))
                continue
            code, bp = line["tax_code"], line["tax_rate_bp"]
            if (given.tax_code and given.tax_code != code) or (given.tax_rate_bp and given.tax_rate_bp != bp):
                problems.append((f"lines[{i}].tax_rate_bp", f"line {given.line_no} is taxed at {code} {bp} bp: "
                                                            "leave the tax out or give the same"))
                continue
        else:
            code, bp = given.tax_code, given.tax_rate_bp
        tax = div_round(given.amount * bp, 10000) if exclusive else div_round(given.amount * bp, 10000 + bp)
        out.append({"line_no": i, "sale_line_no": given.line_no, "description": given.description.strip(),
                    "tax_code": code, "tax_rate_bp": bp, "amount": given.amount, "tax_amount": tax})
    return out


def _tenders(sale: dict[str, Any], body: CorrectionCreate, total: int, specs: dict,
             problems: list[tuple[str, str]]) -> tuple[list[dict[str, Any]], dict[str, list[int]]]:
    """Tender rows with their receipt amounts; their sum must be the total within the slack of
    one cash step per tender in another currency."""
    currency = sale["currency"]
    rates: dict[str, tuple[int, int]] = {}
    for i, r in enumerate(body.rates):
        if r.currency == currency or r.currency in rates or r.currency not in specs:
            problems.append((f"rates[{i}].currency", f"give one rate per other currency the store holds "
                                                     f"({r.currency})"))
        rates[r.currency] = (r.rate, r.rate_scale)
    out, slack = [], 0
    r_dec = specs.get(currency, {}).get("decimals", 2)
    for i, t in enumerate(body.tenders):
        if t.currency != currency and (t.currency not in specs or t.currency not in rates):
            problems.append((f"tenders[{i}].currency", f"no rate to {currency} is given for {t.currency}"))
            continue
        rate, scale = rates.get(t.currency, (1, 1))
        c_dec = specs[t.currency]["decimals"]
        receipt = t.amount if t.currency == currency else money.to_receipt(t.amount, rate, scale, c_dec, r_dec)
        if t.currency != currency:
            slack += -(-(specs[t.currency]["cash_rounding"] * scale * 10 ** r_dec) // (rate * 10 ** c_dec))
        out.append({"correction_id": body.id, "seq": i, "method": t.method,
                    "provider": "" if t.method == "cash" else t.provider.strip(), "reference": t.reference.strip(),
                    "currency": t.currency, "amount": t.amount, "rate": rate, "rate_scale": scale,
                    "amount_receipt": receipt})
    paid = sum(t["amount_receipt"] for t in out)
    if not problems and abs(paid - total) > slack:
        problems.append(("tenders", f"make {shown(paid, currency, specs)}, not the correction's total "
                                    f"{shown(total, currency, specs)}"))
    return out, {c: [r, s] for c, (r, s) in sorted(rates.items())}


def correct_sale(conn: sqlite3.Connection, sale_id: str, body: CorrectionCreate, *, device_id: str, caller: Actor,
                 received_at: str | None = None, at_hub: bool = False) -> Result:
    """Record the price correction `body` of `sale_id`, made at the till `device_id` by `caller`,
    inside the caller's transaction (`at_hub`: named from the portal, at the hub's time, as a
    refund's)."""
    digest = body_hash(sale_id, body)
    held = rows.get_correction(conn, body.id)
    if held is not None:
        if held["body_hash"] != digest or held["device_id"] != device_id:
            raise CorrectionIdReusedError(f"correction {body.id} was recorded with other contents",
                                          extra={"sale_id": held["sale_id"]})
        return Result(body.id, created=False)
    sale = found(rows.get_sale(conn, sale_id), f"sale {sale_id}")
    problems: list[tuple[str, str]] = []
    if body.device_clock.tzinfo is None:
        problems.append(("device_clock", "needs a time zone (Z or +02:00)"))
    elif not 2000 <= body.device_clock.year <= 9998:
        problems.append(("device_clock", "must be between the years 2000 and 9998"))
    reason = body.reason.strip()
    if not reason:
        problems.append(("reason", "say why the price is corrected"))
    if sale["void_id"] is not None:
        raise NotCorrectableError(f"sale {sale['invoice_number']} was voided: it takes no correction",
                                  extra={"void_id": sale["void_id"]})
    sale_lines = {line["line_no"]: line for line in rows.parts(conn, sale_id)["lines"]}
    lines = _lines(sale, body, sale_lines, problems)
    tax_total = sum(line["tax_amount"] for line in lines)
    total = sum(line["amount"] for line in lines) + (tax_total if sale["tax_mode"] == "exclusive" else 0)
    specs = rows.currency_specs(conn)
    tenders, rates = _tenders(sale, body, total, specs, problems)
    if problems:
        raise FieldErrors(problems)
    for line in lines:
        line["correction_id"] = body.id
    recorded_at = conn.stamp()  # type: ignore[attr-defined]
    occurred_at = recorded_at if at_hub else corrected_time(conn, device_id, body.device_clock,
                                                            received_at=received_at or recorded_at)
    user = conn.execute("SELECT username FROM users WHERE id = ?", (caller.user_id,)).fetchone()
    row = {"id": body.id, "sale_id": sale_id, "device_id": device_id, "shift_id": body.shift_id, "kind": body.kind,
           "corrected_by": caller.user_id or "", "corrected_by_name": user[0] if user else (caller.username or ""),
           "currency": sale["currency"], "rates": rates, "total": total, "tax_total": tax_total, "reason": reason,
           "occurred_at": occurred_at, "device_clock": format_ts(body.device_clock), "recorded_at": recorded_at,
           "body_hash": digest}
    rows.insert_correction(conn, row, lines, tenders)
    fiscal_hooks.on_correction(conn, sale, row)  # a debit or credit note of the fiscal invoice (docs/fiscal.md)
    raised = shift_exceptions(conn, row, "correction")
    audit.append(conn, caller, "sale.corrected", "sale", sale_id, after={
        "correction_id": body.id, "invoice_number": sale["invoice_number"], "kind": body.kind,
        "currency": sale["currency"], "total": total, "tax_total": tax_total, "lines": len(lines),
        "reason": reason, "occurred_at": occurred_at, "exceptions": raised})
    return Result(body.id, created=True)
