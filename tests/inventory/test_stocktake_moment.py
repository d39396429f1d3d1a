"""The count moment rule through the real hub (DESIGN.md section 3, docs/inventory.md): a stock
take's line stands at its device's clock corrected by the device's recorded skew, or at the hub's
receive time when the skew is unknown; movements that happened before that moment and arrive
later move nothing, movements after it do, whatever order documents arrive and post in."""

from __future__ import annotations

import datetime as dt

from hub.clock import format_ts
from hub.db.audit import Actor
from hub.db.connection import connect
from hub.inventory import Source, ledger, move
from tests.catalogue.fixtures import admin, create, ids, writing  # noqa: F401

DAY = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
TILL = Actor(user_id="u-cashier", username="cashier", device_id="till-late")
TAKES = "/api/v1/inventory/stock-takes"


def at(hour: int, minute: int = 0) -> dt.datetime:
    """That time yesterday (UTC): a day the tests can place facts in before and after a count."""
    return DAY.replace(hour=hour, minute=minute)


def stamp(hour: int, minute: int = 0) -> str:
    return format_ts(at(hour, minute))


def moved(hub, product_id: str, kind: str, quantity: int, occurred: dt.datetime, unit_cost: int | None = None) -> None:
    """A movement from another document (a till's sale, a goods receipt) arriving now."""
    with writing(hub.db_path) as conn:
        move(conn, kind=kind, product_id=product_id, quantity=quantity, unit_cost=unit_cost, occurred_at=occurred,
             actor=TILL, source=Source("sale" if kind == "sale" else "goods_receipt", f"doc-{occurred:%H%M}", 0))


def on_hand(hub, product_id: str) -> int:
    r = hub.as_user("admin").get(f"/api/v1/inventory/levels/{product_id}")
    assert r.status_code == 200, r.text
    return r.json()["on_hand"]


def ledger_clean(hub) -> None:
    conn = connect(hub.db_path)
    try:
        assert ledger.check(conn) == []
    finally:
        conn.close()


def device(hub, device_id: str, skew_ms: int | None) -> str:
    """A paired till whose clock skew the hub has recorded (till sync will), or not (None)."""
    hub.write("INSERT INTO devices (id, name, platform, app_version, token_hash, paired_at, version, created_at,"
              " updated_at, clock_skew_ms) VALUES (?, ?, 'android', '1', ?, 'x', 1, 'x', 'x', ?)",
              device_id, device_id, f"hash-{device_id}", skew_ms)
    return device_id


def session(client, **fields) -> str:
    r = client.post(TAKES, json={"name": "Shelf count", **fields})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "open"
    return r.json()["id"]


def count(client, take_id: str, *lines: dict) -> dict:
    r = client.post(f"{TAKES}/{take_id}/lines", json={"lines": list(lines)})
    assert r.status_code == 201, r.text
    return r.json()


def post(client, take_id: str) -> dict:
    r = client.post(f"{TAKES}/{take_id}/review")
    assert r.status_code == 200, r.text
    r = client.post(f"{TAKES}/{take_id}/post")
    assert r.status_code == 200, r.text
    assert r.json()["stock_take"]["status"] == "posted"
    return r.json()


def stocked(admin, ids, hub, quantity: int = 12000, cost: int = 150) -> dict:
    """A product (no opening stock) that received `quantity` at 08:00 yesterday."""
    product = create(admin, ids, category_id=ids["bread"])
    moved(hub, product["id"], "receipt", quantity, at(8), cost)
    return product


def test_a_device_two_hours_ahead_counts_at_its_corrected_moment(hub, ids, admin):
    bread = stocked(admin, ids, hub)
    till = device(hub, "till-ahead", 2 * 3600 * 1000)  # its clock runs two hours ahead, known
    manager = hub.as_user("manager")
    take = session(manager, scope="category", category_id=ids["food"])
    seen = count(manager, take, {"code": bread["sku"], "quantity": 10000, "device_id": till,
                                 "device_clock": at(12).isoformat()})  # 12:00 on the device = 10:00
    [line] = seen["lines"]
    assert line["counted_at"] == stamp(10) and line["device_clock"].startswith(at(12).strftime("%Y-%m-%dT12:00"))
    [item] = seen["products"]
    assert (item["counted"], item["expected"], item["variance"]) == (10000, 12000, -2000)
    assert item["variance_value"] == -300 and seen["totals"]["variance_value"] == -300  # 2 at 1.50

    posted = post(manager, take)
    assert on_hand(hub, bread["id"]) == 10000
    ledger_clean(hub)
    counts = admin.get("/api/v1/inventory/movements", params={"product_id": bread["id"], "kind": "count"}).json()
    [movement] = counts["items"]
    assert (movement["quantity"], movement["occurred_at"], movement["source_type"], movement["source_id"]) == (
        10000, stamp(10), "stock_take", take)
    assert posted["products"][0]["expected"] == 12000  # the session's own count is not what it expected

    moved(hub, bread["id"], "sale", -2000, at(9, 50))  # sold before the count, uploaded after it posted
    assert on_hand(hub, bread["id"]) == 10000
    ledger_clean(hub)
    moved(hub, bread["id"], "sale", -1000, at(10, 5))  # sold after the count
    assert on_hand(hub, bread["id"]) == 9000
    ledger_clean(hub)
    moved(hub, bread["id"], "receipt", 5000, at(9), 150)  # a receipt of 09:00 entered late
    assert on_hand(hub, bread["id"]) == 9000
    ledger_clean(hub)


def test_with_the_skew_unknown_the_receive_time_is_the_moment(hub, ids, admin):
    bread = stocked(admin, ids, hub)
    till = device(hub, "till-unknown", None)
    manager = hub.as_user("manager")
    take = session(manager)
    before = format_ts(dt.datetime.now(dt.timezone.utc))
    seen = count(manager, take, {"code": bread["sku"], "quantity": 10000, "device_id": till,
                                 "device_clock": at(12).isoformat()})
    [line] = seen["lines"]
    assert line["counted_at"] == line["received_at"] >= before  # its clock is not trusted at all
    assert seen["products"][0]["expected"] == 12000
    post(manager, take)
    assert on_hand(hub, bread["id"]) == 10000
    moved(hub, bread["id"], "sale", -1000, at(10, 5))  # yesterday: before the hub heard the count
    assert on_hand(hub, bread["id"]) == 10000
    ledger_clean(hub)


def test_a_count_line_typed_in_the_portal_or_api_without_a_device_stands_at_its_receive_time(hub, ids, admin):
    bread = stocked(admin, ids, hub)
    manager = hub.as_user("manager")
    take = session(manager)
    [line] = count(manager, take, {"code": bread["sku"], "quantity": 4000})["lines"]
    assert line["counted_at"] == line["received_at"] and line["device_id"] is None


def test_movements_that_arrive_while_a_count_waits_to_post(hub, ids, admin):
    bread = stocked(admin, ids, hub)
    till = device(hub, "till-early", 0)
    manager = hub.as_user("manager")
    take = session(manager)
    count(manager, take, {"code": bread["sku"], "quantity": 10000, "device_id": till,
                          "device_clock": at(10).isoformat()})
    moved(hub, bread["id"], "sale", -2000, at(9, 50))  # before the count: the shelf held it already
    moved(hub, bread["id"], "sale", -1000, at(10, 5))  # after the count, recorded before it posts
    r = manager.get(f"{TAKES}/{take}")
    [item] = r.json()["products"]
    assert (item["expected"], item["variance"]) == (10000, 0)  # the level at 10:00: 12 - 2
    assert on_hand(hub, bread["id"]) == 9000  # not counted yet: 12 - 2 - 1
    post(manager, take)
    assert on_hand(hub, bread["id"]) == 9000  # counted 10 at 10:00, 1 sold since
    ledger_clean(hub)


def test_concurrent_sessions_post_in_either_order_and_the_later_count_stands(hub, ids, admin):
    bread = stocked(admin, ids, hub)
    till = device(hub, "till-both", 0)
    manager, supervisor = hub.as_user("manager"), hub.as_user("supervisor")
    first = session(manager, name="Morning")
    second = session(supervisor, name="Late morning")
    count(manager, first, {"code": bread["sku"], "quantity": 10000, "device_id": till,
                           "device_clock": at(10).isoformat()})
    count(supervisor, second, {"code": bread["sku"], "quantity": 7000, "device_id": till,
                               "device_clock": at(10, 30).isoformat()})
    moved(hub, bread["id"], "sale", -1000, at(10, 15))  # between the two counts
    moved(hub, bread["id"], "sale", -500, at(10, 45))  # after both
    post(supervisor, second)  # the later count posts first
    assert on_hand(hub, bread["id"]) == 6500
    posted = post(manager, first)  # the earlier one posts after it: history, it moves nothing
    assert posted["products"][0]["expected"] == 12000
    assert on_hand(hub, bread["id"]) == 6500
    ledger_clean(hub)
    level = admin.get(f"/api/v1/inventory/levels/{bread['id']}").json()
    assert level["baseline_at"] == stamp(10, 30)
