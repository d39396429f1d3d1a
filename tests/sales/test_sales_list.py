"""Listing sales (filters by store-local dates, till, cashier, tender method, currency, status,
cursor paging) and invoice numbers across a chain: two hubs with different store codes give the
same till code and sequence different numbers, and a number is never a key."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.setup import DEMO_STORE, create_database
from tests.hubtest import Hub, HubServer, fast_hasher, make_settings
from tests.people import query
from tests.sales.build import cash, line
from tests.sales.recipes import SALES, ZWG_RATE, Till

HARARE = dt.timezone(dt.timedelta(hours=2))


@pytest.fixture
def branch(tmp_path):
    """A second hub: the chain's store BYO."""
    settings = make_settings(tmp_path / "branch")
    store = create_database(settings.db_path, store_name="Soko Bulawayo", store_code="BYO",
                            timezone=DEMO_STORE["timezone"], hasher=fast_hasher(), demo=True)
    server = HubServer(settings).start()
    running = Hub(server, store)
    try:
        yield running
    finally:
        running.close()
        server.stop()


def known_skew(hub, till):
    hub.write("UPDATE devices SET clock_skew_ms = 0 WHERE id = ?", till.device_id)
    return till


def test_filters_and_cursor_paging(hub):
    one, two = known_skew(hub, Till(hub)), known_skew(hub, Till(hub, "supervisor"))
    # 23:30 on 1 May in Harare is 21:30 UTC: the store's 1 May, whatever UTC says.
    late_may_1 = dt.datetime(2026, 5, 1, 23, 30, tzinfo=HARARE)
    a = one.sell(clock=late_may_1)
    b = one.sell(clock=dt.datetime(2026, 5, 2, 0, 30, tzinfo=HARARE),
                 tenders=[{"method": "mobile_money", "provider": "EcoCash", "reference": "MP1", "currency": "USD",
                           "amount": 150}])
    c = two.sell(clock=dt.datetime(2026, 5, 2, 9, 0, tzinfo=HARARE), currency="ZWG", rates=[
        {"currency": "USD", "rate": 37_736}], lines=[line(3975, tax_rate_bp=0)], tenders=[cash(150)])
    manager = hub.as_user("manager")

    def ids(**params):
        r = manager.get(SALES, params=params)
        assert r.status_code == 200, r.text
        return [s["id"] for s in r.json()["items"]]

    assert ids() == [c["id"], b["id"], a["id"]]  # newest first
    assert ids(date_from="2026-05-01", date_to="2026-05-01") == [a["id"]]
    assert ids(date_from="2026-05-02") == [c["id"], b["id"]]
    assert ids(till=one.device_id) == [b["id"], a["id"]]
    assert ids(cashier=c["cashier_id"]) == [c["id"]] and c["cashier_name"] == "supervisor"
    assert ids(method="mobile_money") == [b["id"]] and ids(method="card") == []
    assert ids(currency="ZWG") == [c["id"]] and ids(status="completed", currency="USD") == [b["id"], a["id"]]
    assert ids(number=a["invoice_number"]) == [a["id"]]
    first = manager.get(SALES, params={"limit": 2}).json()
    assert [s["id"] for s in first["items"]] == [c["id"], b["id"]] and first["next_after"]
    rest = manager.get(SALES, params={"limit": 2, "after": first["next_after"]}).json()
    assert [s["id"] for s in rest["items"]] == [a["id"]] and rest["next_after"] is None
    assert manager.get(SALES, params={"after": "nonsense"}).status_code == 422
    assert manager.get(f"{SALES}/{c['id']}").json()["rates"] == {"USD": [37_736, 1_000_000]}
    assert manager.get(f"{SALES}/no-such-sale").status_code == 404
    assert hub.as_user("cashier").get(SALES).status_code == 403  # a cashier sells but does not browse


def test_two_stores_same_till_code_and_sequence_give_different_numbers(hub, branch):
    here, there = Till(hub), Till(branch)
    assert query(hub, "SELECT code FROM devices WHERE id = ?", here.device_id) == [("T1",)]
    assert query(branch, "SELECT code FROM devices WHERE id = ?", there.device_id) == [("T1",)]
    a, b = here.sell(sequence=42), there.sell(sequence=42)
    assert (a["invoice_number"], b["invoice_number"]) == ("DEMO-T1-42", "BYO-T1-42")
    # The number is not the key: the same body under another id is another sale with the same
    # number (raising duplicate_invoice_number), and the id is what finds a sale.
    again = here.sell(here.body(sequence=42))
    assert again["invoice_number"] == a["invoice_number"] and again["id"] != a["id"]
    assert "duplicate_invoice_number" in [e["kind"] for e in again["exceptions"]]
    assert hub.as_user("manager").get(f"{SALES}/{a['invoice_number']}").status_code == 404


def test_a_manager_sets_a_till_code_unique_in_the_store(hub):
    first, second = Till(hub), Till(hub)
    manager = hub.as_user("manager")
    r = manager.put(f"/api/v1/devices/{first.device_id}/code", json={"code": "FRONT"})
    assert r.status_code == 200 and r.json()["code"] == "FRONT", r.text
    assert first.sell(sequence=5)["invoice_number"] == "DEMO-FRONT-5"
    taken = manager.put(f"/api/v1/devices/{second.device_id}/code", json={"code": "FRONT"})
    assert taken.status_code == 409 and taken.json()["code"] == "till_code_taken"
    assert manager.put(f"/api/v1/devices/{second.device_id}/code", json={"code": "front-1"}).status_code == 400
    assert manager.put("/api/v1/devices/nope/code", json={"code": "X1"}).status_code == 404
    third = Till(hub)  # the next free T<n> after T1, T2
    assert query(hub, "SELECT code FROM devices WHERE id = ?", third.device_id) == [("T3",)]
    assert hub.as_user("cashier").put(f"/api/v1/devices/{third.device_id}/code", json={"code": "X"}).status_code == 403
