"""Durable print jobs through the real hub: a sale's receipt reaches a TCP printer, a printer out
of paper holds the job and raises an alert until paper is back, an unreachable one is retried with
backoff and then failed, retry and cancel, the drawer, labels, printer tests and the boot slip."""

from __future__ import annotations

import time

import pytest

from drivers.receipts import COPY_MARK
from hub.events.bus import bus_for
from hub.printing import subsystem
from tests.catalogue.fixtures import create, reference
from tests.hubtest import Hub, HubServer
from tests.people import audit_entries, audit_count
from tests.printing.escpos_decode import decode
from tests.printing.fakeprinter import FakePrinter
from tests.printing.helpers import JOBS, PRINTERS, add_printer, assign, job_rows, printer_row, wait_job
from tests.sales.build import line
from tests.sales.recipes import Till


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(subsystem, "HOLD_RETRY_S", 0.1)
    monkeypatch.setattr(subsystem, "BACKOFF_BASE_S", 0.05)
    monkeypatch.setattr(subsystem, "POLL_S", 0.2)


@pytest.fixture
def printer():
    with FakePrinter() as fake:
        yield fake


def test_a_sale_at_a_till_with_a_hub_printer_prints_its_receipt_and_kicks_the_drawer_for_cash(hub, printer):
    admin = hub.as_user("admin")
    till = Till(hub)
    assign(admin, add_printer(admin, printer.url), device_id=till.device_id, kick=True)
    sale = till.sell(till.body([line(250, 2000, tax_rate_bp=0, name="Sugar 2kg")]))
    [data] = printer.wait_for_jobs(1)
    got = decode(data)
    assert got.kinds[0] == "codepage" and got.of("drawer") == [("drawer", 2)]
    assert got.kinds.index("drawer") < got.kinds.index("text")
    assert any(ln.startswith("Invoice") and ln.endswith(sale["invoice_number"]) for ln in got.lines)
    assert any(ln.startswith("  2 x 2.50") and ln.endswith("5.00 A") for ln in got.lines)
    assert got.of("qr") == [("qr", sale["invoice_number"])] and got.kinds[-1] == "cut"
    assert COPY_MARK not in got.text
    assert printer.queries[:3] == [1, 2, 4]  # DLE EOT before the job
    [job] = admin.get(JOBS, params={"sale": sale["id"]}).json()["items"]
    job = wait_job(admin, job["id"], "done")
    assert job["kind"] == "receipt" and job["attempts"] == 1 and job["invoice_number"] == sale["invoice_number"]
    assert printer_row(admin, job["printer_id"])["status"] == "ready"


def test_no_drawer_kick_without_the_setting_and_no_job_for_a_till_that_prints_itself(hub, printer):
    admin = hub.as_user("admin")
    till, other = Till(hub), Till(hub)
    assign(admin, add_printer(admin, printer.url), device_id=till.device_id, kick=False)
    till.sell()
    [data] = printer.wait_for_jobs(1)
    assert not decode(data).of("drawer")
    other.sell()
    time.sleep(0.3)
    assert len(printer.jobs) == 1
    assert len(job_rows(hub)) == 1  # the till with no hub printer queued nothing


def test_the_same_sale_sent_again_queues_no_second_receipt(hub, printer):
    admin = hub.as_user("admin")
    till = Till(hub)
    assign(admin, add_printer(admin, printer.url), device_id=till.device_id)
    body = till.body()
    till.sell(body)
    till.sell(body, status=200)
    printer.wait_for_jobs(1)
    assert len(job_rows(hub)) == 1


def test_paper_out_holds_the_job_and_raises_an_alert_until_paper_is_back(hub, printer):
    admin = hub.as_user("admin")
    events = bus_for(hub.server.app.state).subscribe()
    till = Till(hub)
    printer_id = add_printer(admin, printer.url)
    assign(admin, printer_id, device_id=till.device_id, kick=True)
    printer.state = "paper_out"
    sale = till.sell()
    [job] = admin.get(JOBS, params={"sale": sale["id"]}).json()["items"]
    held = wait_job(admin, job["id"], "held")
    assert held["last_error"] == "paper out"
    # The drawer opened for the customer's change even though the receipt waits.
    [kick] = printer.wait_for_jobs(1)
    assert decode(kick).kinds == ["drawer"]
    status = printer_row(admin, printer_id)
    assert status["status"] == "paper_out" and status["status_detail"] == "paper out"
    time.sleep(0.3)
    assert admin.get(f"{JOBS}/{job['id']}").json()["status"] == "held"  # asked again, still out of paper
    assert len(printer.jobs) == 1
    page = admin.get("/api/v1/printers").json()
    assert [p["status"] for p in page] == ["paper_out"]

    printer.state = "ready"
    wait_job(admin, job["id"], "done")
    receipt = decode(printer.wait_for_jobs(2)[1])
    assert not receipt.of("drawer")  # kicked already
    assert any(ln.endswith(sale["invoice_number"]) for ln in receipt.lines)
    assert printer_row(admin, printer_id)["status"] == "ready"
    seen: list = []
    deadline = time.monotonic() + 10
    while not any(e.kind == "print_job" and e.data["status"] == "done" for e in seen) and time.monotonic() < deadline:
        while not events.queue.empty():  # the events follow the job's row
            seen.append(events.queue.get_nowait())
        time.sleep(0.02)
    statuses = [e.data["status"] for e in seen if e.kind == "printer_status"]
    assert statuses == ["paper_out", "ready"]
    jobs_seen = [e.data["status"] for e in seen if e.kind == "print_job" and e.data["job_id"] == job["id"]]
    assert jobs_seen[0] == "held" and jobs_seen[-1] == "done"


def test_jobs_for_one_printer_print_in_order_behind_a_held_one(hub, printer):
    admin = hub.as_user("admin")
    till = Till(hub)
    assign(admin, add_printer(admin, printer.url), device_id=till.device_id)
    printer.state = "cover_open"
    first, second = till.sell(), till.sell()
    rows = job_rows(hub)
    wait_job(admin, rows[0]["id"], "held")
    assert admin.get(f"{JOBS}/{rows[1]['id']}").json()["status"] == "queued"
    printer.state = "ready"
    datas = printer.wait_for_jobs(2)
    numbers = [next(ln for ln in decode(d).lines if ln.startswith("Invoice")) for d in datas]
    assert numbers[0].endswith(first["invoice_number"]) and numbers[1].endswith(second["invoice_number"])


def test_an_unreachable_printer_is_retried_with_backoff_then_failed_and_can_be_retried_or_cancelled(hub, monkeypatch):
    monkeypatch.setattr(subsystem, "MAX_ATTEMPTS", 3)
    admin = hub.as_user("admin")
    till = Till(hub)
    with FakePrinter() as gone:
        url = gone.url
    printer_id = add_printer(admin, url)
    assign(admin, printer_id, device_id=till.device_id)
    sale = till.sell()  # the sale never waits for the printer
    [job] = admin.get(JOBS, params={"sale": sale["id"]}).json()["items"]
    failed = wait_job(admin, job["id"], "failed")
    assert failed["attempts"] == 3 and "cannot reach" in failed["last_error"]
    status = printer_row(admin, printer_id)
    assert status["status"] == "offline" and "cannot reach" in status["last_error"]

    before = audit_count(hub)
    r = admin.post(f"{JOBS}/{job['id']}/retry")
    assert r.status_code == 200 and r.json()["status"] == "queued" and r.json()["attempts"] == 0
    wait_job(admin, job["id"], "failed")
    r = admin.post(f"{JOBS}/{job['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = admin.post(f"{JOBS}/{job['id']}/cancel")
    assert r.status_code == 409 and r.json()["code"] == "job_finished"
    actions = [e["action"] for e in audit_entries(hub) if e["seq"] > before]
    assert actions == ["print_job.retried", "print_job.cancelled"]
    assert hub.as_user("supervisor").post(f"{JOBS}/{job['id']}/retry").status_code == 403


def test_a_job_that_printed_cannot_be_retried(hub, printer):
    admin = hub.as_user("admin")
    printer_id = add_printer(admin, printer.url)
    job = admin.post(f"{PRINTERS}/{printer_id}/tests", json={"kind": "test_page"}).json()
    wait_job(admin, job["id"], "done")
    r = admin.post(f"{JOBS}/{job['id']}/retry")
    assert r.status_code == 409 and r.json()["code"] == "job_done"


def test_reprint_queues_a_copy_marked_copy_and_is_audited(hub, printer):
    admin = hub.as_user("admin")
    till = Till(hub)
    sale = till.sell()
    r = admin.post(f"/api/v1/sales/{sale['id']}/reprint")
    assert r.status_code == 409 and r.json()["code"] == "no_printer"
    printer_id = add_printer(admin, printer.url)
    assign(admin, printer_id)  # the store's receipt printer serves a till with none of its own
    supervisor = hub.as_user("supervisor")
    events = bus_for(hub.server.app.state).subscribe()
    before = audit_count(hub)
    r = supervisor.post(f"/api/v1/sales/{sale['id']}/reprint")
    assert r.status_code == 202, r.text
    assert r.json()["kind"] == "copy" and r.json()["printer_id"] == printer_id
    [data] = printer.wait_for_jobs(1)
    said: list[str] = []
    deadline = time.monotonic() + 10
    while "done" not in said and time.monotonic() < deadline:  # the event follows the job's row
        while not events.queue.empty():
            event = events.queue.get_nowait()
            if event.kind == "print_job" and event.data["job_id"] == r.json()["id"]:
                said.append(event.data["status"])
        time.sleep(0.02)
    assert said == ["queued", "done"]
    got = decode(data)
    assert got.lines.count(COPY_MARK) == 2 and any(ln.endswith(sale["invoice_number"]) for ln in got.lines)
    [entry] = [e for e in audit_entries(hub) if e["seq"] > before]
    assert entry["action"] == "sale.reprinted" and entry["entity_id"] == sale["id"]
    assert admin.post("/api/v1/sales/nope/reprint").status_code == 404
    assert hub.as_user("cashier").post(f"/api/v1/sales/{sale['id']}/reprint").status_code == 403


def test_the_receipt_endpoint_gives_escpos_text_and_json(hub):
    admin = hub.as_user("admin")
    sale = Till(hub).sell()
    r = admin.get(f"/api/v1/sales/{sale['id']}/receipt", params={"format": "escpos"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    got = decode(r.content)
    text = admin.get(f"/api/v1/sales/{sale['id']}/receipt", params={"format": "text"})
    assert text.headers["content-type"].startswith("text/plain")
    assert [ln.strip() for ln in got.lines if ln.strip()] == [
        ln.strip() for ln in text.text.splitlines() if ln.strip() and not ln.strip().startswith("[")]
    body = admin.get(f"/api/v1/sales/{sale['id']}/receipt").json()
    assert body["receipt"]["invoice_number"] == sale["invoice_number"] and body["columns"] == 48
    assert body["receipt"]["fiscal"] is None and body["text"] == text.text
    narrow = admin.get(f"/api/v1/sales/{sale['id']}/receipt", params={"format": "text", "profile": "58mm-32"})
    assert max(len(ln) for ln in narrow.text.splitlines()) <= 32
    copy = decode(admin.get(f"/api/v1/sales/{sale['id']}/receipt", params={"format": "escpos", "copy": True}).content)
    assert COPY_MARK in copy.lines
    assert admin.get("/api/v1/sales/nope/receipt").status_code == 404
    # the cashier signed in at a till that prints on its own printer fetches it too
    till = Till(hub)
    own = till.sell()
    r = till.http.get(f"/api/v1/sales/{own['id']}/receipt", params={"format": "escpos"})
    assert r.status_code == 200 and decode(r.content).lines


def test_opening_the_drawer_needs_its_permission_and_is_audited(hub, printer):
    admin = hub.as_user("admin")
    till = Till(hub)
    printer_id = add_printer(admin, printer.url)
    r = admin.post("/api/v1/drawer/open", json={"reason": "change for the float", "device_id": till.device_id})
    assert r.status_code == 409 and r.json()["code"] == "no_printer"
    assign(admin, printer_id, device_id=till.device_id)
    before = audit_count(hub)
    r = admin.post("/api/v1/drawer/open", json={"reason": "change for the float", "device_id": till.device_id})
    assert r.status_code == 202 and r.json()["kind"] == "drawer"
    [data] = printer.wait_for_jobs(1)
    assert decode(data).kinds == ["drawer"]
    [entry] = [e for e in audit_entries(hub) if e["seq"] > before]
    assert entry["action"] == "drawer.opened" and "change for the float" in entry["summary"]
    assert hub.as_user("cashier").post("/api/v1/drawer/open", json={"reason": "x"}).status_code == 403


def test_printer_tests_store_their_results(hub, printer):
    admin = hub.as_user("admin")
    printer_id = add_printer(admin, printer.url)
    job = admin.post(f"{PRINTERS}/{printer_id}/tests", json={"kind": "test_page"}).json()
    wait_job(admin, job["id"], "done")
    kick = admin.post(f"{PRINTERS}/{printer_id}/tests", json={"kind": "drawer_kick"}).json()
    wait_job(admin, kick["id"], "done")
    page, drawer = printer.wait_for_jobs(2)
    assert "Soko Hub test page" in decode(page).lines and decode(drawer).kinds == ["drawer"]
    tests = printer_row(admin, printer_id)["tests"]
    assert [(t["kind"], t["ok"]) for t in tests] == [("drawer_kick", True), ("test_page", True)]


def test_a_printer_needs_an_address_a_connector_understands_and_a_known_profile(hub):
    admin = hub.as_user("admin")
    r = admin.post(PRINTERS, json={"name": "X", "address": "ftp://printer", "profile": "nope"})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"address", "profile"}
    first = add_printer(admin, "tcp://10.0.0.5", name="Back office")
    r = admin.post(PRINTERS, json={"name": "back office", "address": "serial:///dev/ttyUSB0?baudrate=9600"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "name"
    r = admin.put(f"{PRINTERS}/{first}", json={"address": "usb://04b8:0202", "enabled": False})
    assert r.status_code == 200 and r.json()["address"] == "usb://04b8:0202" and r.json()["enabled"] is False
    assert admin.put(f"{PRINTERS}/nope", json={"enabled": True}).status_code == 404
    assert admin.put("/api/v1/printer-assignments", json={"role": "receipt", "printer_id": "nope"}).status_code == 422


def test_labels_print_as_zpl_on_a_label_printer_and_clear_the_queue(hub, printer):
    admin = hub.as_user("admin")
    printer_id = add_printer(admin, printer.url, name="Labels", profile="zpl-50mm")
    r = admin.post("/api/v1/labels/print", json={"from_queue": True})
    assert r.status_code in (409, 422)
    assign(admin, printer_id, role="label")
    product = create(admin, reference(admin), name="Mazoe Orange 2L")
    listing = admin.get("/api/v1/labels/queue").json()  # a new product needs its first label
    assert [i["product_id"] for i in listing["items"]] == [product["id"]]
    r = admin.post("/api/v1/labels/print", json={"from_queue": True, "clear_queue": True,
                                                "as_of": listing["as_of"], "copies": 2})
    assert r.status_code == 202, r.text
    [data] = printer.wait_for_jobs(1)
    text = data.decode()
    assert text.startswith("^XA") and "^FDMazoe Orange 2L^FS" in text and "^PQ2" in text
    assert f"^BEN,60,Y,N^FD{product['barcodes'][0]['code']}^FS" in text
    assert admin.get("/api/v1/labels/queue").json()["items"] == []
    rendered = admin.post("/api/v1/labels/render", json={"product_ids": [product["id"]], "format": "escpos",
                                                         "kind": "sticker"})
    assert rendered.status_code == 200 and decode(rendered.content).of("barcode")
    assert admin.post("/api/v1/labels/render", json={"product_ids": ["nope"]}).status_code == 422


def test_at_start_the_hub_prints_a_status_slip_with_its_address_portal_qr_and_pin(settings, demo_store, printer):
    server = HubServer(settings).start()
    hub = Hub(server, demo_store)
    try:
        admin = hub.as_user("admin")
        assign(admin, add_printer(admin, printer.url))
    finally:
        hub.close()
        server.stop()
    server = HubServer(settings).start()  # the same store starting again
    try:
        [data] = printer.wait_for_jobs(1)
        got = decode(data)
        [qr] = got.of("qr")
        assert qr[1] == f"http://127.0.0.1:{settings.port}/" or qr[1].endswith(f":{settings.port}/")
        assert "Soko Hub" in got.lines and any(ln.startswith("Address") for ln in got.lines)
        pin = server.app.state.tls_pin
        assert pin and pin in " ".join(got.lines).replace(" ", "") or pin[:20] in got.text
    finally:
        server.stop()


def test_the_receipt_names_the_store_and_converts_a_tender_in_another_currency(hub):
    from tests.sales.build import cash

    admin = hub.as_user("admin")
    r = admin.patch("/api/v1/settings/store", json={
        "legal_name": "Soko Retail (Pvt) Ltd", "tin": "2000123456", "vat_number": "220012345", "phone": "0242 700 000",
        "address": {"house_no": "12", "street": "Samora Machel Ave", "city": "Harare", "province": ""},
        "receipt_header": "Open 7 days", "receipt_footer": "Thank you\nGoods exchanged within 7 days"})
    assert r.status_code == 200, r.text
    till = Till(hub)
    body = till.body([line(1000, tax_rate_bp=0, name="Cooking oil 2L")], [cash(30000, "ZWG")],
                     rates=[{"currency": "ZWG", "rate": 26_500_000, "rate_scale": 1_000_000}],
                     change=[{"currency": "USD", "amount": 132}])
    sale = till.sell(body)
    text = admin.get(f"/api/v1/sales/{sale['id']}/receipt", params={"format": "text"}).text
    lines = [ln.strip() for ln in text.splitlines()]
    for want in ("Soko Retail (Pvt) Ltd", "12 Samora Machel Ave, Harare", "Tel 0242 700 000",
                 "TIN 2000123456 VAT 220012345", "Open 7 days", "Thank you", "Goods exchanged within 7 days"):
        assert want in lines, want
    assert any(ln.startswith("Cash ZWG 300.00 @ 26.5") and ln.endswith("11.32") for ln in lines)
    assert any(ln.startswith("Change USD") and ln.endswith("1.32") for ln in lines)
    assert any(ln.startswith("TOTAL USD") and ln.endswith("10.00") for ln in lines)


def test_a_held_job_survives_a_restart_and_prints_when_the_hub_is_back(settings, demo_store):
    with FakePrinter("paper_out") as printer:
        server = HubServer(settings).start()
        hub = Hub(server, demo_store)
        try:
            admin = hub.as_user("admin")
            till = Till(hub)
            assign(admin, add_printer(admin, printer.url), device_id=till.device_id)
            sale = till.sell()
            [job] = admin.get(JOBS, params={"sale": sale["id"]}).json()["items"]
            wait_job(admin, job["id"], "held")
        finally:
            hub.close()
            server.stop()
        printer.state = "ready"
        server = HubServer(settings).start()
        hub = Hub(server, demo_store)
        try:
            [data] = printer.wait_for_jobs(1)
            assert any(ln.endswith(sale["invoice_number"]) for ln in decode(data).lines)
            assert wait_job(hub.as_user("admin"), job["id"], "done")["attempts"] >= 2
        finally:
            hub.close()
            server.stop()
