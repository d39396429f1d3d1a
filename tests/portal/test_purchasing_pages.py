"""Goods receipts, purchase orders and reorder suggestions in the portal over real HTTP: a refused
form keeps what was typed with the message beside its row, "Receive goods" prefills a receipt from
the order's outstanding lines, posting and reversing move stock, and the print views are plain."""

from __future__ import annotations

import re

import pytest

from hub.db.audit import Actor
from hub.inventory import Source, move
from tests.catalogue.fixtures import admin, create, ids, writing  # noqa: F401
from tests.inventory.test_receipts_api import level, no_differences
from tests.people import audit_entries
from tests.portal.client import Portal
from tests.portal.test_devices_pages import text_of


@pytest.fixture
def portal(hub):
    return Portal(hub)


@pytest.fixture
def milk(admin, ids):
    return create(admin, ids, name="Portal Milk 1l", low_stock_threshold=5000,
                  opening_stock={"quantity": 3000, "unit_cost": 40},
                  suppliers=[{"supplier_id": ids["dairy"], "cost": 40, "currency": "USD", "pack_size": 12000,
                              "preferred": True}])


def created_id(r, kind):
    assert r.status_code == 303, r.text
    found = re.fullmatch(rf"/stock/{kind}/([^/]+)", r.headers["location"])
    assert found, r.headers["location"]
    return found[1]


def test_a_refused_receipt_keeps_the_typed_rows_with_the_error_beside_the_row(hub, portal, ids, milk):
    token = portal.token("manager")
    seq = audit_entries(hub)[-1]["seq"]
    form = {"supplier_id": ids["dairy"], "lines[0].code": milk["sku"], "lines[0].quantity": "2",
            "lines[2].code": "NO-SUCH-SKU", "lines[2].quantity": "1", "lines[3].code": milk["sku"],
            "lines[3].quantity": "1.5"}
    r = portal.call("POST", "/stock/receipts", token, form)
    assert r.status_code == 422, r.text
    assert 'id="e-lines[2].code"' in r.text and 'id="e-lines[3].quantity"' in r.text  # the rows as typed
    assert 'value="NO-SUCH-SKU"' in r.text and "The goods receipt was not saved" in r.text
    assert audit_entries(hub, seq) == []
    r = portal.call("POST", "/stock/receipts", token, {**form, "lines[0].unit_cost": "0.4x"})
    assert r.status_code == 422 and 'id="e-lines[0].unit_cost"' in r.text


def test_an_order_is_received_in_packs_from_its_page_and_reversed(hub, portal, ids, milk):
    token = portal.token("manager")
    order_id = created_id(portal.call("POST", "/stock/purchase-orders", token, {
        "supplier_id": ids["dairy"], "lines[0].code": milk["sku"], "lines[0].quantity": "24"}), "purchase-orders")
    page = portal.call("GET", f"/stock/purchase-orders/{order_id}", token)
    assert "2 packs of 12" in text_of(page.text) and "Mark sent" in page.text
    assert portal.call("POST", f"/stock/purchase-orders/{order_id}/send", token).status_code == 303

    new = portal.call("GET", f"/stock/receipts/new?order_id={order_id}", token)
    assert new.status_code == 200 and f'value="{milk["sku"]}"' in new.text and 'value="24"' in new.text
    receipt_id = created_id(portal.call("POST", "/stock/receipts", token, {
        "supplier_id": ids["dairy"], "order_id": order_id, "lines[0].code": milk["sku"], "lines[0].quantity": "1",
        "lines[0].entered_as": "pack", "lines[0].unit_cost": ""}), "receipts")
    shown = text_of(portal.call("GET", f"/stock/receipts/{receipt_id}", token).text)
    assert "1 pack of 12" in shown and "Short" in shown
    assert portal.call("POST", f"/stock/receipts/{receipt_id}/post", token).status_code == 303
    assert level(hub, milk["id"])[0] == 15000
    assert "Part-received" in text_of(portal.call("GET", f"/stock/purchase-orders/{order_id}", token).text)

    printed = portal.call("GET", f"/stock/receipts/{receipt_id}/print", token)
    assert printed.status_code == 200 and 'class="purch-print"' in printed.text and "Goods received note" in printed.text
    assert "<script" not in printed.text and "style=" not in printed.text

    r = portal.call("POST", f"/stock/receipts/{receipt_id}/reverse", token, {"note": "damaged"})
    reversal_id = created_id(r, "receipts")
    assert reversal_id != receipt_id and level(hub, milk["id"])[0] == 3000
    again = portal.call("POST", f"/stock/receipts/{receipt_id}/reverse", token, {"note": "twice"})
    assert again.status_code == 409 and "was not reversed" in again.text
    assert "Sent" in text_of(portal.call("GET", f"/stock/purchase-orders/{order_id}", token).text)
    no_differences(hub)


def test_closing_needs_a_reason_beside_its_field(hub, portal, ids, milk):
    token = portal.token("manager")
    order_id = created_id(portal.call("POST", "/stock/purchase-orders", token, {
        "supplier_id": ids["dairy"], "lines[0].code": milk["sku"], "lines[0].quantity": "12"}), "purchase-orders")
    portal.call("POST", f"/stock/purchase-orders/{order_id}/send", token)
    r = portal.call("POST", f"/stock/purchase-orders/{order_id}/close", token, {"reason": " "})
    assert r.status_code == 422 and 'id="e-reason"' in r.text
    printed = portal.call("GET", f"/stock/purchase-orders/{order_id}/print", token)
    assert printed.status_code == 200 and "Purchase order PO-" in printed.text and "Dairibord" in printed.text


def test_reorder_suggestions_from_sales_become_a_draft_order(hub, portal, ids, milk):
    with writing(hub.db_path) as conn:
        move(conn, kind="sale", product_id=milk["id"], quantity=-2000, actor=Actor(username="till"),
             source=Source("sale", "s-1", 0))
    token = portal.token("manager")
    r = portal.call("GET", f"/stock/reorder?supplier={ids['dairy']}", token)
    assert r.status_code == 200 and "Portal Milk 1l" in r.text and "1 pack of 12" in text_of(r.text)
    none = portal.call("POST", "/stock/reorder", token, {"supplier_id": ids["dairy"], "days": "28", "review_days": "7"})
    assert none.status_code == 422 and "tick at least one product" in none.text
    order_id = created_id(portal.call("POST", "/stock/reorder", token, {
        "supplier_id": ids["dairy"], "days": "28", "review_days": "7", "product_id": milk["id"]}), "purchase-orders")
    assert "Draft" in text_of(portal.call("GET", f"/stock/purchase-orders/{order_id}", token).text)
    assert portal.call("GET", "/stock/reorder", portal.token("supervisor")).status_code == 403
