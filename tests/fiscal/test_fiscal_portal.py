"""The Fiscal portal page: device and certificate status, day status and counters, queue depth,
the FDMS call log; refused to a cashier (no fiscal.view)."""

from __future__ import annotations

from tests.fiscal.recipes import FISCAL, configure, fiscal_till, map_taxes, open_day
from tests.portal.client import Portal
from tests.sales.build import line


def test_the_page_shows_the_device_its_day_counters_queue_and_calls(hub, sim):
    portal = Portal(hub)
    manager = hub.as_user("manager")
    r = portal.call("GET", "/fiscal", portal.token("manager"))
    assert r.status_code == 200 and "No till is registered as a fiscal device" in r.text
    assert "The FDMS address is not set yet" in r.text
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    map_taxes(manager)
    open_day(manager, dev["id"])
    till.sell(till.body([line(1234)]))
    r = portal.call("GET", "/fiscal", portal.token("manager"))
    assert r.status_code == 200, r.text
    assert f"FDMS device {dev['fdms_device_id']}" in r.text and "Registered" in r.text
    assert "Soko Test Supermarket" in r.text and "TIN 2000123456" in r.text
    assert "Queue: 1 to send" in r.text and "SaleByTax" in r.text and "12.34" in r.text
    assert "RegisterDevice" in r.text and "OpenDay" in r.text
    manager.post(f"{FISCAL}/queue/submit")
    r = portal.call("GET", "/fiscal", portal.token("manager"))
    assert "Queue: 0 to send" in r.text and "1 accepted" in r.text
    assert portal.call("GET", "/fiscal", portal.token("cashier")).status_code == 403


def test_managers_open_and_close_the_fiscal_day_and_submit_from_the_page(hub, sim):
    portal = Portal(hub)
    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    session = portal.token("manager")
    # refused while the tax classes are unmapped: the reasons beside the page, nothing changed
    r = portal.call("POST", f"/fiscal/devices/{dev['id']}/open", session)
    assert r.status_code == 409 and "The fiscal day was not opened" in r.text and "tax_classes.VAT" in r.text
    assert manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()["day_status"] == "closed"
    map_taxes(manager)
    r = portal.call("POST", f"/fiscal/devices/{dev['id']}/open", session)
    assert r.status_code == 303 and r.headers["location"] == "/fiscal", r.text
    assert manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()["day_status"] == "opened"
    till.sell(till.body([line(500)]))
    sim.down = True
    r = portal.call("POST", f"/fiscal/devices/{dev['id']}/close", session)
    assert r.status_code == 409 and "not yet accepted by FDMS" in r.text
    sim.down = False
    assert portal.call("POST", "/fiscal/submit", session).status_code == 303
    assert manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()["queued"] == 0
    assert portal.call("POST", f"/fiscal/devices/{dev['id']}/close", session).status_code == 303
    assert manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()["day_status"] == "closed"
    page = portal.call("GET", "/fiscal", portal.token("supervisor"))
    assert page.status_code == 200 and "Open fiscal day" not in page.text  # fiscal.view only
    assert portal.call("POST", "/fiscal/submit", portal.token("supervisor")).status_code == 403
