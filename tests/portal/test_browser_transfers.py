"""Transfers in headless Chromium between two running hubs: a manager sends stock from the sidebar's
Transfers page (a wrong row refused beside it), downloads the transfer file, the other store
uploads it, maps the line it does not know, receives a short delivery and downloads the receipt
confirmation, which the sender uploads; then a phone receives a transfer and the pages fit it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.catalogue.fixtures import ean13, reference
from tests.inventory.test_transfers_api import branch, level, no_differences, stock  # noqa: F401
from tests.portal.conftest import DESKTOP, PHONE, Watch, leaves_the_machine
from tests.portal.test_browser import heading, sign_in

pytestmark = pytest.mark.browser
URL = "/api/v1/inventory/transfers"


@pytest.fixture
def browse_branch(chromium, branch) -> Iterator[Any]:  # noqa: F811
    """browse(viewport) -> (page, watch) against the second hub, as `browse` is against the first."""
    opened: list[tuple[Any, Watch]] = []

    def open_page(viewport: dict[str, int] = DESKTOP) -> tuple[Any, Watch]:
        context = chromium.new_context(viewport=viewport, base_url=branch.url, accept_downloads=True)
        context.set_default_timeout(10_000)
        watch = Watch()
        context.on("request", watch.on_request)
        context.route(leaves_the_machine, lambda route: route.abort())
        page = context.new_page()
        page.on("console", watch.on_console)
        page.on("pageerror", watch.on_page_error)
        opened.append((context, watch))
        return page, watch

    yield open_page
    for context, _watch in opened:
        context.close()
    for _context, watch in opened:
        assert not watch.unexpected(), f"errors in the browser: {watch.unexpected()}"


@pytest.fixture
def goods(hub, branch):  # noqa: F811
    """Tea (cases of 10) and jam at the sender; tea under the same SKU at BYO, jam under another."""
    admin, b_admin = hub.as_user("admin"), branch.as_user("admin")
    ids, b_ids = reference(admin), reference(b_admin)
    return {"tea": stock(admin, ids, "TEA", 30000, 120, ean13("600300000001"), pack=(ean13("600300000002"), 10000)),
            "jam": stock(admin, ids, "JAM", 8000, 90),
            "b_tea": stock(b_admin, b_ids, "TEA", 0, 0), "b_jam": stock(b_admin, b_ids, "JAM-BYO", 0, 0)}


def fits(page, what: str) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{what}: the page scrolls sideways ({width} > {inner})"


def test_stock_is_sent_received_and_confirmed_between_two_stores(browse, browse_branch, hub, branch, goods,
                                                                 tmp_path):  # noqa: F811
    page, watch = browse()
    sign_in(page, hub, "manager")
    page.locator("#sidebar nav").get_by_role("link", name="Transfers", exact=True).click()
    page.wait_for_url(hub.url + "/stock/transfers")
    assert heading(page) == "Transfers"
    page.get_by_role("link", name="New transfer").click()
    page.get_by_label("Destination store code").fill("BYO")
    page.locator("#f-lines\\[0\\]\\.code").fill(ean13("600300000002"))  # a case of 10, scanned
    page.locator("#f-lines\\[0\\]\\.quantity").fill("2")
    page.locator("#f-lines\\[1\\]\\.code").fill("NO-SUCH")
    page.locator("#f-lines\\[1\\]\\.quantity").fill("1")
    page.locator("#f-lines\\[2\\]\\.code").fill("JAM")
    page.locator("#f-lines\\[2\\]\\.quantity").fill("3")
    watch.expect_console_error(422)
    page.get_by_role("button", name="Save draft").click()
    assert "No product has the SKU or barcode NO-SUCH" in page.locator("#e-lines\\[1\\]\\.code").text_content()
    assert page.locator("#f-lines\\[2\\]\\.code").input_value() == "JAM"  # what was typed is kept
    page.locator("#f-lines\\[1\\]\\.code").fill("")
    page.locator("#f-lines\\[1\\]\\.quantity").fill("")
    page.get_by_role("button", name="Save draft").click()
    assert "saved as a draft" in page.locator(".notice").first.text_content()
    page.get_by_role("button", name="Post: send the stock").click()
    assert "in transit to BYO" in page.locator(".notice").first.text_content()
    assert level(hub, goods["tea"]["id"]) == (10000, 120)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download transfer file").click()
    sent = tmp_path / "transfer.json"
    download.value.save_as(sent)
    assert json.loads(sent.read_text())["to"]["store_code"] == "BYO"
    page.goto("/stock/transfers")
    assert page.locator("table.transfers tr.in-transit").count() == 1

    b_page, b_watch = browse_branch()
    sign_in(b_page, branch, "manager")
    b_page.goto("/stock/transfers")
    b_page.get_by_role("link", name="Receive a transfer").click()
    b_page.get_by_label("File", exact=True).set_input_files(str(sent))
    b_page.get_by_role("button", name="Import the transfer").click()
    assert "imported as TI-000001" in b_page.locator(".notice").first.text_content()
    assert b_page.locator(".receiving .badge", has_text="No match").count() == 1
    b_page.locator("#f-lines\\[0\\]\\.received").fill("15")
    b_watch.expect_console_error(422)
    b_page.get_by_role("button", name="Post: put what arrived in stock").click()
    assert "matches no product here: match it to a product" in b_page.locator("#e-lines\\[1\\]\\.code").text_content()
    assert b_page.locator("#f-lines\\[0\\]\\.received").input_value() == "15"  # kept
    b_page.locator("#f-lines\\[1\\]\\.code").fill("JAM-BYO")
    b_page.get_by_role("button", name="Post: put what arrived in stock").click()
    assert "what arrived is in stock" in b_page.locator(".notice").first.text_content()
    assert "Short 5" in b_page.locator("table.transfer-lines").text_content()
    assert level(branch, goods["b_tea"]["id"]) == (15000, 120) and level(branch, goods["b_jam"]["id"]) == (3000, 90)
    with b_page.expect_download() as download:
        b_page.get_by_role("link", name="Download receipt confirmation").click()
    receipt = tmp_path / "receipt.json"
    download.value.save_as(receipt)

    page.goto("/stock/transfers/confirm")
    page.get_by_label("File", exact=True).set_input_files(str(receipt))
    page.get_by_role("button", name="Import the confirmation").click()
    assert "confirmed received by BYO" in page.locator(".notice").first.text_content()
    assert "Short 5" in page.locator("table.transfer-lines").text_content()
    no_differences(hub)
    no_differences(branch)


def test_a_phone_receives_a_transfer_and_the_pages_fit_it(browse, browse_branch, hub, branch, goods):  # noqa: F811
    admin, b_admin = hub.as_user("admin"), branch.as_user("admin")
    draft = admin.post(URL, json={"other_store_code": "BYO", "other_store_name": "Bulawayo branch", "lines": [
        {"code": "TEA", "quantity": 4000}, {"code": "JAM", "quantity": 2000}]}).json()
    assert admin.post(f"{URL}/{draft['id']}/post").status_code == 200
    file = admin.get(f"{URL}/{draft['id']}/file").json()
    arriving = b_admin.post(f"{URL}/import", json=file).json()

    page, _ = browse(PHONE)
    sign_in(page, hub, "manager")
    for path in ("/stock/transfers", f"/stock/transfers/{draft['id']}", "/stock/transfers/new"):
        page.goto(path)
        fits(page, path)

    b_page, _ = browse_branch(PHONE)
    sign_in(b_page, branch, "manager")
    b_page.goto(f"/stock/transfers/{arriving['id']}")
    fits(b_page, "receiving")
    b_page.get_by_label("None arrived").nth(1).check()
    b_page.get_by_role("button", name="Post: put what arrived in stock").click()
    assert "what arrived is in stock" in b_page.locator(".notice").first.text_content()
    fits(b_page, "received")
    assert level(branch, goods["b_tea"]["id"]) == (4000, 120) and level(branch, goods["b_jam"]["id"]) == (0, None)
    no_differences(branch)
