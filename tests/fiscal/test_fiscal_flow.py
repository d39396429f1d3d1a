"""The whole fiscal flow against the FDMS simulator: register two tills, open their days, sell on
both, submit, close: no red or yellow result and every sale fiscalised exactly once."""

from __future__ import annotations

import datetime as dt

import os
from decimal import Decimal
import stat
from pathlib import Path

from hub.fiscal import signing
from tests.fiscal.recipes import FISCAL, configure, fiscal_till, map_taxes, open_day
from tests.sales.build import cash, line


def _sim_receipts(sim, number):
    return [x for x in sim.devices[number].receipts.values()]


def test_register_open_sell_on_two_tills_submit_and_close(hub, sim):
    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till1, dev1 = fiscal_till(hub, manager, sim)
    till2, dev2 = fiscal_till(hub, manager, sim, algorithm="rsa")
    for dev in (dev1, dev2):
        assert dev["status"] == "registered" and dev["operating_mode"] == "Online"
        assert dev["qr_url"] == sim.qr_url and dev["taxpayer"]["taxPayerTIN"] == "2000123456"
        assert "activation_key" not in dev and "key_path" not in dev
    key_files = sorted((Path(hub.server.settings.data_path) / "fiscal").glob("*.key"))
    assert len(key_files) == 2
    for f in key_files:
        assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(key_files[0].parent).st_mode) == 0o700

    # a day does not open while an active tax class is unmapped; a class whose only rate starts
    # later has nothing to map yet and does not hold the day back
    tomorrow = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).isoformat()
    r = hub.as_user("admin").post("/api/v1/tax-classes", json={"code": "LUX", "name": "Luxury", "rate_bp": 2500,
                                                              "effective_from": tomorrow})
    assert r.status_code == 201, r.text
    r = manager.post(f"{FISCAL}/devices/{dev1['id']}/day/open")
    assert r.status_code == 409 and r.json()["code"] == "fiscal_not_ready", r.text
    assert any(e["field"] == "tax_classes.VAT" for e in r.json()["errors"])
    assert not any(e["field"] == "tax_classes.LUX" for e in r.json()["errors"])
    map_taxes(manager)
    # a sale before the day opens waits as pending, and is signed first when it opens
    early = till1.sell(till1.body([line(1000)]))
    assert manager.get(f"{FISCAL}/devices/{dev1['id']}/day").json()["pending"] == 1
    day = open_day(manager, dev1["id"])
    assert (day["day_no"], day["day_status"], day["pending"], day["queued"]) == (1, "opened", 0, 1)
    open_day(manager, dev2["id"])

    sold = [early["id"]]
    for i in range(3):
        for till in (till1, till2):
            body = till.body([line(250 + i, 2000), line(199, 1500, tax_rate_bp=0)],
                             tenders=None)
            total = sum(ln["total"] for ln in body["lines"])
            body["tenders"] = [cash(total + 100)] if i == 1 else [{"method": "card", "currency": "USD",
                                                                    "amount": total, "provider": "Visa"}]
            if i == 1:
                body["change"] = [{"currency": "USD", "amount": 100}]
            sold.append(till.sell(body)["id"])
    receipts = manager.get(f"{FISCAL}/receipts", params={"limit": 50}).json()["items"]
    assert sorted(r["document_id"] for r in receipts) == sorted(sold)
    for dev in (dev1, dev2):
        mine = sorted((r for r in receipts if r["fiscal_device_id"] == dev["id"]), key=lambda r: r["global_no"])
        assert [r["global_no"] for r in mine] == list(range(1, len(mine) + 1))
        assert [r["receipt_counter"] for r in mine] == list(range(1, len(mine) + 1))
        dates = [r["receipt_date"] for r in mine]
        assert dates == sorted(set(dates))  # strictly increasing

    r = manager.post(f"{FISCAL}/queue/submit")
    assert r.status_code == 200 and r.json()["failed"] == 0, r.text
    receipts = manager.get(f"{FISCAL}/receipts", params={"limit": 50}).json()["items"]
    assert {r["status"] for r in receipts} == {"submitted"}
    assert {r["colour"] for r in receipts} == {""}, [r["validation_errors"] for r in receipts]
    n1, n2 = dev1["fdms_device_id"], dev2["fdms_device_id"]
    on_sim = _sim_receipts(sim, n1) + _sim_receipts(sim, n2)
    assert len(on_sim) == len(sold) == 7
    assert sorted(x["receipt"]["invoiceNo"] for x in on_sim) == sorted(r["invoice_no"] for r in receipts)
    assert all(not x["answer"]["validationErrors"] for x in on_sim)

    # a re-submission of the same receipt is idempotent at FDMS
    held = on_sim[0]
    assert sim.op_SubmitReceipt(sim.devices[n1], {"receipt": held["receipt"]}) == held["answer"]

    # the QR of a signed receipt
    first = _sim_receipts(sim, n1)[0]["receipt"]
    url = signing.qr_url(sim.qr_url, n1, first["receiptDate"], first["receiptGlobalNo"],
                         first["receiptDeviceSignature"]["signature"])
    assert url.startswith(f"{sim.qr_url}/{n1:010d}") and len(url) == len(sim.qr_url) + 1 + 44

    for dev in (dev1, dev2):
        r = manager.post(f"{FISCAL}/devices/{dev['id']}/day/close")
        assert r.status_code == 200, r.text
        assert r.json()["day_status"] == "closed", r.json()
    for number in (n1, n2):
        assert sim.devices[number].day_status == "FiscalDayClosed"
        assert sim.devices[number].closed_days[1]["counters"]
    calls = manager.get(f"{FISCAL}/calls", params={"limit": 200}).json()["items"]
    assert {c["operation"] for c in calls} >= {"VerifyTaxpayerInformation", "RegisterDevice", "GetConfig", "OpenDay",
                                               "SubmitReceipt", "CloseDay", "GetStatus"}
    assert all(c["operation_id"] for c in calls if c["http_status"] == 200)
    eod = manager.get("/api/v1/end-of-day").json()
    [step] = [s for s in eod["steps"] if s["key"] == "fiscal"]
    assert step["state"] == "done", step


def test_fdms_lost_then_back_submits_in_order_and_a_closed_day_holds_sales_pending(hub, sim):
    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    number = dev["fdms_device_id"]
    map_taxes(manager)
    open_day(manager, dev["id"])
    sim.down = True
    for _ in range(3):
        till.sell(till.body([line(500)]))
    assert manager.post(f"{FISCAL}/queue/submit").json() == {"submitted": 0, "failed": 1}
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/day/close")
    assert r.status_code == 409 and r.json()["code"] == "fiscal_queue_unsent", r.text
    assert manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()["day_status"] == "opened"
    assert sim.devices[number].receipts == {}
    queued = manager.get(f"{FISCAL}/receipts", params={"status": "queued"}).json()["items"]
    assert len(queued) == 3 and max(q["attempts"] for q in queued) >= 1 and any(q["last_error"] for q in queued)
    sim.down = False
    manager.post(f"{FISCAL}/queue/submit")
    assert sim.devices[number].day_receipts == [1, 2, 3]  # in ascending global number, each once
    done = manager.get(f"{FISCAL}/receipts", params={"status": "submitted"}).json()["items"]
    assert len(done) == 3 and {q["colour"] for q in done} == {""}
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/day/close")
    assert r.status_code == 200 and r.json()["day_status"] == "closed", r.text
    till.sell(till.body([line(700)]))
    day = manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()
    assert day["pending"] == 1 and not day["signing"]
    open_day(manager, dev["id"])
    manager.post(f"{FISCAL}/queue/submit")
    fourth = sim.devices[number].receipts[4]
    assert fourth["receipt"]["receiptCounter"] == 1 and fourth["day"] == 2 and not fourth["answer"]["validationErrors"]


def test_refunds_and_voids_are_credit_notes_of_the_fiscal_invoice(hub, sim):
    from tests.sales.refunding import refund_body
    from tests.sales.recipes import SALES, Till

    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    number = dev["fdms_device_id"]
    map_taxes(manager)
    open_day(manager, dev["id"])
    kept = till.sell(till.body([line(300, 2000), line(199, 1000, tax_rate_bp=0)]))
    voided = till.sell(till.body([line(450)]))
    supervisor = Till(hub, "supervisor", paired_by=till.paired_by, paired=till.paired)
    r = supervisor.http.post(f"{SALES}/{kept['id']}/refunds", json=refund_body([{"line_no": 0, "quantity": 1000}]))
    assert r.status_code == 201, r.text
    r = manager.post(f"{SALES}/{voided['id']}/void", json={"reason": "Rang up twice"})
    assert r.status_code == 200, r.text
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    held = sim.devices[number].receipts
    assert [held[n]["receipt"]["receiptType"] for n in sorted(held)] == ["FiscalInvoice", "FiscalInvoice",
                                                                        "CreditNote", "CreditNote"]
    refund, void = held[3]["receipt"], held[4]["receipt"]
    assert refund["receiptTotal"] == Decimal("-3.00") and refund["receiptNotes"].startswith("Refund:")
    assert refund["creditDebitNote"] in ({"receiptID": held[1]["answer"]["receiptID"]},
                                         {"deviceID": number, "receiptGlobalNo": 1, "fiscalDayNo": 1})
    assert void["receiptTotal"] == -held[2]["receipt"]["receiptTotal"] and "Rang up twice" in void["receiptNotes"]
    assert all(not x["answer"]["validationErrors"] for x in held.values()), [x["answer"] for x in held.values()]
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/day/close")
    assert r.status_code == 200 and r.json()["day_status"] == "closed", r.text
    counters = {c["fiscalCounterType"] for c in sim.devices[number].closed_days[1]["counters"]}
    assert {"SaleByTax", "CreditNoteByTax", "CreditNoteTaxByTax", "BalanceByMoneyType"} <= counters


def test_price_corrections_are_debit_and_credit_notes(hub, sim):
    from tests.sales.recipes import SALES, Till
    from tests.sales.refunding import correction_body

    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    number = dev["fdms_device_id"]
    map_taxes(manager)
    open_day(manager, dev["id"])
    sold = till.sell(till.body([line(300, 2000)]))
    boss = Till(hub, "manager", paired_by=till.paired_by, paired=till.paired)
    charge = correction_body(lines=[{"amount": 10, "tax_rate_bp": 1550}])  # at the sale's own rate (RCPT036)
    r = boss.http.post(f"{SALES}/{sold['id']}/corrections", json=charge)
    assert r.status_code == 201, r.text
    credit = correction_body(kind="credit", lines=[{"line_no": 0, "amount": 50}],
                             tenders=[{"method": "cash", "currency": "USD", "amount": 50}])
    r = boss.http.post(f"{SALES}/{sold['id']}/corrections", json=credit)
    assert r.status_code == 201, r.text
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    held = sim.devices[number].receipts
    assert [held[n]["receipt"]["receiptType"] for n in sorted(held)] == ["FiscalInvoice", "DebitNote", "CreditNote"]
    assert held[2]["receipt"]["receiptTotal"] == Decimal("0.10") and held[3]["receipt"]["receiptTotal"] == Decimal("-0.50")
    assert all(not x["answer"]["validationErrors"] for x in held.values()), [x["answer"] for x in held.values()]
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/day/close")
    assert r.status_code == 200 and r.json()["day_status"] == "closed", r.text
    counters = {c["fiscalCounterType"] for c in sim.devices[number].closed_days[1]["counters"]}
    assert {"DebitNoteByTax", "DebitNoteTaxByTax", "CreditNoteByTax"} <= counters
