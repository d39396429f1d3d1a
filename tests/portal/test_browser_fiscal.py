"""The Fiscal page in headless Chromium against a running hub and the FDMS simulator: a manager
finds the till's fiscal device from the sidebar, opens its fiscal day, sees a sale signed and
queued, submits it, closes the day; the page fits a phone."""

from __future__ import annotations

import pytest

from tests.fiscal.recipes import configure, fiscal_till, map_taxes
from tests.portal.conftest import PHONE
from tests.portal.test_browser import heading, sign_in
from tests.sales.build import line

pytestmark = pytest.mark.browser


def test_a_manager_opens_the_fiscal_day_submits_and_closes_it(browse, hub, sim):
    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    map_taxes(manager)
    page, _ = browse()
    sign_in(page, hub, "manager")
    page.locator("#sidebar nav").get_by_role("link", name="Fiscal", exact=True).click()
    page.wait_for_url(hub.url + "/fiscal")
    assert heading(page) == "Fiscal"
    device = page.locator(f"section.fiscal-device[data-device='{dev['id']}']")
    assert f"FDMS device {dev['fdms_device_id']}" in device.text_content()
    device.get_by_role("button", name="Open fiscal day").click()
    page.wait_for_url(hub.url + "/fiscal")
    assert "The fiscal day is open." in page.text_content("body")
    till.sell(till.body([line(250)]))
    page.reload()
    assert "Queue: 1 to send" in device.text_content()
    page.get_by_role("button", name="Submit now").click()
    page.wait_for_url(hub.url + "/fiscal")
    assert "Queue: 0 to send" in device.text_content() and "1 accepted" in device.text_content()
    device.get_by_role("button", name="Close fiscal day").click()
    page.wait_for_url(hub.url + "/fiscal")
    assert "closed with FDMS" in page.text_content("body")
    assert device.get_by_role("button", name="Open fiscal day").count() == 1

    phone, _ = browse(PHONE)
    sign_in(phone, hub, "manager", path="/login?next=/fiscal")
    phone.wait_for_url(hub.url + "/fiscal")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
