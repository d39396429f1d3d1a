"""The Shifts pages in headless Chromium against a running hub: a manager finds a cashier's open
shift from the sidebar, reads its X report, closes it (a wrong amount refused beside its input,
then a count by denomination) and opens the printable close report; the pages fit a phone."""

from __future__ import annotations

import pytest

from tests.people import People
from tests.portal.conftest import PHONE
from tests.portal.test_browser import heading, sign_in
from tests.shifts import recipes
from tests.shifts.recipes import SHIFTS

pytestmark = pytest.mark.browser


@pytest.fixture
def shift(hub):
    """The demo cashier's open shift (floats USD 50.00, ZWG 200.00) with a 12.50 USD pay-out."""
    till = recipes.at_till(People(hub))
    opened = till.post(SHIFTS, json={"floats": recipes.FLOATS}).json()
    r = till.post(f"{SHIFTS}/{opened['id']}/cash-movements", json={
        "kind": "pay_out", "currency": "USD", "amount": 1250, "reason_code": "supplier_paid", "note": "Bread man"})
    assert r.status_code == 201, r.text
    return opened


def test_a_manager_reads_the_x_report_and_closes_a_cashiers_shift(browse, hub, shift):
    page, watch = browse()
    sign_in(page, hub, "manager")
    sidebar = page.locator("#sidebar nav")
    assert "Sales" in sidebar.locator("h2").all_text_contents()
    sidebar.get_by_role("link", name="Shifts", exact=True).click()
    page.wait_for_url(hub.url + "/shifts")
    assert heading(page) == "Shifts"
    page.locator("table.open-list").get_by_role("link", name=f"Shift {shift['number']}").click()
    page.wait_for_url(f"{hub.url}/shifts/{shift['id']}")
    assert heading(page) == f"Shift {shift['number']}"
    usd = page.locator("table.cash-lines tr[data-currency=USD]")
    assert "USD 37.50" in usd.locator(".expected").text_content()
    assert "Bread man" in page.locator("table.cash-movements").text_content()

    page.get_by_role("link", name="Close this shift").click()
    page.wait_for_url(f"{hub.url}/shifts/{shift['id']}/close")
    page.get_by_label("Counted USD total").fill("37.505")
    watch.expect_console_error(422)  # the refused form comes back with its status
    page.get_by_role("button", name="Close shift").click()
    error = page.locator("#e-counted\\[0\\]\\.amount")
    assert error.text_content() == "Has at most 2 decimals."
    assert page.get_by_label("Counted USD total").input_value() == "37.505"
    assert page.get_by_label("Counted USD total").get_attribute("aria-invalid") == "true"
    assert "The shift was not closed" in page.locator(".form-summary").text_content()

    page.get_by_label("Counted USD total").fill("37.00")
    zwg = page.locator("fieldset[data-currency=ZWG]")
    zwg.locator("summary").click()
    zwg.get_by_label("ZiG 100 notes").fill("1")
    zwg.get_by_label("ZiG 50 notes").fill("2")
    page.get_by_label("Note (optional)", exact=True).fill("Fifty cents short")
    page.get_by_role("button", name="Close shift").click()
    page.wait_for_url(f"{hub.url}/shifts/{shift['id']}")
    assert f"Shift {shift['number']} closed." in page.locator("main").text_content()
    usd = page.locator("table.cash-lines tr[data-currency=USD]")
    assert "USD -0.50" in usd.locator(".variance").text_content() and "Short" in usd.text_content()

    page.get_by_role("link", name="Printable close report").click()
    page.wait_for_url(f"{hub.url}/shifts/{shift['id']}/report")
    assert "Shift close report" in page.locator("h1").text_content()
    assert "Fifty cents short" in page.locator("main").text_content()
    assert page.locator("table.counts tbody tr").count() == 2


def test_the_shift_pages_fit_a_phone(browse, hub, shift):
    page, _ = browse(PHONE)
    sign_in(page, hub, "supervisor")
    for path, table in (("/shifts", "table.open-list"), (f"/shifts/{shift['id']}", "table.cash-lines"),
                        (f"/shifts/{shift['id']}/close", "form.close-form")):
        page.goto(path)
        assert page.locator(table).is_visible()
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways on a phone ({width}px)"
