"""The Peripherals page in headless Chromium against a running hub with a scripted network
printer: a manager adds the printer (a bad address refused beside its field first), makes it the
store's receipt printer, prints a test page and sees it passed, reprints a sale from its receipt
page, and sees the paper-out banner until paper is back; the page fits a phone and a desktop."""

from __future__ import annotations

import pytest

from hub.printing import subsystem
from tests.portal.conftest import DESKTOP, PHONE
from tests.portal.test_browser import heading, sign_in
from tests.printing.escpos_decode import decode
from tests.printing.fakeprinter import FakePrinter
from tests.printing.helpers import add_printer, assign, job_rows, wait_job
from tests.sales.recipes import Till

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(subsystem, "HOLD_RETRY_S", 0.1)
    monkeypatch.setattr(subsystem, "POLL_S", 0.2)


def test_a_manager_sets_up_a_printer_tests_it_and_reprints_a_sale(browse, hub):
    sale = Till(hub).sell()
    page, watch = browse()
    with FakePrinter() as printer:
        sign_in(page, hub, "manager")
        page.locator("#sidebar nav").get_by_role("link", name="Peripherals", exact=True).click()
        page.wait_for_url(hub.url + "/peripherals")
        assert heading(page) == "Peripherals"
        add = page.locator("#add")
        add.get_by_label("Name").fill("Front till")
        add.get_by_label("Address").fill("lpt1")
        watch.expect_console_error(422)
        add.get_by_role("button", name="Add printer").click()
        page.wait_for_load_state()
        add = page.locator("#add")
        assert add.locator("#e-address").is_visible()
        assert add.get_by_label("Name").input_value() == "Front till"
        add.get_by_label("Address").fill(printer.url)
        add.get_by_role("button", name="Add printer").click()
        page.wait_for_url(hub.url + "/peripherals#printers")
        assert "Printer Front till added" in page.locator(".notice-ok[role=status]").text_content()

        store_row = page.locator("#assignments tbody tr").first
        store_row.get_by_label("Receipt printer of The store").select_option(label="Front till")
        store_row.get_by_role("button", name="Save").click()
        page.wait_for_url(hub.url + "/peripherals#assignments")

        page.locator("table.printers").get_by_role("button", name="Test page").click()
        page.wait_for_url(hub.url + "/peripherals#tests")
        [data] = printer.wait_for_jobs(1)
        assert "Soko Hub test page" in decode(data).lines
        wait_job(hub.as_user("manager"), job_rows(hub)[0]["id"], "done")
        page.reload()
        assert "Passed" in page.locator("#tests").text_content()
        assert "Ready" in page.locator("table.printers").text_content()

        page.goto(f"/sales/{sale['id']}")
        page.get_by_role("button", name="Reprint").click()
        page.wait_for_url(hub.url + f"/sales/{sale['id']}")
        assert "on its way to Front till" in page.locator(".notice-ok[role=status]").text_content()
        copy = decode(printer.wait_for_jobs(2)[1])
        assert "*** COPY ***" in copy.lines and any(ln.endswith(sale["invoice_number"]) for ln in copy.lines)

        printer.state = "paper_out"
        page.goto(f"/sales/{sale['id']}")
        page.get_by_role("button", name="Reprint").click()
        page.wait_for_url(hub.url + f"/sales/{sale['id']}")
        wait_job(hub.as_user("manager"), job_rows(hub)[-1]["id"], "held")
        page.goto("/sales")
        banner = page.locator("[data-banner=printer_problem]")
        assert banner.text_content().startswith("Printer Front till: paper out (1 print job waits).")
        banner.get_by_role("link", name="Peripherals").click()
        page.wait_for_url(hub.url + "/peripherals")
        assert "Waiting for the printer" in page.locator("#jobs").text_content()
        printer.state = "ready"
        wait_job(hub.as_user("manager"), job_rows(hub)[-1]["id"], "done")
        page.reload()
        assert page.locator("[data-banner=printer_problem]").count() == 0


@pytest.mark.parametrize("name, viewport", [("phone", PHONE), ("desktop", DESKTOP)])
def test_the_peripherals_page_fits_the_screen(browse, hub, tmp_path, name, viewport):
    admin = hub.as_user("manager")
    till = Till(hub)
    printer_id = add_printer(admin, "tcp://192.168.100.200:9100", name="Front till receipt printer")
    assign(admin, printer_id, device_id=till.device_id, kick=True)
    admin.put(f"/api/v1/printers/{printer_id}", json={"enabled": False})
    admin.post(f"/api/v1/printers/{printer_id}/tests", json={"kind": "test_page"})
    page, _ = browse(viewport)
    sign_in(page, hub, "manager")
    page.goto("/peripherals")
    assert page.locator("table.printers tbody tr").count() == 1
    page.screenshot(path=str(tmp_path / f"peripherals-{name}.png"), full_page=True)
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"the peripherals page on a {name} scrolls sideways ({width} > {inner})"
    page.goto(f"/peripherals/printers/{printer_id}")
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"a printer's page on a {name} scrolls sideways ({width} > {inner})"
