"""Credit and debit notes printed as ESC/POS: a refund's, void's or price correction's fiscal note
returned to the till (GET /api/v1/sales/{id}/notes/{note_id}/receipt, escpos/text/json) and queued
on the receipt printer (POST .../print and the sale page's Print button), with the spec's mandatory
fiscal block once signed (decoded back from the bytes), "CREDIT NOTE PENDING" before."""

from __future__ import annotations

import base64
import hashlib
import re

from tests.fiscal.recipes import FISCAL, configure, fiscal_till, map_taxes, open_day
from tests.people import query
from tests.printing.escpos_decode import decode
from tests.sales.build import line
from tests.sales.recipes import SALES, Till

NOTE = SALES + "/{}/notes/{}"


def _expected_code(signature_b64: str) -> str:
    digest = hashlib.md5(base64.b64decode(signature_b64)).hexdigest().upper()[:16]  # independent of the hub
    return "-".join(digest[i:i + 4] for i in range(0, 16, 4))


def _note(client, sale_id, note_id, fmt, **params):
    r = client.get(NOTE.format(sale_id, note_id) + "/receipt", params={"format": fmt, **params})
    assert r.status_code == 200, r.text
    return r


def _audits(hub, action):
    return query(hub, "SELECT entity, entity_id, summary FROM audit_log WHERE action = ? ORDER BY seq", action)


def test_a_refund_note_prints_pending_then_with_the_credit_note_block(hub, sim):
    from tests.sales.refunding import refund_body

    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    number = dev["fdms_device_id"]
    map_taxes(manager)
    open_day(manager, dev["id"])
    sale = till.sell(till.body([line(300, 2000), line(199, 1000, tax_rate_bp=0)]))
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/day/close")
    assert r.status_code == 200 and r.json()["day_status"] == "closed", r.text
    supervisor = Till(hub, "supervisor", paired_by=till.paired_by, paired=till.paired)
    body = refund_body([{"line_no": 0, "quantity": 1000}], reason="Cracked bottle")
    r = supervisor.http.post(f"{SALES}/{sale['id']}/refunds", json=body)
    assert r.status_code == 201, r.text
    refund_id = r.json()["id"]

    # the day is closed: the note waits, and prints clearly as not fiscal (the cashier at the till may fetch it)
    pending = decode(_note(supervisor.http, sale["id"], refund_id, "escpos").content)
    [title] = [e for e in pending.events if e[0] == "text" and e[1].strip() == "CREDIT NOTE PENDING"]
    assert title[2]["bold"] and title[2]["double_height"]
    assert "not a fiscal credit note" in " ".join(pending.text.split()) and "Verification code" not in pending.text
    assert not any(q[1].startswith(sim.qr_url) for q in pending.of("qr"))
    assert "Cracked bottle" in pending.text and sale["invoice_number"] in pending.text
    assert _note(manager, sale["id"], refund_id, "json").json()["receipt"]["fiscal"]["title"] == "CREDIT NOTE PENDING"

    open_day(manager, dev["id"])  # day 2: the note is signed first
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    invoice, sent = sim.devices[number].receipts[1]["receipt"], sim.devices[number].receipts[2]["receipt"]
    assert sent["receiptType"] == "CreditNote"
    code = _expected_code(sent["receiptDeviceSignature"]["signature"])
    date = sent["receiptDate"]
    qr = f"{sim.qr_url}/{number:010d}{date[8:10]}{date[5:7]}{date[:4]}{2:010d}{code.replace('-', '')}"

    decoded = decode(_note(manager, sale["id"], refund_id, "escpos").content)
    text, lines = decoded.text, decoded.lines
    assert "PENDING" not in text
    [title] = [e for e in decoded.events if e[0] == "text" and e[1].strip() == "CREDIT NOTE"]
    assert title[2]["double_height"]

    def rows(label):
        return [ln.split()[-1] for ln in lines if ln.startswith(label + " ")]

    assert rows("Invoice No")[-1] == "1/2" and rows("Fiscal day No") == ["2"] and rows("Device ID") == [str(number)]
    assert rows("Customer reference No") == [sent["invoiceNo"], invoice["invoiceNo"]]  # the note's, the original's
    assert "CREDITED INVOICE" in lines and rows("Receipt global No") == ["2", "1"]
    assert rows("Total USD")[-1] == "-3.00" and rows("Original invoice") == [sale["invoice_number"]]
    assert any(ln.startswith("Notes") and "Refund: Cracked bottle" in ln for ln in lines), text
    assert any(ln.startswith("15.50%") and ln.split()[-3:] == ["-2.60", "-0.40", "-3.00"] for ln in lines), text
    for expected in ("Soko Test Supermarket (Pvt) Ltd", "2000123456", f"SN{number}", f"Verification code: {code}",
                     "Paid back: Cash USD"):
        assert expected in text, (expected, text)
    assert ("qr", qr) in decoded.of("qr")  # the QR natively (GS ( k) with the spec's content
    as_text = _note(manager, sale["id"], refund_id, "text", profile="58mm-32", copy="true").text
    assert "CREDIT NOTE" in as_text and f"[QR: {qr}]" in as_text and "*** COPY ***" in as_text
    fiscal = _note(manager, sale["id"], refund_id, "json").json()["receipt"]["fiscal"]
    assert fiscal["title"] == "CREDIT NOTE" and fiscal["qr"] == qr and ["", "CREDITED INVOICE"] in fiscal["rows"]

    # a document that is not a note of this sale, or no document at all: 404
    other = till.sell(till.body([line(100)]))
    assert manager.get(NOTE.format(other["id"], refund_id) + "/receipt").status_code == 404
    assert manager.get(NOTE.format(sale["id"], sale["id"]) + "/receipt").status_code == 404


def test_print_queues_the_note_on_the_receipt_printer_through_the_print_jobs(hub, sim, monkeypatch):
    from hub.printing import subsystem
    from tests.portal.client import Portal
    from tests.printing.fakeprinter import FakePrinter
    from tests.printing.helpers import add_printer, assign
    from tests.sales.refunding import correction_body

    monkeypatch.setattr(subsystem, "POLL_S", 0.2)
    manager, admin = hub.as_user("manager"), hub.as_user("admin")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    map_taxes(manager)
    open_day(manager, dev["id"])
    sold = till.sell(till.body([line(300, 2000)]))
    boss = Till(hub, "manager", paired_by=till.paired_by, paired=till.paired)
    r = boss.http.post(f"{SALES}/{sold['id']}/corrections", json=correction_body(
        reason="Charged the old price", lines=[{"amount": 10, "tax_rate_bp": 1550}]))
    assert r.status_code == 201, r.text
    correction_id = r.json()["id"]
    url = NOTE.format(sold["id"], correction_id) + "/print"

    r = manager.post(url)  # no receipt printer anywhere: refused, nothing queued or audited
    assert r.status_code == 409 and r.json()["code"] == "no_printer", r.text
    assert not query(hub, "SELECT 1 FROM print_jobs") and not _audits(hub, "fiscal_note.printed")
    assert manager.post(NOTE.format(sold["id"], sold["id"]) + "/print").status_code == 404
    assert hub.as_user("cashier").post(url).status_code == 403  # as for the reprint: sales.view

    # a job cancelled or failed before it printed leaves the next print the original, not a copy
    idle = admin.post("/api/v1/printers", json={"name": "Idle", "address": "dummy://idle", "profile": "80mm-48",
                                               "enabled": False}).json()["id"]
    first = manager.post(url, json={"printer_id": idle})
    assert first.status_code == 202 and first.json()["kind"] == "receipt", first.text
    assert admin.post(f"/api/v1/print-jobs/{first.json()['id']}/cancel").status_code == 200
    failed = manager.post(url, json={"printer_id": idle}).json()
    assert failed["kind"] == "receipt"
    hub.write("UPDATE print_jobs SET status = 'failed' WHERE id = ?", failed["id"])  # as the worker gives up

    with FakePrinter() as printer:
        assign(admin, add_printer(admin, printer.url, name="Back office"))  # the store's printer
        r = manager.post(url)
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["kind"] == "receipt" and job["sale_id"] == sold["id"]
        assert job["payload"] == {"note_id": correction_id}
        got = decode(printer.wait_for_jobs(1)[0])
        [title] = [e for e in got.events if e[0] == "text" and e[1].strip() == "DEBIT NOTE"]
        assert title[2]["double_height"] and "DEBITED INVOICE" in got.lines
        assert "Price correction: Charged the old price" in got.text and "Taken: Cash USD" in got.text
        assert any(q[1].startswith(f"{sim.qr_url}/{dev['fdms_device_id']:010d}") for q in got.of("qr"))
        assert "*** COPY ***" not in got.text and got.of("cut")

        # the sale page's Print button beside the note: the same path, a copy the second time
        portal = Portal(hub)
        session = portal.token("supervisor")
        page = portal.call("GET", f"/sales/{sold['id']}", session)
        action = f'action="/sales/{sold["id"]}/notes/{correction_id}/print"'
        assert page.status_code == 200 and action in page.text
        r = portal.call("POST", f"/sales/{sold['id']}/notes/{correction_id}/print", session)
        assert r.status_code == 303 and r.headers["location"] == f"/sales/{sold['id']}", r.text
        copy = decode(printer.wait_for_jobs(2)[1])
        assert "*** COPY ***" in copy.text and any(ln.strip() == "DEBIT NOTE" for ln in copy.lines)
    kinds = [r[0] for r in query(hub, "SELECT kind FROM print_jobs WHERE sale_id = ? ORDER BY id", sold["id"])]
    assert kinds == ["receipt", "receipt", "receipt", "copy"]
    entries = _audits(hub, "fiscal_note.printed")
    assert len(entries) == 4 and all(e[0] == "fiscal_receipt" for e in entries)
    assert re.search(r'"copy": ?false', entries[2][2]) and re.search(r'"copy": ?true', entries[3][2])
    assert re.search(r'"signed": ?true', entries[2][2])


def test_a_void_prints_as_a_credit_note_of_the_whole_sale(hub, sim):
    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    map_taxes(manager)
    open_day(manager, dev["id"])
    sale = till.sell(till.body([line(450), line(150, 2000)]))
    r = manager.post(f"{SALES}/{sale['id']}/void", json={"reason": "Rang up twice"})
    assert r.status_code == 200, r.text
    void_id = r.json()["void_id"]
    [_, note] = manager.get(f"{FISCAL}/sales/{sale['id']}/documents").json()["items"]
    assert note["document_id"] == void_id and note["signed"]
    text = _note(manager, sale["id"], void_id, "text").text
    assert "CREDIT NOTE" in text and "CREDITED INVOICE" in text and "Void: Rang up twice" in text
    assert re.search(r"TOTAL USD\s+-7\.50", text) and re.search(r"Paid back USD\s+-7\.50", text), text
