"""Import, bulk price change, shelf labels and export in headless Chromium against a running hub: a
manager uploads a CSV with one bad row and sees that row's problem and that nothing was imported,
uploads the corrected file and imports it, previews and applies a 10 % increase on a category
(after a refused -150 %), finds the products on the shelf-label list and clears one, and downloads
the export; on a desktop and on a phone.
"""

from __future__ import annotations

import pytest

from tests.catalogue.fixtures import reference
from tests.portal.conftest import DESKTOP, PHONE
from tests.portal.test_browser import heading, sign_in

pytestmark = pytest.mark.browser

HEADER = "sku,name,category,unit,tax_class,price_USD,barcodes"
GOOD_ROWS = ("BRD-W700,White bread 700g,Food/Bakery/Bread,each,VAT,1.00,6009700000017",
             "BRD-B700,Brown bread 700g,Food/Bakery/Bread,each,VAT,0.95,",
             "CAK-CHOC,Chocolate cake,Food/Bakery,each,VAT,2.50,")
BAD_ROW = "CAK-CHOC,Chocolate cake,Food/Bakery,each,VAT,2.505,"


def csv_file(tmp_path, name: str, *rows: str):
    path = tmp_path / name
    path.write_text("\r\n".join((HEADER, *rows)) + "\r\n", encoding="utf-8")
    return path


def fits(page, what: str) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{what}: the page scrolls sideways ({width} > {inner})"


def jump(page, hub, words: str, title: str, path: str) -> None:
    box = page.get_by_role("combobox", name="Jump to a page")
    box.fill(words)
    assert page.locator("#jump-list [role=option]").first.text_content() == title + "Catalogue"
    box.press("Enter")
    page.wait_for_url(hub.url + path)
    assert heading(page) == title


@pytest.mark.parametrize("name, viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_a_manager_imports_a_corrected_file_raises_a_category_clears_labels_and_exports(
        browse, hub, tmp_path, name, viewport):
    reference(hub.as_user("admin"))  # the store's category tree: Food/Bakery/Bread, Drinks
    api = hub.as_user("manager")
    page, watch = browse(viewport)
    sign_in(page, hub, "manager")

    # A file with one bad row: the row's problem is shown and nothing is imported.
    jump(page, hub, "import", "Import products", "/products/import")
    assert "price_USD" in page.locator("table.import-columns").text_content()
    page.get_by_label("CSV file").set_input_files(csv_file(tmp_path, "bakery.csv", *GOOD_ROWS[:2], BAD_ROW))
    watch.expect_console_error(422)
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").text_content().startswith("1 problem in bakery.csv: nothing was imported.")
    problem = page.locator("table.import-errors tbody tr")
    assert problem.count() == 1
    assert [c.strip() for c in problem.locator("td").all_text_contents()] == [
        "4", "price_USD", "'2.505' has more than 2 decimals"]
    assert page.get_by_role("button", name="Import 3 products").count() == 0
    assert api.get("/api/v1/products", params={"q": "BRD"}).json()["items"] == []
    fits(page, f"the import report on a {name}")

    # The corrected file: checked, then imported by its button.
    page.get_by_label("CSV file").set_input_files(csv_file(tmp_path, "bakery-fixed.csv", *GOOD_ROWS))
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()
    assert "Ready to import: bakery-fixed.csv" in page.locator("main").text_content()
    assert api.get("/api/v1/products", params={"q": "BRD"}).json()["items"] == []  # not yet
    page.get_by_role("button", name="Import 3 products").click()
    page.wait_for_url(hub.url + "/products/import")
    assert page.get_by_role("status").text_content() == (
        "Imported 3 products from bakery-fixed.csv: 3 created, 0 updated.")
    assert len(api.get("/api/v1/products", params={"q": "bread"}).json()["items"]) == 2

    # A 10 % increase on Food/Bakery: refused beside its field first, then previewed and applied.
    jump(page, hub, "bulk", "Bulk price change", "/products/bulk-price")
    page.get_by_label("Category").select_option(label="Food/Bakery")
    page.get_by_label("Change", exact=True).fill("-150")
    watch.expect_console_error(422)
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state()
    error = page.locator("#e-change")
    assert error.text_content() == "A decrease of more than 100 % would take every price below zero."
    assert page.get_by_label("Change", exact=True).get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Category").input_value() != ""  # the choice is kept
    page.get_by_label("Change", exact=True).fill("10")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state()
    preview = {row.locator("td").nth(0).text_content(): [c.strip() for c in row.locator("td").all_text_contents()[2:]]
               for row in page.locator("table.bulk-items tbody tr").all()}
    assert preview == {"BRD-B700": ["USD 0.95", "USD 1.05", "+0.10"], "BRD-W700": ["USD 1.00", "USD 1.10", "+0.10"],
                       "CAK-CHOC": ["USD 2.50", "USD 2.75", "+0.25"]}
    fits(page, f"the bulk price preview on a {name}")
    page.get_by_role("button", name="Apply 3 new prices").click()
    page.wait_for_url(hub.url + "/products/bulk-price")
    assert page.get_by_role("status").text_content().startswith("3 prices changed on 3 products")
    cake = api.get("/api/v1/products", params={"q": "CAK-CHOC"}).json()["items"][0]
    assert cake["prices"] == {"USD": 275}

    # The shelf-label list has them, with the old and the new price; one is cleared.
    if viewport is PHONE:
        page.get_by_role("button", name="Open menu").click()
    page.locator("#sidebar nav").get_by_role("link", name="Shelf labels", exact=True).click()
    page.wait_for_url(hub.url + "/labels")
    assert heading(page) == "Shelf labels" and "Print the new labels" in page.locator(".print-labels").text_content()
    rows = page.locator("table.labels-queue tbody tr")
    changes = {r.locator("td[data-label=Product] code").text_content(): r.locator("td[data-label='Price change']")
               .text_content().strip() for r in rows.all()}
    assert changes == {"BRD-W700": "USD 1.00 → 1.10", "BRD-B700": "USD 0.95 → 1.05", "CAK-CHOC": "USD 2.50 → 2.75"}
    fits(page, f"the shelf-label list on a {name}")
    page.get_by_role("checkbox", name="Select Chocolate cake").check()
    page.get_by_role("button", name="Clear selected").click()
    page.wait_for_url(hub.url + "/labels")
    assert page.get_by_role("status").text_content() == "1 product taken off the list."
    assert rows.count() == 2 and "Chocolate cake" not in page.locator("table.labels-queue").text_content()

    # The export, downloaded as a file named after the store and the day.
    jump(page, hub, "export", "Export products", "/products/export")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    saved = tmp_path / f"export-{name}.csv"
    download.value.save_as(saved)
    assert download.value.suggested_filename.startswith("products-DEMO-")
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("sku,name,receipt_name,") and "CAK-CHOC,Chocolate cake" in text and ",2.75," in text
    assert download.value.suggested_filename in page.locator("main").text_content()
    fits(page, f"the export page on a {name}")
    for path in ("/products/import", "/products/bulk-price", "/labels", "/products/export"):
        page.goto(path)
        page.screenshot(path=str(tmp_path / f"{path.strip('/').replace('/', '-')}-{name}.png"), full_page=True)
        fits(page, f"{path} on a {name}")
