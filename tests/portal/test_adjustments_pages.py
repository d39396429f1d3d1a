"""The Adjustments and Supplier returns pages over real HTTP: a form of several lines with an
error beside each wrong input and nothing kept, posting at once or waiting for approval, approving
and rejecting from the adjustment's page (not one's own), the threshold form, and a supplier
return with its printable copy."""

from __future__ import annotations

import html
import re

import pytest

from tests.catalogue.fixtures import admin, create, ean13, ids  # noqa: F401
from tests.people import audit_entries
from tests.portal.client import Portal


_cases = iter(range(1, 10**6))


@pytest.fixture
def portal(hub):
    return Portal(hub)


def on_hand(admin, product_id):  # noqa: F811
    return admin.get(f"/api/v1/inventory/levels/{product_id}").json()["on_hand"]


def made(admin, ids, cost=150, quantity=10000):  # noqa: F811
    return create(admin, ids, opening_stock={"quantity": quantity, "unit_cost": cost})


def doc_id(response) -> str:
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def test_a_clerk_records_damage_on_two_products_at_once(hub, portal, admin, ids):  # noqa: F811
    bread, milk = made(admin, ids), made(admin, ids, cost=90)
    token = portal.token("supervisor")
    assert portal.call("GET", "/stock/adjustments/new", token).status_code == 200
    seq = audit_entries(hub)[-1]["seq"]
    r = portal.call("POST", "/stock/adjustments", token, {
        "reason_code": "damaged", "note": "Roof leak", "action": "post",
        "lines[0].code": bread["sku"], "lines[0].quantity": "-2",
        "lines[1].code": milk["barcodes"][0]["code"], "lines[1].quantity": "-1"})
    adjustment = doc_id(r)
    assert on_hand(admin, bread["id"]) == 8000 and on_hand(admin, milk["id"]) == 9000
    assert [e["action"] for e in audit_entries(hub, seq)] == ["adjustment.posted"]
    page = portal.call("GET", f"/stock/adjustments/{adjustment}", token).text
    assert "Posted" in page and bread["name"] in page and "Roof leak" in page


def test_a_pack_barcode_counts_packs_of_its_size(hub, portal, admin, ids):  # noqa: F811
    case = ean13(f"7{next(_cases):011d}")
    soap = create(admin, ids, opening_stock={"quantity": 100000, "unit_cost": 50},
                  barcodes=[{"code": ean13(f"8{next(_cases):011d}")}, {"code": case, "pack_quantity": 12000}])
    token = portal.token("supervisor")
    doc_id(portal.call("POST", "/stock/adjustments", token, {
        "reason_code": "damaged", "action": "post", "lines[0].code": case, "lines[0].quantity": "-2",
        "lines[1].code": soap["barcodes"][0]["code"], "lines[1].quantity": "-1"}))
    assert on_hand(admin, soap["id"]) == 100000 - 24000 - 1000
    doc_id(portal.call("POST", "/stock/adjustments", token, {  # half a case: six, a whole number of each
        "reason_code": "damaged", "action": "post", "lines[0].code": case, "lines[0].quantity": "-0.5"}))
    assert on_hand(admin, soap["id"]) == 100000 - 24000 - 1000 - 6000
    back = portal.call("POST", "/stock/supplier-returns", portal.token("manager"), {
        "supplier_id": ids["dairy"], "reason_code": "damaged", "lines[0].code": case, "lines[0].quantity": "1"})
    assert back.status_code == 303, back.text
    assert on_hand(admin, soap["id"]) == 100000 - 24000 - 1000 - 6000 - 12000


def test_wrong_lines_are_named_beside_their_inputs_and_nothing_is_kept(hub, portal, admin, ids):  # noqa: F811
    bread = made(admin, ids)
    token = portal.token("supervisor")
    seq = audit_entries(hub)[-1]["seq"]
    r = portal.call("POST", "/stock/adjustments", token, {
        "reason_code": "", "action": "post",
        "lines[0].code": bread["sku"], "lines[0].quantity": "-1.5", "lines[0].reason_code": "damaged",
        "lines[2].code": "NO-SUCH-SKU", "lines[2].quantity": "-1",
        "lines[3].code": bread["sku"], "lines[3].quantity": "two"})
    assert r.status_code == 422
    text = html.unescape(r.text)
    assert re.search(r'id="e-lines-0-quantity">Must be a whole number of each', text)
    assert re.search(r'id="e-lines-2-code">No product has the SKU or barcode NO-SUCH-SKU', text)
    assert re.search(r'id="e-lines-3-quantity">Must be a number', text)
    assert 'value="NO-SUCH-SKU"' in text  # what was typed is kept
    assert audit_entries(hub, seq) == [] and on_hand(admin, bread["id"]) == 10000


def test_a_big_theft_waits_and_only_someone_else_may_approve_it(hub, portal, admin, ids):  # noqa: F811
    phone = made(admin, ids, cost=25000)
    clerk, manager = portal.token("supervisor"), portal.token("manager")
    r = portal.call("POST", "/stock/adjustments", clerk, {
        "reason_code": "theft", "action": "post", "lines[0].code": phone["sku"], "lines[0].quantity": "-3"})
    adjustment = doc_id(r)
    assert on_hand(admin, phone["id"]) == 10000
    listing = portal.call("GET", "/stock/adjustments", manager).text
    assert 'class="attention"' in listing and "wait" in listing
    page = portal.call("GET", f"/stock/adjustments/{adjustment}", clerk).text
    assert "Approve</button>" not in page and "Waiting for approval" in page
    refused = portal.call("POST", f"/stock/adjustments/{adjustment}/reject", manager, {"reason": ""})
    assert refused.status_code == 422 and 'id="e-reason"' in refused.text
    r = portal.call("POST", f"/stock/adjustments/{adjustment}/approve", manager, {"note": "Police 12"})
    assert r.status_code == 303
    assert on_hand(admin, phone["id"]) == 7000
    assert "Approved by" in portal.call("GET", f"/stock/adjustments/{adjustment}", manager).text


def test_the_creator_is_told_why_they_cannot_approve(hub, portal, admin, ids):  # noqa: F811
    tv = made(admin, ids, cost=100000)
    manager = portal.token("manager")
    adjustment = doc_id(portal.call("POST", "/stock/adjustments", manager, {
        "reason_code": "correction", "action": "post", "lines[0].code": tv["sku"], "lines[0].quantity": "-1"}))
    r = portal.call("POST", f"/stock/adjustments/{adjustment}/approve", manager, {"note": ""})
    assert r.status_code == 403 and 'id="e-decision"' in r.text and "someone else" in r.text
    assert on_hand(admin, tv["id"]) == 10000


def test_a_draft_posts_later_and_the_threshold_is_set_on_the_list(hub, portal, admin, ids):  # noqa: F811
    item = made(admin, ids, cost=100)
    token = portal.token("admin")
    r = portal.call("POST", "/stock/adjustments/threshold", token, {"approval_threshold": "2.50"})
    assert r.status_code == 303
    assert admin.get("/api/v1/settings/adjustments").json()["approval_threshold"] == 250
    assert portal.call("POST", "/stock/adjustments/threshold", portal.token("supervisor"),
                       {"approval_threshold": "1"}).status_code == 403
    draft = doc_id(portal.call("POST", "/stock/adjustments", token, {
        "reason_code": "found", "action": "draft", "lines[0].code": item["sku"], "lines[0].quantity": "2",
        "lines[0].unit_cost": "1.20"}))
    assert on_hand(admin, item["id"]) == 10000
    assert portal.call("POST", f"/stock/adjustments/{draft}/post", token).status_code == 303
    assert on_hand(admin, item["id"]) == 12000


def test_a_refused_threshold_is_shown_beside_its_input_and_nothing_changes(hub, portal, admin, ids):  # noqa: F811
    token = portal.token("admin")
    seq = audit_entries(hub)[-1]["seq"]
    for typed, status, said in (("fifty", 422, "Must be"), ("1.234", 422, "Has at most 2 decimals")):
        r = portal.call("POST", "/stock/adjustments/threshold", token, {"approval_threshold": typed})
        assert r.status_code == status, r.text
        text = html.unescape(r.text)
        assert re.search(rf'id="e-approval_threshold">{said}', text), text[-3000:]
        assert f'value="{typed}"' in text and "The threshold was not changed" in text  # typed value kept
    assert admin.get("/api/v1/settings/adjustments").json()["approval_threshold"] == 5000
    assert audit_entries(hub, seq) == []


def test_a_supplier_return_posts_and_prints(hub, portal, admin, ids):  # noqa: F811
    yoghurt = made(admin, ids, cost=80)
    token = portal.token("supervisor")
    assert ids["dairy"] in portal.call("GET", "/stock/supplier-returns/new", token).text
    bad = portal.call("POST", "/stock/supplier-returns", token, {
        "supplier_id": ids["dairy"], "reason_code": "expired", "lines[0].code": yoghurt["sku"],
        "lines[0].quantity": "-4"})
    assert bad.status_code == 422 and 'id="e-lines-0-quantity"' in bad.text
    assert on_hand(admin, yoghurt["id"]) == 10000
    r = portal.call("POST", "/stock/supplier-returns", token, {
        "supplier_id": ids["dairy"], "reason_code": "expired", "goods_receipt_ref": "GRN-77",
        "lines[0].code": yoghurt["sku"], "lines[0].quantity": "4"})
    returned = doc_id(r)
    assert on_hand(admin, yoghurt["id"]) == 6000
    printed = portal.call("GET", f"/stock/supplier-returns/{returned}/print", token)
    assert printed.status_code == 200 and "GRN-77" in printed.text and "Dairibord" in printed.text
    assert "Driver" in printed.text and 'class="sidebar' not in printed.text
    assert "Return 1" in portal.call("GET", "/stock/supplier-returns", token).text or "Return" in printed.text


def test_a_draft_is_edited_on_its_form_and_discarded_from_its_page(hub, portal, admin, ids):  # noqa: F811
    bread, milk = made(admin, ids), made(admin, ids, cost=90)
    token = portal.token("supervisor")
    draft = doc_id(portal.call("POST", "/stock/adjustments", token, {
        "reason_code": "damaged", "note": "Crate", "action": "draft",
        "lines[0].code": bread["sku"], "lines[0].quantity": "-2"}))
    page = portal.call("GET", f"/stock/adjustments/{draft}", token).text
    assert f'href="/stock/adjustments/{draft}/edit"' in page and "Discard draft</button>" in page
    form = portal.call("GET", f"/stock/adjustments/{draft}/edit", token)
    assert form.status_code == 200
    assert f'value="{bread["sku"]}"' in form.text and 'value="-2"' in form.text and "Crate" in form.text

    seq = audit_entries(hub)[-1]["seq"]
    refused = portal.call("POST", f"/stock/adjustments/{draft}/edit", token, {
        "reason_code": "damaged", "note": "Crate and a bottle",
        "lines[0].code": bread["sku"], "lines[0].quantity": "-2", "lines[1].code": milk["sku"],
        "lines[1].quantity": "3"})  # damage adds nothing
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert re.search(r'id="e-lines-1-quantity">Damaged is a decrease', text)
    assert "Crate and a bottle" in text and "The draft was not saved" in text
    assert audit_entries(hub, seq) == []
    r = portal.call("POST", f"/stock/adjustments/{draft}/edit", token, {
        "reason_code": "damaged", "note": "Crate and a bottle",
        "lines[0].code": bread["sku"], "lines[0].quantity": "-2", "lines[1].code": milk["sku"],
        "lines[1].quantity": "-3"})
    assert doc_id(r) == draft
    assert [e["action"] for e in audit_entries(hub, seq)] == ["adjustment.updated"]
    doc = admin.get(f"/api/v1/inventory/adjustments/{draft}").json()
    assert (doc["status"], doc["note"], [ln["quantity"] for ln in doc["lines"]]) == (
        "draft", "Crate and a bottle", [-2000, -3000])
    assert on_hand(admin, bread["id"]) == 10000 and on_hand(admin, milk["id"]) == 10000

    r = portal.call("POST", f"/stock/adjustments/{draft}/discard", token, {"reason": "Counted twice"})
    assert r.status_code == 303
    page = html.unescape(portal.call("GET", f"/stock/adjustments/{draft}", token).text)
    assert "Discarded by" in page and "Counted twice" in page and "Discard draft</button>" not in page
    assert on_hand(admin, bread["id"]) == 10000
    listing = portal.call("GET", "/stock/adjustments?status=discarded", token).text
    assert f"/stock/adjustments/{draft}" in listing
    again = portal.call("POST", f"/stock/adjustments/{draft}/discard", token, {"reason": ""})
    assert again.status_code == 409 and 'id="e-decision"' in again.text
    late = portal.call("POST", f"/stock/adjustments/{draft}/edit", token, {
        "lines[0].code": bread["sku"], "lines[0].quantity": "-1", "reason_code": "damaged"})
    assert late.status_code == 409 and "not a draft" in late.text
    gone = portal.call("GET", f"/stock/adjustments/{draft}/edit", token)
    assert gone.status_code == 303
