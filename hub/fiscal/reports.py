"""Fiscal X report (the open day so far) and Z report (a closed day) of a fiscal device (spec
§10, "Z report / X report"; docs/fiscal.md).

Both read what the hub signed: the day's counters (`fiscal_counters`, exactly what closeDay sends
or will send) by currency (alphabetical) and tax (descending percent, exempt last) with net =
gross - tax, the balance by money type, the documents by type (count and total) and the first
and last receipt (global number, date). Amounts are integer cents, as the counters hold them.
As ESC/POS they print as a slip (print job kind "status_slip") on the till's receipt printer or
the store's.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any

from hub.catalogue._common import found
from hub.db import audit
from hub.db.audit import Actor
from hub.errors import ConflictError, NotFoundError

DOCUMENTS = (("FiscalInvoice", "Fiscal invoices"), ("CreditNote", "Credit notes"), ("DebitNote", "Debit notes"))
BY_TAX = {"SaleByTax": ("sales", "gross"), "SaleTaxByTax": ("sales", "tax"),
          "CreditNoteByTax": ("credit_notes", "gross"), "CreditNoteTaxByTax": ("credit_notes", "tax"),
          "DebitNoteByTax": ("debit_notes", "gross"), "DebitNoteTaxByTax": ("debit_notes", "tax")}
SECTIONS = (("sales", "Sales"), ("credit_notes", "Credit notes"), ("debit_notes", "Debit notes"))


def _percent_key(percent: str) -> tuple[int, Decimal]:
    return (1, Decimal(0)) if percent == "" else (0, -Decimal(percent))


def _report(conn: sqlite3.Connection, device: dict[str, Any], day_no: int, kind: str,
            day: dict[str, Any] | None) -> dict[str, Any]:
    from hub.fiscal import dayjobs, service

    currencies: dict[str, dict[str, Any]] = {}

    def currency(code: str) -> dict[str, Any]:
        return currencies.setdefault(code, {"currency": code, "taxes": {}, "payments": [], "documents": [],
                                            "totals": {s: {"gross": 0, "tax": 0, "net": 0} for s, _ in SECTIONS}})

    for r in conn.execute("SELECT counter_type, currency, tax_id, tax_percent, money_type, value FROM fiscal_counters "
                          "WHERE fiscal_device_id = ? AND day_no = ? AND value != 0", (device["id"], day_no)):
        c = currency(r["currency"])
        if r["counter_type"] == "BalanceByMoneyType":
            c["payments"].append({"money_type": r["money_type"], "value": r["value"]})
            continue
        section, part = BY_TAX[r["counter_type"]]
        tax = c["taxes"].setdefault((r["tax_id"], r["tax_percent"]), {
            "tax_id": r["tax_id"], "tax_percent": r["tax_percent"] or None,
            **{s: {"gross": 0, "tax": 0, "net": 0} for s, _ in SECTIONS}})
        tax[section][part] += r["value"]
    for r in conn.execute("SELECT receipt_type, currency, count(*) AS n, coalesce(sum(total), 0) AS total FROM "
                          "fiscal_receipts WHERE fiscal_device_id = ? AND day_no = ? AND global_no IS NOT NULL "
                          "GROUP BY receipt_type, currency", (device["id"], day_no)):
        currency(r["currency"])["documents"].append({"type": r["receipt_type"], "count": r["n"], "total": r["total"]})
    out_currencies = []
    for code in sorted(currencies):
        c = currencies[code]
        taxes = [c["taxes"][k] for k in sorted(c["taxes"], key=lambda k: _percent_key(k[1]))]
        for t in taxes:
            for s, _ in SECTIONS:
                t[s]["net"] = t[s]["gross"] - t[s]["tax"]
                for part in ("gross", "tax", "net"):
                    c["totals"][s][part] += t[s][part]
        order = {name: i for i, (name, _) in enumerate(DOCUMENTS)}
        c["documents"].sort(key=lambda d: order.get(d["type"], 9))
        from hub.fiscal.signing import MONEY_TYPES

        c["payments"].sort(key=lambda p: MONEY_TYPES.index(p["money_type"]) if p["money_type"] in MONEY_TYPES else 9)
        out_currencies.append({**c, "taxes": taxes})
    edges = conn.execute("SELECT min(global_no), max(global_no), min(receipt_date), max(receipt_date), count(*) FROM "
                         "fiscal_receipts WHERE fiscal_device_id = ? AND day_no = ? AND global_no IS NOT NULL",
                         (device["id"], day_no)).fetchone()
    till = conn.execute("SELECT name FROM devices WHERE id = ?", (device["till_id"],)).fetchone()
    return {"kind": kind, "fiscal_device_id": device["id"], "fdms_device_id": device["fdms_device_id"],
            "serial_no": device["serial_no"], "till_name": till[0] if till else "",
            "taxpayer": {k: device["taxpayer"].get(k) for k in ("taxPayerName", "taxPayerTIN", "vatNumber",
                                                                 "deviceBranchName")},
            "day_no": day_no, "day_status": (day or {}).get("status") or device["day_status"],
            "opened": (day or {}).get("opened") or device["day_opened"],
            "closed_at": (day or {}).get("closed_at"),
            "generated": dayjobs.local_now(conn).strftime(dayjobs.LOCAL),
            "receipt_count": edges[4], "first_global_no": edges[0], "last_global_no": edges[1],
            "first_receipt_date": edges[2], "last_receipt_date": edges[3],
            "pending": service.queue_depth(conn, device["id"])["pending"] if kind == "X" else 0,
            "currencies": out_currencies}


def x_report(conn: sqlite3.Connection, device_id: str) -> dict[str, Any]:
    """The open day so far; refused (409) while no day is open."""
    from hub.fiscal import service

    device = service.get_device(conn, device_id)
    if device["day_status"] not in ("opened", "close_initiated", "close_failed") or not device["day_no"]:
        raise ConflictError("no fiscal day is open on this device: an X report covers the open day (closed days have "
                            "a Z report)", code="fiscal_day_not_open")
    return _report(conn, device, device["day_no"], "X", None)


def z_report(conn: sqlite3.Connection, device_id: str, day_no: int) -> dict[str, Any]:
    """A closed day; 404 for a day the device never had, 409 for one not closed yet."""
    from hub.fiscal import service

    device = service.get_device(conn, device_id)
    row = conn.execute("SELECT * FROM fiscal_days WHERE fiscal_device_id = ? AND day_no = ?",
                       (device_id, day_no)).fetchone()
    day = dict(found(row, f"fiscal day {day_no} of this device"))
    if day["status"] != "closed":
        raise ConflictError(f"fiscal day {day_no} is not closed ({day['status'].replace('_', ' ')}): see its X report",
                            code="fiscal_day_not_closed")
    return _report(conn, device, day_no, "Z", day)


def closed_days(conn: sqlite3.Connection, device_id: str, limit: int = 10) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(
        "SELECT day_no, opened, closed_at, receipt_counter FROM fiscal_days WHERE fiscal_device_id = ? "
        "AND status = 'closed' ORDER BY day_no DESC LIMIT ?", (device_id, limit))]


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def slip_lines(report: dict[str, Any]) -> tuple[str, list[list[str]], list[str]]:
    """(title, label/value lines, notes) of the report as a receipt-printer slip."""
    title = f"{'X' if report['kind'] == 'X' else 'Z'} REPORT"
    tp = report["taxpayer"]
    lines = [[tp.get("taxPayerName") or "", ""], ["TIN", tp.get("taxPayerTIN") or ""]]
    if tp.get("vatNumber"):
        lines.append(["VAT No", tp["vatNumber"]])
    lines += [["Device ID", str(report["fdms_device_id"])], ["Device Serial No", report["serial_no"]],
              ["Fiscal day No", str(report["day_no"])], ["Opened", report["opened"] or ""]]
    if report["kind"] == "Z":
        lines.append(["Closed", (report["closed_at"] or "")[:19].replace("T", " ") + " UTC"])
    lines += [["Printed", report["generated"]], ["Receipts", str(report["receipt_count"])],
              ["Global numbers", f"{report['first_global_no'] or '-'} to {report['last_global_no'] or '-'}"]]
    for c in report["currencies"]:
        lines.append([f"--- {c['currency']} ---", ""])
        for section, label in SECTIONS:
            taxes = [t for t in c["taxes"] if t[section]["gross"]]
            if not taxes:
                continue
            for t in taxes:
                name = "exempt" if t["tax_percent"] is None else f"{t['tax_percent']}%"
                lines.append([f"{label} {name} net", money(t[section]["net"])])
                lines.append([f"{label} {name} tax", money(t[section]["tax"])])
                lines.append([f"{label} {name} gross", money(t[section]["gross"])])
            lines.append([f"{label} total", money(c["totals"][section]["gross"])])
        for d in c["documents"]:
            lines.append([f"{dict(DOCUMENTS).get(d['type'], d['type'])} ({d['count']})", money(d["total"])])
        for p in c["payments"]:
            lines.append([p["money_type"], money(p["value"])])
    notes = [f"{report['pending']} sale(s) wait to be signed"] if report.get("pending") else []
    return title, lines, notes


def print_report(conn: sqlite3.Connection, actor: Actor, device_id: str, day_no: int | None) -> dict[str, Any]:
    """Queue the X report (day_no None) or the Z report of day_no on the till's receipt printer
    (or the store's); one audit entry."""
    from hub.printing import jobs

    report = x_report(conn, device_id) if day_no is None else z_report(conn, device_id, day_no)
    till_id = conn.execute("SELECT till_id FROM fiscal_devices WHERE id = ?", (device_id,)).fetchone()[0]
    assigned = jobs.printer_for(conn, till_id, "receipt")
    printer = jobs.printer(conn, assigned["printer_id"]) if assigned else None
    if printer is None:
        raise ConflictError("no receipt printer serves this till or the store: add one on the Peripherals page",
                            code="no_printer")
    title, lines, notes = slip_lines(report)
    job_id = jobs.insert_job(conn, printer_id=printer["id"], kind="status_slip", device_id=till_id,
                             payload={"lines": lines, "notes": notes, "url": "", "title": title},
                             created_by=actor.username)
    audit.append(conn, actor, "fiscal_report.printed", "fiscal_device", device_id,
                 detail={"kind": report["kind"], "fiscal_day_no": report["day_no"], "job_id": job_id})
    job = jobs.job(conn, job_id)
    if job is None:
        raise NotFoundError("print job")
    return {**job, "printer_name": printer["name"]}
