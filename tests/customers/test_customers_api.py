"""/api/v1/customers over real HTTP: create with duplicate warnings, edit, look up by name, phone
and card, merge, and the till feed (entity customer)."""

from __future__ import annotations

import json

from tests.customers import recipes
from tests.people import audit_entries, query


def test_a_customer_is_created_edited_and_published_to_the_tills(hub):
    manager = hub.as_user("manager")
    seq = audit_entries(hub)[-1]["seq"]
    r = manager.post("/api/v1/customers", json={"name": "Tendai Moyo", "phone": "077 123 4567",
                                                "email": "tendai@example.com", "card": "C-100"})
    assert r.status_code == 201, r.text
    c = r.json()
    assert (c["name"], c["phone"], c["card"], c["status"], c["version"], c["duplicates"]) == (
        "Tendai Moyo", "077 123 4567", "C-100", "active", 1, [])
    r = manager.patch(f"/api/v1/customers/{c['id']}", json={"tin": "2000123456", "registered_name": "Moyo Trading"})
    assert r.status_code == 200 and r.json()["tin"] == "2000123456" and r.json()["version"] == 2
    assert manager.patch(f"/api/v1/customers/{c['id']}", json={"tin": "2000123456"}).json()["version"] == 2
    assert [e["action"] for e in audit_entries(hub, seq)] == ["customer.created", "customer.updated"]
    feed = query(hub, "SELECT version, op, data FROM changes WHERE entity = 'customer' AND entity_id = ?"
                      " ORDER BY seq", c["id"])
    assert [(v, op) for v, op, _ in feed] == [(1, "upsert"), (2, "upsert")]
    assert json.loads(feed[-1][2])["registered_name"] == "Moyo Trading"


def test_refusals_name_their_fields_and_change_nothing(hub):
    manager = hub.as_user("manager")
    assert manager.post("/api/v1/customers", json={"name": "A", "card": "C-1"}).status_code == 201
    r = manager.post("/api/v1/customers", json={"name": "B", "email": "not-mail", "phone": "12", "card": "C-1",
                                                "tier_id": "nope"})
    assert r.status_code == 422
    assert sorted(e["field"] for e in r.json()["errors"]) == ["card", "email", "phone", "tier_id"]
    assert query(hub, "SELECT count(*) FROM customers")[0][0] == 1
    assert manager.post("/api/v1/customers", json={"name": ""}).status_code == 400
    cashier = hub.as_user("cashier")
    assert cashier.post("/api/v1/customers", json={"name": "C"}).status_code == 403


def test_duplicates_are_warned_of_by_phone_e_mail_and_similar_name(hub):
    manager = hub.as_user("manager")
    first = manager.post("/api/v1/customers", json={"name": "Chipo Ndlovu", "phone": "+263 77 222 3333",
                                                    "email": "chipo@example.com"}).json()
    same_phone = manager.post("/api/v1/customers", json={"name": "C. N.", "phone": "0772223333"}).json()
    assert same_phone["duplicates"] == [{"id": first["id"], "name": "Chipo Ndlovu", "reasons": ["same phone"]}]
    same_mail = manager.post("/api/v1/customers", json={"name": "Someone", "email": "CHIPO@example.com"}).json()
    assert same_mail["duplicates"][0]["reasons"] == ["same e-mail"]
    similar = manager.post("/api/v1/customers", json={"name": "Chipo  Ndhlovu"}).json()
    assert [d["id"] for d in similar["duplicates"]] == [first["id"]]
    assert similar["duplicates"][0]["reasons"] == ["similar name"]
    other = manager.post("/api/v1/customers", json={"name": "Farai Zvobgo"}).json()
    assert other["duplicates"] == []
    got = manager.get(f"/api/v1/customers/{first['id']}/duplicates").json()
    assert {d["id"] for d in got} == {same_phone["id"], same_mail["id"], similar["id"]}


def test_a_till_finds_customers_by_name_phone_or_card(hub):
    manager = hub.as_user("manager")
    a = manager.post("/api/v1/customers", json={"name": "Rudo Banda", "phone": "0771112222", "card": "9990001"}).json()
    manager.post("/api/v1/customers", json={"name": "Tapiwa Banda"})
    cashier = hub.as_user("cashier")
    by_name = cashier.get("/api/v1/customers?q=banda").json()["items"]
    assert [c["name"] for c in by_name] == ["Rudo Banda", "Tapiwa Banda"]
    assert [c["id"] for c in cashier.get("/api/v1/customers?q=%2B263771112222").json()["items"]] == [a["id"]]
    assert cashier.get("/api/v1/customers/lookup?card=9990001").json()["id"] == a["id"]
    assert cashier.get("/api/v1/customers/lookup?card=nope").status_code == 404
    page = cashier.get("/api/v1/customers?limit=1").json()
    assert page["next_after"] and len(page["items"]) == 1
    rest = cashier.get(f"/api/v1/customers?limit=1&after={page['next_after']}").json()
    assert rest["items"][0]["id"] != page["items"][0]["id"]
    assert cashier.get("/api/v1/customers?after=garbage").status_code == 422


def test_a_merge_moves_sales_balances_and_store_credit_to_the_survivor(hub):
    manager = hub.as_user("manager")
    keep = manager.post("/api/v1/customers", json={"name": "Nyasha Dube"}).json()
    gone = manager.post("/api/v1/customers", json={"name": "Nyasha Dube", "phone": "0773334444",
                                                   "card": "K-9"}).json()
    assert [d["id"] for d in gone["duplicates"]] == [keep["id"]]
    manager.put(f"/api/v1/customers/{gone['id']}/credit-limits", json={"limits": {"USD": 10_000}})
    till = recipes.till(hub)
    sale = till.sell(body=recipes.credit_sale(till, gone["id"], 2_500))
    assert sale["exceptions"] == [] or all(e["kind"] != "credit_limit_exceeded" for e in sale["exceptions"])
    manager.post("/api/v1/vouchers", json={"currency": "USD", "amount": 300, "kind": "store_credit",
                                           "customer_id": gone["id"]})
    seq = audit_entries(hub)[-1]["seq"]
    r = manager.post(f"/api/v1/customers/{keep['id']}/merge", json={"merge_id": gone["id"]})
    assert r.status_code == 200, r.text
    merged = r.json()
    assert merged["credit"]["USD"]["balance"] == 2_500 and merged["phone"] == "0773334444"
    assert merged["card"] == "K-9"
    assert [e["action"] for e in audit_entries(hub, seq)] == ["customer.merged"]
    assert [s["id"] for s in manager.get(f"/api/v1/customers/{keep['id']}/sales").json()] == [sale["id"]]
    old = manager.get(f"/api/v1/customers/{gone['id']}").json()
    assert (old["status"], old["merged_into"], old["credit"]["USD"]["balance"]) == ("merged", keep["id"], 0)
    credit = manager.get(f"/api/v1/vouchers?customer_id={keep['id']}").json()["items"]
    assert [(v["kind"], v["balance"]) for v in credit] == [("store_credit", 300)]
    assert manager.patch(f"/api/v1/customers/{gone['id']}", json={"name": "x"}).status_code == 409
    assert manager.post(f"/api/v1/customers/{keep['id']}/merge", json={"merge_id": keep["id"]}).status_code == 422
    # a sale made offline for the merged customer lands on the survivor's account
    later = till.sell(body=recipes.credit_sale(till, gone["id"], 500))
    assert later["id"]
    assert manager.get(f"/api/v1/customers/{keep['id']}/account").json()["currencies"][0]["balance"] == 3_000
