"""The printed and returned fiscal receipt: the spec's mandatory block on a signed sale's receipt
(ESC/POS bytes decoded back, text and JSON of GET /api/v1/sales/{id}/receipt, print jobs), and
"FISCAL RECEIPT PENDING" (never a made-up block) until the sale is signed."""

from __future__ import annotations

import hashlib
import base64

from tests.fiscal.recipes import FISCAL, configure, fiscal_till, map_taxes, open_day
from tests.printing.escpos_decode import decode
from tests.sales.build import line

RECEIPT = "/api/v1/sales/{}/receipt"


def _receipt(client, sale_id, fmt, **params):
    r = client.get(RECEIPT.format(sale_id), params={"format": fmt, **params})
    assert r.status_code == 200, r.text
    return r


def _expected_code(signature_b64: str) -> str:
    digest = hashlib.md5(base64.b64decode(signature_b64)).hexdigest().upper()[:16]  # independent of the hub
    return "-".join(digest[i:i + 4] for i in range(0, 16, 4))


def test_pending_then_signed_receipt_carries_the_fiscal_block(hub, sim):
    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    number = dev["fdms_device_id"]
    map_taxes(manager)
    sale = till.sell(till.body([line(1000, 2000), line(199, 1000, tax_rate_bp=0)]))

    # not signed yet (the day is not open): clearly pending, no fiscal numbers, no verification code
    text = _receipt(manager, sale["id"], "text").text
    assert "FISCAL RECEIPT PENDING" in text and "Verification code" not in text and "FISCAL TAX INVOICE" not in text
    body = _receipt(manager, sale["id"], "json").json()
    assert body["receipt"]["fiscal"]["title"] == "FISCAL RECEIPT PENDING" and body["receipt"]["fiscal"]["qr"] == ""
    pending = decode(_receipt(manager, sale["id"], "escpos").content)
    [title] = [e for e in pending.events if e[0] == "text" and e[1].strip() == "FISCAL RECEIPT PENDING"]
    assert title[2]["bold"] and title[2]["double_height"]
    assert all(not q[1].startswith(sim.qr_url) for q in pending.of("qr"))

    open_day(manager, dev["id"])
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    sent = sim.devices[number].receipts[1]["receipt"]
    code = _expected_code(sent["receiptDeviceSignature"]["signature"])
    day, mm, yyyy = sent["receiptDate"][8:10], sent["receiptDate"][5:7], sent["receiptDate"][:4]
    qr = f"{sim.qr_url}/{number:010d}{day}{mm}{yyyy}{1:010d}{code.replace('-', '')}"

    # the reprint (a copy) now shows the block
    decoded = decode(_receipt(manager, sale["id"], "escpos", copy="true").content)
    text = decoded.text
    assert "PENDING" not in text
    [title] = [e for e in decoded.events if e[0] == "text" and e[1].strip() == "FISCAL TAX INVOICE"]
    assert title[2]["double_height"]
    for expected in ("Soko Test Supermarket (Pvt) Ltd", "2000123456", "220012345", "Harare Central",
                     "12 Samora Machel Ave, Harare, Harare", f"SN{number}", sale["invoice_number"],
                     f"Verification code: {code}", f"verify this receipt manually at\n{sim.qr_url}"):
        assert expected in text, (expected, text)
    lines = decoded.lines

    def row(label):
        found = [ln for ln in lines if ln.startswith(label + " ")]
        assert found, (label, text)
        return found[0].split()[-1]

    assert row("Invoice No") == "1/1" and row("Receipt global No") == "1" and row("Receipt counter") == "1"
    assert row("Fiscal day No") == "1" and row("Device ID") == str(number) and row("Total USD") == "21.99"
    assert row("Customer reference No") == sale["invoice_number"] and row("Number of items") == "3"
    # the tax table per tax: 15.5 % on 20.00 (tax 2.68), 0 % on 1.99
    assert any(ln.startswith("15.50%") and ln.split()[-3:] == ["17.32", "2.68", "20.00"] for ln in lines), text
    assert any(ln.startswith("0.00%") and ln.split()[-3:] == ["1.99", "0.00", "1.99"] for ln in lines), text
    # the QR natively (GS ( k), with the spec's content
    assert ("qr", qr) in decoded.of("qr")
    assert any(ln.strip() == f"Date {sent['receiptDate'][8:10]}/{mm}/{yyyy} {sent['receiptDate'][11:]}"
               or ln.endswith(f"{day}/{mm}/{yyyy} {sent['receiptDate'][11:]}") for ln in lines)

    as_text = _receipt(manager, sale["id"], "text", profile="58mm-32").text
    assert "FISCAL TAX INVOICE" in as_text and code in as_text and f"[QR: {qr}]" in as_text
    fiscal = _receipt(manager, sale["id"], "json").json()["receipt"]["fiscal"]
    assert fiscal["title"] == "FISCAL TAX INVOICE" and fiscal["qr"] == qr
    assert ["Invoice No", "1/1"] in fiscal["rows"] and ["TIN", "2000123456"] in fiscal["rows"]


def test_a_sale_of_a_till_that_is_not_a_fiscal_device_has_no_fiscal_block(hub, sim):
    from tests.sales.recipes import Till, tills

    manager = hub.as_user("manager")
    till = Till(hub, paired_by=tills(hub))
    sale = till.sell(till.body([line(500)]))
    assert _receipt(manager, sale["id"], "json").json()["receipt"]["fiscal"] is None


def test_a_hub_printer_prints_the_block_of_a_signed_sale_and_pending_before(hub, sim, monkeypatch):
    from hub.printing import subsystem
    from tests.printing.fakeprinter import FakePrinter
    from tests.printing.helpers import add_printer, assign

    monkeypatch.setattr(subsystem, "POLL_S", 0.2)
    manager, admin = hub.as_user("manager"), hub.as_user("admin")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    map_taxes(manager)
    with FakePrinter() as printer:
        assign(admin, add_printer(admin, printer.url), device_id=till.device_id)
        early = till.sell(till.body([line(300)]))  # the day is not open: printed as pending
        [data] = printer.wait_for_jobs(1)
        got = decode(data)
        assert any(ln.strip() == "FISCAL RECEIPT PENDING" for ln in got.lines)
        assert "Verification code" not in got.text
        open_day(manager, dev["id"])
        sale = till.sell(till.body([line(450)]))  # signed in its own transaction: printed with the block
        data = printer.wait_for_jobs(2)[1]
        got = decode(data)
        assert any(ln.strip() == "FISCAL TAX INVOICE" for ln in got.lines) and "Verification code: " in got.text
        assert any(q[1].startswith(f"{sim.qr_url}/{dev['fdms_device_id']:010d}") for q in got.of("qr"))
        r = admin.post(f"/api/v1/sales/{early['id']}/reprint")  # signed when the day opened: the copy has it
        assert r.status_code == 202, r.text
        got = decode(printer.wait_for_jobs(3)[2])
        assert any(ln.strip() == "FISCAL TAX INVOICE" for ln in got.lines) and "PENDING" not in got.text
        assert sale["id"] != early["id"]


def test_the_dashboard_counts_sales_awaiting_a_fiscal_receipt_and_shows_todays_fiscal_totals(hub, sim):
    import re

    from tests.portal.client import Portal

    manager = hub.as_user("manager")
    portal = Portal(hub)
    token = portal.token("manager")
    home = portal.call("GET", "/", token).text
    assert "Sales awaiting a fiscal receipt" not in home  # no fiscal device: no fiscal panel
    cashier = portal.call("GET", "/", portal.token("cashier"))  # no fiscal panel for who may not see it
    assert cashier.status_code == 200 and "Sales awaiting a fiscal receipt" not in cashier.text
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    map_taxes(manager)
    till.sell(till.body([line(1000)]))
    till.sell(till.body([line(250)]))

    def stat(html: str, css: str) -> str:
        found = re.search(rf'class="stat {css}">.*?<strong class="stat-value"[^>]*>([^<]+)</strong>', html, re.S)
        assert found, (css, html)
        return found.group(1).strip()

    home = portal.call("GET", "/", token).text
    assert stat(home, "dash-fiscal-awaiting") == "2" and stat(home, "dash-fiscal-today") == "None yet"
    open_day(manager, dev["id"])
    sim.down = True  # FDMS unreachable: both stay signed and unsent (the worker cannot send them either)
    home = portal.call("GET", "/", token).text
    assert stat(home, "dash-fiscal-awaiting") == "0" and "2 signed, not yet accepted by FDMS" in home
    assert stat(home, "dash-fiscal-today") == "USD 12.50" and "2 invoices USD 12.50" in home and "tax USD 1.68" in home
    sim.down = False
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    home = portal.call("GET", "/", token).text
    assert "Every sale has its fiscal receipt" in home
