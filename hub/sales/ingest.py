"""The one way a sale enters the hub: `ingest_sale`, called by POST /api/v1/sales and by till
sync, inside the caller's transaction (docs/sales.md).

Idempotent by the till's sale id: the same body again changes nothing and gives the same result;
another body under that id is refused (409 sale_id_reused). Only what is malformed is refused
(422, nothing stored): its shape, a document that does not add up, tenders that do not cover the
total, a currency the store does not hold. A business reason never refuses a sale: a price that
is not the store's, an unknown product, an unknown or closed shift, negative stock, a repeated
invoice number, a discount with no cause are accepted, and each raises exactly one exception.

The sale moves stock through the ledger (kind `sale`, at the device's corrected clock, source
the sale and its line, event id the sale id), and is audited once, in the same transaction.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from hub.catalogue.pricing_settings.service import tax_mode
from hub.clock import format_ts
from hub.customers import hooks as customer_hooks
from hub.db import audit, sales as rows
from hub.db.audit import Actor
from hub.db.pricing import load_prices
from hub.db.settings import get_setting
from hub.devices.clock import corrected_time
from hub.errors import ConflictError, FieldErrors
from hub.fiscal import hooks as fiscal_hooks
from hub.exceptions.service import raise_exception
from hub.inventory import ledger
from hub.pricing.prices import unit_price
from hub.pricing.rounding import QUANTITY_SCALE, div_round
from hub.sales import money
from hub.sales.schemas import SaleCreate

SOURCE = "sale"


class SaleIdReusedError(ConflictError):
    code = "sale_id_reused"


@dataclass
class Result:
    """What ingesting gave: the stored sale's id and whether this call stored it (False: a replay
    of a sale already held, nothing changed), and the exception kinds this call raised."""

    sale_id: str
    created: bool
    raised: list[str] = field(default_factory=list)


def decode(sale: SaleCreate | Mapping[str, Any]) -> SaleCreate:
    """The sale as its struct; a mapping (till sync's payload) is checked like the API body (422)."""
    if isinstance(sale, SaleCreate):
        return sale
    try:
        return msgspec.convert(sale, SaleCreate, str_keys=True)
    except msgspec.ValidationError as err:
        message, _, where = str(err).partition(" - at `$.")
        raise FieldErrors([(where.rstrip("`") or "sale", message)]) from err


TRAINING_OFF = b',"training":false}'


def body_hash(sale: SaleCreate) -> str:
    encoded = msgspec.json.encode(sale, order="deterministic")
    if encoded.endswith(TRAINING_OFF):  # `training` (last) came later: a sale without it hashes as before
        encoded = encoded[:-len(TRAINING_OFF)] + b"}"
    return hashlib.sha256(encoded).hexdigest()


def _check(conn: sqlite3.Connection, sale: SaleCreate, mode: str) -> tuple[dict[str, tuple[int, int]], dict]:
    """Refuse what is malformed (FieldErrors naming each field); returns the rates by currency and
    the store's currency specs."""
    specs = rows.currency_specs(conn)
    problems: list[tuple[str, str]] = []
    if sale.device_clock.tzinfo is None:
        problems.append(("device_clock", "needs a time zone (Z or +02:00)"))
    elif not 2000 <= sale.device_clock.year <= 9998:
        problems.append(("device_clock", "must be between the years 2000 and 9998"))
    if sale.currency not in specs:
        problems.append(("currency", f"the store does not sell in {sale.currency}"))
    rates: dict[str, tuple[int, int]] = {}
    for i, r in enumerate(sale.rates):
        if r.currency == sale.currency:
            problems.append((f"rates[{i}].currency", "is the receipt currency: it needs no rate"))
        elif r.currency in rates:
            problems.append((f"rates[{i}].currency", f"{r.currency} is given twice"))
        elif r.currency not in specs:
            problems.append((f"rates[{i}].currency", f"the store does not hold {r.currency}"))
        rates[r.currency] = (r.rate, r.rate_scale)
    for where, items in (("tenders", sale.tenders), ("change", sale.change)):
        for i, item in enumerate(items):
            if item.currency not in specs:
                problems.append((f"{where}[{i}].currency", f"the store does not hold {item.currency}"))
            elif item.currency != sale.currency and item.currency not in rates:
                problems.append((f"{where}[{i}].currency", f"no rate to {sale.currency} is given for {item.currency}"))
    if len({c.currency for c in sale.change}) != len(sale.change):
        problems.append(("change", "one entry per currency"))
    subtotal = discount = tax = net = 0
    for i, line in enumerate(sale.lines):
        gross = div_round(line.quantity * line.unit_price, QUANTITY_SCALE)
        off = sum(d.amount for d in line.discounts)
        if off > gross:
            problems.append((f"lines[{i}].discounts", "take off more than the line is worth"))
        elif line.total != gross - off:
            problems.append((f"lines[{i}].total", f"must be quantity × unit price less discounts: {gross - off}"))
        if line.tax_amount > line.total:
            problems.append((f"lines[{i}].tax_amount", "is more than the line's total"))
        if not line.product_id and not line.code:
            problems.append((f"lines[{i}].code", "give the product's id or the code scanned"))
        subtotal, discount, tax, net = subtotal + gross, discount + off, tax + line.tax_amount, net + line.total
    if sale.subtotal != subtotal:
        problems.append(("subtotal", f"must be the lines' quantity × unit price: {subtotal}"))
    if sale.discount_total != discount:
        problems.append(("discount_total", f"must be the lines' discounts: {discount}"))
    if sale.tax_total != tax:
        problems.append(("tax_total", f"must be the lines' tax: {tax}"))
    step = specs.get(sale.currency, {}).get("cash_rounding", 1)
    if not money.rounding_allowed(sale.rounding, step):
        problems.append(("rounding", f"may be at most half of {sale.currency}'s cash step ({step}) either way"))
    expected = net + (tax if mode == "exclusive" else 0) + sale.rounding
    if sale.total != expected:
        problems.append(("total", f"must be the lines' totals{' plus tax' if mode == 'exclusive' else ''}"
                                  f" plus rounding: {expected}"))
    if problems:
        raise FieldErrors(problems)
    return rates, specs


def _convert(sale: SaleCreate, currency: str, amount: int, rates: dict[str, tuple[int, int]], specs: dict) -> int:
    if currency == sale.currency:
        return amount
    rate, scale = rates[currency]
    return money.to_receipt(amount, rate, scale, specs[currency]["decimals"], specs[sale.currency]["decimals"])


def _slack(sale: SaleCreate, rates: dict[str, tuple[int, int]], specs: dict) -> int:
    """How far converted tenders and change may miss the total (docs/sales.md): for each tender
    or change in another currency, one of that currency's cash steps in receipt units, rounded up
    (each was rounded to what can be handed over)."""
    slack = 0
    for currency in [t.currency for t in sale.tenders] + [c.currency for c in sale.change]:
        if currency != sale.currency:
            rate, scale = rates[currency]
            step = specs[currency]["cash_rounding"]
            r_dec, c_dec = specs[sale.currency]["decimals"], specs[currency]["decimals"]
            slack += -(-(step * scale * 10 ** r_dec) // (rate * 10 ** c_dec))
    return slack


def _money(sale: SaleCreate, rates: dict[str, tuple[int, int]], specs: dict) -> tuple[list[dict], list[dict], int]:
    """Tenders and change rows with their receipt-currency amounts; 422 when they do not pay the
    total or give back more than was over."""
    tenders = []
    for i, t in enumerate(sale.tenders):
        rate, scale = rates.get(t.currency, (1, 1))
        tenders.append({"sale_id": sale.id, "seq": i, "method": t.method,
                        "provider": "" if t.method == "cash" else t.provider.strip(),
                        "reference": t.reference.strip(), "currency": t.currency, "amount": t.amount,
                        "rate": rate, "rate_scale": scale,
                        "amount_receipt": _convert(sale, t.currency, t.amount, rates, specs)})
    change = [{"sale_id": sale.id, "currency": c.currency, "amount": c.amount,
               "amount_receipt": _convert(sale, c.currency, c.amount, rates, specs)} for c in sale.change]
    paid = sum(t["amount_receipt"] for t in tenders)
    given = sum(c["amount_receipt"] for c in change)
    slack = _slack(sale, rates, specs)
    if paid - sale.total < -slack:
        raise FieldErrors([("tenders", f"pay {paid} {sale.currency}, short of the total {sale.total}")],
                          code="tenders_short")
    if paid - given - sale.total < -slack:
        raise FieldErrors([("change", f"gives back more than was over: {paid - sale.total} {sale.currency} at most")],
                          code="change_over")
    if given and not any(t.method == "cash" for t in sale.tenders):
        raise FieldErrors([("change", "change comes back only from a cash tender")])
    return tenders, change, paid


def _line_rows(conn: sqlite3.Connection, sale: SaleCreate, occurred_at: str) -> tuple[list, list, dict]:
    """Line and discount rows, each line with the store's price at the sale's moment; and the
    products the lines name that the store knows."""
    named = [line.product_id for line in sale.lines if line.product_id]
    catalogue = load_prices(conn, named, at=occurred_at, include_archived=True) if named else {"products": {}}
    products = catalogue.get("products") or {}
    # A customer's pricing tier prices the sale as the till priced it (docs/sales.md, price_mismatch).
    tier = _customer_tier(conn, sale.customer_id) if sale.customer_id else None
    lines, discounts = [], []
    for i, line in enumerate(sale.lines):
        known = products.get(line.product_id) if line.product_id else None
        lines.append({
            "sale_id": sale.id, "line_no": i, "product_id": line.product_id, "code": line.code.strip(),
            "name": line.name.strip() or line.name, "quantity": line.quantity, "unit_price": line.unit_price,
            "catalogue_price": unit_price(catalogue, known, sale.currency, tier) if known else None,
            "gross": div_round(line.quantity * line.unit_price, QUANTITY_SCALE),
            "discount": sum(d.amount for d in line.discounts), "tax_class_id": line.tax_class_id,
            "tax_code": line.tax_code, "tax_rate_bp": line.tax_rate_bp, "tax_amount": line.tax_amount,
            "total": line.total,
            # the category at the sale's moment (m0028), so its trigger need not look it up again
            "category_id": known["category"] if known else None})
        discounts += [{"sale_id": sale.id, "line_no": i, "seq": j, "amount": d.amount, "promotion_id": d.promotion_id,
                       "approved_by": d.approved_by, "reason": d.reason} for j, d in enumerate(line.discounts)]
    return lines, discounts, products


def _customer_tier(conn: sqlite3.Connection, customer_id: str) -> str | None:
    """The pricing tier of the sale's customer; None for an unknown customer or one without."""
    row = conn.execute("SELECT tier_id FROM customers WHERE id = ?", (customer_id,)).fetchone()
    return row[0] if row else None


def _known(conn: sqlite3.Connection, table: str, ids: set[str]) -> set[str]:
    if not ids:
        return set()
    marks = ",".join("?" * len(ids))
    return {r[0] for r in conn.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", sorted(ids))}


def ingest_sale(conn: sqlite3.Connection, sale: SaleCreate | Mapping[str, Any], *, device_id: str,
                caller: Actor, received_at: str | None = None, origin: Mapping[str, Any] | None = None) -> Result:
    """Record one sale from the till `device_id`, rung up by `caller` (the cashier), inside the
    caller's transaction; `received_at` (a hub stamp, default now) is when the hub heard of it.
    `origin` names what the sale came from (a quotation sold in the portal) in its audit entry."""
    sale = decode(sale)
    digest = body_hash(sale)
    held = rows.get_sale(conn, sale.id)
    if held is not None:
        if held["body_hash"] != digest or held["device_id"] != device_id:
            raise SaleIdReusedError(f"sale {sale.id} was recorded with other contents",
                                    extra={"invoice_number": held["invoice_number"]})
        return Result(sale.id, created=False)
    mode = tax_mode(conn)
    rates, specs = _check(conn, sale, mode)
    tenders, change, paid = _money(sale, rates, specs)
    recorded_at = conn.stamp()  # type: ignore[attr-defined]
    occurred_at = corrected_time(conn, device_id, sale.device_clock, received_at=received_at or recorded_at)
    lines, discounts, products = _line_rows(conn, sale, occurred_at)
    store_code = get_setting(conn, "store.code", "")
    till_code = rows.till_code(conn, device_id) or device_id[:8]
    user = conn.execute("SELECT username FROM users WHERE id = ?", (caller.user_id,)).fetchone()
    row = {"id": sale.id, "invoice_number": f"{store_code}-{till_code}-{sale.sequence}", "store_code": store_code,
           "till_code": till_code, "sequence": sale.sequence, "device_id": device_id, "shift_id": sale.shift_id,
           "cashier_id": caller.user_id or "", "cashier_name": user[0] if user else (caller.username or ""),
           "customer_id": sale.customer_id, "currency": sale.currency,
           "rates": {c: [r, s] for c, (r, s) in sorted(rates.items())}, "tax_mode": mode,
           "subtotal": sale.subtotal, "discount_total": sale.discount_total, "tax_total": sale.tax_total,
           "rounding": sale.rounding, "total": sale.total, "paid": paid, "status": "completed",
           "occurred_at": occurred_at, "device_clock": format_ts(sale.device_clock), "recorded_at": recorded_at,
           "body_hash": digest, "training": int(sale.training)}
    rows.insert_sale(conn, row, lines, discounts, tenders, change)
    if sale.training:  # kept and marked; no stock, money, exception, fiscal or HQ (docs/sales.md)
        audit.append(conn, caller, "sale.recorded", "sale", sale.id, after={
            "invoice_number": row["invoice_number"], "currency": sale.currency, "total": sale.total,
            "lines": len(lines), "occurred_at": occurred_at, "exceptions": [], "training": True})
        return Result(sale.id, created=True)
    raised = _raise(conn, sale, row, lines, products)
    raised += customer_hooks.on_sale(conn, sale, row, tenders)  # credit account, vouchers (docs/customers.md)
    raised += _move_stock(conn, sale, row, lines, products, caller)
    raised += fiscal_hooks.on_sale(conn, row, lines, tenders)  # signed as a fiscal invoice (docs/fiscal.md)
    detail = {"invoice_number": row["invoice_number"], "currency": sale.currency, "total": sale.total,
              "lines": len(lines), "occurred_at": occurred_at, "exceptions": raised}
    if origin:
        detail["origin"] = dict(origin)
    audit.append(conn, caller, "sale.recorded", "sale", sale.id, after=detail)
    return Result(sale.id, created=True, raised=raised)


def _backoffice(conn: sqlite3.Connection, device_id: str) -> bool:
    from hub.quotations.backoffice import is_backoffice

    return is_backoffice(conn, device_id)


def _raise(conn: sqlite3.Connection, sale: SaleCreate, row: dict, lines: list[dict], products: dict) -> list[str]:
    """The exceptions of the sale's causes (hub.exceptions.service.KINDS); the kinds raised."""
    raised: list[str] = []

    def note(kind: str, subject_type: str, subject_id: str, **detail: Any) -> None:
        if raise_exception(conn, kind, subject_type, subject_id, detail=detail, sale_id=sale.id,
                           device_id=row["device_id"]):
            raised.append(kind)

    shift = rows.shift(conn, sale.shift_id) if sale.shift_id else None
    if shift is None and sale.shift_id is None and _backoffice(conn, row["device_id"]):
        pass  # the portal's back-office till has no drawer and keeps no shift (hub.quotations.backoffice)
    elif shift is None:
        note("unknown_shift", "sale", sale.id, shift_id=sale.shift_id,
             reason="no shift named" if sale.shift_id is None else "the hub holds no such shift")
    elif shift["device_id"] != row["device_id"]:
        note("unknown_shift", "sale", sale.id, shift_id=sale.shift_id, reason="the shift is another till's")
    elif shift["status"] == "closed":
        note("closed_shift", "sale", sale.id, shift_id=sale.shift_id)
    earlier = rows.same_number(conn, row["invoice_number"], sale.id)
    if earlier is not None:
        note("duplicate_invoice_number", "sale", sale.id, invoice_number=row["invoice_number"], other_sale_id=earlier)
    promotions = _known(conn, "promotions", {d.promotion_id for ln in sale.lines for d in ln.discounts
                                             if d.promotion_id})
    approvers = _known(conn, "users", {d.approved_by for ln in sale.lines for d in ln.discounts if d.approved_by})
    for line, given in zip(lines, sale.lines):
        subject = f"{sale.id}#{line['line_no']}"
        if line["product_id"] is None or line["product_id"] not in products:
            note("unknown_product", "sale_line", subject, product_id=line["product_id"], code=line["code"],
                 name=line["name"], quantity=line["quantity"])
        elif line["catalogue_price"] != line["unit_price"]:
            note("price_mismatch", "sale_line", subject, product_id=line["product_id"], currency=sale.currency,
                 charged=line["unit_price"], price=line["catalogue_price"])
        uncaused = [j for j, d in enumerate(given.discounts)
                    if not (d.promotion_id in promotions or d.approved_by in approvers)]
        if uncaused:
            note("unapproved_discount", "sale_line", subject, discounts=uncaused,
                 amount=sum(given.discounts[j].amount for j in uncaused))
    return raised


def _move_stock(conn: sqlite3.Connection, sale: SaleCreate, row: dict, lines: list[dict], products: dict,
                caller: Actor) -> list[str]:
    """One `sale` movement per line of a stock-tracked product; negative_stock for each line that
    took its product from zero or more to below zero (one record per time it goes negative, not one
    per sale while it stays there)."""
    tracked = {r[0] for r in conn.execute(
        f"SELECT id FROM products WHERE stock_tracked = 1 AND id IN ({','.join('?' * len(products))})",
        sorted(products))} if products else set()
    moving = [line for line in lines if line["product_id"] in tracked]
    actor = Actor(user_id=caller.user_id, username=caller.username, device_id=row["device_id"],
                  request_id=caller.request_id)
    done = ledger.post(
        conn, [ledger.Line(kind="sale", product_id=line["product_id"], quantity=-line["quantity"], line=line["line_no"])
         for line in moving],
        source_type=SOURCE, source_id=sale.id, actor=actor, occurred_at=row["occurred_at"], event_id=sale.id)
    raised = []
    for line, moved in zip(moving, done):
        after = moved["level"]["on_hand"]
        if moved["applied"] and after < 0 <= after + line["quantity"]:  # this line took it below zero
            if raise_exception(conn, "negative_stock", "sale_line", f"{sale.id}#{line['line_no']}",
                               detail={"product_id": line["product_id"], "on_hand": moved["level"]["on_hand"]},
                               sale_id=sale.id, device_id=row["device_id"]):
                raised.append("negative_stock")
    return raised
