"""/api/v1/suppliers over real HTTP: CRUD, search by name, paging, field-named refusals, and
suppliers staying the store's own after enrolment."""

from __future__ import annotations

import pytest

from tests.catalogue.reference import changes_since, enrol, errors_of, mark, one_audit, wrote_nothing

DELTA = {"name": "Delta Beverages", "contact_name": "Sales desk", "phone": "+263 242 700 000",
         "email": "orders@delta.example", "address": "Southerton, Harare", "tin": "2000123456",
         "payment_terms_days": 30, "lead_time_days": 2, "notes": "Delivers Tuesdays"}


def test_create_read_edit_and_archive_a_supplier(hub):
    manager = hub.as_user("manager")
    before = mark(hub)
    r = manager.post("/api/v1/suppliers", json=DELTA)
    assert r.status_code == 201, r.text
    supplier = r.json()
    assert {k: supplier[k] for k in DELTA} == DELTA and supplier["version"] == 1
    [change] = changes_since(hub, before)
    assert (change["entity"], change["entity_id"], change["data"]["lead_time_days"]) == ("supplier", supplier["id"], 2)
    one_audit(hub, before, "supplier.created", r.headers["x-request-id"])
    assert hub.as_user("supervisor").get(f"/api/v1/suppliers/{supplier['id']}").json() == supplier

    before = mark(hub)
    r = manager.patch(f"/api/v1/suppliers/{supplier['id']}", json={"payment_terms_days": 14, "notes": ""})
    assert r.status_code == 200 and (r.json()["payment_terms_days"], r.json()["notes"], r.json()["version"]) == (14, "", 2)
    one_audit(hub, before, "supplier.updated", r.headers["x-request-id"])
    before = mark(hub)
    r = manager.patch(f"/api/v1/suppliers/{supplier['id']}", json={"active": False})
    one_audit(hub, before, "supplier.archived", r.headers["x-request-id"])
    assert manager.get("/api/v1/suppliers", params={"active": "true"}).json()["items"] == []
    assert manager.get("/api/v1/suppliers/nope").status_code == 404


@pytest.mark.parametrize(("body", "status", "field"), [
    ({}, 400, "name"),
    ({"name": "  "}, 422, "name"),
    ({"name": "X", "email": "not-an-address"}, 400, "email"),
    ({"name": "X", "tin": "12345"}, 400, "tin"),
    ({"name": "X", "payment_terms_days": 366}, 400, "payment_terms_days"),
    ({"name": "X", "lead_time_days": -1}, 400, "lead_time_days"),
    ({"name": "X", "notes": "n" * 2001}, 400, "notes"),
    ({"name": "X", "rating": 5}, 400, "rating"),
])
def test_a_refused_supplier_names_the_field_and_changes_nothing(hub, body, status, field):
    manager = hub.as_user("manager")
    before = mark(hub)
    r = manager.post("/api/v1/suppliers", json=body)
    assert r.status_code == status and field in errors_of(r), r.text
    assert wrote_nothing(hub, before)


def test_search_by_name_and_page_by_name(hub):
    manager = hub.as_user("manager")
    for name in ("Olivine Industries", "delta Beverages", "Dairibord", "National Foods", "Lobels Bread"):
        assert manager.post("/api/v1/suppliers", json={"name": name}).status_code == 201
    search = lambda q: [s["name"] for s in manager.get("/api/v1/suppliers", params={"q": q}).json()["items"]]  # noqa: E731
    assert search("BREAD") == ["Lobels Bread"]
    assert search("oo") == ["National Foods"]
    assert search("de") == ["delta Beverages"]
    names, after = [], None
    while True:
        page = manager.get("/api/v1/suppliers", params={"limit": 2, **({"after": after} if after else {})}).json()
        names += [s["name"] for s in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert names == ["Dairibord", "delta Beverages", "Lobels Bread", "National Foods", "Olivine Industries"]


def test_suppliers_stay_the_stores_own_after_enrolment(hub):
    manager = hub.as_user("manager")
    enrol(hub)
    supplier = manager.post("/api/v1/suppliers", json={"name": "Local Farm"})
    assert supplier.status_code == 201
    assert manager.patch(f"/api/v1/suppliers/{supplier.json()['id']}", json={"name": "Local Farm Co"}).status_code == 200
