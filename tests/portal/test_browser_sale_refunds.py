"""A refund from the receipt page in headless Chromium against a running hub: a till records a sale
of bread and milk; the manager names the supervisor's till (its open shift) where the money is
paid out, asks more bread than was sold and sees the refusal beside the quantity with the typed
values kept, then refunds one bread to stock and writes the milk off; the receipt lists the refund.
On a 390 px phone the refund and correction forms fit without sideways scrolling."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.catalogue.fixtures import create, reference
from tests.portal.conftest import PHONE
from tests.portal.test_browser import sign_in
from tests.sales.build import line
from tests.sales.recipes import Till

pytestmark = pytest.mark.browser


@pytest.fixture
def sale(hub):
    admin = hub.as_user("admin")
    ids = reference(admin)
    bread = create(admin, ids, name="Farm bread", prices={"USD": 150}, stock_tracked=False)
    milk = create(admin, ids, name="Dairibord milk 1L", prices={"USD": 99}, stock_tracked=False)
    front = Till(hub)
    now = dt.datetime.now(dt.timezone.utc)
    sold = front.sell(front.body([line(150, 3000, product_id=bread["id"], tax_rate_bp=0),
                                  line(99, 2000, product_id=milk["id"], tax_rate_bp=0)],
                                 shift_id=front.shift(), clock=now))
    back = Till(hub, "supervisor")
    return {"sale": sold, "shift": back.shift()}


def test_a_manager_refunds_part_of_a_sale_at_a_chosen_till(browse, hub, sale):
    page, watch = browse()
    sign_in(page, hub, "manager")
    sold = sale["sale"]
    page.goto(f"/sales/{sold['id']}")
    form = page.locator("section#refund form")
    form.get_by_label("Till that pays the refund out").select_option(sale["shift"])
    form.locator("#f-qty-0").fill("4")
    form.get_by_label("Why the goods come back").fill("Customer bought too much")
    watch.expect_console_error(409)
    form.get_by_role("button", name="Record the refund").click()
    page.wait_for_load_state()
    error = page.locator("#e-qty-0")
    assert "Only 3 still refundable (4 asked)" in error.text_content()
    assert page.locator("#f-qty-0").get_attribute("aria-invalid") == "true"
    assert page.locator("#f-qty-0").input_value() == "4"
    assert page.locator("#f-r_reason").input_value() == "Customer bought too much"

    page.locator("#f-qty-0").fill("1")
    page.locator("#f-qty-1").fill("1")
    page.locator("#f-fate-1").select_option("write_off")
    page.locator("#f-why-1").fill("Carton leaking")
    page.locator("section#refund").get_by_role("button", name="Record the refund").click()
    page.wait_for_url(hub.url + f"/sales/{sold['id']}#refunds")
    assert "The refund was recorded" in page.locator(".notice").first.text_content()
    listed = page.locator("section#refunds").text_content()
    assert "Refund USD 2.49" in listed and "written off (Carton leaking)" in listed
    assert "still refundable 2" in page.locator("section#refund").text_content()


def test_the_refund_form_fits_a_phone(browse, hub, sale):
    page, _ = browse(PHONE)
    sign_in(page, hub, "manager")
    page.goto(f"/sales/{sale['sale']['id']}")
    assert page.locator("section#refund form").is_visible() and page.locator("section#correction form").is_visible()
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the receipt with its forms scrolls sideways on a phone ({width}px)"
    box = page.locator("#f-qty-0").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    button = page.get_by_role("button", name="Record the refund").bounding_box()
    assert button and button["x"] + button["width"] <= PHONE["width"]
