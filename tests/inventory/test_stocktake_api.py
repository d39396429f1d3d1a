"""Stock takes over HTTP: scopes, lines that add up or replace, removing a line, blind counting,
states, the approval threshold, uncounted products, refusals naming their line, and audit."""

from __future__ import annotations

import json

from tests.catalogue.fixtures import admin, create, field_errors, ids  # noqa: F401
from tests.inventory.test_stocktake_moment import TAKES, count, ledger_clean, on_hand, post, session, stocked
from tests.people import audit_entries, query


def test_counting_twice_adds_up_a_recount_replaces_and_a_line_can_be_taken_back(hub, ids, admin):
    bread = stocked(admin, ids, hub)
    manager = hub.as_user("manager")
    take = session(manager)
    count(manager, take, {"code": bread["sku"], "quantity": 4000}, {"code": bread["barcodes"][0]["code"],
                                                                    "quantity": 3000})
    seen = count(manager, take, {"product_id": bread["id"], "quantity": 2000})
    assert seen["stock_take"]["status"] == "counting"
    assert (seen["products"][0]["counted"], seen["products"][0]["lines"]) == (9000, 3)  # three shelves
    seen = count(manager, take, {"code": bread["sku"], "quantity": 11000, "recount": True})
    assert (seen["products"][0]["counted"], seen["products"][0]["lines"]) == (11000, 1)
    last = seen["lines"][-1]["id"]
    r = manager.delete(f"{TAKES}/{take}/lines/{last}")
    assert r.status_code == 200, r.text
    assert r.json()["products"][0]["counted"] == 9000  # the recount taken back: the shelves again
    assert manager.delete(f"{TAKES}/{take}/lines/{last}").status_code == 404
    post(manager, take)
    assert on_hand(hub, bread["id"]) == 9000
    r = manager.delete(f"{TAKES}/{take}/lines/{seen['lines'][0]['id']}")
    assert r.status_code == 409 and r.json()["code"] == "stock_take_state"
    ledger_clean(hub)


def test_a_blind_count_hides_what_the_ledger_expects_until_review_and_from_counters(hub, ids, admin):
    bread = stocked(admin, ids, hub)
    manager, cashier = hub.as_user("manager"), hub.as_user("cashier")
    take = session(manager, blind=True)
    seen = count(cashier, take, {"code": bread["sku"], "quantity": 10000})
    assert not seen["expected_shown"]
    assert {seen["products"][0][k] for k in ("expected", "variance", "variance_value")} == {None}
    assert seen["totals"]["variance_value"] is None
    assert manager.get(f"{TAKES}/{take}").json()["products"][0]["expected"] is None  # still counting
    r = cashier.post(f"{TAKES}/{take}/review")
    assert r.status_code == 200 and r.json()["products"][0]["expected"] is None  # a counter never sees it
    shown = manager.get(f"{TAKES}/{take}").json()
    assert shown["expected_shown"] and shown["products"][0]["expected"] == 12000


def test_posting_above_the_threshold_needs_approval(hub, ids, admin):
    bread = stocked(admin, ids, hub, quantity=100000, cost=1000)  # 100 at 10.00
    supervisor, manager = hub.as_user("supervisor"), hub.as_user("manager")
    take = session(supervisor)
    count(supervisor, take, {"code": bread["sku"], "quantity": 90000})  # 10 short: 100.00 > 50.00
    assert supervisor.post(f"{TAKES}/{take}/review").status_code == 200
    detail = supervisor.get(f"{TAKES}/{take}").json()
    assert detail["totals"] == {**detail["totals"], "absolute_value": 10000, "needs_approval": True,
                                "approved": False, "threshold": 5000}
    r = supervisor.post(f"{TAKES}/{take}/post")
    assert r.status_code == 409 and r.json()["code"] == "approval_required", r.text
    assert on_hand(hub, bread["id"]) == 100000
    assert supervisor.post(f"{TAKES}/{take}/approve").status_code == 403  # a supervisor cannot approve
    r = manager.post(f"{TAKES}/{take}/approve")
    assert r.status_code == 200 and r.json()["stock_take"]["approved_by"] == "manager"
    r = supervisor.post(f"{TAKES}/{take}/post")
    assert r.status_code == 200, r.text
    assert on_hand(hub, bread["id"]) == 90000
    ledger_clean(hub)


def test_counting_again_after_approval_clears_it(hub, ids, admin):
    bread = stocked(admin, ids, hub, quantity=100000, cost=1000)
    manager = hub.as_user("manager")
    take = session(manager)
    count(manager, take, {"code": bread["sku"], "quantity": 90000})
    manager.post(f"{TAKES}/{take}/review")
    manager.post(f"{TAKES}/{take}/approve")
    seen = count(manager, take, {"code": bread["sku"], "quantity": 1000})
    assert seen["stock_take"]["status"] == "counting" and seen["stock_take"]["approved_by"] is None


def test_uncounted_products_are_left_alone_unless_the_manager_says_they_are_zero(hub, ids, admin):
    counted, missed = stocked(admin, ids, hub), stocked(admin, ids, hub, quantity=3000)
    other = create(admin, ids, category_id=ids["drinks"], opening_stock={"quantity": 5000, "unit_cost": 10})
    manager = hub.as_user("manager")
    take = session(manager, scope="category", category_id=ids["bakery"])
    count(manager, take, {"code": counted["sku"], "quantity": 12000})
    post(manager, take)
    assert on_hand(hub, missed["id"]) == 3000

    take = session(manager, scope="category", category_id=ids["bakery"], uncounted_zero=True)
    count(manager, take, {"code": counted["sku"], "quantity": 12000})
    manager.post(f"{TAKES}/{take}/review")
    items = {i["product_id"]: i for i in manager.get(f"{TAKES}/{take}").json()["products"]}
    assert items[missed["id"]]["uncounted"] and items[missed["id"]]["variance"] == -3000
    assert other["id"] not in items  # another category: out of scope
    assert manager.post(f"{TAKES}/{take}/post").status_code == 200
    assert (on_hand(hub, missed["id"]), on_hand(hub, other["id"])) == (0, 5000)
    ledger_clean(hub)


def test_refusals_name_their_field_or_line_and_change_nothing(hub, ids, admin):
    bread = stocked(admin, ids, hub)
    drink = create(admin, ids, category_id=ids["drinks"])
    service = create(admin, ids, category_id=ids["bread"], stock_tracked=False)
    manager = hub.as_user("manager")
    for body, field in (({"name": "x", "scope": "category"}, "category_id"),
                        ({"name": "x", "scope": "location"}, "location"),
                        ({"name": "x", "scope": "location", "location": "Aisle 3", "uncounted_zero": True},
                         "uncounted_zero"),
                        ({"name": "x", "location": "Aisle 3"}, "location"),
                        ({"name": " "}, "name")):
        r = manager.post(TAKES, json=body)
        assert r.status_code == 422 and field in field_errors(r), r.text
    take = session(manager, scope="category", category_id=ids["food"])
    seq = audit_entries(hub)[-1]["seq"]
    r = manager.post(f"{TAKES}/{take}/lines", json={"lines": [
        {"code": bread["sku"], "quantity": 1000}, {"code": "NO-SUCH-SKU", "quantity": 1000},
        {"code": drink["sku"], "quantity": 1000}, {"code": service["sku"], "quantity": 1000},
        {"code": bread["sku"], "quantity": 1500}, {"code": bread["sku"], "quantity": 1000, "device_id": "nope"},
        {"quantity": 1000}]})
    assert r.status_code == 422, r.text
    assert set(field_errors(r)) == {"lines[1].code", "lines[2].code", "lines[3].code", "lines[4].quantity",
                                    "lines[5].device_id", "lines[6].code"}
    assert audit_entries(hub, seq) == [] and manager.get(f"{TAKES}/{take}").json()["lines"] == []
    r = manager.post(f"{TAKES}/{take}/lines", json={"lines": [{"code": "x", "quantity": 1}] * 201})
    assert r.status_code in (400, 422)
    r = manager.post(f"{TAKES}/{take}/lines", json={"lines": [{"code": "x", "quantity": 10**12}]})
    assert r.status_code in (400, 422)
    r = manager.post(f"{TAKES}/{take}/review")
    assert r.status_code == 409 and r.json()["code"] == "stock_take_empty"
    assert manager.post(f"{TAKES}/{take}/post").status_code == 409
    assert manager.post(f"{TAKES}/{take}/cancel").status_code == 200
    r = manager.post(f"{TAKES}/{take}/lines", json={"lines": [{"code": bread["sku"], "quantity": 1000}]})
    assert r.status_code == 409 and r.json()["code"] == "stock_take_state"
    assert manager.get(f"{TAKES}/no-such").status_code == 404


def test_every_change_is_audited_once_and_the_list_pages_newest_first(hub, ids, admin):
    bread = stocked(admin, ids, hub)
    manager = hub.as_user("manager")
    seq = audit_entries(hub)[-1]["seq"]
    take = session(manager)
    seen = count(manager, take, {"code": bread["sku"], "quantity": 1000}, {"code": bread["sku"], "quantity": 1000})
    manager.delete(f"{TAKES}/{take}/lines/{seen['lines'][0]['id']}")
    manager.post(f"{TAKES}/{take}/review")
    manager.post(f"{TAKES}/{take}/approve")
    manager.post(f"{TAKES}/{take}/post")
    assert [e["action"] for e in audit_entries(hub, seq)] == [
        "stock_take.created", "stock_take.counted", "stock_take.line_removed", "stock_take.reviewing",
        "stock_take.approved", "stock_take.posted"]
    later = session(manager, name="Second")
    page = manager.get(TAKES, params={"limit": 1}).json()
    assert [t["id"] for t in page["items"]] == [later] and page["next_after"]
    rest = manager.get(TAKES, params={"limit": 1, "after": page["next_after"]}).json()
    assert [t["id"] for t in rest["items"]] == [take]
    assert [t["id"] for t in manager.get(TAKES, params={"status": "posted"}).json()["items"]] == [take]


def test_a_session_is_on_the_change_feed_when_made_and_at_each_state_but_never_its_quantities(hub, ids, admin):
    bread = stocked(admin, ids, hub)
    manager = hub.as_user("manager")
    take = session(manager, blind=True)

    def feed() -> list[dict]:
        return [json.loads(data) for (data,) in query(
            hub, "SELECT data FROM changes WHERE entity = 'stock_take' AND entity_id = ? ORDER BY seq", take)]

    [made] = feed()
    assert {k: made[k] for k in ("id", "scope", "blind", "status")} == {
        "id": take, "scope": "store", "blind": True, "status": "open"}
    count(manager, take, {"code": bread["sku"], "quantity": 4000})
    count(manager, take, {"code": bread["sku"], "quantity": 3000})  # still counting: no new row
    assert [c["status"] for c in feed()] == ["open", "counting"]
    manager.post(f"{TAKES}/{take}/review")
    count(manager, take, {"code": bread["sku"], "quantity": 1000})  # a recount sends it back
    post(manager, take)
    rows = feed()
    assert [c["status"] for c in rows] == ["open", "counting", "review", "counting", "review", "posted"]
    assert [c["version"] for c in rows] == sorted({c["version"] for c in rows})  # each a newer version
    assert all(c["name"] == made["name"] and c["blind"] is True for c in rows)
    assert {k for c in rows for k in c} == {"id", "name", "scope", "category_id", "category_name", "location",
                                            "blind", "uncounted_zero", "status", "version", "created_at",
                                            "updated_at"}  # no count, no expected quantity
    other = session(manager)
    manager.post(f"{TAKES}/{other}/cancel")
    assert [json.loads(d)["status"] for (d,) in query(
        hub, "SELECT data FROM changes WHERE entity_id = ? ORDER BY seq", other)] == ["open", "cancelled"]
