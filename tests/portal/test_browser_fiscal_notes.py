"""Fiscal fallbacks per category and printed credit notes in headless Chromium, on a desktop and a
phone: a manager sets a category's fallback tax and HS code (a refusal shown beside its field, the
typed values kept), and prints a refund's credit note from the sale's page on the receipt printer,
the printed bytes carrying the CREDIT NOTE block."""

from __future__ import annotations

import pytest

from tests.catalogue.fixtures import reference
from tests.fiscal.recipes import FISCAL, configure, fiscal_till, map_taxes, open_day
from tests.portal.conftest import DESKTOP, PHONE
from tests.portal.test_browser import heading, sign_in
from tests.printing.escpos_decode import decode
from tests.sales.build import line
from tests.sales.recipes import SALES, Till

pytestmark = pytest.mark.browser


def _fits(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_category_fallbacks_and_a_printed_credit_note(browse, hub, sim, viewport, monkeypatch):
    from hub.printing import subsystem
    from tests.printing.fakeprinter import FakePrinter
    from tests.printing.helpers import add_printer, assign
    from tests.sales.refunding import refund_body

    monkeypatch.setattr(subsystem, "POLL_S", 0.2)
    manager, admin = hub.as_user("manager"), hub.as_user("admin")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    map_taxes(manager)
    ids = reference(admin)
    page, watch = browse(viewport)
    sign_in(page, hub, "manager")

    # the fallbacks, from the Fiscal settings page
    page.goto("/fiscal/settings")
    page.get_by_role("link", name="Fallbacks per category").click()
    page.wait_for_url(hub.url + "/fiscal/settings/fallbacks")
    assert heading(page) == "Fiscal fallbacks per category"
    assert page.locator(".fiscal-fallback-row").count() >= 4 and _fits(page)
    page.get_by_label("FDMS tax for Drinks").select_option("2")
    page.get_by_label("HS code for Drinks").fill("2201")
    page.get_by_label("HS code for Food › Bakery › Bread").fill("19ab")
    watch.expect_console_error(422)
    page.get_by_role("button", name="Save the fallbacks").click()
    assert "The fallbacks were not saved" in page.locator(".form-summary").text_content()
    error = page.locator(f'[id="e-category_fallbacks.{ids["bread"]}.hs_code"]')
    assert error.is_visible() and "4 or 8 digits" in error.text_content()
    assert page.get_by_label("HS code for Food › Bakery › Bread").input_value() == "19ab"
    assert page.get_by_label("FDMS tax for Drinks").input_value() == "2"  # what was typed is kept
    assert manager.get(f"{FISCAL}/settings").json()["category_fallbacks"] == {}
    assert _fits(page)
    page.get_by_label("HS code for Food › Bakery › Bread").fill("19059000")
    page.get_by_role("button", name="Save the fallbacks").click()
    page.wait_for_url(hub.url + "/fiscal/settings/fallbacks")
    assert "The fiscal fallbacks were saved." in page.locator("main").text_content()
    assert manager.get(f"{FISCAL}/settings").json()["category_fallbacks"] == {
        ids["drinks"]: {"tax_id": 2, "hs_code": "2201"}, ids["bread"]: {"tax_id": None, "hs_code": "19059000"}}

    # a refund's credit note printed from the sale's page, on the till's receipt printer
    open_day(manager, dev["id"])
    sale = till.sell(till.body([line(300, 2000)]))
    supervisor = Till(hub, "supervisor", paired_by=till.paired_by, paired=till.paired)
    r = supervisor.http.post(f"{SALES}/{sale['id']}/refunds", json=refund_body(reason="Cracked bottle"))
    assert r.status_code == 201, r.text
    with FakePrinter() as printer:
        assign(admin, add_printer(admin, printer.url), device_id=till.device_id)
        page.goto(f"/sales/{sale['id']}")
        panel = page.locator(".fiscal-sale-panel")
        assert "Credit Note 2/2" in panel.text_content() and _fits(page)
        panel.get_by_role("button", name="Print the credit note 2/2").click()
        page.wait_for_url(hub.url + f"/sales/{sale['id']}")
        assert "The note is on its way to Front till." in page.locator("main").text_content()
        got = decode(printer.wait_for_jobs(1)[0])
    assert any(ln.strip() == "CREDIT NOTE" for ln in got.lines) and "CREDITED INVOICE" in got.lines
    assert "Refund: Cracked bottle" in got.text and "Verification code: " in got.text
    assert any(q[1].startswith(f"{sim.qr_url}/{dev['fdms_device_id']:010d}") for q in got.of("qr"))
