"""Bulk price changes: the preview is exactly what apply writes, one audit entry per call, each
price through history and the label queue."""

from __future__ import annotations

import json

from tests.catalogue.fixtures import admin, create, enrol, field_errors, ids, rows  # noqa: F401
from tests.people import audit_entries


def test_preview_lists_old_and_new_and_apply_writes_exactly_that(hub, ids, admin):
    white = create(admin, ids, name="White", category_id=ids["bread"], prices={"USD": 100, "ZWG": 2650})
    cake = create(admin, ids, name="Cake", category_id=ids["bakery"], prices={"USD": 333})
    create(admin, ids, name="Milk", category_id=ids["drinks"], prices={"USD": 100})
    rule = {"select": {"category_id": ids["food"]}, "currencies": ["USD", "ZWG"], "percent_bp": 750,
            "round_step": {"USD": 5, "ZWG": 10}, "reason": "fuel levy"}
    before = rows(hub.db_path, "SELECT count(*) AS n FROM price_history")
    preview = admin.post("/api/v1/products/bulk-price/preview", json=rule)
    assert preview.status_code == 200, preview.text
    assert rows(hub.db_path, "SELECT count(*) AS n FROM price_history") == before  # a preview writes nothing
    got = {(i["sku"], i["currency"]): (i["old_price"], i["new_price"]) for i in preview.json()["items"]}
    # 100 + 7.5 % = 107.5 -> 108 (half away from zero) -> 110 (step 5, half away from zero);
    # 333 + 24.975 -> 358 -> 360; 2650 + 198.75 -> 2849 -> 2850.
    assert got == {(white["sku"], "USD"): (100, 110), (white["sku"], "ZWG"): (2650, 2850),
                   (cake["sku"], "USD"): (333, 360)}
    assert preview.json()["skipped"] == [{"product_id": cake["id"], "sku": cake["sku"], "name": "Cake",
                                          "currency": "ZWG", "reason": "no price in ZWG"}]
    assert preview.json()["products"] == 2 and not preview.json()["applied"]
    seq = audit_entries(hub)[-1]["seq"]
    applied = admin.post("/api/v1/products/bulk-price/apply", json=rule)
    assert applied.status_code == 200, applied.text
    assert {k: v for k, v in applied.json().items() if k != "applied"} == {
        k: v for k, v in preview.json().items() if k != "applied"}
    [entry] = audit_entries(hub, seq)
    detail = json.loads(entry["summary"])["detail"]
    assert entry["action"] == "product.bulk_price_changed" and (detail["products"], detail["changes"]) == (2, 3)
    shown = admin.get(f"/api/v1/products/{white['id']}").json()
    assert shown["prices"] == {"USD": 110, "ZWG": 2850} and shown["version"] == 2  # one bump for both
    assert {(h["source"], h["reason"]) for h in shown["recent_price_history"][:2]} == {("bulk", "fuel levy")}
    assert shown["label_queued_at"] is not None


def test_fixed_amounts_by_supplier_or_ids_and_prices_that_would_go_negative(hub, ids, admin):
    a = create(admin, ids, prices={"USD": 30}, suppliers=[{"supplier_id": ids["dairy"]}])
    b = create(admin, ids, prices={"USD": 500}, suppliers=[{"supplier_id": ids["dairy"]}])
    create(admin, ids, prices={"USD": 500})
    rule = {"select": {"supplier_id": ids["dairy"]}, "amounts": {"USD": -50}}
    result = admin.post("/api/v1/products/bulk-price/apply", json=rule).json()
    assert [(i["sku"], i["new_price"]) for i in result["items"]] == [(b["sku"], 450)]
    assert [s["sku"] for s in result["skipped"]] == [a["sku"]] and "below zero" in result["skipped"][0]["reason"]
    result = admin.post("/api/v1/products/bulk-price/preview",
                        json={"select": {"product_ids": [a["id"]]}, "amounts": {"USD": 20}}).json()
    assert [(i["old_price"], i["new_price"]) for i in result["items"]] == [(30, 50)]


def test_a_rule_that_cannot_work_is_refused_by_field(hub, ids, admin):
    r = admin.post("/api/v1/products/bulk-price/preview", json={"select": {}, "percent_bp": 100})
    assert r.status_code == 422 and {"select", "currencies"} <= set(field_errors(r))
    r = admin.post("/api/v1/products/bulk-price/preview",
                   json={"select": {"category_id": "nope"}, "amounts": {"XXX": 1}, "percent_bp": 5})
    assert {"select.category_id", "amounts.XXX", "percent_bp"} <= set(field_errors(r))
    assert hub.as_user("supervisor").post("/api/v1/products/bulk-price/preview",
                                          json={"select": {}, "percent_bp": 1}).status_code == 403


def test_once_enrolled_a_bulk_change_sets_the_stores_overrides(hub, ids, admin):
    product = create(admin, ids, prices={"USD": 200})
    enrol(hub.db_path)
    result = admin.post("/api/v1/products/bulk-price/apply",
                        json={"select": {"product_ids": [product["id"]]}, "currencies": ["USD"], "percent_bp": -1000}).json()
    assert [(i["field"], i["old_price"], i["new_price"]) for i in result["items"]] == [("override_price", 200, 180)]
    shown = admin.get(f"/api/v1/products/{product['id']}").json()
    assert shown["prices"] == {"USD": 200} and shown["effective_prices"] == {"USD": 180}
