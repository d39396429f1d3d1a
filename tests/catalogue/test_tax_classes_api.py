"""/api/v1/tax-classes over real HTTP: the seeded VAT history, the rate in force at a moment,
rates that are only ever added (never in the past, never edited), archive rules, ownership."""

from __future__ import annotations

import sqlite3

import pytest

from tests.catalogue.reference import changes_since, enrol, errors_of, mark, one_audit, wrote_nothing


def by_code(client) -> dict[str, dict]:
    return {c["code"]: c for c in client.get("/api/v1/tax-classes").json()["items"]}


def rate_at(client, class_id, at=None):
    r = client.get(f"/api/v1/tax-classes/{class_id}/rates/current", params={"at": at} if at else {})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_new_store_has_vat_with_its_history_zero_rated_and_exempt_and_no_zimra_ids(hub):
    classes = by_code(hub.as_user("supervisor"))
    assert list(classes) == ["EXEMPT", "VAT", "ZERO"]
    vat = classes["VAT"]
    assert [(r["rate_bp"], r["effective_from"], r["status"]) for r in vat["rates"]] == [
        (1500, "2022-12-31T22:00:00.000000Z", "superseded"),  # 15 % from 1 January 2023, Harare time
        (1550, "2025-12-31T22:00:00.000000Z", "in_force")]   # 15.5 % from 1 January 2026
    assert vat["rate_bp"] == 1550 and vat["exempt"] is False
    assert (classes["ZERO"]["rate_bp"], classes["ZERO"]["exempt"]) == (0, False)
    assert (classes["EXEMPT"]["rate_bp"], classes["EXEMPT"]["rates"], classes["EXEMPT"]["exempt"]) == (None, [], True)
    assert {c["zimra_tax_id"] for c in classes.values()} == {None}


def test_the_rate_in_force_at_a_moment(hub):
    supervisor = hub.as_user("supervisor")
    classes = by_code(supervisor)
    vat = classes["VAT"]["id"]
    assert rate_at(supervisor, vat, "2025-12-31T23:59:59+02:00")["rate_bp"] == 1500
    at_midnight = rate_at(supervisor, vat, "2026-01-01T00:00:00+02:00")
    assert (at_midnight["rate_bp"], at_midnight["effective_from"]) == (1550, "2025-12-31T22:00:00.000000Z")
    assert rate_at(supervisor, vat, "2022-06-01T00:00:00Z")["rate_bp"] is None  # nothing had started
    assert rate_at(supervisor, vat)["rate_bp"] == 1550
    exempt = rate_at(supervisor, classes["EXEMPT"]["id"])
    assert (exempt["exempt"], exempt["rate_bp"]) == (True, None)
    r = supervisor.get(f"/api/v1/tax-classes/{vat}/rates/current", params={"at": "2026-01-01"})
    assert r.status_code == 422 and "at" in errors_of(r)
    assert supervisor.get("/api/v1/tax-classes/nope/rates/current").status_code == 404


def test_a_scheduled_rate_is_added_to_the_history_and_published_with_the_class(hub):
    admin = hub.as_user("admin")
    vat = by_code(admin)["VAT"]
    before = mark(hub)
    r = admin.post(f"/api/v1/tax-classes/{vat['id']}/rates",
                   json={"rate_bp": 1600, "effective_from": "2090-01-01T00:00:00+02:00"})
    assert r.status_code == 201, r.text
    updated = r.json()
    assert updated["rate_bp"] == 1550 and updated["version"] == vat["version"] + 1
    assert [(x["rate_bp"], x["status"]) for x in updated["rates"]][-1] == (1600, "scheduled")
    [change] = changes_since(hub, before)
    assert (change["entity"], change["entity_id"], change["version"]) == ("tax_class", vat["id"], vat["version"] + 1)
    assert [x["rate_bp"] for x in change["data"]["rates"]] == [1500, 1550, 1600]
    entry = one_audit(hub, before, "tax_class.rate_added", r.headers["x-request-id"])
    assert entry["summary"]["after"] == {"rate_bp": 1600, "effective_from": "2089-12-31T22:00:00.000000Z"}
    assert rate_at(admin, vat["id"], "2090-01-01T00:00:00+02:00")["rate_bp"] == 1600
    assert rate_at(admin, vat["id"])["rate_bp"] == 1550


def test_a_rate_without_a_start_is_in_force_at_once(hub):
    admin = hub.as_user("admin")
    zero = by_code(admin)["ZERO"]
    r = admin.post(f"/api/v1/tax-classes/{zero['id']}/rates", json={"rate_bp": 500})
    assert r.status_code == 201 and r.json()["rate_bp"] == 500
    assert [x["status"] for x in r.json()["rates"]] == ["superseded", "in_force"]


@pytest.mark.parametrize(("code", "body", "status", "field"), [
    ("VAT", {"rate_bp": 1600, "effective_from": "2001-01-01T00:00:00Z"}, 422, "effective_from"),  # the past
    ("VAT", {"rate_bp": 1600, "effective_from": "2022-12-31T22:00:00Z"}, 422, "effective_from"),
    ("VAT", {"rate_bp": 1600, "effective_from": "2090-01-01"}, 422, "effective_from"),
    ("VAT", {"rate_bp": 10001}, 400, "rate_bp"),
    ("VAT", {"rate_bp": -1}, 400, "rate_bp"),
    ("VAT", {"rate_bp": 15.5}, 400, "rate_bp"),
    ("VAT", {}, 400, "rate_bp"),
    ("EXEMPT", {"rate_bp": 0}, 409, "rate_bp"),
])
def test_a_refused_rate_names_the_field_and_changes_nothing(hub, code, body, status, field):
    admin = hub.as_user("admin")
    tax_class = by_code(admin)[code]
    before = mark(hub)
    r = admin.post(f"/api/v1/tax-classes/{tax_class['id']}/rates", json=body)
    assert r.status_code == status and field in errors_of(r), r.text
    assert wrote_nothing(hub, before)
    assert by_code(admin)[code]["rates"] == tax_class["rates"]


def test_two_rates_never_start_together(hub):
    admin = hub.as_user("admin")
    vat = by_code(admin)["VAT"]["id"]
    body = {"rate_bp": 1600, "effective_from": "2090-01-01T00:00:00Z"}
    assert admin.post(f"/api/v1/tax-classes/{vat}/rates", json=body).status_code == 201
    before = mark(hub)
    r = admin.post(f"/api/v1/tax-classes/{vat}/rates", json={**body, "rate_bp": 1700})
    assert r.status_code == 409 and r.json()["code"] == "tax_rate_exists" and "effective_from" in errors_of(r)
    assert wrote_nothing(hub, before)


def test_create_a_class_with_its_first_rate_then_edit_and_archive_it(hub):
    admin = hub.as_user("admin")
    before = mark(hub)
    r = admin.post("/api/v1/tax-classes", json={"code": "lux", "name": "Luxury", "rate_bp": 2500,
                                                 "effective_from": "2024-01-01T00:00:00Z"})
    assert r.status_code == 201, r.text
    lux = r.json()
    assert (lux["rate_bp"], lux["zimra_tax_id"], len(lux["rates"])) == (2500, None, 1)
    assert [c["entity"] for c in changes_since(hub, before)] == ["tax_class"]
    one_audit(hub, before, "tax_class.created", r.headers["x-request-id"])
    before = mark(hub)
    r = admin.patch(f"/api/v1/tax-classes/{lux['id']}", json={"name": "Luxury goods"})
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["rates"] == lux["rates"]
    one_audit(hub, before, "tax_class.updated", r.headers["x-request-id"])
    r = admin.patch(f"/api/v1/tax-classes/{lux['id']}", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert [c["code"] for c in admin.get("/api/v1/tax-classes", params={"active": "false"}).json()["items"]] == ["lux"]


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"code": "vat", "name": "Again"}, 409, "code"),
    ({"code": "NIL", "name": "Nil", "exempt": True, "rate_bp": 0}, 422, "rate_bp"),
    ({"code": "NIL", "name": "Nil", "effective_from": "2026-01-01T00:00:00Z"}, 422, "effective_from"),
    ({"code": "NIL", "name": "Nil", "rate_bp": 1500, "effective_from": "tomorrow"}, 422, "effective_from"),
    ({"code": "N I L", "name": "Nil"}, 400, "code"),
    ({"code": "NIL", "name": "Nil", "zimra_tax_id": 517}, 400, "zimra_tax_id"),  # the fiscal issue maps it
])
def test_a_refused_class_names_the_field_and_changes_nothing(hub, body, status, field):
    admin = hub.as_user("admin")
    before = mark(hub)
    r = admin.post("/api/v1/tax-classes", json=body)
    assert r.status_code == status and field in errors_of(r), r.text
    assert wrote_nothing(hub, before)


def test_a_class_active_products_use_stays_active(hub):
    admin = hub.as_user("admin")
    vat = by_code(admin)["VAT"]["id"]
    conn = sqlite3.connect(hub.db_path)
    with conn:
        unit = conn.execute("SELECT id FROM units WHERE code = 'each'").fetchone()[0]
        conn.execute("INSERT INTO products (id, sku, name, unit_id, tax_class_id, created_at, updated_at)"
                     " VALUES ('p1', 'P1', 'Bread', ?, ?, 'x', 'x')", (unit, vat))
    conn.close()
    before = mark(hub)
    r = admin.patch(f"/api/v1/tax-classes/{vat}", json={"active": False})
    assert r.status_code == 409 and r.json()["code"] == "tax_class_in_use" and "active" in errors_of(r)
    assert wrote_nothing(hub, before)


def test_list_filters_searches_and_pages(hub):
    admin = hub.as_user("admin")
    codes = lambda **p: [c["code"] for c in admin.get("/api/v1/tax-classes", params=p).json()["items"]]  # noqa: E731
    assert codes(exempt="true") == ["EXEMPT"]
    assert codes(exempt="false") == ["VAT", "ZERO"]
    assert codes(q="zero") == ["ZERO"]
    first = admin.get("/api/v1/tax-classes", params={"limit": 2}).json()
    assert [c["code"] for c in first["items"]] == ["EXEMPT", "VAT"]
    assert codes(limit=2, after=first["next_after"]) == ["ZERO"]


def test_once_enrolled_rates_and_names_are_hqs(hub):
    admin = hub.as_user("admin")
    vat = by_code(admin)["VAT"]["id"]
    enrol(hub)
    before = mark(hub)
    r = admin.post(f"/api/v1/tax-classes/{vat}/rates", json={"rate_bp": 1600})
    assert r.status_code == 409 and r.json()["code"] == "hq_owned" and r.json()["fields"] == ["rates"]
    r = admin.patch(f"/api/v1/tax-classes/{vat}", json={"name": "Standard"})
    assert r.status_code == 409 and r.json()["fields"] == ["name"]
    assert admin.post("/api/v1/tax-classes", json={"code": "NEW", "name": "New"}).status_code == 409
    assert wrote_nothing(hub, before)
