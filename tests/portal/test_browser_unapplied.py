"""Unapplied documents in headless Chromium against a running hub: tills send an adjustment with a
code no product has and one its user may not make; the manager follows the banner to the queue,
filters it by reason, maps the unknown code to a product found by name (a first try without a
product is refused beside its input), applies the other under their own authority and discards a
count for a session that does not exist; the banner is gone, and the pages fit a phone."""

from __future__ import annotations

import uuid

import pytest

from tests.catalogue.fixtures import create, reference
from tests.pairing import Tills
from tests.portal.conftest import PHONE
from tests.portal.test_browser import heading, sign_in

pytestmark = pytest.mark.browser
DOCS = "/api/v1/inventory/device-documents"


@pytest.fixture
def shop(hub):
    """Two stocked products and three documents from a till, none of which could be applied."""
    admin = hub.as_user("admin")
    ids = reference(admin)
    bread = create(admin, ids, name="Queue Bread 700g", opening_stock={"quantity": 10000, "unit_cost": 90})
    milk = create(admin, ids, name="Queue Milk 1l", opening_stock={"quantity": 10000, "unit_cost": 110})
    tills = Tills.licensed(hub, admin, seats=3)
    till = tills.pair(name="Front till")

    def send(who: str, body: dict) -> None:
        r = tills.login(till["device_token"], who, hub.credentials[who][0])
        assert r.status_code == 201, r.text
        sent = tills.as_till(till["device_token"], r.json()["access_token"]).post(DOCS, json={
            "document_id": str(uuid.uuid4()), "device_clock": "2026-03-02T09:15:00+02:00", **body})
        assert sent.status_code == 202, sent.text

    send("supervisor", {"kind": "adjustment", "reason_code": "damaged", "lines": [
        {"code": bread["sku"], "quantity": -1000}, {"code": "SHELF-TAG-77", "quantity": -2000}]})
    send("cashier", {"kind": "adjustment", "reason_code": "expired", "lines": [
        {"product_id": bread["id"], "quantity": -3000}]})
    send("cashier", {"kind": "count", "stock_take_id": "gone-session", "lines": [
        {"product_id": milk["id"], "quantity": 4000}]})
    return {"bread": bread, "milk": milk}


def on_hand_row(page, name: str) -> str:
    page.goto("/stock?q=Queue")
    return page.locator("table.stock-levels tbody tr", has_text=name).text_content()


def test_a_manager_maps_applies_and_discards_what_tills_could_not_apply(browse, hub, shop):
    page, watch = browse()
    sign_in(page, hub, "manager")
    page.goto("/stock")
    banner = page.locator(".banner[data-banner=unapplied]")
    assert "3 inventory documents from tills could not be applied" in banner.text_content()
    page.get_by_role("link", name="Open Unapplied documents").click()
    page.wait_for_url(hub.url + "/stock/unapplied")
    assert heading(page).startswith("Unapplied documents")
    assert page.locator("table.unapplied tbody tr").count() == 3

    # Filter by reason: the adjustment with a code no product has.
    page.get_by_label("Reason").select_option(label="A barcode or SKU matches no product")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**reason=unknown_code**")
    rows = page.locator("table.unapplied tbody tr")
    assert rows.count() == 1 and "SHELF-TAG-77" in rows.text_content()
    rows.get_by_role("link").click()
    page.wait_for_url(hub.url + "/stock/unapplied/*")
    document = page.url
    failing = page.locator("table.document-lines tbody tr.failing")
    assert failing.count() == 1 and "SHELF-TAG-77" in failing.text_content()

    # Mapping without a product is refused beside the product input; nothing moves.
    watch.expect_console_error(422)
    page.get_by_role("button", name="Map and apply").click()
    assert "choose a product" in page.locator("#e-product").text_content().lower()
    assert page.get_by_label("Product's SKU or barcode").get_attribute("aria-invalid") == "true"

    # Find the milk by name, pick it, map and apply: both lines move stock once.
    page.get_by_label("Find the product").fill("Queue Milk")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Queue Milk 1l").check()
    page.get_by_role("button", name="Map and apply").click()
    page.wait_for_url(document)
    assert "applied, stock moved" in page.locator(".notice:not(.banner)").first.text_content()
    assert page.get_by_role("link", name="Open the adjustment").is_visible()
    assert "9 each" in on_hand_row(page, "Bread") and "8 each" in on_hand_row(page, "Milk")

    # The cashier's adjustment: the cashier may not adjust; the manager applies it as theirs.
    page.goto("/stock/unapplied?reason=permission_missing")
    page.locator("table.unapplied tbody tr").get_by_role("link").click()
    page.wait_for_url(hub.url + "/stock/unapplied/*")
    assert "lacks the permission inventory.adjust" in page.locator(".doc-detail").text_content()
    page.get_by_role("button", name="Apply under my authority").click()
    page.wait_for_url(hub.url + "/stock/unapplied/*")
    assert "applied, stock moved" in page.locator(".notice:not(.banner)").first.text_content()
    assert "under their own authority" in page.locator("dl.facts").text_content()
    assert "6 each" in on_hand_row(page, "Bread")

    # The count for a session that does not exist: discarded with a reason, kept on record.
    page.goto("/stock/unapplied?reason=session_unknown")
    page.locator("table.unapplied tbody tr").get_by_role("link").click()
    page.wait_for_url(hub.url + "/stock/unapplied/*")
    page.get_by_label("Why it is discarded").fill("Counted on the old session by mistake")
    page.get_by_role("button", name="Discard").click()
    page.wait_for_url(hub.url + "/stock/unapplied/*")
    assert "Discarded" in page.locator(".notice:not(.banner)").first.text_content()
    assert "Counted on the old session by mistake" in page.locator(".discard-reason").text_content()
    assert "8 each" in on_hand_row(page, "Milk")

    page.goto("/stock")
    assert page.locator("body", has_text="could not be applied").count() == 0
    page.goto("/stock/unapplied?status=")
    assert page.locator("table.unapplied tbody tr").count() == 3


def test_the_unapplied_pages_fit_a_phone(browse, hub, shop):
    page, _ = browse(PHONE)
    sign_in(page, hub, "manager")
    page.goto("/stock/unapplied")
    first = page.locator("table.unapplied tbody tr").first.get_by_role("link").get_attribute("href")
    for path in ("/stock/unapplied", first, f"{first}?q=Queue"):
        page.goto(path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways on a phone ({width}px)"
