"""The spec's receipt validation rules that the hub can check itself (ZIMRA-FDMS.md §6.2), run on
every fiscal document before it is signed, so the hub never submits a receipt it knows FDMS would
mark red (docs/fiscal.md, "Validation before signing").

A document with a red problem is set aside (`fiscal_receipts.blocked`, still `pending`, unsigned:
no counter, global number or hash is used), raises one `fiscal_blocked` exception naming the sale,
and the documents after it are signed, so the fiscal day can always close. It is checked again
each time the device signs and is signed once its cause is fixed (a tax mapping, a setting).

Checked here: RCPT015-019, 021-029, 032-043, 047, 048 (the numbering, date and chain rules RCPT011,
012, 014, 020, 030, 031 and 041 hold by construction in hub.fiscal.service.sign_pending; RCPT010,
the currencies FDMS knows, and RCPT013 across other systems' invoices are FDMS's alone).

`GUIDANCE` says, per code FDMS can answer, its colour, what it means and what to do: the Fiscal
page shows it beside each result.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
LOCAL = "%Y-%m-%dT%H:%M:%S"

# code -> (colour, what it means, what to do)
GUIDANCE: dict[str, tuple[str, str, str]] = {
    "RCPT010": ("Red", "FDMS does not accept this currency on that date.",
                "Sell in a currency FDMS lists (USD, ZWG); ask ZIMRA whether the currency is enabled."),
    "RCPT011": ("Red", "The receipt counter is not the previous one + 1.",
                "A receipt of the day is missing at FDMS: submit the queue; if it persists call support."),
    "RCPT012": ("Red", "The global number is not the previous one + 1.",
                "A receipt is missing at FDMS: submit the queue in order; after a restore, reconcile first."),
    "RCPT013": ("Red", "The invoice number was already used for this taxpayer.",
                "Check for a second system fiscalising with the same numbers (another till program)."),
    "RCPT014": ("Yellow", "The receipt date is before the fiscal day opened.",
                "No action needed for this receipt; check the hub's clock."),
    "RCPT015": ("Red", "A credit or debit note does not name the original invoice.",
                "The hub always names it: report this to support."),
    "RCPT016": ("Red", "The receipt has no lines.", "Report to support."),
    "RCPT017": ("Red", "The receipt has no tax lines (or a tax twice).", "Report to support."),
    "RCPT018": ("Red", "The receipt has no payments.", "Report to support."),
    "RCPT019": ("Red", "The total is not the sum of the lines.", "Report to support."),
    "RCPT020": ("Red", "The device signature is invalid.",
                "The device key or certificate does not match: renew the certificate, then contact support."),
    "RCPT021": ("Red", "A VAT rate is used by a taxpayer not registered for VAT.",
                "Map the tax classes to the non-VAT taxes FDMS lists (Fiscal tax mapping)."),
    "RCPT022": ("Red", "A line price has the wrong sign.", "Report to support."),
    "RCPT023": ("Red", "A line quantity is zero or less.", "Correct the sale's lines at the till."),
    "RCPT024": ("Red", "A line total is not price x quantity.", "Report to support."),
    "RCPT025": ("Red", "The tax is not one FDMS knows at that date.",
                "Fetch the device configuration again and map the tax classes to the taxes it lists."),
    "RCPT026": ("Red", "A tax amount is miscalculated.", "Report to support."),
    "RCPT027": ("Red", "A tax group's total is miscalculated.", "Report to support."),
    "RCPT028": ("Red", "A payment has the wrong sign.", "Report to support."),
    "RCPT029": ("Red", "An invoice names an original invoice.", "Report to support."),
    "RCPT030": ("Red", "The receipt date is before the previous receipt's.",
                "The hub's clock went back: check the time source; the day must be closed by ZIMRA."),
    "RCPT031": ("Yellow", "The receipt date is in the future.", "Check the hub's clock (time sync)."),
    "RCPT032": ("Red", "The credited or debited invoice is unknown to FDMS.",
                "Submit the original invoice first (Submit now); it must be accepted before its notes."),
    "RCPT033": ("Red", "The original invoice is more than 12 months old.",
                "A credit or debit note cannot refer to it: settle with the customer outside the fiscal "
                "system, as ZIMRA allows."),
    "RCPT034": ("Red", "A credit or debit note has no reason.", "Give a reason on refunds, voids and corrections."),
    "RCPT035": ("Red", "The credits exceed the original invoice.",
                "Refund no more than was sold: undo the extra refund or correction."),
    "RCPT036": ("Red", "A note uses a tax the original invoice did not use.",
                "Correct a line at its own rate (or the whole sale at a rate it used); to change the "
                "rate, refund the sale and sell it again."),
    "RCPT037": ("Red", "Tax-exclusive total is not lines + tax.", "Report to support."),
    "RCPT038": ("Red", "The total is not the sum of the tax groups.", "Report to support."),
    "RCPT039": ("Red", "The total is not the sum of the payments.", "Report to support."),
    "RCPT040": ("Red", "The total has the wrong sign.", "Report to support."),
    "RCPT041": ("Yellow", "The receipt was issued after the fiscal day's maximum length.",
                "Close the fiscal day sooner (open and close it every day)."),
    "RCPT042": ("Red", "A note is in another currency than the original.",
                "Refund in the sale's currency (the hub does so)."),
    "RCPT043": ("Red", "Buyer data without the buyer's registered name and TIN.",
                "Complete the customer's registered name and 10-digit TIN."),
    "RCPT047": ("Red", "A line has no HS code (a VAT-registered taxpayer needs one).",
                "Give the product its HS code, or set the category's or the global fallback HS code."),
    "RCPT048": ("Red", "An HS code is not 4 or 8 digits (8 on 0 % and exempt lines of a VAT payer).",
                "Correct the product's HS code, or set an 8-digit fallback for its category."),
    "HELD": ("Red", "FDMS refused the request outright (not stored).",
             "Read the error: fix the setting or certificate it names, then Submit now."),
    "GREY": ("Grey", "FDMS misses an earlier receipt of the chain.",
             "Submit the queue: grey clears once the missing receipt arrives; the day cannot close before."),
}


def guidance(code: str, colour: str = "") -> dict[str, str]:
    known = GUIDANCE.get(code)
    if known is None:
        return {"code": code, "colour": colour or "Red", "meaning": "A code this hub does not know.",
                "action": "Look the code up in the FDMS specification or ask support."}
    return {"code": code, "colour": colour or known[0], "meaning": known[1], "action": known[2]}


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _problem(code: str, message: str, line: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "message": message}
    if line is not None:
        out["line"] = line
    return out


def check(receipt: dict[str, Any], *, taxes: dict[int, Decimal | None], vat_payer: bool,
          valid_taxes: set[int] | None = None, original: dict[str, Any] | None = None,
          original_date: str | None = None, adjusted: Decimal = Decimal(0), today: dt.date | None = None) -> list[dict]:
    """The red problems of an unnumbered receipt object (empty: FDMS would not mark it red for a
    rule the hub can check). `original`: the credited or debited receipt as it was sent;
    `adjusted`: the totals of the notes of that original already signed; `valid_taxes`: the taxIDs
    in force today (None: all of `taxes`)."""
    out: list[dict[str, Any]] = []
    kind = receipt["receiptType"]
    sign = -1 if kind == "CreditNote" else 1
    note = receipt.get("creditDebitNote")
    if kind != "FiscalInvoice" and not note:
        out.append(_problem("RCPT015", "a credit or debit note must name the original invoice"))
    if kind == "FiscalInvoice" and note:
        out.append(_problem("RCPT029", "an invoice names no original"))
    if kind != "FiscalInvoice" and not (receipt.get("receiptNotes") or "").strip():
        out.append(_problem("RCPT034", "a credit or debit note needs its reason in the notes"))
    lines, tax_rows, payments = receipt["receiptLines"], receipt["receiptTaxes"], receipt["receiptPayments"]
    for rows, code, what in ((lines, "RCPT016", "lines"), (tax_rows, "RCPT017", "taxes"), (payments, "RCPT018",
                                                                                            "payments")):
        if not rows:
            out.append(_problem(code, f"the receipt has no {what}"))
    inclusive = bool(receipt["receiptLinesTaxInclusive"])
    total = _d(receipt["receiptTotal"])
    groups: dict[tuple[int, Decimal | None], Decimal] = {}
    for ln in lines:
        no = ln["receiptLineNo"]
        qty, line_total = _d(ln["receiptLineQuantity"]), _d(ln["receiptLineTotal"])
        price = ln.get("receiptLinePrice")
        if qty <= 0:
            out.append(_problem("RCPT023", "the quantity must be more than zero", no))
        if price is not None and (_d(price) * qty).quantize(CENT, ROUND_HALF_UP) != line_total:
            out.append(_problem("RCPT024", "the line total is not price x quantity", no))
        value = _d(price) if price is not None else line_total
        if ln["receiptLineType"] == "Sale" and value != 0 and value * sign < 0:
            out.append(_problem("RCPT022", "a sale line's amount has the wrong sign for this document", no))
        if ln["receiptLineType"] == "Discount" and kind == "FiscalInvoice" and value > 0:
            out.append(_problem("RCPT022", "a discount line must be negative", no))
        tax_id = ln.get("taxID")
        percent = None if ln.get("taxPercent") is None else _d(ln["taxPercent"]).quantize(CENT)
        if tax_id not in taxes or taxes[tax_id] != percent or (valid_taxes is not None and tax_id not in valid_taxes):
            out.append(_problem("RCPT025", f"tax {tax_id} at {percent if percent is not None else 'exempt'} is not "
                                           "one FDMS lists for this device now", no))
        if not vat_payer and percent is not None and percent > 0:
            out.append(_problem("RCPT021", "a taxpayer not registered for VAT cannot charge VAT", no))
        hs = str(ln.get("receiptLineHSCode") or "")
        if vat_payer and not hs:
            out.append(_problem("RCPT047", "the line has no HS code", no))
        elif hs and (not hs.isdigit() or len(hs) not in (4, 8)
                     or (vat_payer and (percent is None or percent == 0) and len(hs) != 8)):
            out.append(_problem("RCPT048", f"HS code {hs!r} is not 4 or 8 digits (8 on a 0 % or exempt line)", no))
        groups[(tax_id, percent)] = groups.get((tax_id, percent), Decimal(0)) + line_total
    tax_sum = sales_sum = Decimal(0)
    seen: set[int] = set()
    for t in tax_rows:
        percent = None if t.get("taxPercent") is None else _d(t["taxPercent"]).quantize(CENT)
        amount, sales = _d(t["taxAmount"]), _d(t["salesAmountWithTax"])
        tax_sum += amount
        sales_sum += sales
        if t["taxID"] in seen:
            out.append(_problem("RCPT017", f"tax {t['taxID']} is listed twice"))
        seen.add(t["taxID"])
        base = groups.get((t["taxID"], percent))
        if base is None:
            out.append(_problem("RCPT025", f"tax {t['taxID']} has no line"))
            continue
        p = (percent or Decimal(0)) / 100
        expect = (base * p / (1 + p) if inclusive else base * p).quantize(CENT, ROUND_HALF_UP)
        if abs(expect - amount) > CENT:
            out.append(_problem("RCPT026", f"tax {t['taxID']}: {amount} is not {expect}"))
        if abs((base if inclusive else base + expect) - sales) > CENT:
            out.append(_problem("RCPT027", f"tax {t['taxID']}: the amount with tax is miscalculated"))
    line_sum = sum(groups.values(), Decimal(0))
    if inclusive and total != line_sum:
        out.append(_problem("RCPT019", "the total is not the sum of the lines"))
    if not inclusive and total != line_sum + tax_sum:
        out.append(_problem("RCPT037", "the total is not the lines plus the tax"))
    if total != sales_sum:
        out.append(_problem("RCPT038", "the total is not the sum of the tax groups"))
    pay_sum = Decimal(0)
    for p in payments:
        amount = _d(p["paymentAmount"])
        pay_sum += amount
        if amount * sign < 0:
            out.append(_problem("RCPT028", "a payment has the wrong sign for this document"))
    if total != pay_sum:
        out.append(_problem("RCPT039", "the total is not the sum of the payments"))
    if total * sign < 0:
        out.append(_problem("RCPT040", "the total has the wrong sign for this document"))
    buyer = receipt.get("buyerData")
    if buyer is not None and not (buyer.get("buyerRegisterName") and buyer.get("buyerTIN")):
        out.append(_problem("RCPT043", "buyer data needs the buyer's registered name and TIN"))
    if note:
        if original is None:
            out.append(_problem("RCPT032", "the original invoice is not signed"))
        else:
            if original["receiptCurrency"] != receipt["receiptCurrency"]:
                out.append(_problem("RCPT042", "a note must be in the original's currency"))
            used = {t["taxID"] for t in original["receiptTaxes"]}
            for t in tax_rows:
                if t["taxID"] not in used:
                    out.append(_problem("RCPT036", f"tax {t['taxID']} is not on the original invoice"))
            if _d(original["receiptTotal"]) + adjusted + total < 0:
                out.append(_problem("RCPT035", "the credits would exceed the original invoice"))
            if original_date and today is not None:
                signed = dt.datetime.strptime(original_date, LOCAL).date()
                if today > _add_months(signed, 12):
                    out.append(_problem("RCPT033", "the original invoice is more than 12 months old"))
    return out


def settings_errors(conn: sqlite3.Connection, changes: dict[str, Any]) -> list[tuple[str, str]]:
    """Refusals of `category_fallbacks`: a category the store has, an FDMS tax of a registered
    device's configuration (when any device has one) and an HS code of 4 or 8 digits."""
    fallbacks = changes.get("category_fallbacks")
    if not fallbacks:
        return []
    from hub.fiscal.service import applicable_taxes

    taxes = applicable_taxes(conn)
    errors = []
    for category_id, fallback in fallbacks.items():
        where = f"category_fallbacks.{category_id}"
        if conn.execute("SELECT 1 FROM categories WHERE id = ?", (category_id,)).fetchone() is None:
            errors.append((where, "no category has this id"))
        tax_id, hs = fallback.get("tax_id"), fallback.get("hs_code") or ""
        if tax_id is not None and taxes and tax_id not in taxes:
            errors.append((f"{where}.tax_id", "is not one of the taxes FDMS gave in its configuration"))
        if hs and not (hs.isdigit() and len(hs) in (4, 8)):
            errors.append((f"{where}.hs_code", "must be 4 or 8 digits (8 for 0 % and exempt lines)"))
        if tax_id is None and not hs:
            errors.append((where, "give a tax, an HS code or both (leave the category out to clear it)"))
    return errors


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    import calendar

    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def valid_tax_ids(config: dict[str, Any], today: dt.date) -> set[int]:
    """The taxIDs of getConfig in force on `today` (validFrom/validTill, or the spec's
    taxValidFrom/taxValidTill; a missing bound is open)."""
    out = set()
    for t in config.get("applicableTaxes") or []:
        start = t.get("validFrom") or t.get("taxValidFrom")
        end = t.get("validTill") or t.get("taxValidTill")
        if start and str(start)[:10] > today.isoformat():
            continue
        if end and str(end)[:10] < today.isoformat():
            continue
        out.add(int(t["taxID"]))
    return out


def notes_adjusted(conn: sqlite3.Connection, original_row: sqlite3.Row | dict[str, Any]) -> Decimal:
    """The totals of the original's notes signed so far (credits negative, debits positive)."""
    cents = conn.execute(
        "SELECT COALESCE(sum(total), 0) FROM fiscal_receipts WHERE global_no IS NOT NULL AND document_type != 'sale' "
        "AND document_id IN (SELECT id FROM sale_refunds WHERE sale_id = :s UNION ALL SELECT id FROM sale_voids "
        "WHERE sale_id = :s UNION ALL SELECT id FROM sale_corrections WHERE sale_id = :s)",
        {"s": original_row["document_id"]}).fetchone()[0]
    return Decimal(cents).scaleb(-2)


def prepare(conn: sqlite3.Connection, device: dict[str, Any], row: sqlite3.Row | dict[str, Any],
            settings: dict[str, Any], vat_payer: bool, today: dt.date) -> tuple[dict, list, int] | None:
    """The receipt object (without numbers, date and signature), its taxes and total of a pending
    document, checked; None when it is not to be signed now: a note whose original is not signed
    yet waits, and a document with a red problem is set aside (`blocked`) with an exception record.
    Lines that took a fallback raise `fiscal_fallback` records (one per sale line)."""
    from hub.fiscal import documents
    from hub.fiscal.service import BUILDERS, _original, _sale_of

    original_row = None
    if row["document_type"] != "sale":
        original_row = _original(conn, row)
        if original_row is None or original_row["global_no"] is None:
            return None  # the credited invoice is signed first (or is set aside: so is this note)
    original = json.loads(original_row["body"]) if original_row is not None else None
    events: list[dict[str, Any]] = []
    taxes = documents.fdms_taxes(device["config"])
    try:
        receipt, receipt_taxes, total = BUILDERS[row["document_type"]](
            conn, row["document_id"], config=device["config"], vat_payer=vat_payer,
            fallback_tax_id=settings["fallback_tax_id"], fallback_hs_code=settings["fallback_hs_code"],
            category_fallbacks=settings.get("category_fallbacks") or {}, events=events,
            original_taxes=None if original is None else {
                int(t["taxID"]): None if t.get("taxPercent") is None else _d(t["taxPercent"]).quantize(CENT)
                for t in original["receiptTaxes"]})
        problems = []
    except documents.NotFiscalisable as why:
        receipt, receipt_taxes, total = {}, [], 0
        problems = [_problem("RCPT025" if "tax" in str(why) else "RCPT047", str(why))]
    sale_id = _sale_of(conn, row)
    if original_row is not None and receipt:
        receipt["creditDebitNote"] = {"receiptID": original_row["receipt_id"]} if original_row["receipt_id"] else {
            "deviceID": device["fdms_device_id"], "receiptGlobalNo": original_row["global_no"],
            "fiscalDayNo": original_row["day_no"]}
    if receipt:
        problems = check(receipt, taxes=taxes, vat_payer=vat_payer,
                         valid_taxes=valid_tax_ids(device["config"], today), original=original,
                         original_date=original_row["receipt_date"] if original_row is not None else None,
                         adjusted=notes_adjusted(conn, original_row) if original_row is not None else Decimal(0),
                         today=today)
    _raise_events(conn, device, row, sale_id, events)
    if problems:
        block(conn, device, row, sale_id, problems)
        return None
    if row["blocked"]:
        conn.execute("UPDATE fiscal_receipts SET blocked = '' WHERE id = ?", (row["id"],))
    return receipt, receipt_taxes, total


def refuse_correction(conn: sqlite3.Connection, sale: dict[str, Any], correction: dict[str, Any]) -> None:
    """The safe behaviour for RCPT036: a price correction of a fiscalised sale at a tax rate its
    fiscal invoice did not use is refused (FieldErrors naming the line's tax_rate_bp, nothing
    recorded), since its debit or credit note would be red and could never be fixed. A correction
    of a line takes the line's own tax, and one at a rate the invoice used takes that tax."""
    from hub.errors import FieldErrors
    from hub.fiscal import documents
    from hub.fiscal.service import BUILDERS, get_device, get_settings

    row = conn.execute("SELECT r.* FROM fiscal_receipts r JOIN fiscal_devices d ON d.id = r.fiscal_device_id "
                       "WHERE r.document_type = 'sale' AND r.document_id = ? AND d.status = 'registered'",
                       (sale["id"],)).fetchone()
    if row is None:
        return
    device = get_device(conn, row["fiscal_device_id"])
    settings = get_settings(conn)
    vat_payer = bool(device["taxpayer"].get("vatNumber") or device["config"].get("vatNumber"))
    kwargs = {"config": device["config"], "vat_payer": vat_payer, "fallback_tax_id": settings["fallback_tax_id"],
              "fallback_hs_code": settings["fallback_hs_code"],
              "category_fallbacks": settings.get("category_fallbacks") or {}}
    try:
        if row["body"]:
            original = json.loads(row["body"])
        else:  # not signed yet: its taxes as it will be signed
            original, _, _ = BUILDERS["sale"](conn, sale["id"], **kwargs)
        used = {int(t["taxID"]): None if t.get("taxPercent") is None else _d(t["taxPercent"]).quantize(CENT)
                for t in original["receiptTaxes"]}
        note, _, _ = BUILDERS["correction"](conn, correction["id"], original_taxes=used, **kwargs)
    except documents.NotFiscalisable:
        return  # it waits as pending like any document the device cannot build yet
    errors = []
    for ln in note["receiptLines"]:
        if ln["taxID"] not in used:
            rate = ln.get("taxPercent")
            errors.append((f"lines[{ln['receiptLineNo'] - 1}].tax_rate_bp",
                           f"the sale's fiscal invoice has no tax at {'exempt' if rate is None else f'{rate} %'}: "
                           "a fiscal note may only use the invoice's taxes (RCPT036); correct at a rate the sale "
                           "used, or refund it and sell again"))
    if errors:
        raise FieldErrors(errors)


def block(conn: sqlite3.Connection, device: dict[str, Any], row: sqlite3.Row | dict[str, Any], sale_id: str,
          problems: list[dict[str, Any]]) -> None:
    """Set a document aside: unsigned, never submitted, skipped in the signing order; one
    `fiscal_blocked` exception per document."""
    from hub.exceptions.service import raise_exception

    text = json.dumps(problems)
    conn.execute("UPDATE fiscal_receipts SET blocked = ?, last_error = ? WHERE id = ?",
                 (text, "; ".join(f"{p['code']}: {p['message']}" for p in problems)[:500], row["id"]))
    till = conn.execute("SELECT till_id FROM fiscal_devices WHERE id = ?", (device["id"],)).fetchone()
    raise_exception(conn, "fiscal_blocked", "fiscal_receipt", row["id"], sale_id=sale_id,
                    device_id=till[0] if till else None,
                    detail={"document_type": row["document_type"], "receipt_type": row["receipt_type"],
                            "codes": sorted({p["code"] for p in problems}), "problems": problems[:10]})


def _raise_events(conn: sqlite3.Connection, device: dict[str, Any], row: sqlite3.Row | dict[str, Any], sale_id: str,
                  events: list[dict[str, Any]]) -> None:
    from hub.exceptions.service import raise_exception

    till = conn.execute("SELECT till_id FROM fiscal_devices WHERE id = ?", (device["id"],)).fetchone()
    till_id = till[0] if till else None
    for e in events:
        if "buyer" in e:
            raise_exception(conn, "fiscal_buyer_data", "sale", sale_id, sale_id=sale_id, device_id=till_id,
                            detail={"reason": e["buyer"]})
        elif row["document_type"] == "sale" and e.get("line_no") is not None:
            raise_exception(conn, "fiscal_fallback", "sale_line", f"{sale_id}#{e['line_no']}", sale_id=sale_id,
                            device_id=till_id, detail={k: v for k, v in e.items() if k != "line_no"})


RESULT_LIMIT = 50


def results(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The Fiscal page's results: documents FDMS marked red, grey or yellow, documents the hub set
    aside (red had they been sent) and documents FDMS refused outright, newest first, each code with
    its colour, meaning and what to do."""
    rows = conn.execute(
        "SELECT r.*, d.serial_no, d.fdms_device_id, dv.name AS till_name FROM fiscal_receipts r "
        "JOIN fiscal_devices d ON d.id = r.fiscal_device_id LEFT JOIN devices dv ON dv.id = d.till_id "
        "WHERE r.colour != '' OR r.blocked != '' OR r.status = 'held' ORDER BY r.rowid DESC LIMIT ?",
        (RESULT_LIMIT,)).fetchall()
    out = []
    for r in rows:
        from hub.fiscal.service import _sale_of

        codes: list[dict[str, str]] = []
        if r["blocked"]:
            colour, state = "Red", "Set aside by the hub (not signed, not sent)"
            for p in json.loads(r["blocked"]):
                codes.append({**guidance(p["code"], "Red"), "detail": p.get("message", ""),
                              "line": p.get("line")})
        elif r["status"] == "held":
            colour, state = "Red", "Refused by FDMS"
            codes.append({**guidance("HELD"), "detail": r["last_error"]})
        else:
            colour, state = r["colour"], "Accepted by FDMS with a " + r["colour"].lower() + " result"
            for e in json.loads(r["validation_errors"] or "[]"):
                code = e.get("validationErrorCode") or ""
                codes.append({**guidance(code, e.get("validationErrorColor") or ""),
                              "detail": e.get("validationErrorDescription") or ""})
            if colour == "Grey" and not codes:
                codes.append(guidance("GREY"))
        out.append({"id": r["id"], "colour": colour, "state": state, "receipt_type": r["receipt_type"],
                    "global_no": r["global_no"], "invoice_no": r["invoice_no"], "sale_id": _sale_of(conn, r),
                    "till": r["till_name"] or r["serial_no"], "codes": codes, "signed": r["global_no"] is not None})
    return out
