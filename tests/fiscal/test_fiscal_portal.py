"""The Fiscal portal page: device and certificate status, day status and counters, queue depth,
the FDMS call log; refused to a cashier (no fiscal.view)."""

from __future__ import annotations

import pytest

from tests.fiscal import fdms_sim
from tests.fiscal.recipes import FISCAL, configure, fiscal_till, map_taxes, open_day
from tests.portal.client import Portal
from tests.sales.build import line


@pytest.fixture
def sim(tmp_path):
    s = fdms_sim.FdmsSim(tmp_path / "sim").start()
    yield s
    s.stop()


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
