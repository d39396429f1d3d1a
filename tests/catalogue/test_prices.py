"""Price changes: history and the shelf-label queue on every change, scheduled prices applied
exactly once (by a call with a chosen moment, and by the running hub's scheduler)."""

from __future__ import annotations

import datetime as dt
import json
import time

import httpx
import pytest

from hub.catalogue.products import apply_due_prices, scheduler
from hub.clock import format_ts, utc_now
from tests.catalogue.fixtures import admin, create, enrol, field_errors, ids, rows, writing  # noqa: F401
from tests.hubtest import HubServer
from tests.people import audit_entries


def schedule(client, product_id, when, price, currency="USD"):
    r = client.post(f"/api/v1/products/{product_id}/scheduled-prices",
                    json={"currency": currency, "price": price, "effective_from": when})
    assert r.status_code == 201, r.text
    return r.json()


def history(client, product_id):
    return client.get(f"/api/v1/products/{product_id}/price-history").json()["items"]


def test_every_price_change_is_in_history_and_queues_a_label(hub, ids, admin):
    product = create(admin, ids, prices={"USD": 150})
    admin.post("/api/v1/labels/queue/clear", json={"product_ids": [product["id"]]})
    for price in (160, 170, 180):
        r = admin.patch(f"/api/v1/products/{product['id']}", json={"prices": {"USD": price}, "reason": f"to {price}"})
        assert r.status_code == 200, r.text
    items = history(admin, product["id"])
    assert [(h["old_price"], h["new_price"], h["reason"]) for h in items] == [
        (170, 180, "to 180"), (160, 170, "to 170"), (150, 160, "to 160"), (None, 150, "new product")]
    assert {h["source"] for h in items} == {"manual"} and {h["changed_by"] for h in items} == {"admin"}
    page = admin.get(f"/api/v1/products/{product['id']}/price-history", params={"limit": 3}).json()
    rest = admin.get(f"/api/v1/products/{product['id']}/price-history",
                     params={"limit": 3, "after": page["next_after"]}).json()
    assert [h["id"] for h in page["items"] + rest["items"]] == [h["id"] for h in items]
    assert rest["next_after"] is None
    queue = admin.get("/api/v1/labels/queue").json()
    [label] = [q for q in queue["items"] if q["product_id"] == product["id"]]
    assert label["reason"] == "USD 170 -> 180" and label["prices"] == {"USD": 180}


def test_a_non_price_change_queues_no_label(hub, ids, admin):
    product = create(admin, ids)
    admin.post("/api/v1/labels/queue/clear", json={"product_ids": [product["id"]]})
    admin.patch(f"/api/v1/products/{product['id']}", json={"description": "crusty"})
    assert all(q["product_id"] != product["id"] for q in admin.get("/api/v1/labels/queue").json()["items"])


def test_clearing_printed_labels_keeps_a_price_that_changed_after_printing(hub, ids, admin):
    a, b = create(admin, ids), create(admin, ids)
    listing = admin.get("/api/v1/labels/queue").json()
    assert {a["id"], b["id"]} <= {q["product_id"] for q in listing["items"]}
    admin.patch(f"/api/v1/products/{b['id']}", json={"prices": {"USD": 999}})  # after the labels printed
    seq = audit_entries(hub)[-1]["seq"]
    r = admin.post("/api/v1/labels/queue/clear", json={"product_ids": [a["id"], b["id"]], "as_of": listing["as_of"]})
    assert r.status_code == 200 and r.json() == {"cleared": 1}
    assert [e["action"] for e in audit_entries(hub, seq)] == ["labels.cleared"]
    left = {q["product_id"] for q in admin.get("/api/v1/labels/queue").json()["items"]}
    assert b["id"] in left and a["id"] not in left
    assert hub.as_user("supervisor").post("/api/v1/labels/queue/clear",
                                          json={"product_ids": [b["id"]]}).status_code == 403
    r = admin.post("/api/v1/labels/queue/clear", json={"product_ids": [b["id"]], "as_of": "yesterday"})
    assert r.status_code == 422 and "as_of" in field_errors(r)


def test_a_scheduled_price_applies_exactly_once_at_its_moment(hub, ids, admin):
    product = create(admin, ids, prices={"USD": 150})
    when = "2031-03-01T06:00:00+02:00"  # 04:00 UTC
    planned = schedule(admin, product["id"], when, 175)
    assert planned["status"] == "pending" and planned["effective_from"] == "2031-03-01T04:00:00.000000Z"
    shown = admin.get(f"/api/v1/products/{product['id']}").json()
    assert shown["scheduled_prices"] == [{"id": planned["id"], "currency": "USD", "price": 175,
                                          "effective_from": planned["effective_from"]}]
    seq = audit_entries(hub)[-1]["seq"]
    with writing(hub.db_path) as conn:
        assert apply_due_prices(conn, dt.datetime(2031, 3, 1, 3, 59, 59, tzinfo=dt.timezone.utc)) == []
    with writing(hub.db_path) as conn:
        [applied] = apply_due_prices(conn, "2031-03-01T04:00:00.000000Z")
    assert (applied["old_price"], applied["new_price"], applied["field"]) == (150, 175, "price")
    with writing(hub.db_path) as conn:
        assert apply_due_prices(conn, "2031-03-02T00:00:00.000000Z") == []  # idempotent
    after = admin.get(f"/api/v1/products/{product['id']}").json()
    assert after["prices"] == {"USD": 175} and after["scheduled_prices"] == [] and after["label_queued_at"]
    [entry] = audit_entries(hub, seq)
    assert (entry["action"], entry["username"], entry["user_id"]) == ("product.price_applied", "scheduler", None)
    [latest, *_] = history(admin, product["id"])
    assert (latest["source"], latest["old_price"], latest["new_price"], latest["changed_by"]) == (
        "scheduled", 150, 175, "admin")  # who scheduled it
    feed = rows(hub.db_path, "SELECT version, data FROM changes WHERE entity = 'product' AND entity_id = ?"
                " ORDER BY seq DESC LIMIT 1", product["id"])[0]
    assert json.loads(feed["data"])["effective_prices"] == {"USD": 175} and feed["version"] == after["version"]
    [listed] = admin.get(f"/api/v1/products/{product['id']}/scheduled-prices").json()
    assert listed["status"] == "applied"


def test_cancelled_and_past_schedules(hub, ids, admin):
    product = create(admin, ids)
    planned = schedule(admin, product["id"], "2031-01-01T00:00:00Z", 99)
    r = admin.post(f"/api/v1/products/{product['id']}/scheduled-prices/{planned['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = admin.post(f"/api/v1/products/{product['id']}/scheduled-prices/{planned['id']}/cancel")
    assert r.status_code == 409 and r.json()["code"] == "schedule_cancelled"
    with writing(hub.db_path) as conn:
        assert apply_due_prices(conn, "2032-01-01T00:00:00.000000Z") == []
    r = admin.post(f"/api/v1/products/{product['id']}/scheduled-prices",
                   json={"currency": "USD", "price": 1, "effective_from": "2020-01-01T00:00:00Z"})
    assert r.status_code == 422 and "effective_from" in field_errors(r)
    r = admin.post(f"/api/v1/products/{product['id']}/scheduled-prices",
                   json={"currency": "EUR", "price": 1, "effective_from": "2031-01-01T00:00:00Z"})
    assert r.status_code == 422 and "currency" in field_errors(r)
    r = admin.post(f"/api/v1/products/{product['id']}/scheduled-prices",
                   json={"currency": "USD", "price": 1, "effective_from": "2031-01-01T00:00:00"})
    assert r.status_code == 400  # an instant needs its offset


def test_once_enrolled_a_scheduled_price_lands_on_the_stores_override(hub, ids, admin):
    product = create(admin, ids, prices={"USD": 150})
    schedule(admin, product["id"], "2031-01-01T00:00:00Z", 135)
    enrol(hub.db_path)
    with writing(hub.db_path) as conn:
        [applied] = apply_due_prices(conn, "2031-01-01T00:00:00.000000Z")
    assert applied["field"] == "override_price"
    shown = admin.get(f"/api/v1/products/{product['id']}").json()
    assert shown["prices"] == {"USD": 150} and shown["effective_prices"] == {"USD": 135}


@pytest.fixture
def fast_scheduler(monkeypatch):
    monkeypatch.setattr(scheduler, "INTERVAL_S", 0.05)


def wait_for(condition, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def test_the_running_hub_applies_a_due_price_once(fast_scheduler, hub, ids, admin):
    product = create(admin, ids, prices={"USD": 150})
    soon = format_ts(utc_now() + dt.timedelta(seconds=1))
    schedule(admin, product["id"], soon, 160)
    wait_for(lambda: admin.get(f"/api/v1/products/{product['id']}").json()["prices"] == {"USD": 160},
             "the scheduler")
    time.sleep(0.3)  # several more runs of the scheduler: none may apply it again
    applied = [e for e in audit_entries(hub) if e["action"] == "product.price_applied"]
    assert len(applied) == 1 and applied[0]["entity_id"] == product["id"]
    assert [h["source"] for h in history(admin, product["id"])].count("scheduled") == 1


def test_a_price_that_fell_due_while_the_hub_was_off_applies_at_start(hub, ids, admin, settings):
    product = create(admin, ids, prices={"USD": 150})
    planned = schedule(admin, product["id"], "2031-01-01T00:00:00Z", 140)
    hub.server.stop()
    with writing(hub.db_path) as conn:  # as if the hub had been off across the moment
        conn.execute("UPDATE scheduled_prices SET effective_from = '2001-01-01T00:00:00.000000Z' WHERE id = ?",
                     (planned["id"],))
    again = HubServer(settings).start()
    try:
        with httpx.Client(base_url=again.url, timeout=10) as client:
            login = client.post("/api/v1/auth/login", json={"username": "admin",
                                                             "password": hub.credentials["admin"][0]})
            token = login.json()["access_token"]
            r = client.get(f"/api/v1/products/{product['id']}", headers={"Authorization": f"Bearer {token}"})
        assert r.json()["prices"] == {"USD": 140}  # applied before the hub served its first request
    finally:
        again.stop()
