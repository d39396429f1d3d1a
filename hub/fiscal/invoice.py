"""What a fiscal receipt must show (ZIMRA-FDMS.md §6.5, spec §10), read from the signed receipt
as it was sent to FDMS and the device that signed it: the printed 48-column block of a sale's
receipt (hub.printing.receipt.fiscal_block) and the A4 fiscal tax invoice page. Reads only.

- Title: FISCAL TAX INVOICE (a VAT-registered taxpayer) or FISCAL INVOICE, CREDIT NOTE, DEBIT NOTE.
- Seller: taxpayer name, TIN, VAT number, branch name (when it differs) and address; buyer block
  when the receipt carried buyerData; Invoice No `<receiptCounter>/<receiptGlobalNo>`, fiscal day,
  Customer reference No (invoiceNo), device serial and id, date and time (the receipt date).
- Credit and debit notes: the CREDITED / DEBITED INVOICE block (original serial, global number,
  date, reference).
- The tax table per tax (net = sales - tax, tax, gross; left out for a non-VAT taxpayer), the QR
  (qrUrl/deviceID/ddMMyyyy/globalNo/MD5) and the verification code XXXX-XXXX-XXXX-XXXX with the
  address to verify it at.
A sale of a fiscal device that is not signed yet shows "FISCAL RECEIPT PENDING", never a made-up
block; once signed, any reprint shows the block.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from decimal import Decimal
from typing import Any

from hub.fiscal import signing

PENDING_TITLE = "FISCAL RECEIPT PENDING"
PENDING_TEXT = ("Not yet signed by the fiscal device: this is not a fiscal receipt. Ask for the fiscal "
                "receipt or reprint it later.")
MONEY_NAMES = {"Cash": "Cash", "Card": "Card", "MobileWallet": "Mobile wallet", "Coupon": "Coupon",
               "Credit": "Credit", "BankTransfer": "Bank transfer", "Other": "Other"}
LOCAL = "%Y-%m-%dT%H:%M:%S"


def _two(value: Any) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.01')):,.2f}"


def _when(receipt_date: str) -> str:
    return dt.datetime.strptime(receipt_date, LOCAL).strftime("%d/%m/%Y %H:%M:%S")


def title(receipt_type: str, vat_payer: bool) -> str:
    if receipt_type == "CreditNote":
        return "CREDIT NOTE"
    if receipt_type == "DebitNote":
        return "DEBIT NOTE"
    return "FISCAL TAX INVOICE" if vat_payer else "FISCAL INVOICE"


def address_text(address: dict[str, Any] | None) -> str:
    address = address or {}
    street = " ".join(p for p in (str(address.get("houseNo") or ""), str(address.get("street") or "")) if p)
    return ", ".join(p for p in (street, str(address.get("district") or ""), str(address.get("city") or ""),
                                 str(address.get("province") or "")) if p)


def sale_document(conn: sqlite3.Connection, sale_id: str) -> sqlite3.Row | None:
    """The fiscal invoice row of a sale (None: the sale is not fiscal)."""
    return conn.execute("SELECT * FROM fiscal_receipts WHERE document_type = 'sale' AND document_id = ?",
                        (sale_id,)).fetchone()


def documents_of_sale(conn: sqlite3.Connection, sale_id: str) -> list[dict[str, Any]]:
    """The sale's fiscal invoice and its credit and debit notes, in signing order, with their state."""
    rows = conn.execute(
        "SELECT r.id, r.document_type, r.document_id, r.receipt_type, r.status, r.global_no, r.receipt_counter, r.invoice_no, "
        "r.receipt_date, r.colour, r.blocked FROM fiscal_receipts r WHERE (r.document_type = 'sale' AND "
        "r.document_id = :s) OR r.document_id IN (SELECT id FROM sale_refunds WHERE sale_id = :s UNION ALL "
        "SELECT id FROM sale_voids WHERE sale_id = :s UNION ALL SELECT id FROM sale_corrections WHERE sale_id = :s) "
        "ORDER BY r.global_no IS NULL, r.global_no, r.created_at", {"s": sale_id}).fetchall()
    out = []
    for r in rows:
        item = dict(r)
        item["signed"] = r["global_no"] is not None
        item["title"] = title(r["receipt_type"], True).title() if r["receipt_type"] != "FiscalInvoice" \
            else "Fiscal tax invoice"
        item["blocked"] = json.loads(r["blocked"] or "[]")
        out.append(item)
    return out


def facts(conn: sqlite3.Connection, row: sqlite3.Row | dict[str, Any]) -> dict[str, Any] | None:
    """Everything the printed block and the A4 page show of a SIGNED fiscal receipt (None when the
    receipt is not signed yet)."""
    if row["global_no"] is None or not row["body"]:
        return None
    body = json.loads(row["body"])
    device = conn.execute("SELECT * FROM fiscal_devices WHERE id = ?", (row["fiscal_device_id"],)).fetchone()
    taxpayer = json.loads(device["taxpayer"] or "{}")
    config = json.loads(device["config"] or "{}")
    vat_number = config.get("vatNumber") or taxpayer.get("vatNumber") or ""
    name = config.get("taxPayerName") or taxpayer.get("taxPayerName") or ""
    branch = config.get("deviceBranchName") or taxpayer.get("deviceBranchName") or ""
    address = config.get("deviceBranchAddress") or taxpayer.get("deviceBranchAddress") or {}
    contacts = config.get("deviceBranchContacts") or taxpayer.get("deviceBranchContacts") or {}
    signature = body["receiptDeviceSignature"]["signature"]
    qr_base = device["qr_url"] or config.get("qrUrl") or ""
    taxes = []
    for t in sorted(body["receiptTaxes"], key=lambda t: (-(Decimal(str(t["taxPercent"])) if "taxPercent" in t
                                                         else Decimal(-1)), t["taxID"])):
        gross, tax = Decimal(str(t["salesAmountWithTax"])), Decimal(str(t["taxAmount"]))
        percent = t.get("taxPercent")
        taxes.append({"tax_id": t["taxID"], "percent": "Exempt" if percent is None else f"{signing.percent_text(percent)}%",
                      "net": _two(gross - tax), "tax": _two(tax), "gross": _two(gross)})
    lines = []
    for ln in body["receiptLines"]:
        percent = ln.get("taxPercent")
        total = Decimal(str(ln["receiptLineTotal"]))
        vat = Decimal(0)
        if percent:
            p = Decimal(str(percent))
            vat = total * p / (100 + p) if body["receiptLinesTaxInclusive"] else total * p / 100
        lines.append({"no": ln["receiptLineNo"], "name": ("Discount: " if ln["receiptLineType"] == "Discount" else "")
                      + ln["receiptLineName"], "hs_code": ln.get("receiptLineHSCode") or "",
                      "quantity": f"{Decimal(str(ln['receiptLineQuantity'])).normalize():f}",
                      "price": _two(ln["receiptLinePrice"]) if ln.get("receiptLinePrice") is not None else "",
                      "total": _two(total), "vat": _two(vat),
                      "tax": "Exempt" if percent is None else f"{signing.percent_text(percent)}%"})
    items = sum((abs(Decimal(str(ln["receiptLineQuantity"]))) for ln in body["receiptLines"]
                 if ln["receiptLineType"] == "Sale"), Decimal(0))
    credited = None
    note = body.get("creditDebitNote")
    if note:
        original = conn.execute("SELECT r.*, d.serial_no FROM fiscal_receipts r JOIN fiscal_devices d ON "
                                "d.id = r.fiscal_device_id WHERE r.receipt_id = ? OR (d.fdms_device_id = ? AND "
                                "r.global_no = ?) LIMIT 1",
                                (note.get("receiptID"), note.get("deviceID"), note.get("receiptGlobalNo"))).fetchone()
        if original is not None:
            credited = {"label": "CREDITED INVOICE" if body["receiptType"] == "CreditNote" else "DEBITED INVOICE",
                        "serial": original["serial_no"], "global_no": original["global_no"],
                        "date": _when(original["receipt_date"]), "reference": original["invoice_no"]}
    buyer = body.get("buyerData")
    return {
        "title": title(body["receiptType"], bool(vat_number)), "receipt_type": body["receiptType"],
        "vat_payer": bool(vat_number), "taxpayer_name": name, "tin": config.get("taxPayerTIN")
        or taxpayer.get("taxPayerTIN") or "", "vat_number": vat_number,
        "branch": branch if branch and branch != name else "", "branch_address": address_text(address),
        "branch_phone": contacts.get("phoneNo") or "", "branch_email": contacts.get("email") or "",
        "buyer": None if not buyer else {
            "name": buyer.get("buyerRegisterName") or "", "trade_name": buyer.get("buyerTradeName") or "",
            "tin": buyer.get("buyerTIN") or "", "vat_number": buyer.get("VATNumber") or "",
            "address": address_text(buyer.get("buyerAddress")),
            "phone": (buyer.get("buyerContacts") or {}).get("phoneNo") or "",
            "email": (buyer.get("buyerContacts") or {}).get("email") or ""},
        "invoice_no": f"{body['receiptCounter']}/{body['receiptGlobalNo']}", "receipt_counter": body["receiptCounter"],
        "global_no": body["receiptGlobalNo"], "reference": body["invoiceNo"], "day_no": row["day_no"],
        "device_serial": device["serial_no"], "device_id": device["fdms_device_id"],
        "date": _when(body["receiptDate"]), "currency": body["receiptCurrency"], "total": _two(body["receiptTotal"]),
        "inclusive": bool(body["receiptLinesTaxInclusive"]), "lines": lines, "taxes": taxes,
        "items": f"{items.normalize():f}",
        "payments": [{"method": MONEY_NAMES.get(p["moneyTypeCode"], str(p["moneyTypeCode"])),
                      "amount": _two(p["paymentAmount"])} for p in body["receiptPayments"]],
        "notes": body.get("receiptNotes") or "", "credited": credited,
        "qr": signing.qr_url(qr_base, device["fdms_device_id"], body["receiptDate"], body["receiptGlobalNo"],
                             signature) if qr_base else "",
        "verification_code": signing.verification_code(signature), "verify_url": qr_base,
        "colour": row["colour"], "status": row["status"]}


def printed_rows(f: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The block's label/value rows, in the spec's order."""
    rows: list[tuple[str, str]] = [("", f["taxpayer_name"]), ("TIN", f["tin"])]
    if f["vat_number"]:
        rows.append(("VAT No", f["vat_number"]))
    if f["branch"]:
        rows.append(("", f["branch"]))
    if f["branch_address"]:
        rows.append(("", f["branch_address"]))
    if f["buyer"]:
        b = f["buyer"]
        rows.append(("", "BUYER"))
        rows.append(("", b["name"]))
        if b["trade_name"]:
            rows.append(("", b["trade_name"]))
        rows.append(("Buyer TIN", b["tin"]))
        if b["vat_number"]:
            rows.append(("Buyer VAT No", b["vat_number"]))
        if b["address"]:
            rows.append(("", b["address"]))
        if b["email"]:
            rows.append(("", b["email"]))
        if b["phone"]:
            rows.append(("", b["phone"]))
    rows += [("Invoice No", f["invoice_no"]), ("Receipt global No", str(f["global_no"])),
             ("Receipt counter", str(f["receipt_counter"])), ("Fiscal day No", str(f["day_no"])),
             ("Customer reference No", f["reference"]), ("Device Serial No", f["device_serial"]),
             ("Device ID", str(f["device_id"])), ("Date", f["date"])]
    if f["credited"]:
        c = f["credited"]
        rows += [("", c["label"]), ("Device Serial No", c["serial"]), ("Receipt global No", str(c["global_no"])),
                 ("Date", c["date"]), ("Customer reference No", c["reference"])]
    rows.append((f"Total {f['currency']}", f["total"]))
    rows.append(("Number of items", f["items"]))
    if f["vat_payer"] and f["taxes"]:
        rows.append(("", f"{'Tax':<7}{'Net':>8}{'Tax':>8}{'Total':>8}"))
        for t in f["taxes"]:
            rows.append(("", f"{t['percent']:<7}{t['net']:>8}{t['tax']:>8}{t['gross']:>8}"))
    if f["notes"]:
        rows.append(("Notes", f["notes"]))
    return tuple(rows)


def printed_lines(f: dict[str, Any]) -> tuple[str, ...]:
    lines = [f"Verification code: {f['verification_code']}"]
    if f["verify_url"]:
        lines += ["You can verify this receipt manually at", f["verify_url"]]
    return tuple(lines)


def block(conn: sqlite3.Connection, sale: dict[str, Any]) -> Any:
    """The printed fiscal block of a sale's receipt (drivers.receipts.FiscalBlock): the signed
    invoice's, FISCAL RECEIPT PENDING while it waits, None when the sale is not fiscal."""
    from drivers.receipts import FiscalBlock

    row = sale_document(conn, sale["id"])
    if row is None:
        return None
    found = facts(conn, row)
    if found is None:
        return FiscalBlock(title=PENDING_TITLE, lines=(PENDING_TEXT,))
    return FiscalBlock(title=found["title"], rows=printed_rows(found), lines=printed_lines(found), qr=found["qr"])


def sale_panel(conn: sqlite3.Connection, sale: dict[str, Any]) -> dict[str, Any] | None:
    """What a sale's portal page shows of its customer (with the buyer details FDMS receives) and
    its fiscal documents (each linking its A4 print page); None when it has neither."""
    customer_id = sale.get("customer_id")
    if customer_id is None:
        found = conn.execute("SELECT customer_id FROM sales WHERE id = ?", (sale["id"],)).fetchone()
        customer_id = found[0] if found else None
    customer = None
    if customer_id:
        c = conn.execute("SELECT id, name, registered_name, trade_name, tin, vat_number, address, phone, email "
                         "FROM customers WHERE id = ?", (customer_id,)).fetchone()
        customer = dict(c) if c else None
    documents = documents_of_sale(conn, sale["id"])
    if customer is None and not documents:
        return None
    return {"customer": customer, "documents": documents}


def dashboard(conn: sqlite3.Connection, since: str, until: str) -> dict[str, Any] | None:
    """The dashboard's fiscal panel (None while no till is a fiscal device): sales awaiting a fiscal
    receipt (not signed yet; those set aside counted apart), signed receipts not yet accepted by FDMS,
    and today's fiscal totals per currency and document type from the receipts signed in
    [since, until) (hub stamps): count, total and tax, in cents."""
    if conn.execute("SELECT 1 FROM fiscal_devices LIMIT 1").fetchone() is None:
        return None
    waiting = dict(conn.execute(
        "SELECT blocked != '', count(*) FROM fiscal_receipts WHERE status = 'pending' AND document_type = 'sale' "
        "GROUP BY blocked != ''").fetchall())
    unsent = conn.execute("SELECT count(*) FROM fiscal_receipts WHERE status IN ('queued', 'held')").fetchone()[0]
    totals: dict[str, dict[str, Any]] = {}
    for currency, kind, count, total, tax in conn.execute(
            "SELECT r.currency, r.receipt_type, count(*), sum(r.total), sum((SELECT sum(CAST(round("
            "json_extract(t.value, '$.taxAmount') * 100) AS INTEGER)) FROM json_each(r.body, '$.receiptTaxes') t)) "
            "FROM fiscal_receipts r WHERE r.signed_at >= ? AND r.signed_at < ? AND r.global_no IS NOT NULL "
            "GROUP BY r.currency, r.receipt_type ORDER BY r.currency, r.receipt_type", (since, until)):
        row = totals.setdefault(currency, {"currency": currency, "FiscalInvoice": None, "CreditNote": None,
                                           "DebitNote": None, "net_total": 0, "net_tax": 0})
        row[kind] = {"count": count, "total": total or 0, "tax": tax or 0}
        row["net_total"] += total or 0  # credit notes are negative
        row["net_tax"] += tax or 0
    return {"awaiting": waiting.get(0, 0), "set_aside": waiting.get(1, 0), "unsent": unsent,
            "totals": list(totals.values())}
