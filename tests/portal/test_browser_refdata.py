"""Categories, Units and Suppliers in headless Chromium against a running hub: a manager adds a
subcategory, tries to move a category under its own subcategory and reads the refusal beside the
parent field, adds a supplier whose lead time is refused and then fixed, and edits a unit; at a
phone's width and a desktop's, without the page scrolling sideways.
"""

from __future__ import annotations

import pytest

from tests.catalogue.fixtures import reference
from tests.portal.conftest import DESKTOP, PHONE
from tests.portal.test_browser import heading, sign_in

pytestmark = pytest.mark.browser


def open_page(page, hub, title: str, path: str) -> None:
    """Open `title` from the sidebar, through the menu button where the sidebar is folded away."""
    toggle = page.get_by_role("button", name="Open menu")
    if toggle.is_visible():
        toggle.click()
    page.locator("#sidebar nav").get_by_role("link", name=title, exact=True).click()
    page.wait_for_url(hub.url + path)
    assert heading(page) == title


def fits(page, where: str) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{where}: the page scrolls sideways ({width} > {inner})"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_keeps_categories_suppliers_and_units_and_reads_each_refusal_beside_its_field(
        browse, hub, tmp_path, viewport):
    ids = reference(hub.as_user("manager"))  # Food > Bakery > Bread, Drinks; each, kg, l
    page, watch = browse(viewport)
    sign_in(page, hub, "manager")

    # A subcategory, added from its parent's row in the tree.
    open_page(page, hub, "Categories", "/categories")
    fits(page, "categories")
    page.get_by_role("link", name="Add a subcategory to Bakery").click()
    page.wait_for_url(hub.url + f"/categories/new?parent={ids['bakery']}")
    assert page.get_by_label("Parent").input_value() == ids["bakery"]
    page.get_by_label("Name").fill("Cakes")
    page.get_by_role("button", name="Add category").click()
    page.wait_for_url(hub.url + "/categories")
    assert page.get_by_role("status").text_content() == "Category Cakes added under Food › Bakery."
    bakery = page.locator(".cat-tree li", has=page.get_by_role("link", name="Bakery", exact=True)).last
    assert bakery.locator("ul .row-link").all_text_contents() == ["Bread", "Cakes"]
    page.screenshot(path=str(tmp_path / "categories.png"), full_page=True)

    # Food under its own grandchild: refused beside the parent field, nothing else lost.
    page.get_by_role("link", name="Food", exact=True).click()
    page.wait_for_url(hub.url + f"/categories/{ids['food']}")
    page.get_by_label("Name").fill("Food and groceries")
    page.get_by_label("Parent").select_option(label="Food › Bakery › Bread")
    watch.expect_console_error(422)
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state()
    refusal = page.locator("#e-parent_id")
    assert refusal.text_content() == "'Food' cannot go under itself or one of its own subcategories."
    assert page.get_by_label("Parent").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Name").input_value() == "Food and groceries"
    assert page.get_by_role("alert").text_content().strip().startswith("The category was not saved.")
    assert refusal.is_visible()
    fits(page, "a refused move")
    page.screenshot(path=str(tmp_path / "category-refused.png"), full_page=True)
    page.get_by_label("Parent").select_option(label="None: a top-level category")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(hub.url + f"/categories/{ids['food']}")
    assert page.get_by_role("status").text_content() == "Category Food and groceries saved."

    # A supplier whose lead time is refused, then fixed.
    open_page(page, hub, "Suppliers", "/suppliers")
    assert "No supplier matches" not in page.locator("main").text_content()
    page.get_by_role("link", name="New supplier").click()
    page.wait_for_url(hub.url + "/suppliers/new")
    page.get_by_label("Name").fill("Mbare Wholesale (Pvt) Ltd")
    page.get_by_label("Contact person").fill("Tendai Moyo")
    page.get_by_label("Phone").fill("+263 77 123 4567")
    page.get_by_label("Payment terms (days)").fill("30")
    page.get_by_label("Lead time (days)").fill("400")
    watch.expect_console_error(422)
    page.get_by_role("button", name="Add supplier").click()
    page.wait_for_load_state()
    assert page.locator("#e-lead_time_days").text_content() == "Must be at most 365."
    assert page.get_by_label("Lead time (days)").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Name").input_value() == "Mbare Wholesale (Pvt) Ltd"
    assert page.get_by_label("Contact person").input_value() == "Tendai Moyo"
    fits(page, "a refused supplier")
    page.screenshot(path=str(tmp_path / "supplier-refused.png"), full_page=True)
    page.get_by_role("alert").get_by_role("link", name="Lead time (days)").click()  # the summary leads there
    assert page.evaluate("document.activeElement.id") == "f-lead_time_days"
    page.get_by_label("Lead time (days)").fill("4")
    page.get_by_role("button", name="Add supplier").click()
    page.wait_for_url(lambda url: url.startswith(hub.url + "/suppliers/") and not url.endswith("/new"))
    assert page.get_by_role("status").text_content() == "Supplier Mbare Wholesale (Pvt) Ltd added."
    facts = page.locator("main").text_content()
    assert "4 days" in facts and "30 days" in facts and "Tendai Moyo" in facts
    fits(page, "a supplier")
    page.screenshot(path=str(tmp_path / "supplier.png"), full_page=True)

    # A unit's name and decimals edited.
    open_page(page, hub, "Units", "/units")
    fits(page, "units")
    page.get_by_role("link", name="l", exact=True).click()
    page.wait_for_url(lambda url: url.startswith(hub.url + "/units/"))
    assert heading(page) == "Litre"
    page.get_by_label("Name").fill("Litre (loose)")
    page.get_by_label("Decimals a quantity may have").select_option("1")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").text_content() == "Unit Litre (loose) (l) saved."
    unit = hub.as_user("manager").get("/api/v1/units", params={"q": "l"}).json()["items"]
    assert [(u["name"], u["decimals"]) for u in unit if u["code"] == "l"] == [("Litre (loose)", 1)]
    open_page(page, hub, "Units", "/units")
    assert "Litre (loose)" in page.locator("table.units").text_content()
    page.screenshot(path=str(tmp_path / "units.png"), full_page=True)
