"""The Stock pages over real HTTP: stock levels (value at cost, search, low stock, below zero,
paging) and stock movements (by product, kind, user and day, paging), read-only and for those
who may see inventory."""

from __future__ import annotations

import pytest

import hub.inventory.portal as stock_portal
from hub.db.audit import Actor
from hub.inventory import Source, move
from tests.catalogue.fixtures import admin, create, ids, writing  # noqa: F401
from tests.catalogue.fixtures import rows as db_rows
from tests.people import audit_entries
from tests.portal.client import Portal
from tests.portal.test_devices_pages import rows, text_of


@pytest.fixture
def portal(hub):
    return Portal(hub)


@pytest.fixture
def stocked(hub, ids, admin):
    """Rice (plenty), Sugar (low), Oil (sold below zero by a till), Salt (never moved)."""
    made = {
        "rice": create(admin, ids, name="Stock Rice 2kg", low_stock_threshold=5000,
                       opening_stock={"quantity": 40000, "unit_cost": 250}),
        "sugar": create(admin, ids, name="Stock Sugar 1kg", low_stock_threshold=10000, category_id=ids["bread"],
                        opening_stock={"quantity": 6000, "unit_cost": 120}),
        "oil": create(admin, ids, name="Stock Oil 750ml", opening_stock={"quantity": 2000, "unit_cost": 300}),
        "salt": create(admin, ids, name="Stock Salt 500g"),
    }
    with writing(hub.db_path) as conn:
        move(conn, kind="sale", product_id=made["oil"]["id"], quantity=-5000, occurred_at="2024-06-03T09:00:00Z",
             actor=Actor(user_id=None, username="cashier", device_id="till-3"), source=Source("sale", "s-9", 0),
             note="offline sale")
    return made


def test_stock_levels_show_value_at_cost_and_filter_low_and_below_zero(hub, portal, stocked):
    token = portal.token("manager")
    seq = audit_entries(hub)[-1]["seq"]
    r = portal.call("GET", "/stock?q=Stock", token)
    assert r.status_code == 200, r.text
    page = text_of(r.text)
    assert "Stock value at cost USD 98.20" in page  # 40 x 2.50 + 6 x 1.20 - 3 x 3.00, and Salt: 0
    assert "Below zero 1" in page
    listed = rows(r.text)
    assert [row.split(" SKU-")[0] for row in listed] == [
        "Stock Oil 750ml", "Stock Rice 2kg", "Stock Salt 500g", "Stock Sugar 1kg"]
    oil = next(row for row in listed if row.startswith("Stock Oil"))
    assert "-3 each" in oil and "USD 3.00" in oil and "USD -9.00" in oil and "Below zero" in oil
    assert "never" in next(row for row in listed if row.startswith("Stock Salt"))

    low = rows(portal.call("GET", "/stock?q=Stock&low=1", token).text)
    assert [row.split(" SKU-")[0] for row in low] == ["Stock Oil 750ml", "Stock Salt 500g", "Stock Sugar 1kg"]
    negative = rows(portal.call("GET", "/stock?negative=1", token).text)
    assert [row.split(" SKU-")[0] for row in negative] == ["Stock Oil 750ml"]
    sugar = stocked["sugar"]
    by_sku = rows(portal.call("GET", f"/stock?q={sugar['sku']}", token).text)
    assert len(by_sku) == 1 and "Low" in by_sku[0]
    assert 'href="/stock/movements?sku=' in r.text
    assert audit_entries(hub, seq) == []  # reading writes nothing


def test_stock_levels_page_a_page_at_a_time(hub, portal, stocked, monkeypatch):
    monkeypatch.setattr(stock_portal, "PAGE_SIZE", 3)
    token = portal.token("admin")
    first = portal.call("GET", "/stock?q=Stock+", token)
    assert len(rows(first.text)) == 3 and "Next page" in first.text and "First page" not in first.text
    following = first.text.split('href="/stock?')[-1].split('"')[0].replace("&amp;", "&")
    second = portal.call("GET", f"/stock?{following}", token)
    assert [row.split(" SKU-")[0] for row in rows(second.text)] == ["Stock Sugar 1kg"]
    assert "First page" in second.text and "Next page" not in second.text
    assert portal.call("GET", "/stock?after=garbage", token).status_code == 200  # the first page again


def test_stock_movements_filter_by_product_kind_user_and_day(hub, portal, stocked):
    token = portal.token("supervisor")
    oil = stocked["oil"]
    r = portal.call("GET", f"/stock/movements?sku={oil['sku']}", token)
    assert r.status_code == 200, r.text
    page = text_of(r.text)
    assert f"Movements of Stock Oil 750ml ( {oil['sku']} ): -3 on hand now." in page
    listed = rows(r.text)
    assert len(listed) == 2
    assert "sale" in listed[0] and "-5 each" in listed[0] and "offline sale" in listed[0] and "till-3" in listed[0]
    assert "opening" in listed[1] and "+2 each" in listed[1] and "USD 6.00" in listed[1] and "admin" in listed[1]

    assert len(rows(portal.call("GET", "/stock/movements?kind=sale", token).text)) == 1
    [admin_row] = db_rows(hub.db_path, "SELECT id FROM users WHERE username = 'admin'")
    assert len(rows(portal.call("GET", f"/stock/movements?user={admin_row['id']}", token).text)) == 3
    day = rows(portal.call("GET", "/stock/movements?from=2024-06-03&to=2024-06-03", token).text)
    assert len(day) == 1 and "sale" in day[0]
    assert rows(portal.call("GET", "/stock/movements?from=2024-06-04&to=2024-06-05", token).text) == []
    unknown = portal.call("GET", "/stock/movements?sku=NO-SUCH-SKU", token)
    assert "No product has the SKU NO-SUCH-SKU" in text_of(unknown.text) and rows(unknown.text) == []


def test_stock_movements_page_older_and_back_to_newest(hub, portal, stocked, monkeypatch):
    monkeypatch.setattr(stock_portal, "PAGE_SIZE", 2)
    token = portal.token("manager")
    first = portal.call("GET", "/stock/movements", token)
    assert len(rows(first.text)) == 2 and "Older" in first.text
    older = first.text.split('href="/stock/movements?before=')[1].split('"')[0]
    second = portal.call("GET", f"/stock/movements?before={older}", token)
    assert len(rows(second.text)) == 2 and "Newest" in second.text


def test_a_cashier_cannot_open_the_stock_pages(hub, portal):
    token = portal.token("cashier")
    for path in ("/stock", "/stock/movements"):
        r = portal.call("GET", path, token)
        assert r.status_code == 403 and "403 forbidden" in r.text
