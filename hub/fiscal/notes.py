"""A refund's, void's or price correction's fiscal credit or debit note printed on the receipt
printer (ESC/POS) and returned to the tills as text, JSON or ESC/POS, like the sale's receipt.

The note is a drivers.receipts.Receipt: the store's header, the note's own facts (the original
invoice, what it is, the reason, where and by whom), its lines and the money paid back (or taken)
with the signs FDMS has them (a credit note negative), and the spec's mandatory fiscal block read
from the signed note (hub.fiscal.invoice: title CREDIT NOTE or DEBIT NOTE, taxpayer, device,
numbers, fiscal day, the CREDITED / DEBITED INVOICE block, the tax table, the notes with the
reason, the QR and verification code). A note not signed yet prints "CREDIT NOTE PENDING" (or
DEBIT) and that it is not a fiscal document, never a made-up block.

A note is named by its document: the refund's, void's or correction's own id (the till knows it),
under its sale. Printing goes through the print-job path of the sale's receipt and reprint: a
print job (kind `receipt`, or `copy` once the note was printed before) whose payload names the
note, rendered when it prints, so a note signed in the meantime prints with its block.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hub.db import audit
from hub.db.audit import Actor
from hub.errors import NotFoundError

NOTE_TYPES = ("refund", "void", "correction")
KIND_NAMES = {"refund": "Refund", "void": "Void", "correction": "Price correction"}
PENDING_TEXT = ("Not yet signed by the fiscal device: this is not a fiscal {what}. Print it again once it is "
                "signed.")
NOTE_SQL = ("SELECT r.* FROM fiscal_receipts r WHERE r.document_type IN ('refund', 'void', 'correction') "
            "AND r.document_id = ?")
SOURCE_SQL = {
    "refund": "SELECT id, sale_id, device_id, refunded_by_name AS by_name, currency, total, tax_total, reason, "
              "occurred_at FROM sale_refunds WHERE id = ?",
    "void": "SELECT v.id, v.sale_id, v.device_id, v.voided_by_name AS by_name, s.currency, s.total, s.tax_total, "
            "v.reason, v.occurred_at FROM sale_voids v JOIN sales s ON s.id = v.sale_id WHERE v.id = ?",
    "correction": "SELECT id, sale_id, device_id, corrected_by_name AS by_name, currency, total, tax_total, reason, "
                  "occurred_at, kind FROM sale_corrections WHERE id = ?",
}


def note(conn: sqlite3.Connection, sale_id: str, note_id: str) -> dict[str, Any]:
    """The fiscal note of `note_id` (a refund, void or price correction of `sale_id`) with its
    source document; NotFoundError when the sale has no fiscal note of that id."""
    row = conn.execute(NOTE_SQL, (note_id,)).fetchone()
    source = conn.execute(SOURCE_SQL[row["document_type"]], (note_id,)).fetchone() if row is not None else None
    if row is None or source is None or source["sale_id"] != sale_id:
        raise NotFoundError(f"sale {sale_id} has no fiscal credit or debit note {note_id}")
    return {"row": row, "source": dict(source), "type": row["document_type"]}


def _lines(conn: sqlite3.Connection, found: dict[str, Any]) -> list[dict[str, Any]]:
    """(name, quantity in thousandths, unit price or None, amount) of the note's lines, positive: a
    refunded line at its sale line's price, a void's every sale line, a correction's one per line
    or rate (quantity 1)."""
    kind, source = found["type"], found["source"]
    if kind == "refund":
        sql = ("SELECT r.name, r.quantity, l.unit_price, r.amount FROM sale_refund_lines r LEFT JOIN sale_lines l "
               "ON l.sale_id = r.sale_id AND l.line_no = r.sale_line_no WHERE r.refund_id = ? ORDER BY r.line_no")
        key = source["id"]
    elif kind == "void":
        sql = "SELECT name, quantity, unit_price, total AS amount FROM sale_lines WHERE sale_id = ? ORDER BY line_no"
        key = source["sale_id"]
    else:
        sql = ("SELECT COALESCE(NULLIF(r.description, ''), l.name, 'Price correction') AS name, 1000 AS quantity, "
               "r.amount AS unit_price, r.amount FROM sale_correction_lines r LEFT JOIN sale_lines l ON "
               "l.sale_id = :sale AND l.line_no = r.sale_line_no WHERE r.correction_id = :id ORDER BY r.line_no")
        return [dict(r) for r in conn.execute(sql, {"sale": source["sale_id"], "id": source["id"]})]
    return [dict(r) for r in conn.execute(sql, (key,))]


def _tenders(conn: sqlite3.Connection, found: dict[str, Any]) -> list[dict[str, Any]]:
    kind, source = found["type"], found["source"]
    if kind == "void":  # the whole sale back: its total, as the sale's payments less change
        return [{"method": "", "provider": "", "currency": source["currency"], "amount": source["total"]}]
    table, column, key = {"refund": ("sale_refund_tenders", "refund_id", source["id"]),
                          "correction": ("sale_correction_tenders", "correction_id", source["id"])}[kind]
    return [dict(r) for r in conn.execute(f"SELECT * FROM {table} WHERE {column} = ? ORDER BY seq", (key,))]


def block(conn: sqlite3.Connection, row: sqlite3.Row) -> Any:
    """The note's printed fiscal block: the signed note's, or PENDING while it waits."""
    from drivers.receipts import FiscalBlock
    from hub.fiscal import invoice

    found = invoice.facts(conn, row)
    what = "credit note" if row["receipt_type"] == "CreditNote" else "debit note"
    if found is None:
        lines = (PENDING_TEXT.format(what=what),)
        if json.loads(row["blocked"] or "[]"):
            lines += ("Set aside by the hub: see the Fiscal page.",)
        return FiscalBlock(title=f"{what.upper()} PENDING", lines=lines)
    return FiscalBlock(title=found["title"], rows=invoice.printed_rows(found), lines=invoice.printed_lines(found),
                       qr=found["qr"])


def build(conn: sqlite3.Connection, sale_id: str, note_id: str, *, copy: bool = False) -> Any:
    """The note as a drivers.receipts.Receipt (404 NotFoundError for no such note of the sale)."""
    from drivers.receipts import Receipt, ReceiptLine
    from hub.portal.parse import amount_text
    from hub.printing.receipt import METHODS, footer_lines, header_lines, printed_when
    from hub.sales import _portal_reads as reads
    from hub.store import service as store

    found = note(conn, sale_id, note_id)
    row, source = found["row"], found["source"]
    sale = conn.execute("SELECT s.invoice_number, s.currency, s.tax_mode, d.name AS till_name FROM sales s "
                        "LEFT JOIN devices d ON d.id = s.device_id WHERE s.id = ?", (sale_id,)).fetchone()
    till = conn.execute("SELECT name FROM devices WHERE id = ?", (source["device_id"],)).fetchone() \
        if source["device_id"] else None
    profile = store.get_profile(conn)
    decimals = reads.currency_decimals(conn)
    currency = source["currency"]
    sign = -1 if row["receipt_type"] == "CreditNote" else 1

    def money(minor: int, code: str = currency) -> str:
        return amount_text(sign * minor, decimals.get(code, 2), grouped=True)

    lines = tuple(ReceiptLine(ln["name"], reads.unit_quantity(ln["quantity"], 3 if ln["quantity"] % 1000 else 0),
                              amount_text(ln["unit_price"], decimals.get(currency, 2), grouped=True)
                              if ln["unit_price"] is not None else "",  # the price as sold; the amount signed
                              money(ln["amount"])) for ln in _lines(conn, found))
    taken = found["type"] == "correction" and source.get("kind") == "charge"
    tenders = []
    for t in _tenders(conn, found):
        label = "Taken" if taken else "Paid back"
        if t["method"]:
            label += f": {METHODS.get(t['method'], t['method'])}"
        if t.get("provider"):
            label += f" {t['provider']}"
        tenders.append((f"{label} {t['currency']}", money(t["amount"], t["currency"])))
    what = KIND_NAMES[found["type"]] + (f" ({source['kind']})" if found["type"] == "correction" else "")
    extra = (("Original invoice", sale["invoice_number"]), ("Document", what),
             ("Reason", source["reason"][:200]))
    number = row["invoice_no"] or f"{sale['invoice_number']} {KIND_NAMES[found['type']].lower()}"
    totals = (("Tax", money(source["tax_total"])),) if sale["tax_mode"] == "exclusive" else ()
    return Receipt(
        store_name=profile["name"], invoice_number=number, when=printed_when(conn, source["occurred_at"]),
        till=(till[0] if till else "") or sale["till_name"] or "", cashier=source["by_name"] or "",
        currency=currency, lines=lines, total=money(source["total"]), header=header_lines(profile),
        totals=totals, tenders=tuple(tenders), footer=footer_lines(profile), code=number, copy=copy, extra=extra,
        fiscal=block(conn, row),
        logo_png=store.get_logo(conn))


def printed_before(conn: sqlite3.Connection, note_id: str) -> bool:
    """A job of this note printed or on its way (one that failed or was cancelled printed nothing)."""
    return conn.execute("SELECT 1 FROM print_jobs WHERE kind IN ('receipt', 'copy') AND status NOT IN ('cancelled', "
                        "'failed') AND "
                        "json_extract(payload, '$.note_id') = ? LIMIT 1", (note_id,)).fetchone() is not None


def print_note(conn: sqlite3.Connection, actor: Actor, sale_id: str, note_id: str,
               printer_id: str | None = None) -> dict[str, Any]:
    """Queue the note on the receipt printer of the till that made it (else the sale's till's, else
    the store's, or the one named): a print job `receipt` (`copy` when it was printed before), its
    payload naming the note; one audit entry `fiscal_note.printed`. 409 `no_printer` with none."""
    from hub.catalogue._common import found as exists
    from hub.printing import jobs
    from hub.printing.service import _receipt_printer

    found = note(conn, sale_id, note_id)
    row, source = found["row"], found["source"]
    device_id = source["device_id"] or conn.execute("SELECT device_id FROM sales WHERE id = ?",
                                                    (sale_id,)).fetchone()[0]
    target = _receipt_printer(conn, device_id, printer_id)
    kind = "copy" if printed_before(conn, note_id) else "receipt"
    job_id = jobs.insert_job(conn, printer_id=target, kind=kind, sale_id=sale_id, device_id=device_id,
                             payload={"note_id": note_id}, created_by=actor.username)
    audit.append(conn, actor, "fiscal_note.printed", "fiscal_receipt", row["id"],
                 detail={"job_id": job_id, "printer_id": target, "sale_id": sale_id, "note_id": note_id,
                         "document_type": found["type"], "receipt_type": row["receipt_type"],
                         "signed": row["global_no"] is not None, "copy": kind == "copy"})
    return exists(jobs.job(conn, job_id), "job")
