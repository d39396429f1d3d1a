"""The Peripherals page and the receipt page's Reprint button over HTTP: add and edit printers,
assign them, tests whose results are kept, retry and cancel, the drawer, labels, refusals that
keep what was typed, the paper-out banner, and scanners and discovered printers from app state."""

from __future__ import annotations

import html

import pytest

from hub.printing import subsystem
from tests.people import audit_entries, audit_count, query
from tests.portal.client import Portal
from tests.printing.escpos_decode import decode
from tests.printing.fakeprinter import FakePrinter
from tests.printing.helpers import add_printer, assign, job_rows, wait_job
from tests.sales.recipes import Till


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(subsystem, "HOLD_RETRY_S", 0.1)
    monkeypatch.setattr(subsystem, "POLL_S", 0.2)


@pytest.fixture
def portal(hub):
    return Portal(hub)


def text_of(r) -> str:
    return html.unescape(r.text)


def test_a_manager_adds_a_printer_tests_it_and_sees_the_result(hub, portal):
    token = portal.token("manager")
    page = portal.call("GET", "/peripherals", token)
    assert page.status_code == 200 and "No printer is set up yet" in page.text
    with FakePrinter() as printer:
        r = portal.call("POST", "/peripherals/printers", token, {"name": "Front till", "address": printer.url,
                                                                 "profile": "80mm-48"})
        assert r.status_code == 303 and r.headers["location"] == "/peripherals#printers"
        [(printer_id,)] = query(hub, "SELECT id FROM printers")
        r = portal.call("POST", f"/peripherals/printers/{printer_id}/test", token, {"kind": "test_page"})
        assert r.status_code == 303
        [data] = printer.wait_for_jobs(1)
        assert "Soko Hub test page" in decode(data).lines
        wait_job(hub.as_user("manager"), job_rows(hub)[0]["id"], "done")
    page = text_of(portal.call("GET", "/peripherals", token))
    assert "Front till" in page and "Passed" in page and "Printed" in page and "Ready" in page
    detail = portal.call("GET", f"/peripherals/printers/{printer_id}", token)
    assert detail.status_code == 200 and printer.url in detail.text


def test_a_refused_printer_keeps_what_was_typed_and_names_each_field(hub, portal):
    token = portal.token("manager")
    before = audit_count(hub)
    r = portal.call("POST", "/peripherals/printers", token, {"name": "Back", "address": "ftp://x", "profile": "nope"})
    assert r.status_code == 422
    body = text_of(r)
    assert 'value="Back"' in body and 'value="ftp://x"' in body
    assert 'id="e-address"' in r.text and 'id="e-profile"' in r.text and "The printer was not added" in body
    assert audit_count(hub) == before and query(hub, "SELECT count(*) FROM printers") == [(0,)]


def test_editing_a_printer_and_refusing_a_taken_name(hub, portal):
    admin = hub.as_user("manager")
    first = add_printer(admin, "tcp://10.0.0.5:9100", name="Front")
    add_printer(admin, "tcp://10.0.0.6:9100", name="Back")
    token = portal.token("manager")
    r = portal.call("POST", f"/peripherals/printers/{first}", token, {"name": "back", "address": "tcp://10.0.0.7",
                                                                      "profile": "58mm-32", "enabled": "1"})
    assert r.status_code == 422 and 'id="e-name"' in r.text and 'value="tcp://10.0.0.7"' in r.text
    r = portal.call("POST", f"/peripherals/printers/{first}", token, {"name": "Front", "address": "tcp://10.0.0.7",
                                                                      "profile": "58mm-32"})
    assert r.status_code == 303
    row = admin.get(f"/api/v1/printers/{first}").json()
    assert row["address"] == "tcp://10.0.0.7" and row["profile"] == "58mm-32" and row["enabled"] is False
    assert portal.call("GET", "/peripherals/printers/nope", token).status_code == 404


def test_assigning_a_till_printer_and_the_drawer_setting_through_the_page(hub, portal):
    admin = hub.as_user("manager")
    till = Till(hub)
    printer_id = add_printer(admin, "dummy://front")
    token = portal.token("manager")
    r = portal.call("POST", "/peripherals/assignments", token, {"role": "receipt", "device_id": till.device_id,
                                                                "printer_id": printer_id, "kick": "1"})
    assert r.status_code == 303
    [row] = admin.get("/api/v1/printer-assignments").json()
    assert row["device_id"] == till.device_id and row["kick_drawer_on_cash"] is True
    assert "Open the drawer for cash" in portal.call("GET", "/peripherals", token).text
    r = portal.call("POST", "/peripherals/assignments", token, {"role": "receipt", "device_id": till.device_id,
                                                                "printer_id": ""})
    assert r.status_code == 303 and admin.get("/api/v1/printer-assignments").json() == []


def test_paper_out_shows_a_banner_on_every_page_until_paper_is_back(hub, portal):
    admin = hub.as_user("manager")
    till = Till(hub)
    with FakePrinter("paper_out") as printer:
        assign(admin, add_printer(admin, printer.url, name="Front till"), device_id=till.device_id)
        till.sell()
        wait_job(admin, job_rows(hub)[0]["id"], "held")
        token = portal.token("manager")
        page = text_of(portal.call("GET", "/sales", token))
        assert "Printer Front till: paper out (1 print job waits)." in page
        assert "Waiting for the printer" in text_of(portal.call("GET", "/peripherals", token))
        assert "paper out" not in text_of(portal.call("GET", "/", portal.token("cashier"))).lower()
        printer.state = "ready"
        wait_job(admin, job_rows(hub)[0]["id"], "done")
    assert "paper out" not in text_of(portal.call("GET", "/sales", token)).lower()


def test_retry_and_cancel_from_the_page(hub, portal):
    admin = hub.as_user("manager")
    printer_id = add_printer(admin, "dummy://off")
    admin.put(f"/api/v1/printers/{printer_id}", json={"enabled": False})
    job = admin.post(f"/api/v1/printers/{printer_id}/tests", json={"kind": "test_page"}).json()
    token = portal.token("manager")
    assert portal.call("POST", f"/peripherals/jobs/{job['id']}/cancel", token).status_code == 303
    assert admin.get(f"/api/v1/print-jobs/{job['id']}").json()["status"] == "cancelled"
    r = portal.call("POST", f"/peripherals/jobs/{job['id']}/cancel", token)
    assert r.status_code == 409 and "The job was not cancelled" in text_of(r)
    assert portal.call("POST", f"/peripherals/jobs/{job['id']}/retry", token).status_code == 303
    assert admin.get(f"/api/v1/print-jobs/{job['id']}").json()["status"] == "queued"


def test_opening_a_drawer_from_the_page_needs_a_reason_and_is_audited(hub, portal):
    admin = hub.as_user("manager")
    till = Till(hub)
    token = portal.token("supervisor")
    with FakePrinter() as printer:
        assign(admin, add_printer(admin, printer.url), device_id=till.device_id)
        r = portal.call("POST", "/peripherals/drawer", token, {"device_id": till.device_id, "reason": ""})
        assert r.status_code == 422 and 'id="e-reason"' in r.text
        before = audit_count(hub)
        r = portal.call("POST", "/peripherals/drawer", token, {"device_id": till.device_id, "reason": "Float change"})
        assert r.status_code == 303
        [data] = printer.wait_for_jobs(1)
        assert decode(data).kinds == ["drawer"]
    assert [e["action"] for e in audit_entries(hub) if e["seq"] > before] == ["drawer.opened"]
    assert portal.call("POST", "/peripherals/drawer", portal.token("cashier"),
                       {"device_id": till.device_id, "reason": "x"}).status_code == 403


def test_printing_labels_from_the_page_by_sku_and_from_the_list(hub, portal):
    from tests.catalogue.fixtures import create, reference

    admin = hub.as_user("manager")
    product = create(admin, reference(admin), name="Cerevita 500g")
    token = portal.token("manager")
    r = portal.call("POST", "/peripherals/labels", token, {"codes": "NOPE-1", "kind": "shelf", "copies": "1"})
    assert r.status_code == 422 and "NOPE-1" in r.text and 'NOPE-1</textarea>' in r.text
    with FakePrinter() as printer:
        assign(admin, add_printer(admin, printer.url, name="Labels", profile="zpl-50mm"), role="label")
        r = portal.call("POST", "/peripherals/labels", token, {"codes": product["sku"], "kind": "sticker",
                                                               "copies": "2"})
        assert r.status_code == 303
        [data] = printer.wait_for_jobs(1)
        assert data.startswith(b"^XA") and b"Cerevita 500g" in data and b"^PQ2" in data
    assert admin.get("/api/v1/labels/queue").json()["items"]  # not cleared unless asked


def test_scanners_and_discovered_printers_from_app_state_show_on_the_page(hub, portal, monkeypatch):
    class Scanners:
        def devices(self):
            return [{"kind": "scanner", "connector": "serial", "address": "/dev/ttyACM0", "identity": "SN-42",
                     "status": "connected", "last_error": "", "last_scan_at": "2026-11-20T10:00:00.000000Z"}]

    state = hub.server.app.state
    monkeypatch.setattr(state, "scanners", Scanners(), raising=False)
    monkeypatch.setattr(state, "discovered_printers", [{"name": "EPSON TM-T20III", "address": "tcp://10.0.0.9:9100"}],
                        raising=False)
    page = text_of(portal.call("GET", "/peripherals", portal.token("manager")))
    assert "SN-42" in page and "/dev/ttyACM0" in page and "EPSON TM-T20III" in page
    assert "/peripherals?name=EPSON%20TM-T20III&address=tcp%3A//10.0.0.9%3A9100#add" in page or "Add it" in page
    filled = portal.call("GET", "/peripherals?name=EPSON&address=tcp://10.0.0.9:9100", portal.token("manager"))
    assert 'value="tcp://10.0.0.9:9100"' in filled.text


def test_the_receipt_page_reprints_a_copy(hub, portal):
    sale = Till(hub).sell()
    token = portal.token("supervisor")
    page = portal.call("GET", f"/sales/{sale['id']}", token)
    assert f'action="/sales/{sale["id"]}/reprint"' in page.text
    r = portal.call("POST", f"/sales/{sale['id']}/reprint", token)
    assert r.status_code == 409 and "The receipt was not reprinted" in text_of(r)
    with FakePrinter() as printer:
        assign(hub.as_user("manager"), add_printer(hub.as_user("manager"), printer.url, name="Front"))
        before = audit_count(hub)
        r = portal.call("POST", f"/sales/{sale['id']}/reprint", token)
        assert r.status_code == 303 and r.headers["location"] == f"/sales/{sale['id']}"
        [data] = printer.wait_for_jobs(1)
        assert "*** COPY ***" in decode(data).lines
    assert [e["action"] for e in audit_entries(hub) if e["seq"] > before] == ["sale.reprinted"]


def test_a_viewer_sees_the_page_without_the_forms(hub, portal):
    add_printer(hub.as_user("manager"), "dummy://front", name="Front")
    page = portal.call("GET", "/peripherals", portal.token("supervisor"))
    assert page.status_code == 200 and "Front" in page.text
    assert 'action="/peripherals/printers"' not in page.text and 'action="/peripherals/drawer"' in page.text
    assert portal.call("GET", "/peripherals", portal.token("cashier")).status_code == 403


def test_an_odd_scanner_record_does_not_take_the_page_down(hub, portal, monkeypatch):
    class Scanners:
        def devices(self):
            return [{"identity": "serial:/dev/ttyUSB1", "last_scan_at": "not a time"}, "junk"]

    monkeypatch.setattr(hub.server.app.state, "scanners", Scanners(), raising=False)
    page = portal.call("GET", "/peripherals", portal.token("manager"))
    assert page.status_code == 200 and "serial:/dev/ttyUSB1" in page.text and "not a time" in page.text
