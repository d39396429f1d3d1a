"""/api/v1/categories over real HTTP: the tree flat and nested, moves that would make a cycle,
sibling names, archiving only what nothing active uses, paging, ownership once enrolled."""

from __future__ import annotations

import sqlite3

import pytest

from tests.catalogue.reference import changes_since, enrol, errors_of, mark, one_audit, wrote_nothing


def make(client, name, parent=None, **extra):
    r = client.post("/api/v1/categories", json={"name": name, "parent_id": parent, **extra})
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def shop(hub):
    """Food > (Bakery > Bread, Dairy); Drinks. Returns the manager's client and the ids."""
    manager = hub.as_user("manager")
    food = make(manager, "Food")
    bakery = make(manager, "Bakery", food["id"])
    bread = make(manager, "Bread", bakery["id"])
    dairy = make(manager, "Dairy", food["id"])
    drinks = make(manager, "Drinks", sort_order=-1)
    return manager, {c["name"]: c["id"] for c in (food, bakery, bread, dairy, drinks)}


def test_the_flat_list_has_depth_and_path_and_the_tree_nests(hub, shop):
    manager, ids = shop
    items = manager.get("/api/v1/categories").json()["items"]
    assert [(c["name"], c["depth"], c["path"]) for c in items] == [
        ("Drinks", 0, ["Drinks"]), ("Food", 0, ["Food"]), ("Bakery", 1, ["Food", "Bakery"]),
        ("Bread", 2, ["Food", "Bakery", "Bread"]), ("Dairy", 1, ["Food", "Dairy"])]
    tree = manager.get("/api/v1/categories/tree").json()
    assert [n["name"] for n in tree] == ["Drinks", "Food"]
    assert [[g["name"] for g in c["children"]] for c in tree[1]["children"]] == [["Bread"], []]
    assert manager.get(f"/api/v1/categories/{ids['Bread']}").json()["path"] == ["Food", "Bakery", "Bread"]
    children = manager.get("/api/v1/categories", params={"parent_id": ids["Food"]}).json()["items"]
    assert [c["name"] for c in children] == ["Bakery", "Dairy"]
    assert [c["name"] for c in manager.get("/api/v1/categories", params={"q": "READ"}).json()["items"]] == ["Bread"]


def test_create_records_a_change_and_one_audit_entry(hub):
    manager = hub.as_user("manager")
    before = mark(hub)
    r = manager.post("/api/v1/categories", json={"name": "  Frozen   foods "})
    assert r.status_code == 201 and r.json()["name"] == "Frozen foods"
    [change] = changes_since(hub, before)
    assert (change["entity"], change["entity_id"], change["version"]) == ("category", r.json()["id"], 1)
    one_audit(hub, before, "category.created", r.headers["x-request-id"])


def test_moving_a_category_carries_its_subtree(hub, shop):
    manager, ids = shop
    before = mark(hub)
    r = manager.patch(f"/api/v1/categories/{ids['Bakery']}", json={"parent_id": ids["Drinks"]})
    assert r.status_code == 200 and r.json()["path"] == ["Drinks", "Bakery"] and r.json()["version"] == 2
    one_audit(hub, before, "category.moved", r.headers["x-request-id"])
    assert manager.get(f"/api/v1/categories/{ids['Bread']}").json()["path"] == ["Drinks", "Bakery", "Bread"]
    r = manager.patch(f"/api/v1/categories/{ids['Bakery']}", json={"parent_id": None})
    assert r.json()["depth"] == 0


@pytest.mark.parametrize(("moved", "under"), [("Food", "Food"), ("Food", "Bakery"), ("Food", "Bread"),
                                              ("Bakery", "Bread")])
def test_a_move_under_itself_or_its_own_subcategory_is_refused(hub, shop, moved, under):
    manager, ids = shop
    before = mark(hub)
    r = manager.patch(f"/api/v1/categories/{ids[moved]}", json={"parent_id": ids[under]})
    assert r.status_code == 422 and r.json()["code"] == "category_cycle" and "parent_id" in errors_of(r)
    assert wrote_nothing(hub, before)


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"name": "food"}, 409, "name"),  # an active sibling has the name, whatever the case
    ({"name": "   "}, 422, "name"),
    ({"name": ""}, 400, "name"),
    ({"name": "Snacks", "parent_id": "no-such-category"}, 422, "parent_id"),
    ({"name": "Snacks", "sort_order": 10**7}, 400, "sort_order"),
    ({"name": "Snacks", "active": False}, 400, "active"),
])
def test_a_refused_category_names_the_field_and_changes_nothing(hub, shop, body, status, field):
    manager, _ = shop
    before = mark(hub)
    r = manager.post("/api/v1/categories", json=body)
    assert r.status_code == status and field in errors_of(r), r.text
    assert wrote_nothing(hub, before)


def test_the_same_name_is_fine_under_another_parent(hub, shop):
    manager, ids = shop
    make(manager, "Bread", ids["Food"])  # Food > Bread beside Food > Bakery > Bread
    r = manager.patch(f"/api/v1/categories/{ids['Dairy']}", json={"name": "bakery"})
    assert r.status_code == 409 and "name" in errors_of(r)


def test_archive_only_what_holds_no_active_product_or_subcategory_and_say_why(hub, shop):
    manager, ids = shop
    conn = sqlite3.connect(hub.db_path)
    with conn:
        unit = conn.execute("SELECT id FROM units WHERE code = 'each'").fetchone()[0]
        vat = conn.execute("SELECT id FROM tax_classes WHERE code = 'VAT'").fetchone()[0]
        conn.execute("INSERT INTO products (id, sku, name, category_id, unit_id, tax_class_id, created_at,"
                     " updated_at) VALUES ('p1', 'P1', 'Loaf', ?, ?, ?, 'x', 'x')", (ids["Bread"], unit, vat))
    conn.close()
    before = mark(hub)
    r = manager.patch(f"/api/v1/categories/{ids['Bread']}", json={"active": False})
    assert r.status_code == 409 and r.json()["code"] == "category_in_use"
    assert errors_of(r)["active"] == "'Bread' still holds 1 active product; move or archive them first"
    r = manager.patch(f"/api/v1/categories/{ids['Food']}", json={"active": False})
    assert errors_of(r)["active"] == "'Food' still holds 2 active subcategories; move or archive them first"
    assert wrote_nothing(hub, before)

    r = manager.patch(f"/api/v1/categories/{ids['Dairy']}", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    one_audit(hub, before, "category.archived", r.headers["x-request-id"])
    assert "Dairy" not in [c["name"] for c in manager.get("/api/v1/categories", params={"active": "true"}).json()["items"]]
    # Nothing goes under an archived category, and it comes back only under an active parent.
    r = manager.post("/api/v1/categories", json={"name": "Cheese", "parent_id": ids["Dairy"]})
    assert r.status_code == 422 and "is archived" in errors_of(r)["parent_id"]


def test_flat_list_pages_in_tree_order(hub, shop):
    manager, _ = shop
    names, after = [], None
    while True:
        page = manager.get("/api/v1/categories", params={"limit": 2, **({"after": after} if after else {})}).json()
        names.append([c["name"] for c in page["items"]])
        after = page["next_after"]
        if after is None:
            break
    assert names == [["Drinks", "Food"], ["Bakery", "Bread"], ["Dairy"]]
    r = manager.get("/api/v1/categories", params={"after": "nope"})
    assert r.status_code == 422 and "after" in errors_of(r)


def test_once_enrolled_names_and_parents_are_hqs_and_sort_order_the_stores(hub, shop):
    manager, ids = shop
    enrol(hub)
    before = mark(hub)
    r = manager.patch(f"/api/v1/categories/{ids['Dairy']}", json={"parent_id": None})
    assert r.status_code == 409 and r.json()["code"] == "hq_owned" and r.json()["fields"] == ["parent_id"]
    assert manager.post("/api/v1/categories", json={"name": "Snacks"}).status_code == 409
    assert wrote_nothing(hub, before)
    r = manager.patch(f"/api/v1/categories/{ids['Dairy']}", json={"sort_order": -5})
    assert r.status_code == 200 and r.json()["sort_order"] == -5
