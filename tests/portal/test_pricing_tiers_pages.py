"""The Pricing tiers pages over real HTTP: the list, a new tier, its name and rule, archiving, and its
own product prices (set by SKU or barcode, paged, changed, removed), each change checked through
the API; refusals shown beside their input, changing nothing; HQ's tiers read-only once enrolled."""

from __future__ import annotations

import html
import re

import pytest

from tests.catalogue import seed
from tests.people import audit_entries
from tests.portal.client import Portal
from tests.portal.test_devices_pages import rows, text_of
from tests.portal.test_promotions_pages import inline_error, value_of


@pytest.fixture
def shop(hub):
    """USD and ZWG, bread USD 1.50, milk USD 2.00, covo ZWG 10.00 (tests/catalogue/seed.py)."""
    seed.basics(hub.db_path)
    hub.manager = hub.as_user("manager")
    return hub


@pytest.fixture
def portal(hub):
    return Portal(hub)


def tier(shop, name: str = "Wholesale", percent_off_bp: int | None = 500) -> dict:
    r = shop.manager.post("/api/v1/pricing-tiers", json={"name": name, "percent_off_bp": percent_off_bp})
    assert r.status_code == 201, r.text
    return r.json()


def test_the_list_shows_each_tiers_rule_and_own_prices_and_hides_archived_ones(shop, portal):
    token = portal.token("supervisor")
    empty = text_of(portal.call("GET", "/pricing-tiers", token).text)
    assert "The store has no pricing tiers yet." in empty and "New pricing tier" not in empty
    wholesale, staff = tier(shop), tier(shop, "Staff", None)
    r = shop.manager.put(f"/api/v1/pricing-tiers/{staff['id']}/prices/bread", json={"USD": 120})
    assert r.status_code == 200
    old = tier(shop, "Old loyalty", 200)
    assert shop.manager.post(f"/api/v1/pricing-tiers/{old['id']}/archive").status_code == 200
    page = portal.call("GET", "/pricing-tiers", token)
    assert page.status_code == 200
    assert rows(page.text) == ["Staff Only its own product prices 1 product Active",
                               "Wholesale 5 % off the normal price 0 products Active"]
    assert rows(portal.call("GET", "/pricing-tiers?show=all", token).text)[0] == \
        "Old loyalty 2 % off the normal price 0 products Archived"
    assert [r.split(" ")[0] for r in rows(portal.call("GET", "/pricing-tiers?q=whole", token).text)] == [
        "Wholesale"]
    assert "New pricing tier" in portal.call("GET", "/pricing-tiers", portal.token("manager")).text
    assert wholesale["id"] in page.text
    assert portal.call("GET", "/pricing-tiers", portal.token("cashier")).status_code == 403


def test_a_tier_is_created_on_the_form_and_a_refusal_is_shown_beside_its_field(shop, portal):
    token = portal.token("manager")
    assert portal.call("GET", "/pricing-tiers/new", portal.token("supervisor")).status_code == 403
    r = portal.call("POST", "/pricing-tiers", token, {"name": "Staff", "percent": "12.5"})
    assert r.status_code == 303
    made = shop.manager.get(f"/api/v1/pricing-tiers/{r.headers['location'].rsplit('/', 1)[1]}").json()
    assert (made["name"], made["percent_off_bp"]) == ("Staff", 1250)

    seq = audit_entries(shop)[-1]["seq"]
    bad = portal.call("POST", "/pricing-tiers", token, {"name": "Crew", "percent": "ten"})
    assert bad.status_code == 422 and inline_error(bad.text, "percent") == "A number such as 10 or 12.5"
    assert value_of(bad.text, "name") == "Crew" and value_of(bad.text, "percent") == "ten"
    taken = portal.call("POST", "/pricing-tiers", token, {"name": "STAFF", "percent": ""})
    assert taken.status_code == 422
    assert inline_error(taken.text, "name") == "There is already a tier named 'STAFF'"
    over = portal.call("POST", "/pricing-tiers", token, {"name": "Free", "percent": "100.5"})
    assert over.status_code == 422 and inline_error(over.text, "percent") == "At most 100 (%)"
    assert audit_entries(shop, seq) == []
    assert [t["name"] for t in shop.manager.get("/api/v1/pricing-tiers").json()["items"]] == ["Staff"]


def test_a_tier_is_renamed_its_rule_removed_and_then_archived(shop, portal):
    made = tier(shop)
    token = portal.token("manager")
    page = portal.call("GET", f"/pricing-tiers/{made['id']}", token).text
    assert value_of(page, "name") == "Wholesale" and value_of(page, "percent") == "5"
    url = f"/pricing-tiers/{made['id']}"
    r = portal.call("POST", url, token, {"name": "Wholesale club", "percent": ""})
    assert r.status_code == 303
    saved = shop.manager.get(f"/api/v1/pricing-tiers/{made['id']}").json()
    assert (saved["name"], saved["percent_off_bp"]) == ("Wholesale club", None)
    tier(shop, "Staff")
    taken = portal.call("POST", url, token, {"name": "staff", "percent": "3"})
    assert taken.status_code == 422
    assert inline_error(taken.text, "name").startswith("There is already a tier")

    assert portal.call("POST", f"{url}/archive", portal.token("supervisor")).status_code == 403
    r = portal.call("POST", f"{url}/archive", token)
    assert r.status_code == 303
    assert shop.manager.get(f"/api/v1/pricing-tiers/{made['id']}").json()["active"] is False
    archived = portal.call("GET", url, token).text
    assert "This tier is archived" in archived
    assert "Archive tier" not in archived and "Set tier price" not in archived
    assert portal.call("GET", "/pricing-tiers/no-such-tier", token).status_code == 404


def test_tier_prices_are_set_by_sku_or_barcode_listed_changed_and_removed(shop, portal, monkeypatch):
    r = shop.manager.patch("/api/v1/products/milk", json={"barcodes": [{"code": "4006381333931"}]})
    assert r.status_code == 200, r.text
    made = tier(shop, "Staff", 1000)
    token, url = portal.token("manager"), f"/pricing-tiers/{made['id']}"
    assert ("No product has its own price in this tier: every product is 10 % off the normal price."
            in text_of(portal.call("GET", url, token).text))
    r = portal.call("POST", f"{url}/prices", token, {"code": "bread", "price_USD": "1.20"})
    assert r.status_code == 303 and r.headers["location"] == url
    r = portal.call("POST", f"{url}/prices", token,
                    {"code": "4006381333931", "price_USD": "1.75", "price_ZWG": "45"})
    assert r.status_code == 303
    prices = shop.manager.get(f"/api/v1/pricing-tiers/{made['id']}/prices").json()["items"]
    assert prices == [{"product_id": "bread", "prices": {"USD": 120}},
                      {"product_id": "milk", "prices": {"USD": 175, "ZWG": 4500}}]
    page = portal.call("GET", url, portal.token("supervisor")).text
    assert rows(page) == ["bread bread USD 1.20 USD 1.50", "milk milk USD 1.75 ZWG 45.00 USD 2.00"]
    assert "Set tier price" not in page and "Remove" not in page  # a supervisor looks

    editing = portal.call("GET", f"{url}?edit=milk", token).text
    assert value_of(editing, "code") == "milk" and value_of(editing, "price_ZWG") == "45.00"
    assert "Change milk&#39;s tier price" in editing
    monkeypatch.setattr("hub.catalogue.pricing_tiers.portal.PRICES_PAGE", 1)
    first = portal.call("GET", url, token).text
    assert [r.split(" ")[0] for r in rows(first)] == ["bread"]
    following = html.unescape(re.search(r'<a class="button" href="([^"]+)">Next →</a>', first)[1])
    assert [r.split(" ")[0] for r in rows(portal.call("GET", following, token).text)] == ["milk"]

    r = portal.call("POST", f"{url}/prices/bread/remove", token)
    assert r.status_code == 303
    left = shop.manager.get(f"/api/v1/pricing-tiers/{made['id']}/prices").json()["items"]
    assert [e["product_id"] for e in left] == ["milk"]
    again = portal.call("POST", f"{url}/prices/bread/remove", token)
    assert again.status_code == 404  # nothing left to remove


def test_a_refused_tier_price_is_named_beside_its_input_and_changes_nothing(shop, portal):
    made = tier(shop)
    token, url = portal.token("manager"), f"/pricing-tiers/{made['id']}/prices"
    seq = audit_entries(shop)[-1]["seq"]
    r = portal.call("POST", url, token, {"code": "ghost", "price_USD": "1.234"})
    assert r.status_code == 422
    assert inline_error(r.text, "code") == "No active product has the SKU or barcode ghost"
    assert inline_error(r.text, "price_USD") == "At most 2 decimals"
    assert value_of(r.text, "code") == "ghost" and value_of(r.text, "price_USD") == "1.234"
    r = portal.call("POST", url, token, {"code": "bread", "price_USD": "", "price_ZWG": ""})
    assert r.status_code == 422
    assert inline_error(r.text, "price") == "Give the tier price in at least one currency"
    assert "2 fields to fix" not in r.text and "1 field to fix; nothing was saved." in text_of(r.text)
    assert audit_entries(shop, seq) == []
    assert shop.manager.get(f"/api/v1/pricing-tiers/{made['id']}/prices").json()["items"] == []
    refused = portal.call("POST", url, portal.token("supervisor"), {"code": "bread", "price_USD": "1"})
    assert refused.status_code == 403


def test_once_enrolled_with_hq_the_tier_forms_are_disabled_and_a_post_is_refused(shop, portal):
    made = tier(shop)
    with seed.writing(shop.db_path) as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('hq_enrolled', '1')"
                     " ON CONFLICT (key) DO UPDATE SET value = '1'")
    token = portal.token("manager")
    page = portal.call("GET", f"/pricing-tiers/{made['id']}", token).text
    assert "which owns pricing tiers and their prices: change them at HQ." in text_of(page)
    assert re.search(r'id="f-name" name="name" type="text" value="Wholesale"[^>]* disabled', page)
    assert "Save tier" not in page and "Set tier price" not in page
    new = portal.call("GET", "/pricing-tiers/new", token).text
    assert re.search(r'<button type="submit" class="button primary" disabled>Create tier</button>', new)
    r = portal.call("POST", f"/pricing-tiers/{made['id']}", token, {"name": "Renamed", "percent": "5"})
    assert r.status_code == 409 and "HQ owns" in text_of(r.text)
    assert shop.manager.get(f"/api/v1/pricing-tiers/{made['id']}").json()["name"] == "Wholesale"
