"""Purchase orders and goods receipts in headless Chromium against a running hub: a manager makes
an order from the reorder suggestions, sends it, receives part of it by a goods receipt counted in
packs, sees the order part-received and the stock up, then reverses the receipt and sees the stock
back; and the pages fit a phone."""

from __future__ import annotations

import re

import pytest

from tests.catalogue.fixtures import create, reference
from tests.portal.conftest import PHONE
from tests.portal.test_browser import heading, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def cola(hub):
    """2 on hand, low at 20, from Dairibord in cases of 12 at 0.40: two cases are suggested."""
    admin = hub.as_user("admin")
    ids = reference(admin)
    return create(admin, ids, name="Browser Cola 330ml", low_stock_threshold=20000,
                  opening_stock={"quantity": 2000, "unit_cost": 40},
                  suppliers=[{"supplier_id": ids["dairy"], "cost": 40, "currency": "USD", "pack_size": 12000,
                              "preferred": True}])


def on_hand(page, hub, name: str) -> str:
    page.goto(f"/stock?q={name}")
    return page.locator("table.stock-levels tbody tr").first.locator("td").nth(1).text_content().strip()


def test_a_manager_orders_from_suggestions_receives_part_in_packs_and_reverses_it(browse, hub, cola):
    page, _ = browse()
    sign_in(page, hub, "manager")
    page.locator("#sidebar nav").get_by_role("link", name="Reorder suggestions", exact=True).click()
    page.wait_for_url(hub.url + "/stock/reorder")
    assert heading(page) == "Reorder suggestions"
    row = page.locator("table.reorder tbody tr", has_text="Browser Cola 330ml")
    assert "2 packs of 12" in row.text_content()
    page.locator("section.reorder-supplier", has_text="Dairibord").get_by_role(
        "button", name="Create purchase order from suggestions").click()
    page.wait_for_url(re.compile(r".*/stock/purchase-orders/[^/]+$"))
    assert "drafted from the suggestions" in page.locator(".notice").first.text_content()
    assert page.locator(".order-status").text_content() == "Draft"
    order_url = page.url

    page.get_by_role("button", name="Mark sent").click()
    page.wait_for_url(order_url)
    assert page.locator(".order-status").text_content() == "Sent"
    assert "by manager" in page.locator("main").text_content()

    page.get_by_role("link", name="Receive goods").click()
    page.wait_for_url(re.compile(r".*/stock/receipts/new\?order_id=.*"))
    assert page.locator('[id="f-lines[0].code"]').input_value() == cola["sku"]
    assert page.locator('[id="f-lines[0].quantity"]').input_value() == "24"
    page.locator('[id="f-lines[0].quantity"]').fill("1")
    page.locator('[id="f-lines[0].entered_as"]').select_option("pack")
    page.get_by_label("Delivery note").fill("DN-4411")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r".*/stock/receipts/[^/]+$"))
    receipt_url = page.url
    line = page.locator("table.receipt-lines tbody tr").first.text_content()
    assert "12 each" in line and "1 pack of 12" in line and "Short" in line

    page.get_by_role("button", name="Post: put the goods in stock").click()
    page.wait_for_url(receipt_url)
    assert "its goods are in stock" in page.locator(".notice").first.text_content()
    page.goto(order_url)
    assert page.locator(".order-status").text_content() == "Part-received"
    assert on_hand(page, hub, "Browser Cola") == "14 each"

    page.goto(receipt_url)
    page.get_by_label("Reason").fill("Wrong flavour")
    page.get_by_role("button", name="Reverse receipt").click()
    page.wait_for_url(re.compile(r".*/stock/receipts/[^/]+$"))
    assert page.url != receipt_url and "Reversal of" in page.locator(".receipt-status").text_content()
    assert on_hand(page, hub, "Browser Cola") == "2 each"
    page.goto(order_url)
    assert page.locator(".order-status").text_content() == "Sent"


def test_the_purchasing_pages_fit_a_phone(browse, hub, cola):
    admin = hub.as_user("admin")
    ids = reference(admin)
    order = admin.post("/api/v1/inventory/purchase-orders", json={
        "supplier_id": ids["dairy"], "lines": [{"product_id": cola["id"], "quantity": 24000}]}).json()
    admin.post(f"/api/v1/inventory/purchase-orders/{order['id']}/send")
    receipt = admin.post("/api/v1/inventory/receipts", json={
        "supplier_id": ids["dairy"], "order_id": order["id"],
        "lines": [{"product_id": cola["id"], "quantity": 1000, "entered_as": "pack"}]}).json()
    page, _ = browse(PHONE)
    sign_in(page, hub, "manager")
    for path in ("/stock/reorder", "/stock/purchase-orders", f"/stock/purchase-orders/{order['id']}",
                 "/stock/receipts", f"/stock/receipts/{receipt['id']}", f"/stock/receipts/{receipt['id']}/edit",
                 f"/stock/receipts/new?order_id={order['id']}", "/stock/purchase-orders/new",
                 f"/stock/receipts/{receipt['id']}/print", f"/stock/purchase-orders/{order['id']}/print"):
        page.goto(path)
        assert page.locator("h1").first.is_visible(), path
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways on a phone ({width}px)"
