"""The fiscal set-up in headless Chromium against a running hub and the FDMS simulator: a manager
sets the FDMS address, adds a till as a fiscal device, reads the taxpayer FDMS names, registers,
maps the tax classes (a refusal shown beside its select), opens the day and reads the X report;
the pages fit a phone."""

from __future__ import annotations

import pytest

from tests.fiscal.recipes import HS, MAPPING
from tests.portal.conftest import PHONE
from tests.portal.test_browser import heading, sign_in
from tests.sales.build import line
from tests.sales.recipes import Till, tills

pytestmark = pytest.mark.browser


def test_a_manager_sets_up_a_fiscal_device_from_the_portal(browse, hub, sim):
    till = Till(hub, paired_by=tills(hub))
    sim.add_device(5151, "SN5151", "WXYZ9876")
    page, watch = browse()
    sign_in(page, hub, "manager")
    page.goto("/fiscal")
    page.locator("nav.fiscal-links").get_by_role("link", name="Fiscal settings").click()
    page.wait_for_url(hub.url + "/fiscal/settings")
    assert heading(page) == "Fiscal settings"

    # a refused form keeps what was typed, the message beside the field
    page.get_by_label("FDMS address").select_option("other")
    page.get_by_label("Other address").fill(sim.url)
    page.get_by_label("CA bundle").fill(str(sim.ca_path))
    page.get_by_label("Fallback HS code").fill("1234")
    watch.expect_console_error(422)
    page.get_by_role("button", name="Save").click()
    assert "The fiscal settings were not saved" in page.locator(".form-summary").text_content()
    assert page.locator("#e-fallback_hs_code").is_visible()
    assert page.get_by_label("Other address").input_value() == sim.url
    page.get_by_label("Fallback HS code").fill(HS)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(hub.url + "/fiscal/settings")
    assert "The fiscal settings were saved." in page.locator("main").text_content()

    page.goto("/fiscal")
    page.get_by_role("link", name="Add a fiscal device").click()
    page.get_by_label("Till").select_option(till.device_id)
    page.get_by_label("FDMS device id").fill("5151")
    page.get_by_label("Serial number").fill("SN5151")
    page.get_by_label("Activation key").fill("wxyz9876")
    page.get_by_role("button", name="Add device").click()
    page.wait_for_url(f"{hub.url}/fiscal/devices/**")
    device_url = page.url
    page.get_by_role("button", name="Ask FDMS who the taxpayer is").click()
    page.wait_for_url(device_url)
    assert "Soko Test Supermarket (Pvt) Ltd" in page.locator(".fiscal-taxpayer").text_content()
    page.get_by_role("button", name="This is us: register the device").click()
    page.wait_for_url(device_url)
    assert "registered with FDMS" in page.locator("main").text_content()
    assert page.locator("table.fiscal-taxes").is_visible()

    page.get_by_role("link", name="Tax mapping").click()
    page.wait_for_url(hub.url + "/fiscal/tax-mapping")
    page.get_by_label("FDMS tax for VAT").select_option("2")
    watch.expect_console_error(422)
    page.get_by_role("button", name="Save VAT").click()
    assert page.locator("#e-tax_id-VAT").is_visible()
    for code, tax_id in MAPPING.items():
        page.get_by_label(f"FDMS tax for {code}").select_option(str(tax_id))
        page.get_by_role("button", name=f"Save {code}").click()
        page.wait_for_url(hub.url + "/fiscal/tax-mapping")
    page.goto("/fiscal/settings")
    page.get_by_label("Fallback tax").select_option("517")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(hub.url + "/fiscal/settings")

    page.goto("/fiscal")
    page.get_by_role("button", name="Open fiscal day").click()
    page.wait_for_url(hub.url + "/fiscal")
    till.sell(till.body([line(2500)]))
    page.goto(device_url)
    page.get_by_role("link", name="X report of the open day").click()
    assert page.locator("h1").text_content() == "X REPORT"
    assert "25.00" in page.locator("table.fiscal-report-taxes").text_content()
    assert page.locator(".fiscal-report-globals").text_content() == "1 to 1"


def test_the_fiscal_set_up_pages_fit_a_phone(browse, hub, sim):
    from tests.fiscal.recipes import configure, fiscal_till, map_taxes, open_day

    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    map_taxes(manager)
    open_day(manager, dev["id"])
    till.sell(till.body([line(1999)]))
    page, _ = browse(PHONE)
    sign_in(page, hub, "manager")
    for path in ("/fiscal", "/fiscal/settings", "/fiscal/devices/new", f"/fiscal/devices/{dev['id']}",
                 "/fiscal/tax-mapping", f"/fiscal/devices/{dev['id']}/reports/x"):
        page.goto(path)
        assert page.locator("main, body").first.is_visible()
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways on a phone ({width}px)"
