"""Fiscal recovery on the Fiscal page in headless Chromium: after a restore (its trusted fiscal
epoch no longer the database's) a manager sees why signing waits, is refused finishing before FDMS
was read, checks with FDMS, finishes, and the sale that waited is signed; the section fits a phone."""

from __future__ import annotations

import pytest

from tests.fiscal.recipes import FISCAL, configure, fiscal_till, map_taxes, open_day
from tests.portal.conftest import PHONE
from tests.portal.test_browser import sign_in
from tests.sales.build import line

pytestmark = pytest.mark.browser


def test_a_manager_checks_with_fdms_and_finishes_the_recovery(browse, hub, sim):
    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    map_taxes(manager)
    open_day(manager, dev["id"])
    till.sell(till.body([line(250)]))
    sim.down = True  # FDMS unreachable for now: the fiscal worker cannot read its status either
    hub.write("INSERT INTO meta (key, value) VALUES ('fiscal_epoch', 'before-a-restore') "
              "ON CONFLICT (key) DO UPDATE SET value = excluded.value")  # as a restore leaves it
    till.sell(till.body([line(300)]))  # recorded; its receipt waits

    phone, _ = browse(PHONE)
    sign_in(phone, hub, "manager", path="/login?next=/fiscal")
    phone.wait_for_url(hub.url + "/fiscal")
    assert phone.locator("section.fiscal-recovery").count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    page, watch = browse()
    sign_in(page, hub, "manager", path="/login?next=/fiscal")
    page.wait_for_url(hub.url + "/fiscal")
    section = page.locator("section.fiscal-recovery")
    device = page.locator(f"section.fiscal-device[data-device='{dev['id']}']")
    assert "recovery" in device.text_content() and "1 waiting to be signed" in device.text_content()
    watch.expect_console_error(409)  # the refused form answers with the refusal's status
    section.get_by_role("button", name="Finish recovery").click()
    assert "Fiscal recovery was not finished" in page.text_content("body")
    assert "was not read yet" in page.text_content("body")
    sim.down = False
    page.locator("section.fiscal-recovery").get_by_role("button", name="Check with FDMS").click()
    page.wait_for_url(hub.url + "/fiscal")
    assert "FDMS's status of each device was read." in page.text_content("body")
    assert "FiscalDayOpened" in page.locator("section.fiscal-recovery").text_content()
    page.locator("section.fiscal-recovery").get_by_role("button", name="Finish recovery").click()
    page.wait_for_url(hub.url + "/fiscal")
    assert "Fiscal recovery is finished" in page.text_content("body")
    assert page.locator("section.fiscal-recovery").count() == 0
    assert "0 waiting to be signed" in device.text_content()
    receipts = manager.get(f"{FISCAL}/receipts").json()["items"]
    assert sorted(r["global_no"] for r in receipts) == [1, 2]
