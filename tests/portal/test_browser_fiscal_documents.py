"""Fiscal documents in headless Chromium: the Fiscal page shows red, yellow and grey results in
their colours with what to do, a business customer's sale links its A4 fiscal tax invoice (QR as
inline SVG, verification code, print CSS), on a desktop and a phone."""

from __future__ import annotations

import json

import pytest

from tests.fiscal import fdms_sim
from tests.fiscal.recipes import FISCAL, configure, fiscal_till, map_taxes, open_day
from tests.portal.conftest import DESKTOP, PHONE
from tests.portal.test_browser import sign_in
from tests.sales.build import line
from tests.sales.recipes import SALES, Till

pytestmark = pytest.mark.browser


@pytest.fixture
def world(hub, tmp_path):
    """A fiscal till: a business customer's sale (accepted), a sale FDMS flags yellow, one it
    flags grey, and a credit the hub set aside (red had it been sent)."""
    from tests.sales.refunding import correction_body

    sim = fdms_sim.FdmsSim(tmp_path / "sim").start()
    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    map_taxes(manager)
    open_day(manager, dev["id"])
    customer = manager.post("/api/v1/customers", json={
        "name": "Moyo", "registered_name": "Moyo Hardware (Pvt) Ltd", "tin": "2000999999",
        "vat_number": "220099999", "address": "7 Speke Ave, Harare, Harare"}).json()
    business = till.sell(till.body([line(1000, 2000)], customer_id=customer["id"]))
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    sim.day_max_hrs = 0  # FDMS now finds the day too long: its next receipt is yellow (RCPT041)
    till.sell(till.body([line(300)]))
    grey = till.sell(till.body([line(200)]))
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    # FDMS answering grey (a receipt missing before it) is not something the simulator does: as FDMS would
    hub.write("UPDATE fiscal_receipts SET colour = 'Grey', validation_errors = ? WHERE document_id = ?",
              json.dumps([{"validationErrorCode": "RCPT012", "validationErrorColor": "Grey"}]), grey["id"])
    boss = Till(hub, "manager", paired_by=till.paired_by, paired=till.paired)
    r = boss.http.post(f"{SALES}/{business['id']}/corrections", json=correction_body(
        kind="credit", lines=[{"line_no": 0, "amount": 5000}],
        tenders=[{"method": "cash", "currency": "USD", "amount": 5000}]))
    assert r.status_code == 201, r.text
    yield {"sale": business, "device": dev}
    sim.stop()


def _colour(page, selector: str) -> str:
    return page.locator(selector).first.evaluate("e => getComputedStyle(e).backgroundColor")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_results_in_their_colours_and_the_a4_fiscal_tax_invoice(browse, hub, world, viewport):
    page, _ = browse(viewport)
    sign_in(page, hub, "manager")
    page.goto("/fiscal")
    results = page.locator(".fiscal-results")
    red, yellow, grey = (results.locator(f'.fiscal-result[data-colour="{c}"]') for c in ("red", "yellow", "grey"))
    assert red.count() == 1 and yellow.count() == 1 and grey.count() == 1
    assert "RCPT035" in red.text_content() and "Set aside by the hub" in red.text_content()
    assert "What to do: Refund no more than was sold" in red.text_content()
    assert "RCPT041" in yellow.text_content() and "Close the fiscal day sooner" in yellow.text_content()
    assert "RCPT012" in grey.text_content()
    assert _colour(page, ".fiscal-results .fiscal-colour.fiscal-red") == "rgb(179, 38, 30)"
    assert _colour(page, ".fiscal-results .fiscal-colour.fiscal-yellow") == "rgb(242, 194, 48)"
    assert _colour(page, ".fiscal-results .fiscal-colour.fiscal-grey") == "rgb(107, 111, 115)"
    borders = {c: page.locator(f'.fiscal-result[data-colour="{c}"]').evaluate(
        "e => getComputedStyle(e).borderLeftColor") for c in ("red", "yellow", "grey")}
    assert len(set(borders.values())) == 3, borders
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")

    # the sale's page: its customer and the link to the A4 fiscal tax invoice
    page.goto(f"/sales/{world['sale']['id']}")
    panel = page.locator(".fiscal-sale-panel")
    assert "Moyo Hardware (Pvt) Ltd" in panel.text_content() and "2000999999" in panel.text_content()
    assert "set aside" in panel.text_content()  # the credit note FDMS would refuse
    panel.get_by_role("link", name="Fiscal tax invoice 1/1").click()
    page.wait_for_load_state()
    assert page.locator("h1.fiscal-a4-title").text_content() == "FISCAL TAX INVOICE"
    facts = page.locator(".fiscal-a4-facts").text_content()
    assert "BUYER" in facts and "Moyo Hardware (Pvt) Ltd" in facts and "TIN: 2000999999" in facts
    assert world["sale"]["invoice_number"] in facts and f"SN{world['device']['fdms_device_id']}" in facts
    qr = page.locator(".fiscal-a4-qr svg")
    box = qr.bounding_box()
    assert box and box["width"] >= 100 and box["height"] >= 100
    code = page.locator(".fiscal-a4-code").text_content()
    assert len(code) == 19 and code.count("-") == 3
    assert page.locator(".fiscal-a4-taxes").is_visible() and "15.50%" in page.locator(".fiscal-a4-taxes").text_content()
    assert page.locator(".fiscal-a4-back").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".fiscal-a4-back").is_visible() and qr.is_visible()
    page.emulate_media(media="screen")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")
