"""A sale as the FDMS receipt object (ZIMRA-FDMS.md §2), before numbering and signing.

Readings chosen where the spec leaves room (docs/fiscal.md):
- One receipt line per sale line, its total the sale line's total after discounts (the till's
  discount folded in). `receiptLinePrice` is optional: it is sent only when price × quantity is
  exactly the line total, so RCPT024 can never fire on a rounded or discounted line.
- Taxes per distinct (taxID, percent, taxCode), computed per group with the spec's formula and
  rounded half-up to the cent once per group (inclusive: Σ × p/(100+p); exclusive: Σ × p/100).
  taxCode is never sent (all lines or none: none), which the signature string treats as empty.
- The receipt total is Σ line totals (+ Σ tax when exclusive): the sale's cash rounding is not a
  fiscal line, so a rounded sale's fiscal total is the unrounded one.
- Payments (`paymentAmount` excludes change) are the tenders in receipt units, change taken off
  the cash tenders first, then any remaining difference (rounding, conversion slack) from the last
  tender, so Σ payments = receipt total exactly (RCPT039).
- HS code: the product's; a VAT payer needs one on every line (RCPT047) and 8 digits on 0 % and
  exempt lines (RCPT048), so a missing or too short code takes the fallback HS code setting.
- A line without a mapped tax class takes the one FDMS tax with its rate, else the fallback FDMS
  tax id setting.
"""

from __future__ import annotations

import sqlite3
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hub.fiscal.signing import ReceiptTax, money, to_cents
from hub.sales.money import money_type

CENT = Decimal("0.01")


class NotFiscalisable(Exception):
    """The document cannot be made without a red result: a setting is missing (says which)."""


def fdms_taxes(config: dict[str, Any]) -> dict[int, Decimal | None]:
    """taxID -> percent (None: exempt) from a getConfig answer (spec `taxPercent`)."""
    out: dict[int, Decimal | None] = {}
    for t in config.get("applicableTaxes") or []:
        percent = t.get("taxPercent")
        out[int(t["taxID"])] = None if percent is None else Decimal(str(percent)).quantize(CENT)
    return out


def group_tax(base_cents: int, percent: Decimal | None, inclusive: bool) -> tuple[int, int]:
    """(taxAmount, salesAmountWithTax) in cents for a group of line totals."""
    if percent is None or percent == 0:
        return 0, base_cents
    base = Decimal(base_cents)
    tax = base * percent / (100 + percent) if inclusive else base * percent / 100
    amount = int(tax.quantize(Decimal(1), rounding=ROUND_HALF_UP))  # half away from zero (signed notes)
    return amount, base_cents if inclusive else base_cents + amount


def _by_rate(taxes: dict[int, Decimal | None], rate_bp: int | None, fallback: int | None) -> int | None:
    """The FDMS tax of a line whose class is not mapped (an unknown product): the one non-exempt tax
    with the line's own rate when exactly one has it, else the fallback setting."""
    if rate_bp is not None:
        matching = [k for k, v in taxes.items() if v is not None and v == Decimal(rate_bp).scaleb(-2)]
        if len(matching) == 1:
            return matching[0]
    return fallback


def payments(tenders: list[dict[str, Any]], total: int, decimals: int) -> list[dict[str, Any]]:
    amounts = [to_cents(t["amount_receipt"], decimals) for t in tenders]
    over = sum(amounts) - total
    for i, t in enumerate(tenders):
        if over > 0 and t["method"] == "cash":
            take = min(over, amounts[i])
            amounts[i] -= take
            over -= take
    if amounts and over:
        amounts[-1] -= over
    out = [{"moneyTypeCode": money_type(t["method"]), "paymentAmount": money(a)}
           for t, a in zip(tenders, amounts) if a != 0]
    if not out:
        out = [{"moneyTypeCode": money_type(tenders[0]["method"]) if tenders else "Cash", "paymentAmount": money(total)}]
    return out


LINES_SQL = ("SELECT l.*, p.hs_code AS product_hs, c.zimra_tax_id AS class_tax_id, COALESCE(l.category_id, p.category_id) AS category_id "
             "FROM sale_lines l LEFT JOIN products p ON p.id = l.product_id "
             "LEFT JOIN tax_classes c ON c.id = l.tax_class_id WHERE l.sale_id = ? ORDER BY l.line_no")
REFUND_LINES_SQL = (
    "SELECT r.name, l.code, l.line_no, r.quantity, r.amount AS total, NULL AS unit_price, r.tax_rate_bp, "
    "p.hs_code AS product_hs, c.zimra_tax_id AS class_tax_id, COALESCE(l.category_id, p.category_id) AS category_id FROM sale_refund_lines r "
    "JOIN sale_lines l ON l.sale_id = r.sale_id AND l.line_no = r.sale_line_no "
    "LEFT JOIN products p ON p.id = l.product_id LEFT JOIN tax_classes c ON c.id = l.tax_class_id "
    "WHERE r.refund_id = ? ORDER BY r.line_no")


def sale_receipt(conn: sqlite3.Connection, sale_id: str, **settings: Any) -> tuple[dict[str, Any], list[ReceiptTax], int]:
    """(receipt without numbers, date and signature; its taxes; its total in cents) of a sale."""
    sale = dict(conn.execute("SELECT * FROM sales WHERE id = ?", (sale_id,)).fetchone())
    lines = [dict(r) for r in conn.execute(LINES_SQL, (sale_id,))]
    tenders = [dict(r) for r in conn.execute("SELECT * FROM sale_tenders WHERE sale_id = ? ORDER BY seq", (sale_id,))]
    return build(conn, "FiscalInvoice", sale, lines, tenders, **settings)


def void_note(conn: sqlite3.Connection, void_id: str, **settings: Any) -> tuple[dict[str, Any], list[ReceiptTax], int]:
    """A void as a credit note for the whole sale: every line and payment negated."""
    void = conn.execute("SELECT * FROM sale_voids WHERE id = ?", (void_id,)).fetchone()
    sale = dict(conn.execute("SELECT * FROM sales WHERE id = ?", (void["sale_id"],)).fetchone())
    lines = [dict(r) for r in conn.execute(LINES_SQL, (sale["id"],))]
    tenders = [dict(r) for r in conn.execute("SELECT * FROM sale_tenders WHERE sale_id = ? ORDER BY seq",
                                             (sale["id"],))]
    receipt, taxes, total = build(conn, "CreditNote", sale, lines, tenders, **settings)
    receipt["receiptNotes"] = f"Void: {void['reason']}"[:500]
    return receipt, taxes, total


def refund_note(conn: sqlite3.Connection, refund_id: str, **settings: Any) -> tuple[dict[str, Any], list[ReceiptTax], int]:
    """A refund as a credit note: the refunded lines and the money paid back, negative."""
    refund = conn.execute("SELECT * FROM sale_refunds WHERE id = ?", (refund_id,)).fetchone()
    sale = dict(conn.execute("SELECT * FROM sales WHERE id = ?", (refund["sale_id"],)).fetchone())
    lines = [dict(r) for r in conn.execute(REFUND_LINES_SQL, (refund_id,))]
    tenders = [dict(r) for r in conn.execute("SELECT * FROM sale_refund_tenders WHERE refund_id = ? ORDER BY seq",
                                             (refund_id,))]
    receipt, taxes, total = build(conn, "CreditNote", sale, lines, tenders, **settings)
    receipt["receiptNotes"] = f"Refund: {refund['reason']}"[:500]
    return receipt, taxes, total


CORRECTION_LINES_SQL = (
    "SELECT COALESCE(NULLIF(r.description, ''), l.name, 'Price correction') AS name, COALESCE(l.code, '') AS code, "
    "1000 AS quantity, r.amount AS total, NULL AS unit_price, r.tax_rate_bp, p.hs_code AS product_hs, "
    "c.zimra_tax_id AS class_tax_id, COALESCE(l.category_id, p.category_id) AS category_id, r.sale_line_no AS line_no "
    "FROM sale_correction_lines r "
    "LEFT JOIN sale_lines l ON l.sale_id = ? AND l.line_no = r.sale_line_no "
    "LEFT JOIN products p ON p.id = l.product_id LEFT JOIN tax_classes c ON c.id = l.tax_class_id "
    "WHERE r.correction_id = ? ORDER BY r.line_no")


def correction_note(conn: sqlite3.Connection, correction_id: str,
                    **settings: Any) -> tuple[dict[str, Any], list[ReceiptTax], int]:
    """A price correction: a charge as a debit note, a credit as a credit note (one line per
    corrected line or tax rate, quantity 1), the money taken or paid back."""
    correction = conn.execute("SELECT * FROM sale_corrections WHERE id = ?", (correction_id,)).fetchone()
    sale = dict(conn.execute("SELECT * FROM sales WHERE id = ?", (correction["sale_id"],)).fetchone())
    lines = [dict(r) for r in conn.execute(CORRECTION_LINES_SQL, (sale["id"], correction_id))]
    tenders = [dict(r) for r in conn.execute(
        "SELECT * FROM sale_correction_tenders WHERE correction_id = ? ORDER BY seq", (correction_id,))]
    kind = "DebitNote" if correction["kind"] == "charge" else "CreditNote"
    receipt, taxes, total = build(conn, kind, sale, lines, tenders, **settings)
    receipt["receiptNotes"] = f"Price correction: {correction['reason']}"[:500]
    return receipt, taxes, total


def _hs_fits(hs: str, vat_payer: bool, percent: Decimal | None) -> bool:
    """An HS code FDMS takes on this line: 4 or 8 digits, 8 for a VAT payer's 0 % or exempt line
    (RCPT048), and one at all for a VAT payer (RCPT047)."""
    if not hs:
        return not vat_payer
    if not hs.isdigit() or len(hs) not in (4, 8):
        return False
    return not (vat_payer and (percent is None or percent == 0) and len(hs) != 8)


def address(text: str) -> dict[str, str]:
    """A customer's one-line address as FDMS's Address: "12 Samora Machel Ave, Harare, Harare" ->
    houseNo and street from the first part (a leading number is the house number), then city and
    province (the last part, when there are three)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        return {}
    first = parts[0].split(" ", 1)
    out: dict[str, str] = {}
    if len(first) == 2 and any(ch.isdigit() for ch in first[0]) and len(first[0]) <= 10:
        out["houseNo"], out["street"] = first[0], first[1][:100]
    else:
        out["street"] = parts[0][:100]
    if len(parts) >= 2:
        out["city"] = parts[1][:50]
    if len(parts) >= 3:
        out["province"] = parts[-1][:50]
    return out


def buyer_data(conn: sqlite3.Connection, customer_id: str | None) -> tuple[dict[str, Any] | None, str]:
    """The buyerData of a business customer (one with a TIN): (buyerData, "") or, when the
    customer's TIN or VAT number is not in the form FDMS takes, (None or data without the VAT
    number, why). RCPT043 wants the registered name and TIN whenever buyer data is sent."""
    if not customer_id:
        return None, ""
    c = conn.execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()
    if c is None or not c["tin"].strip():
        return None, ""
    tin, vat = c["tin"].strip(), c["vat_number"].strip()
    name = (c["registered_name"].strip() or c["name"].strip())[:200]
    if not (tin.isdigit() and len(tin) == 10) or not name:
        return None, f"the customer's TIN {tin!r} is not 10 digits: the receipt went without buyer data"
    data: dict[str, Any] = {"buyerRegisterName": name}
    if c["trade_name"].strip():
        data["buyerTradeName"] = c["trade_name"].strip()[:200]
    data["buyerTIN"] = tin
    problem = ""
    if vat:
        if vat.isdigit() and len(vat) == 9:
            data["VATNumber"] = vat
        else:
            problem = f"the customer's VAT number {vat!r} is not 9 digits: it was left off the receipt"
    contacts = {k: v for k, v in (("phoneNo", c["phone"].strip()[:20]), ("email", c["email"].strip()[:100])) if v}
    if contacts:
        data["buyerContacts"] = contacts
    where = address(c["address"] or "")
    if where:
        data["buyerAddress"] = where
    return data, problem


def build(conn: sqlite3.Connection, receipt_type: str, sale: dict[str, Any], lines: list[dict[str, Any]],
          tenders: list[dict[str, Any]], *, config: dict[str, Any], vat_payer: bool, fallback_tax_id: int | None,
          fallback_hs_code: str, category_fallbacks: dict[str, dict[str, Any]] | None = None,
          events: list[dict[str, Any]] | None = None,
          original_taxes: dict[int, Decimal | None] | None = None) -> tuple[dict[str, Any], list[ReceiptTax], int]:
    """The receipt object of `lines` and `tenders` (positive amounts; a credit note negates them).

    A line's FDMS tax: its class's mapping; else its category's fallback (fiscal settings
    `category_fallbacks`); else the one FDMS tax with the line's own rate; else the global fallback.
    Its HS code: the product's when FDMS takes it; else the category's; else the global fallback.
    Each line that took anything but its own mapping and code is reported in `events`.
    A note (`original_taxes`: the credited receipt's taxID -> percent) keeps the original's tax of
    the same percent when the line's own would be another taxID (a class mapped again since), so a
    note never names a tax the original did not use when one with its rate is there (RCPT036)."""
    sign = -1 if receipt_type == "CreditNote" else 1
    decimals = conn.execute("SELECT decimals FROM currencies WHERE code = ?", (sale["currency"],)).fetchone()
    decimals = decimals[0] if decimals else 2
    taxes = fdms_taxes(config)
    inclusive = sale["tax_mode"] == "inclusive"
    out_lines: list[dict[str, Any]] = []
    groups: dict[tuple[int, Decimal | None], int] = {}
    for i, line in enumerate(lines):
        by_category = (category_fallbacks or {}).get(line.get("category_id") or "") or {}
        tax_from = ""
        if line["class_tax_id"] in taxes:
            tax_id = line["class_tax_id"]
        elif by_category.get("tax_id") in taxes:
            tax_id, tax_from = by_category["tax_id"], "category"
        else:
            tax_id = _by_rate(taxes, line["tax_rate_bp"], None)
            tax_from = "rate"
            if tax_id is None:
                tax_id, tax_from = fallback_tax_id, "fallback"
        if tax_id is None or tax_id not in taxes:
            raise NotFiscalisable("a line has no mapped tax class and no fallback FDMS tax is set")
        if original_taxes is not None and tax_id not in original_taxes:
            same = [k for k, v in original_taxes.items() if v == taxes[tax_id] and k in taxes]
            if len(same) == 1:
                tax_id = same[0]
        percent = taxes[tax_id]
        total = sign * to_cents(line["total"], decimals)
        quantity = Decimal(line["quantity"]).scaleb(-3).normalize()
        entry: dict[str, Any] = {"receiptLineType": "Sale", "receiptLineNo": i + 1,
                                 "receiptLineName": (line["name"] or line["code"] or "Item")[:200],
                                 "receiptLineQuantity": quantity, "receiptLineTotal": money(total)}
        if line.get("unit_price") is not None:
            price = sign * to_cents(line["unit_price"], decimals)
            if Decimal(price) * Decimal(line["quantity"]) == Decimal(total) * 1000:
                entry["receiptLinePrice"] = money(price)
        hs = line["product_hs"] or ""
        hs_from = ""
        if not _hs_fits(hs, vat_payer, percent):
            category_hs = str(by_category.get("hs_code") or "")
            if category_hs and _hs_fits(category_hs, vat_payer, percent):
                hs, hs_from = category_hs, "category"
            elif vat_payer:
                hs, hs_from = fallback_hs_code, "fallback"
                if not hs:
                    raise NotFiscalisable("a line has no HS code and no fallback HS code is set")
            else:  # optional for a non-VAT taxpayer: a code FDMS would refuse is left off
                hs, hs_from = (fallback_hs_code, "fallback") if fallback_hs_code else ("", "dropped")
        if hs:
            entry["receiptLineHSCode"] = hs
        if percent is not None:
            entry["taxPercent"] = percent
        entry["taxID"] = tax_id
        out_lines.append(entry)
        if events is not None and (tax_from or hs_from):
            events.append({"line_no": line.get("line_no"), "receipt_line_no": i + 1, "name": entry["receiptLineName"],
                           "tax_id": tax_id, "tax_from": tax_from, "hs_code": hs, "hs_from": hs_from,
                           "category_id": line.get("category_id")})
        groups[(tax_id, percent)] = groups.get((tax_id, percent), 0) + total
    receipt_taxes = []
    for (tax_id, percent), base in sorted(groups.items(), key=lambda g: g[0][0]):
        amount, sales = group_tax(base, percent, inclusive)
        receipt_taxes.append(ReceiptTax(tax_id, percent, amount, sales))
    total = sum(t.sales_amount_with_tax for t in receipt_taxes)
    paid = payments(tenders, sign * total, decimals)
    if sign < 0:
        paid = [{**p, "paymentAmount": -p["paymentAmount"]} for p in paid]
    receipt = {
        "receiptType": receipt_type, "receiptCurrency": sale["currency"],
        "receiptLinesTaxInclusive": inclusive, "receiptLines": out_lines,
        "receiptTaxes": [{**({"taxPercent": t.tax_percent} if t.tax_percent is not None else {}), "taxID": t.tax_id,
                          "taxAmount": money(t.tax_amount), "salesAmountWithTax": money(t.sales_amount_with_tax)}
                         for t in receipt_taxes],
        "receiptPayments": paid, "receiptTotal": money(total),
        "receiptPrintForm": "Receipt48", "username": (sale.get("cashier_name") or "")[:100] or "cashier",
    }
    buyer, problem = buyer_data(conn, sale.get("customer_id"))
    if buyer is not None:
        receipt["buyerData"] = buyer
        receipt["receiptPrintForm"] = "InvoiceA4"  # a business customer gets the A4 fiscal tax invoice
    if problem and events is not None:
        events.append({"buyer": problem})
    return receipt, receipt_taxes, total
