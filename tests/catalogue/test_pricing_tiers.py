"""/api/v1/pricing-tiers over real HTTP: create, rename, rule, archive, per-product prices."""

from __future__ import annotations

import json

from tests.catalogue import seed
from tests.people import audit_entries, query


def _changes(hub, entity: str) -> list[tuple]:
    return query(hub, "SELECT entity_id, version, op, data FROM changes WHERE entity = ? ORDER BY seq",
                 entity)


def test_a_tier_is_created_renamed_given_a_rule_and_archived(hub):
    manager = hub.as_user("manager")
    r = manager.post("/api/v1/pricing-tiers", json={"name": "Wholesale", "percent_off_bp": 500})
    assert r.status_code == 201, r.text
    tier = r.json()
    assert (tier["name"], tier["percent_off_bp"], tier["active"], tier["version"]) == (
        "Wholesale", 500, True, 1)
    r = manager.patch(f"/api/v1/pricing-tiers/{tier['id']}", json={"name": "Trade", "percent_off_bp": None})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["percent_off_bp"], r.json()["version"]) == ("Trade", None, 2)
    r = manager.post(f"/api/v1/pricing-tiers/{tier['id']}/archive")
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["version"] == 3
    assert manager.get("/api/v1/pricing-tiers").json()["items"] == []
    listed = manager.get("/api/v1/pricing-tiers?include_archived=true").json()["items"]
    assert [t["name"] for t in listed] == ["Trade"]
    assert [(c[1], c[2]) for c in _changes(hub, "pricing_tier")] == [(1, "upsert"), (2, "upsert"),
                                                                      (3, "upsert")]
    actions = [e["action"] for e in audit_entries(hub) if e["entity"] == "pricing_tier"]
    assert actions == ["pricing_tier.created", "pricing_tier.updated", "pricing_tier.archived"]


def test_a_tier_name_is_unique_whatever_its_case_and_a_bad_rule_names_its_field(hub):
    manager = hub.as_user("manager")
    assert manager.post("/api/v1/pricing-tiers", json={"name": "Staff"}).status_code == 201
    r = manager.post("/api/v1/pricing-tiers", json={"name": "STAFF"})
    assert r.status_code == 422 and r.json()["errors"] == [
        {"field": "name", "message": "there is already a tier named 'STAFF'"}]
    r = manager.post("/api/v1/pricing-tiers", json={"name": "Half", "percent_off_bp": 10001})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "percent_off_bp"


def test_tier_prices_are_set_per_currency_listed_replaced_and_removed(hub):
    seed.basics(hub.db_path)
    manager = hub.as_user("manager")
    tier = manager.post("/api/v1/pricing-tiers", json={"name": "Staff"}).json()
    url = f"/api/v1/pricing-tiers/{tier['id']}/prices/bread"
    r = manager.put(url, json={"USD": 120, "ZWG": 3000})
    assert r.status_code == 200, r.text
    assert r.json() == {"tier_id": tier["id"], "product_id": "bread", "prices": {"USD": 120, "ZWG": 3000}}
    assert manager.put(url, json={"USD": 125}).json()["prices"] == {"USD": 125}  # ZWG removed
    assert manager.get(url).json()["prices"] == {"USD": 125}
    listed = manager.get(f"/api/v1/pricing-tiers/{tier['id']}/prices").json()
    assert listed == {"items": [{"product_id": "bread", "prices": {"USD": 125}}], "next_after": None}
    assert manager.get(f"/api/v1/pricing-tiers/{tier['id']}").json()["priced_products"] == 1
    assert manager.delete(url).status_code == 204
    assert manager.get(url).status_code == 404
    assert manager.delete(url).status_code == 404
    changes = _changes(hub, "tier_price")
    assert [(c[0], c[2]) for c in changes] == [(f"{tier['id']}/bread", "upsert")] * 2 + [
        (f"{tier['id']}/bread", "delete")]
    assert json.loads(changes[1][3]) == {"tier_id": tier["id"], "product_id": "bread", "prices": {"USD": 125}}
    assert [c[1] for c in changes] == [2, 3, 4]  # each change bumps the tier's version
    actions = [e["action"] for e in audit_entries(hub) if e["entity"] == "pricing_tier"]
    assert actions == ["pricing_tier.created"] + ["pricing_tier.prices_set"] * 2 + [
        "pricing_tier.prices_removed"]


def test_tier_prices_are_refused_for_unknown_currencies_products_and_archived_tiers(hub):
    seed.basics(hub.db_path)
    manager = hub.as_user("manager")
    tier = manager.post("/api/v1/pricing-tiers", json={"name": "Staff"}).json()
    r = manager.put(f"/api/v1/pricing-tiers/{tier['id']}/prices/bread", json={"USD": 100, "EUR": 90})
    assert r.status_code == 422 and r.json()["errors"] == [{"field": "EUR", "message": "there is no such currency"}]
    r = manager.put(f"/api/v1/pricing-tiers/{tier['id']}/prices/bread", json={"usd": 100})
    assert r.status_code == 400
    r = manager.put(f"/api/v1/pricing-tiers/{tier['id']}/prices/bread", json={"USD": -1})
    assert r.status_code == 400
    assert manager.put(f"/api/v1/pricing-tiers/{tier['id']}/prices/nothing", json={"USD": 1}).status_code == 404
    manager.post(f"/api/v1/pricing-tiers/{tier['id']}/archive")
    r = manager.put(f"/api/v1/pricing-tiers/{tier['id']}/prices/bread", json={"USD": 100})
    assert r.status_code == 409 and r.json()["code"] == "tier_archived"


def test_a_tier_price_prices_the_quote_and_the_rule_prices_the_rest(hub):
    seed.basics(hub.db_path)
    manager = hub.as_user("manager")
    tier = manager.post("/api/v1/pricing-tiers", json={"name": "Wholesale", "percent_off_bp": 1000}).json()
    manager.put(f"/api/v1/pricing-tiers/{tier['id']}/prices/bread", json={"USD": 120})
    r = manager.post("/api/v1/pricing/quote", json={
        "currency": "USD", "tier": tier["id"],
        "lines": [{"product": "bread", "quantity": 1000}, {"product": "milk", "quantity": 1000}]})
    assert r.status_code == 200, r.text
    assert [line["unit_price"] for line in r.json()["lines"]] == [120, 180]
    manager.post(f"/api/v1/pricing-tiers/{tier['id']}/archive")
    r = manager.post("/api/v1/pricing/quote", json={
        "currency": "USD", "tier": tier["id"], "lines": [{"product": "bread", "quantity": 1000}]})
    assert r.status_code == 422 and r.json()["code"] == "unknown_tier"


def test_once_enrolled_with_hq_tiers_are_read_only_here(hub):
    seed.basics(hub.db_path)
    manager = hub.as_user("manager")
    tier = manager.post("/api/v1/pricing-tiers", json={"name": "Staff"}).json()
    with seed.writing(hub.db_path) as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('hq_enrolled', '1')"
                     " ON CONFLICT (key) DO UPDATE SET value = '1'")
    before = len(audit_entries(hub))
    for call in (lambda: manager.post("/api/v1/pricing-tiers", json={"name": "New"}),
                 lambda: manager.patch(f"/api/v1/pricing-tiers/{tier['id']}", json={"name": "Crew"}),
                 lambda: manager.post(f"/api/v1/pricing-tiers/{tier['id']}/archive"),
                 lambda: manager.put(f"/api/v1/pricing-tiers/{tier['id']}/prices/bread", json={"USD": 1})):
        r = call()
        assert r.status_code == 409 and r.json()["code"] == "hq_owned", r.text
    assert len(audit_entries(hub)) == before  # a refusal writes nothing
    assert manager.get(f"/api/v1/pricing-tiers/{tier['id']}").json()["name"] == "Staff"
