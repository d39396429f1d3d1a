"""The receipt page's refund and price-correction forms: a manager in the portal is at no till, so
each form names the till (one with an open shift) where the money is paid out or taken, and the
document is recorded through the API's own service (hub.sales.refunds.refund_sale,
hub.sales.corrections.correct_sale) as made by the signed-in manager at that till and shift, at
the hub's time. Typed quantities and amounts are read exactly (hub.portal.parse); the services'
field names are turned into the form's inputs so each refusal shows beside its field.

A refund or correction needs a till and the shift open at it: with no open shift the page says
so and offers neither (the service would record a shift-less document only as an `unknown_shift`
exception, a till's offline fallback, and the portal never names a shift it does not have).
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from hub.clock import utc_now
from hub.errors import ConflictError, FieldErrors, HubError
from hub.catalogue._refdata_portal import Refusal, refusal
from hub.ids import new_id
from hub.portal.parse import TypedError, parse_amount, scaled
from hub.pricing.rounding import div_round
from hub.sales import _portal_reads as reads
from hub.sales import corrections, money, refunds, service
from hub.sales.schemas import CorrectionCreate, CorrectionLineIn, Rate, RefundCreate, RefundLineIn, TenderIn

MAX_REASON, MAX_WRITE_OFF = 500, 200  # hub.sales.schemas RefundCreate, RefundLineIn
_QUANTITY = re.compile(r"^([0-9]{1,9})(?:\.([0-9]+))?$")
FATES = (("restock", "Back to stock"), ("write_off", "Write off"))

OPEN_TILLS_SQL = """
SELECT s.id, s.number, s.device_id, d.name AS till, coalesce(u.display_name, u.username) AS cashier
FROM shifts s JOIN devices d ON d.id = s.device_id JOIN users u ON u.id = s.cashier_id
WHERE s.status = 'open' AND d.revoked_at IS NULL
ORDER BY d.name, s.number, s.id
"""


# ---- what the forms offer -----------------------------------------------------------------------

def open_tills(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Each open shift with its till's name and cashier: where a portal refund's money moves."""
    return [dict(r) for r in conn.execute(OPEN_TILLS_SQL)]


def till_label(row: dict[str, Any]) -> str:
    number = f"shift {row['number']}" if row.get("number") else "open shift"
    return f"{row['till']} · {row['cashier']} · {number}"


def till_names(conn: sqlite3.Connection, sale: dict[str, Any]) -> dict[str, str]:
    """device id -> name, for the tills the sale's refunds and corrections were made at."""
    ids = sorted({d["device_id"] for d in (*sale["refunds"], *sale["corrections"])})
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return {r[0]: r[1] for r in conn.execute(f"SELECT id, name FROM devices WHERE id IN ({marks})", ids)}


def line_units(sale: dict[str, Any], units: dict[str, dict[str, Any]]) -> dict[int, int]:
    """sale line -> the decimals its quantity is typed in (its unit's; 3 for an unknown product)."""
    out = {}
    for line in sale["lines"]:
        decimals = units.get(line["product_id"] or "", {}).get("decimals")
        out[line["line_no"]] = 3 if decimals is None else int(decimals)
    return out


def whole_sale_rates(sale: dict[str, Any]) -> list[tuple[str, int]]:
    """The tax code and rate a whole-sale correction may carry: the rates the sale's lines had."""
    return sorted({(line["tax_code"], line["tax_rate_bp"]) for line in sale["lines"]})


def tender_currencies(sale: dict[str, Any]) -> list[tuple[str, int, int]]:
    """A correction is tendered in the receipt currency or another the sale took, at the rate the
    sale recorded."""
    rates = sale.get("rates") or {}
    return [(sale["currency"], 1, 1)] + [(c, int(r), int(s)) for c, (r, s) in sorted(rates.items())]


# ---- reading the forms ------------------------------------------------------------------------

def parse_quantity(text: str, decimals: int) -> int:
    """"1.5" of a unit with `decimals` -> 1500 thousandths, exactly; TypedError otherwise."""
    match = _QUANTITY.match(text.strip())
    if match is None:
        raise TypedError("must be a quantity such as " + ("1.5" if decimals else "2"))
    return scaled(match[1], match[2] or "", decimals) * 10 ** (3 - decimals)


def _open_shift(conn: sqlite3.Connection, shift_id: str, field: str,
                problems: list[tuple[str, str]]) -> dict[str, Any] | None:
    if not shift_id:
        problems.append((field, "choose the till where the money moves"))
        return None
    row = conn.execute("SELECT id, device_id FROM shifts WHERE id = ? AND status = 'open'", (shift_id[:64],)).fetchone()
    if row is None:
        problems.append((field, "that till's shift is no longer open: choose a till with an open shift"))
        return None
    return dict(row)


# The id a refund or correction form was rendered with: the document's id, so the same form sent
# twice (a double click, a resend after a dropped reply) records one document, as a till's retry does.
_DOC_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _doc_id(values: dict[str, str]) -> str:
    given = values.get("doc_id", "").strip()
    return given if _DOC_ID.match(given) else new_id()


def _recorded(conn: sqlite3.Connection, table: str, doc_id: str, sale_id: str) -> bool:
    """Whether the form's document is already recorded for this sale (the form was sent before)."""
    found = conn.execute(f"SELECT 1 FROM {table} WHERE id = ? AND sale_id = ?", (doc_id, sale_id)).fetchone()
    return found is not None


def _reason(values: dict[str, str], field: str, missing: str, problems: list[tuple[str, str]]) -> str:
    reason = values.get(field, "").strip()
    if not reason:
        problems.append((field, missing))
    elif len(reason) > MAX_REASON:
        problems.append((field, f"must be at most {MAX_REASON} characters"))
    return reason


def refund(conn: sqlite3.Connection, sale_id: str, values: dict[str, str], actor: Any, unlimited: bool) -> str:
    """Record the refund form's refund of `sale_id` at the chosen till's open shift; its id."""
    doc_id = _doc_id(values)
    if _recorded(conn, "sale_refunds", doc_id, sale_id):
        return doc_id
    sale = service.detail(conn, sale_id)
    problems: list[tuple[str, str]] = []
    shift = _open_shift(conn, values.get("till", ""), "till", problems)
    decimals = line_units(sale, reads.receipt_names(conn, sale)["units"])
    lines: list[RefundLineIn] = []
    for line in sale["lines"]:
        n = line["line_no"]
        text = values.get(f"qty-{n}", "").strip()
        if not text:
            continue
        try:
            quantity = parse_quantity(text, decimals[n])
        except TypedError as err:
            problems.append((f"qty-{n}", f"the quantity {err}"))
            continue
        if quantity == 0:
            continue
        write_off = values.get(f"fate-{n}", "restock") == "write_off"
        why = values.get(f"why-{n}", "").strip()
        if write_off and not why:
            problems.append((f"why-{n}", "say why the goods are written off, not restocked"))
        elif len(why) > MAX_WRITE_OFF:
            problems.append((f"why-{n}", f"must be at most {MAX_WRITE_OFF} characters"))
        lines.append(RefundLineIn(line_no=n, quantity=quantity, restock=not write_off,
                                  write_off_reason=why if write_off else ""))
    if not lines and not any(f.startswith("qty-") for f, _ in problems):
        problems.append(("lines", "give the quantity to refund on at least one line"))
    refund_to = values.get("refund_to", "original")
    if refund_to not in ("original", "store_credit"):
        problems.append(("refund_to", "choose the original tenders or store credit"))
    reason = _reason(values, "r_reason", "say why the goods come back", problems)
    if problems or shift is None:
        raise FieldErrors(problems)
    body = RefundCreate(id=doc_id, device_clock=utc_now(), reason=reason, lines=lines, refund_to=refund_to,
                        shift_id=shift["id"])
    try:
        return refunds.refund_sale(conn, sale_id, body, device_id=shift["device_id"], caller=actor,
                                   unlimited=unlimited, at_hub=True).refund_id
    except FieldErrors as err:
        raise FieldErrors(_renamed(err, {i: ln.line_no for i, ln in enumerate(lines)})) from None
    except refunds.NotRefundableError as err:
        over = err.extra.get("lines")
        if not over:
            raise
        errors = [{"field": f"qty-{o['line_no']}",
                   "message": f"only {reads.unit_quantity(o['refundable'], decimals[o['line_no']])} still "
                              f"refundable ({reads.unit_quantity(o['asked'], decimals[o['line_no']])} asked)"}
                  for o in over]
        raise refunds.NotRefundableError(err.detail, extra={**err.extra, "errors": errors}) from None


def _renamed(err: FieldErrors, line_of: dict[int, int]) -> list[tuple[str, str]]:
    """The service's field names as the refund form's inputs."""
    out = []
    for item in err.extra.get("errors", ()):
        name = item["field"]
        found = re.match(r"lines\[(\d+)\]\.(\w+)", name)
        if found and int(found[1]) in line_of:
            n = line_of[int(found[1])]
            name = f"why-{n}" if found[2] == "write_off_reason" else f"qty-{n}"
        elif name == "reason":
            name = "r_reason"
        out.append((name, item["message"]))
    return out or [("r_reason", err.detail)]


def refund_refusal(err: HubError) -> Refusal:
    refused = refusal(err, "The refund was not recorded")
    if not refused.errors and isinstance(err, ConflictError):
        return Refusal(refused.status, refused.summary, {"lines": refused.summary})
    return refused


def correct(conn: sqlite3.Connection, sale_id: str, values: dict[str, str], actor: Any) -> str:
    """Record the correction form's charge or credit on `sale_id` at the chosen till's open shift."""
    doc_id = _doc_id(values)
    if _recorded(conn, "sale_corrections", doc_id, sale_id):
        return doc_id
    sale = service.detail(conn, sale_id)
    problems: list[tuple[str, str]] = []
    shift = _open_shift(conn, values.get("c_till", ""), "c_till", problems)
    kind = values.get("kind", "")
    if kind not in ("charge", "credit"):
        problems.append(("kind", "choose a charge or a credit"))
    specs = reads.currency_decimals(conn)
    r_dec = specs.get(sale["currency"], 2)
    amount = 0
    try:
        amount = parse_amount(values.get("amount", ""), r_dec)
        if amount <= 0:
            problems.append(("amount", "must be more than zero"))
    except TypedError as err:
        problems.append(("amount", f"the amount {err}"))
    target = values.get("target", "")
    lines_by_no = {line["line_no"]: line for line in sale["lines"]}
    rates = {f"{code}:{bp}": (code, bp) for code, bp in whole_sale_rates(sale)}
    line_in = None
    if target.startswith("line-") and target[5:].isdigit() and int(target[5:]) in lines_by_no:
        n = int(target[5:])
        line_in = CorrectionLineIn(amount=max(amount, 1), line_no=n)
        bp = lines_by_no[n]["tax_rate_bp"]
    elif target.startswith("sale-") and target[5:] in rates:
        code, bp = rates[target[5:]]
        line_in = CorrectionLineIn(amount=max(amount, 1), tax_code=code, tax_rate_bp=bp)
    else:
        problems.append(("target", "choose the whole sale or one of its lines"))
    method = values.get("method", "")
    if method not in money.METHODS:
        problems.append(("method", "choose how the money is paid"))
    currencies = {c: (r, s) for c, r, s in tender_currencies(sale)}
    currency = values.get("currency", "")
    if currency not in currencies:
        problems.append(("currency", f"choose {sale['currency']} or a currency the sale took"))
    provider = values.get("provider", "").strip()
    reference = values.get("reference", "").strip()
    if len(provider) > 40:
        problems.append(("provider", "must be at most 40 characters"))
    if len(reference) > 64:
        problems.append(("reference", "must be at most 64 characters"))
    reason = _reason(values, "c_reason", "say why the price is corrected", problems)
    if problems or shift is None or line_in is None:
        raise FieldErrors(problems)
    tax = div_round(amount * bp, 10000) if sale["tax_mode"] == "exclusive" else 0
    total = amount + tax
    rate, scale = currencies[currency]
    foreign = currency != sale["currency"]
    paid = money.from_receipt(total, rate, scale, specs.get(currency, 2), r_dec) if foreign else total
    body = CorrectionCreate(
        id=doc_id, kind=kind, device_clock=utc_now(), reason=reason, lines=[line_in],
        tenders=[TenderIn(method=method, currency=currency, amount=paid, provider=provider, reference=reference)],
        rates=[Rate(currency=currency, rate=rate, rate_scale=scale)] if foreign else [], shift_id=shift["id"])
    try:
        return corrections.correct_sale(conn, sale_id, body, device_id=shift["device_id"], caller=actor,
                                        at_hub=True).correction_id
    except FieldErrors as err:
        names = {"reason": "c_reason", "tenders": "currency"}
        out = []
        for item in err.extra.get("errors", ()):
            name = item["field"]
            name = names.get(name) or ("target" if name.startswith("lines") else
                                       "currency" if name.startswith(("tenders", "rates")) else name)
            out.append((name, item["message"]))
        raise FieldErrors(out or [("c_reason", err.detail)]) from None


def correction_refusal(err: HubError) -> Refusal:
    refused = refusal(err, "The price correction was not recorded")
    if not refused.errors and isinstance(err, ConflictError):
        return Refusal(refused.status, refused.summary, {"kind": refused.summary})
    return refused
