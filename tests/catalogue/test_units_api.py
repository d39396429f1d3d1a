"""/api/v1/units over real HTTP: the seed, CRUD, codes unique without case, archive rules,
paging and search, ownership once enrolled."""

from __future__ import annotations

import sqlite3

import pytest

from tests.catalogue.reference import changes_since, enrol, errors_of, mark, one_audit, wrote_nothing


def units(client, **params):
    return client.get("/api/v1/units", params=params).json()


def test_a_new_store_has_each_kg_and_litre(hub):
    items = units(hub.as_user("supervisor"))["items"]
    assert [(u["code"], u["decimals"]) for u in items] == [("each", 0), ("kg", 3), ("l", 3)]


def test_create_edit_and_archive_a_unit(hub):
    manager = hub.as_user("manager")
    before = mark(hub)
    r = manager.post("/api/v1/units", json={"code": "m", "name": "Metre", "decimals": 2})
    assert r.status_code == 201, r.text
    unit = r.json()
    assert [(c["entity"], c["entity_id"], c["version"]) for c in changes_since(hub, before)] == [("unit", unit["id"], 1)]
    one_audit(hub, before, "unit.created", r.headers["x-request-id"])
    assert manager.get(f"/api/v1/units/{unit['id']}").json() == unit

    before = mark(hub)
    r = manager.patch(f"/api/v1/units/{unit['id']}", json={"name": "Metres", "decimals": 3})
    assert r.status_code == 200 and (r.json()["version"], r.json()["decimals"]) == (2, 3)
    one_audit(hub, before, "unit.updated", r.headers["x-request-id"])
    before = mark(hub)
    r = manager.patch(f"/api/v1/units/{unit['id']}", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    one_audit(hub, before, "unit.archived", r.headers["x-request-id"])
    assert [u["code"] for u in units(manager, active="false")["items"]] == ["m"]
    assert manager.get("/api/v1/units/nope").status_code == 404


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"code": "KG", "name": "Kilos", "decimals": 3}, 409, "code"),  # codes are unique without case
    ({"code": "box", "name": "Box", "decimals": 4}, 400, "decimals"),
    ({"code": "box", "name": "Box", "decimals": -1}, 400, "decimals"),
    ({"code": "a box", "name": "Box"}, 400, "code"),
    ({"code": "box", "name": ""}, 400, "name"),
    ({"name": "Box"}, 400, "code"),
])
def test_a_refused_unit_names_the_field_and_changes_nothing(hub, body, status, field):
    manager = hub.as_user("manager")
    before = mark(hub)
    r = manager.post("/api/v1/units", json=body)
    assert r.status_code == status and field in errors_of(r), r.text
    assert wrote_nothing(hub, before)


def test_renaming_a_code_onto_another_is_refused(hub):
    manager = hub.as_user("manager")
    kg = units(manager, q="kg")["items"][0]
    r = manager.patch(f"/api/v1/units/{kg['id']}", json={"code": "L"})
    assert r.status_code == 409 and r.json()["code"] == "unit_exists" and "code" in errors_of(r)
    assert manager.patch(f"/api/v1/units/{kg['id']}", json={"code": "KG"}).json()["code"] == "KG"  # itself


def test_a_unit_active_products_use_is_not_archived(hub):
    manager = hub.as_user("manager")
    each = units(manager, q="each")["items"][0]
    conn = sqlite3.connect(hub.db_path)
    with conn:
        vat = conn.execute("SELECT id FROM tax_classes WHERE code = 'VAT'").fetchone()[0]
        conn.execute("INSERT INTO products (id, sku, name, unit_id, tax_class_id, created_at, updated_at)"
                     " VALUES ('p1', 'P1', 'Bread', ?, ?, 'x', 'x')", (each["id"], vat))
    conn.close()
    before = mark(hub)
    r = manager.patch(f"/api/v1/units/{each['id']}", json={"active": False})
    assert r.status_code == 409 and r.json()["code"] == "unit_in_use"
    assert errors_of(r)["active"].startswith("1 active products are sold in each")
    assert wrote_nothing(hub, before)


def test_units_page_by_code_and_search(hub):
    manager = hub.as_user("manager")
    for code in ("box", "crate", "dozen"):
        assert manager.post("/api/v1/units", json={"code": code, "name": code.title()}).status_code == 201
    pages, after = [], None
    while True:
        page = units(manager, limit=2, **({"after": after} if after else {}))
        pages.append([u["code"] for u in page["items"]])
        after = page["next_after"]
        if after is None:
            break
    assert pages == [["box", "crate"], ["dozen", "each"], ["kg", "l"]]
    assert [u["code"] for u in units(manager, q="ilo")["items"]] == ["kg"]  # by name too
    r = manager.get("/api/v1/units", params={"after": "unknown-id"})
    assert r.status_code == 422 and "after" in errors_of(r)


def test_once_enrolled_units_are_hqs(hub):
    manager = hub.as_user("manager")
    kg = units(manager, q="kg")["items"][0]
    enrol(hub)
    before = mark(hub)
    r = manager.patch(f"/api/v1/units/{kg['id']}", json={"decimals": 2})
    assert r.status_code == 409 and r.json()["code"] == "hq_owned" and r.json()["fields"] == ["decimals"]
    assert manager.post("/api/v1/units", json={"code": "box", "name": "Box"}).status_code == 409
    assert wrote_nothing(hub, before)
