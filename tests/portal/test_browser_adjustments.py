"""Adjustments and supplier returns in headless Chromium against a running hub: a clerk (a role
holding inventory.adjust) records damage on two products and sees stock drop on /stock; a big
theft waits until the manager approves it; a draft is edited, then discarded; a supplier return
with a wrong quantity shows the error beside it, then posts and prints; the threshold refused
beside its input; and the pages fit a phone."""

from __future__ import annotations

import pytest

from tests.catalogue.fixtures import create, reference
from tests.portal.conftest import PHONE
from tests.portal.test_browser import heading, sign_in

pytestmark = pytest.mark.browser
CLERK_PASSWORD = "clerk-password-1"


@pytest.fixture
def shop(hub):
    """Bread and milk (cheap), phones (dear), and a clerk whose role may adjust and receive stock."""
    admin = hub.as_user("admin")
    ids = reference(admin)
    made = {
        "bread": create(admin, ids, name="Adjust Bread 700g", opening_stock={"quantity": 10000, "unit_cost": 90}),
        "milk": create(admin, ids, name="Adjust Milk 1l", opening_stock={"quantity": 10000, "unit_cost": 110}),
        "phone": create(admin, ids, name="Adjust Phone X1", opening_stock={"quantity": 10000, "unit_cost": 25000}),
        "ids": ids,
    }
    role = admin.post("/api/v1/roles", json={"name": "Stock clerk", "permissions": [
        "inventory.view", "inventory.adjust", "inventory.receive"]})
    assert role.status_code == 201, role.text
    user = admin.post("/api/v1/users", json={"username": "clerk", "display_name": "Stock Clerk",
                                             "role_id": role.json()["id"], "password": CLERK_PASSWORD})
    assert user.status_code == 201, user.text
    return made


def on_hand_row(page, name: str) -> str:
    page.goto("/stock?q=Adjust")
    return page.locator("table.stock-levels tbody tr", has_text=name).text_content()


def line(page, i: int, field: str):
    return page.locator(f'[id="f-lines[{i}].{field}"]')


def one_line(page, hub, reason: str, code: str, quantity: str, button: str) -> str:
    """A new adjustment of one line, sent with `button`; the path of its page."""
    page.goto("/stock/adjustments/new")
    page.get_by_label("Reason for every line").select_option(label=reason)
    line(page, 0, "code").fill(code)
    line(page, 0, "quantity").fill(quantity)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(hub.url + "/stock/adjustments/*")
    return page.url.removeprefix(hub.url)


def test_damage_theft_approval_and_a_supplier_return(browse, hub, shop):
    page, watch = browse()
    sign_in(page, hub, "clerk", CLERK_PASSWORD)
    assert "Adjust Bread 700g" in on_hand_row(page, "Bread") and "10 each" in on_hand_row(page, "Bread")

    # Damage on two products: one line by SKU, one by barcode; it posts at once.
    page.locator("#sidebar nav").get_by_role("link", name="Adjustments", exact=True).click()
    page.wait_for_url(hub.url + "/stock/adjustments")
    page.get_by_role("link", name="New adjustment").click()
    assert heading(page) == "New adjustment"
    page.get_by_label("Reason for every line").select_option(label="Damaged")
    page.get_by_label("Note").fill("Crate dropped")
    line(page, 0, "code").fill(shop["bread"]["sku"])
    line(page, 0, "quantity").fill("-2")
    line(page, 1, "code").fill(shop["milk"]["barcodes"][0]["code"])
    line(page, 1, "quantity").fill("-1")
    page.get_by_role("button", name="Post adjustment").click()
    page.wait_for_url(hub.url + "/stock/adjustments/*")
    assert "posted: stock moved" in page.locator(".notice").first.text_content()
    assert "8 each" in on_hand_row(page, "Bread") and "9 each" in on_hand_row(page, "Milk")

    # A theft worth 750.00 at cost waits for approval: nothing moves.
    one_line(page, hub, "Theft or loss", shop["phone"]["sku"], "-3", "Post adjustment")
    theft = page.url
    assert "waiting for approval" in page.locator(".notice").first.text_content()
    assert page.get_by_role("button", name="Approve").count() == 0
    assert "10 each" in on_hand_row(page, "Phone")

    # The manager sees it marked, approves it, and the phones leave stock.
    manager, _ = browse()
    sign_in(manager, hub, "manager")
    manager.goto("/stock/adjustments")
    assert "wait" in manager.locator(".notice").first.text_content()
    marked = manager.locator("table.adjustments tbody tr.attention")
    assert marked.count() == 1 and "Waiting for approval" in marked.text_content()
    marked.get_by_role("link").click()
    manager.wait_for_url(theft)
    manager.get_by_label("Approval note").fill("Police report 4471")
    manager.get_by_role("button", name="Approve").click()
    manager.wait_for_url(theft)
    assert "approved: stock moved" in manager.locator(".notice").first.text_content()
    assert "Police report 4471" in manager.locator(".decision-note").text_content()
    assert "7 each" in on_hand_row(page, "Phone")

    # A supplier return with a wrong quantity: the error stands beside it, nothing moves; then it posts.
    page.locator("#sidebar nav").get_by_role("link", name="Supplier returns", exact=True).click()
    page.get_by_role("link", name="New supplier return").click()
    page.get_by_label("Supplier", exact=True).select_option(label="Dairibord")
    page.get_by_label("Goods receipt").fill("GRN-000042")
    page.get_by_label("Reason for every line").select_option(label="Expired or short-dated")
    line(page, 0, "code").fill(shop["milk"]["sku"])
    line(page, 0, "quantity").fill("-3")
    watch.expect_console_error(422)
    page.get_by_role("button", name="Post return").click()
    error = page.locator('[id="e-lines-0-quantity"]')
    assert "more than zero" in error.text_content()
    assert line(page, 0, "quantity").get_attribute("aria-invalid") == "true"
    assert line(page, 0, "code").input_value() == shop["milk"]["sku"]  # what was typed is kept
    line(page, 0, "quantity").fill("3")
    page.get_by_role("button", name="Post return").click()
    page.wait_for_url(hub.url + "/stock/supplier-returns/*")
    assert "stock moved out" in page.locator(".notice").first.text_content()
    page.get_by_role("link", name="Printable copy").click()
    assert "GRN-000042" in page.locator("body").text_content()
    assert "Driver" in page.locator(".print-signatures").text_content()
    assert "6 each" in on_hand_row(page, "Milk")


def test_a_draft_is_edited_then_discarded_and_a_wrong_threshold_is_refused_beside_it(browse, hub, shop):
    page, watch = browse()
    sign_in(page, hub, "clerk", CLERK_PASSWORD)
    one_line(page, hub, "Expired", shop["milk"]["sku"], "-2", "Save as draft")
    draft = page.url
    assert "saved as a draft" in page.locator(".notice").first.text_content()

    page.get_by_role("link", name="Edit draft").click()
    assert heading(page).startswith("Edit adjustment")
    assert line(page, 0, "code").input_value() == shop["milk"]["sku"] and line(page, 0, "quantity").input_value() == "-2"
    line(page, 1, "code").fill(shop["bread"]["sku"])
    line(page, 1, "quantity").fill("4")  # expired stock cannot be added
    watch.expect_console_error(422)
    page.get_by_role("button", name="Save draft").click()
    assert "a decrease" in page.locator('[id="e-lines-1-quantity"]').text_content()
    assert line(page, 1, "code").input_value() == shop["bread"]["sku"]  # what was typed is kept
    line(page, 1, "quantity").fill("-4")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(draft)
    assert "still a draft" in page.locator(".notice").first.text_content()
    assert page.locator("table.adjustment-lines tbody tr").count() == 2

    page.get_by_label("Why it is discarded").fill("Sold at a discount instead")
    page.get_by_role("button", name="Discard draft").click()
    page.wait_for_url(draft)
    assert "discarded: no stock moved" in page.locator(".notice").first.text_content()
    assert "Discarded" in page.locator(".summary-line .badge").text_content()
    assert page.get_by_role("link", name="Edit draft").count() == 0
    assert "10 each" in on_hand_row(page, "Milk") and "10 each" in on_hand_row(page, "Bread")

    admin, admin_watch = browse()
    sign_in(admin, hub, "admin")
    admin.goto("/stock/adjustments")
    admin.get_by_label("Wait for approval above", exact=False).fill("fifty")
    admin_watch.expect_console_error(422)
    admin.get_by_role("button", name="Save threshold").click()
    assert "Must be an amount" in admin.locator('[id="e-approval_threshold"]').text_content()
    assert admin.get_by_label("Wait for approval above", exact=False).input_value() == "fifty"


def test_the_adjustment_pages_fit_a_phone(browse, hub, shop):
    page, _ = browse(PHONE)
    sign_in(page, hub, "clerk", CLERK_PASSWORD)
    posted = one_line(page, hub, "Expired", shop["bread"]["sku"], "-1", "Post adjustment")
    draft = one_line(page, hub, "Expired", shop["bread"]["sku"], "-1", "Save as draft")
    for path in ("/stock/adjustments", "/stock/adjustments/new", posted, draft, draft + "/edit",
                 "/stock/supplier-returns/new", "/stock/supplier-returns"):
        page.goto(path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways on a phone ({width}px)"
