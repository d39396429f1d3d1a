"""Signing stops while the hub's clock is untrusted (behind its time floor, or unsynchronised for
longer than the fiscal setting) and resumes, in order, once it is trusted again; sales are never
refused meanwhile and the day endpoint says why signing is paused."""

from __future__ import annotations

from hub.fiscal import clocktrust
from tests.fiscal.clockwork import Clockwork
from tests.fiscal.recipes import FISCAL, configure, fiscal_till, map_taxes, open_day
from tests.portal.client import Portal
from tests.sales.build import line


def _ready(hub, sim, monkeypatch):
    clockwork = Clockwork(monkeypatch, hub, sim)
    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    map_taxes(manager)
    open_day(manager, dev["id"])
    return clockwork, manager, till, dev


def _day(manager, dev):
    return manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()


def _signed_in_order(manager, sold):
    receipts = {r["document_id"]: r for r in manager.get(f"{FISCAL}/receipts", params={"limit": 50}).json()["items"]}
    numbers = [receipts[s]["global_no"] for s in sold]
    assert numbers == sorted(numbers) == list(range(1, len(sold) + 1)), numbers
    dates = [receipts[s]["receipt_date"] for s in sold]
    assert dates == sorted(set(dates))


def test_an_unsynchronised_clock_pauses_signing_past_the_setting_and_resumes_in_order(hub, sim, monkeypatch):
    clockwork, manager, till, dev = _ready(hub, sim, monkeypatch)
    r = manager.put(f"{FISCAL}/settings", json={"clock_max_unsynced_hours": 2})
    assert r.status_code == 200 and r.json()["clock_max_unsynced_hours"] == 2, r.text
    assert manager.put(f"{FISCAL}/settings", json={"clock_max_unsynced_hours": 0}).status_code == 400
    sold = [till.sell(till.body([line(500)]))["id"]]
    clockwork.reader.set(False, reason="no network time")
    clockwork.advance(hours=1)
    sold.append(till.sell(till.body([line(600)]))["id"])  # within the two hours: still signed
    day = _day(manager, dev)
    assert day["signing"] and day["pending"] == 0 and not day["clock"]["synchronised"]
    clockwork.advance(hours=2)
    for price in (700, 800):
        sold.append(till.sell(till.body([line(price)]))["id"])  # recorded, never refused
    day = _day(manager, dev)
    assert not day["signing"] and day["pending"] == 2, day
    assert "not been synchronised for 3 h" in day["signing_paused_because"]
    assert day["clock"]["trusted"] is False and "no network time" in day["signing_paused_because"]
    portal = Portal(hub)
    page = portal.call("GET", "/fiscal", portal.token("manager"))
    assert page.status_code == 200 and "not been synchronised" in page.text
    clockwork.reader.set(True)
    hub.server.app.state.db.write_sync(clocktrust.resume)  # the fiscal worker's round, without waiting for it
    day = _day(manager, dev)
    assert day["signing"] and day["pending"] == 0 and day["clock"]["source"] == "ntp"
    _signed_in_order(manager, sold)
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    assert all(not x["answer"]["validationErrors"] for x in sim.devices[dev["fdms_device_id"]].receipts.values())


def test_a_clock_behind_the_time_floor_pauses_signing_and_the_next_sale_signs_what_waited(hub, sim, monkeypatch):
    clockwork, manager, till, dev = _ready(hub, sim, monkeypatch)
    sold = [till.sell(till.body([line(500)]))["id"]]
    clockwork.set_back(hours=5)  # the system clock went back: the floor holds the later time
    sold.append(till.sell(till.body([line(600)]))["id"])
    day = _day(manager, dev)
    assert not day["signing"] and day["pending"] == 1 and "behind" in day["signing_paused_because"]
    clockwork.advance(hours=5)  # network time is back
    sold.append(till.sell(till.body([line(700)]))["id"])
    day = _day(manager, dev)
    assert day["pending"] == 0 and day["signing"], day
    _signed_in_order(manager, sold)


def test_a_day_does_not_open_while_the_clock_is_untrusted(hub, sim, monkeypatch):
    clockwork = Clockwork(monkeypatch, hub, sim)
    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    map_taxes(manager)
    manager.put(f"{FISCAL}/settings", json={"clock_max_unsynced_hours": 1})
    clockwork.reader.set(False)
    clockwork.advance(hours=2)
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/day/open")
    assert r.status_code == 409 and any(e["field"] == "clock" for e in r.json()["errors"]), r.text
    clockwork.reader.set(True)
    open_day(manager, dev["id"])
