"""/api/v1/currencies over real HTTP: the seed, CRUD, one base, field-named refusals that change
nothing, paging, search, archive, ownership once enrolled, and what each change records."""

from __future__ import annotations

import sqlite3

import pytest

from tests.catalogue.reference import (
    changes_since, enrol, errors_of, mark, one_audit, wrote_nothing,
)

ZAR = {"code": "zar", "name": "South African Rand", "symbol": "R", "decimals": 2,
       "derive_prices": True, "round_step": 10, "round_mode": "up", "cash_rounding": 10}


def add_product_price(hub, currency: str, price: int = 150) -> None:
    """A product with one price, written directly (the products API is tested elsewhere)."""
    conn = sqlite3.connect(hub.db_path)
    try:
        with conn:
            unit = conn.execute("SELECT id FROM units WHERE code = 'each'").fetchone()[0]
            vat = conn.execute("SELECT id FROM tax_classes WHERE code = 'VAT'").fetchone()[0]
            conn.execute("INSERT INTO products (id, sku, name, unit_id, tax_class_id, created_at, updated_at)"
                         " VALUES ('p1', 'P1', 'Bread', ?, ?, 'x', 'x')", (unit, vat))
            conn.execute("INSERT INTO product_prices (product_id, currency, price, updated_at)"
                         " VALUES ('p1', ?, ?, 'x')", (currency, price))
    finally:
        conn.close()


def test_a_new_store_has_usd_as_its_base_and_zwg(hub):
    manager = hub.as_user("manager")
    page = manager.get("/api/v1/currencies").json()
    assert [(c["code"], c["is_base"], c["decimals"]) for c in page["items"]] == [("USD", True, 2), ("ZWG", False, 2)]
    assert page["next_after"] is None
    zwg = manager.get("/api/v1/currencies/zwg").json()  # codes in any case
    assert zwg["name"] == "Zimbabwe Gold" and zwg["active"] is True
    assert manager.get("/api/v1/currencies/EUR").status_code == 404


def test_create_and_edit_a_currency_records_a_change_and_one_audit_entry_each(hub):
    manager = hub.as_user("manager")
    before = mark(hub)
    r = manager.post("/api/v1/currencies", json=ZAR)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["code"] == "ZAR" and created["version"] == 1 and created["is_base"] is False
    assert (created["round_step"], created["round_mode"], created["cash_rounding"]) == (10, "up", 10)
    [change] = changes_since(hub, before)
    assert (change["entity"], change["entity_id"], change["version"], change["op"]) == ("currency", "ZAR", 1, "upsert")
    assert change["data"]["cash_rounding"] == 10
    one_audit(hub, before, "currency.created", r.headers["x-request-id"])

    before = mark(hub)
    r = manager.patch("/api/v1/currencies/ZAR", json={"cash_rounding": 50, "name": "Rand"})
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["cash_rounding"] == 50
    assert [(c["entity_id"], c["version"]) for c in changes_since(hub, before)] == [("ZAR", 2)]
    entry = one_audit(hub, before, "currency.updated", r.headers["x-request-id"])
    assert entry["summary"]["before"]["cash_rounding"] == 10 and entry["summary"]["after"]["name"] == "Rand"

    before = mark(hub)
    assert manager.patch("/api/v1/currencies/ZAR", json={"cash_rounding": 50}).json()["version"] == 2
    assert wrote_nothing(hub, before)  # a change that changes nothing writes nothing


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"code": "USD", "name": "Again"}, 409, "code"),
    ({"code": "US", "name": "Short"}, 400, "code"),
    ({"code": "EU1", "name": "Digit"}, 400, "code"),
    ({"code": "EUR"}, 400, "name"),
    ({"code": "EUR", "name": "Euro", "decimals": 5}, 400, "decimals"),
    ({"code": "EUR", "name": "Euro", "round_step": 0}, 400, "round_step"),
    ({"code": "EUR", "name": "Euro", "round_mode": "banker"}, 400, "round_mode"),
    ({"code": "EUR", "name": "Euro", "cash_rounding": 0}, 400, "cash_rounding"),
    ({"code": "EUR", "name": "Euro", "is_base": True, "derive_prices": True}, 422, "derive_prices"),
    ({"code": "EUR", "name": "Euro", "colour": "blue"}, 400, "colour"),
])
def test_a_refused_currency_names_the_field_and_changes_nothing(hub, body, status, field):
    manager = hub.as_user("manager")
    before = mark(hub)
    r = manager.post("/api/v1/currencies", json=body)
    assert r.status_code == status, r.text
    assert field in errors_of(r), r.json()
    assert wrote_nothing(hub, before)
    assert [c["code"] for c in manager.get("/api/v1/currencies").json()["items"]] == ["USD", "ZWG"]


@pytest.mark.parametrize(("code", "body", "status", "field", "problem"), [
    ("USD", {"is_base": False}, 422, "is_base", "invalid_fields"),
    ("USD", {"active": False}, 422, "active", "invalid_fields"),
    ("USD", {"derive_prices": True}, 422, "derive_prices", "invalid_fields"),
    ("ZWG", {"decimals": -1}, 400, "decimals", "invalid_request"),
    ("ZWG", {"code": "ZWL"}, 400, "code", "invalid_request"),  # a code never changes
])
def test_a_refused_edit_names_the_field_and_changes_nothing(hub, code, body, status, field, problem):
    manager = hub.as_user("manager")
    before = mark(hub)
    r = manager.patch(f"/api/v1/currencies/{code}", json=body)
    assert (r.status_code, r.json()["code"]) == (status, problem), r.text
    assert field in errors_of(r)
    assert wrote_nothing(hub, before)


def test_moving_the_base_swaps_it_in_one_change_until_prices_exist(hub):
    manager = hub.as_user("manager")
    before = mark(hub)
    r = manager.patch("/api/v1/currencies/ZWG", json={"is_base": True})
    assert r.status_code == 200 and r.json()["is_base"] is True
    # The old base loses the mark first (one base at a time), both on the feed, one audit entry.
    assert [(c["entity_id"], c["data"]["is_base"]) for c in changes_since(hub, before)] == [("USD", False), ("ZWG", True)]
    entry = one_audit(hub, before, "currency.updated", r.headers["x-request-id"])
    assert entry["summary"]["detail"] == {"previous_base": "USD"}
    assert [c["code"] for c in manager.get("/api/v1/currencies").json()["items"] if c["is_base"]] == ["ZWG"]
    assert manager.get("/api/v1/settings/pricing").json()["base_currency"] == "ZWG"

    add_product_price(hub, "ZWG")
    before = mark(hub)
    r = manager.patch("/api/v1/currencies/USD", json={"is_base": True})
    assert r.status_code == 409 and r.json()["code"] == "base_currency_locked"
    assert "stays ZWG once products have prices" in errors_of(r)["is_base"]
    r = manager.post("/api/v1/currencies", json={"code": "EUR", "name": "Euro", "is_base": True})
    assert r.status_code == 409 and "is_base" in errors_of(r)
    assert wrote_nothing(hub, before)
    assert manager.get("/api/v1/currencies/USD").json()["is_base"] is False


def test_decimals_do_not_change_under_prices_kept_in_that_currency(hub):
    manager = hub.as_user("manager")
    assert manager.patch("/api/v1/currencies/ZWG", json={"decimals": 3}).status_code == 200
    add_product_price(hub, "ZWG")
    before = mark(hub)
    r = manager.patch("/api/v1/currencies/ZWG", json={"decimals": 2})
    assert r.status_code == 409 and r.json()["code"] == "currency_in_use"
    assert "1 prices or costs are kept in minor units of ZWG" in errors_of(r)["decimals"]
    assert wrote_nothing(hub, before)
    assert manager.patch("/api/v1/currencies/USD", json={"decimals": 3}).status_code == 200  # no USD prices


def test_archive_and_restore_a_currency_and_filter_by_active(hub):
    manager = hub.as_user("manager")
    assert manager.post("/api/v1/currencies", json=ZAR).status_code == 201
    before = mark(hub)
    r = manager.patch("/api/v1/currencies/ZAR", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    one_audit(hub, before, "currency.archived", r.headers["x-request-id"])
    codes = lambda **p: [c["code"] for c in manager.get("/api/v1/currencies", params=p).json()["items"]]  # noqa: E731
    assert codes(active="true") == ["USD", "ZWG"]
    assert codes(active="false") == ["ZAR"]
    assert codes() == ["USD", "ZAR", "ZWG"]  # archived, never deleted
    before = mark(hub)
    r = manager.patch("/api/v1/currencies/ZAR", json={"active": True})
    one_audit(hub, before, "currency.restored", r.headers["x-request-id"])


def test_list_pages_by_code_and_searches_code_and_name(hub):
    manager = hub.as_user("manager")
    for code, name in (("ZAR", "Rand"), ("GBP", "Pound"), ("BWP", "Pula"), ("EUR", "Euro")):
        assert manager.post("/api/v1/currencies", json={"code": code, "name": name}).status_code == 201
    seen, after = [], None
    while True:
        page = manager.get("/api/v1/currencies", params={"limit": 2, **({"after": after} if after else {})}).json()
        seen.append([c["code"] for c in page["items"]])
        after = page["next_after"]
        if after is None:
            break
    assert seen == [["BWP", "EUR"], ["GBP", "USD"], ["ZAR", "ZWG"]]
    search = lambda q: [c["code"] for c in manager.get("/api/v1/currencies", params={"q": q}).json()["items"]]  # noqa: E731
    assert search("pu") == ["BWP"]
    assert search("z") == ["ZAR", "ZWG"]
    assert search("%") == []  # a LIKE wildcard is searched for, not obeyed
    assert manager.get("/api/v1/currencies", params={"limit": 201}).status_code == 400


def test_once_enrolled_hq_owned_fields_are_refused_and_cash_rounding_stays_the_stores(hub):
    manager = hub.as_user("manager")
    enrol(hub)
    before = mark(hub)
    r = manager.patch("/api/v1/currencies/ZWG", json={"name": "ZiG", "cash_rounding": 5})
    assert r.status_code == 409 and r.json()["code"] == "hq_owned" and r.json()["fields"] == ["name"]
    r = manager.post("/api/v1/currencies", json={"code": "EUR", "name": "Euro"})
    assert r.status_code == 409 and r.json()["code"] == "hq_owned"
    assert wrote_nothing(hub, before)
    r = manager.patch("/api/v1/currencies/ZWG", json={"cash_rounding": 5})
    assert r.status_code == 200 and r.json()["cash_rounding"] == 5
