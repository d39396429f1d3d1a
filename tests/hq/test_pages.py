"""HQ's pages over HTTP: sign-in, the figures per currency with CSV export, health, requests."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest

from tests.hq.facts_util import batch, fact, movement, sale
from tests.hqtest import ADMIN, ANALYST

PAGES = ["/", "/products", "/categories", "/margin", "/stock", "/health", "/requests", "/stores"]


def _browser(hq, who=ADMIN) -> httpx.Client:
    client = hq.client()
    r = client.post("/login", data={"username": who[0], "password": who[1], "next": "/margin"})
    assert r.status_code == 303 and r.headers["location"] == "/margin"
    assert "soko_hq_session" in client.cookies
    return client


@pytest.fixture
def chain(hq):
    """Two stores with sales in two currencies, stock and costs."""
    for store, extra in (("S1", 0), ("S2", 100)):
        enrolled = hq.enrol(store, hub_id=f"hub-{store}")
        facts = [fact(1, "a", "sale", sale("a", "USD", [("p1", "c1", 2000, 660 + extra, 60)])),
                 fact(2, "m1", "stock_movement", movement("m1", "p1", -2000, unit_cost=150, source_id="a")),
                 fact(3, "b", "sale", sale("b", "ZWG", [("p1", "c1", 1000, 9000, 0)])),
                 fact(4, "m2", "stock_movement", movement("m2", "p1", -1000, unit_cost=150, source_id="b")),
                 fact(5, "m3", "stock_movement", movement("m3", "p1", 50000, kind="receipt"))]
        r = hq.hub_client(enrolled["token"], f"hub-{store}").post("/api/hq/v1/facts",
                                                                  json=batch(f"hub-{store}", "e1", facts))
        assert r.status_code == 200
    hq.admin.put("/api/hq/v1/reference/category/c1", json={"name": "Drinks"})
    hq.admin.put("/api/hq/v1/reference/product/p1", json={"sku": "COKE", "name": "Coke 330ml"})
    return hq


def test_pages_need_a_sign_in(hq):
    for path in PAGES:
        r = hq.client().get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    r = hq.client().post("/login", data={"username": ADMIN[0], "password": "nope", "next": "/"})
    assert r.status_code == 401 and "Wrong username or password" in r.text
    assert 'value="hq-admin"' in r.text  # what was typed is kept
    r = hq.client().post("/login", data={"username": "", "password": ""})
    assert r.status_code == 422 and r.text.count('class="field-error"') == 2
    r = hq.client().post("/login", data={"username": ADMIN[0], "password": ADMIN[1], "next": "//evil.example/"})
    assert r.headers["location"] == "/"


def test_every_page_renders_without_inline_script_or_style(chain):
    client = _browser(chain, ANALYST)
    for path in PAGES:
        r = client.get(path, params={"from": "2026-11-01", "to": "2026-11-30"})
        assert r.status_code == 200, (path, r.text[:500])
        assert "script-src" not in r.headers["content-security-policy"]  # default-src 'none': no script at all
        assert "<script" not in r.text and "style=" not in r.text and "<style" not in r.text
        assert '<meta name="viewport"' in r.text
    assert client.get("/static/hq.css").headers["content-type"].startswith("text/css")
    assert client.post("/logout").status_code == 303
    assert client.get("/").status_code == 303


def test_sales_by_day_shows_each_currency_apart_and_exports_csv(chain):
    client = _browser(chain)
    page = client.get("/", params={"from": "2026-11-20", "to": "2026-11-20"}).text
    totals = re.findall(r'<div class="total"><h2>(\w+)</h2>', page)
    assert totals == ["USD", "ZWG"]
    r = client.get("/", params={"from": "2026-11-20", "to": "2026-11-20", "format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["store"], x["currency"], x["sales"], x["total"]) for x in rows] == [
        ("S1", "USD", "1", "660"), ("S1", "ZWG", "1", "9000"), ("S2", "USD", "1", "760"), ("S2", "ZWG", "1", "9000")]
    only = list(csv.DictReader(io.StringIO(client.get("/", params={
        "from": "2026-11-20", "to": "2026-11-20", "store": "S2", "format": "csv"}).text)))
    assert {x["store"] for x in only} == {"S2"}


def test_product_category_margin_and_stock(chain):
    client = _browser(chain)
    q = {"from": "2026-11-20", "to": "2026-11-20", "format": "csv"}
    products = list(csv.DictReader(io.StringIO(client.get("/products", params=q).text)))
    assert [(x["code"], x["currency"], x["stores"], x["quantity"], x["net"]) for x in products] == [
        ("P1", "USD", "2", "4000", str(600 + 700)), ("P1", "ZWG", "2", "2000", "18000")]
    categories = list(csv.DictReader(io.StringIO(client.get("/categories", params=q).text)))
    assert [(x["category"], x["currency"], x["net"]) for x in categories] == [("Drinks", "USD", "1300"),
                                                                              ("Drinks", "ZWG", "18000")]
    margin = list(csv.DictReader(io.StringIO(client.get("/margin", params=q).text)))
    # cost in USD (each store's cost currency): 2 x 1.50 on the USD sale; the ZWG sale's cost stays apart
    assert [(x["store"], x["currency"], x["revenue"], x["cost"], x["margin"]) for x in margin] == [
        ("S1", "USD", "600", "300", "300"), ("S1", "ZWG", "9000", "150", ""),
        ("S2", "USD", "700", "300", "400"), ("S2", "ZWG", "9000", "150", "")]
    stock = list(csv.DictReader(io.StringIO(client.get("/stock", params={"format": "csv"}).text)))
    assert [(x["store"], x["sku"], x["on_hand"]) for x in stock] == [("S1", "COKE", "47000"), ("S2", "COKE", "47000")]
    assert "Coke 330ml" in client.get("/stock").text


def test_a_bad_period_is_named_beside_its_field(chain):
    client = _browser(chain)
    r = client.get("/", params={"from": "2026-13-01", "to": "2026-11-20"})
    assert r.status_code == 422 and 'id="f-from"' in r.text and "a date such as" in r.text
    r = client.get("/products", params={"from": "2026-11-21", "to": "2026-11-20"})
    assert r.status_code == 422 and "on or before To" in r.text


def test_health_shows_last_contact_backlog_fiscal_and_versions(chain):
    enrolled_token = chain.enrol("S3", hub_id="hub-S3")["token"]
    chain.hub_client(enrolled_token, "hub-S3").post("/api/hq/v1/status", json={
        "hub_id": "hub-S3", "epoch": "e1", "versions": {"hub": "0.9.1", "schema": 29}, "backlog": 42,
        "oldest_unsent_at": "2026-11-26T08:00:00Z", "fiscal": {"queue": 5, "day_status": "open"}, "tills": 3})
    client = _browser(chain)
    page = client.get("/health").text
    assert "hub 0.9.1, schema 29" in page and ">42<" in page and "open" in page
    rows = {x["store"]: x for x in csv.DictReader(io.StringIO(client.get("/health", params={"format": "csv"}).text))}
    assert rows["S3"]["backlog"] == "42" and rows["S3"]["fiscal_queue"] == "5" and rows["S1"]["acked_through"] == "5"
    assert rows["S1"]["last_contact"] == ""  # no status yet
    assert rows["S3"]["oldest_unsent_at"] == "2026-11-26T08:00:00.000Z"


def test_requesting_a_stores_data_from_the_page(chain):
    client = _browser(chain, ANALYST)
    r = client.post("/requests", data={"store": "S1", "kind": "report", "name": "", "from": "2026-11-01", "to": "x"})
    assert r.status_code == 422 and r.text.count('class="field-error"') == 2 and 'value="2026-11-01"' in r.text
    assert chain.scalar("SELECT count(*) FROM requests") == 0
    r = client.post("/requests", data={"store": "S1", "kind": "report", "name": "sales_summary",
                                       "from": "2026-11-01", "to": "2026-11-25"})
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "Request queued for S1" in page and ">queued<" in page
    token = chain.enrol("S1", hub_id="hub-S1-new")["token"]
    hub = chain.hub_client(token, "hub-S1-new")
    (req,) = hub.post("/api/hq/v1/status", json={"hub_id": "hub-S1-new", "epoch": "e1"}).json()["requests"]
    hub.post(f"/api/hq/v1/requests/{req['id']}/result", json={"status": "done", "data": {"total": 123}})
    page = client.get("/requests").text
    assert ">done<" in page and "123" in page


def test_refunds_and_corrections_count_in_the_days_net(hq):
    token = hq.enrol("S1", hub_id="hub-S1")["token"]
    facts = [fact(1, "a", "sale", sale("a", "USD", [("p1", "c1", 1000, 1000, 0)])),
             fact(2, "r", "refund", {"id": "r", "sale_id": "a", "currency": "USD", "total": 200, "tax_total": 0}),
             fact(3, "k1", "correction", {"id": "k1", "sale_id": "a", "kind": "charge", "currency": "USD",
                                          "total": 50, "tax_total": 0}),
             fact(4, "k2", "correction", {"id": "k2", "sale_id": "a", "kind": "credit", "currency": "USD",
                                          "total": 30, "tax_total": 0, "business_date": "2026-11-21"})]
    assert hq.hub_client(token, "hub-S1").post("/api/hq/v1/facts", json=batch("hub-S1", "e1", facts)).status_code == 200
    client = _browser(hq)
    rows = list(csv.DictReader(io.StringIO(client.get("/", params={
        "from": "2026-11-20", "to": "2026-11-21", "format": "csv"}).text)))
    assert [(x["business_date"], x["total"], x["refunded"], x["corrected"], x["net"]) for x in rows] == [
        ("2026-11-21", "0", "0", "-30", "-30"), ("2026-11-20", "1000", "200", "50", "850")]


def test_an_admin_makes_a_store_and_an_enrolment_code_from_the_stores_page(hq):
    client = _browser(hq)
    r = client.post("/stores", data={"code": "S 1", "name": "", "time_zone": "Mars/Base", "currencies": "US"})
    assert r.status_code == 422 and r.text.count('class="field-error"') == 4 and 'value="Mars/Base"' in r.text
    assert hq.scalar("SELECT count(*) FROM stores") == 0
    r = client.post("/stores", data={"code": "S1", "name": "Borrowdale", "time_zone": "Africa/Harare",
                                     "currencies": "USD, ZWG"})
    assert r.status_code == 303
    assert "Store S1 made" in client.get(r.headers["location"]).text
    page = client.post("/stores/S1/enrolment")
    assert page.status_code == 201
    code = re.search(r'<strong class="code">(\w{12})</strong>', page.text)[1]
    enrolment = client.get(f"/stores/S1/soko-enrol.json?code={code}")
    assert enrolment.json() == {"hq_url": hq.url, "code": code, "store_code": "S1"}
    r = hq.client().post("/api/hq/v1/enrol", json={"code": code, "hub_id": "h", "store_code": "S1", "epoch": "e"})
    assert r.status_code == 201
    assert client.get(f"/stores/S1/soko-enrol.json?code={code}").status_code == 404  # used
    analyst = _browser(hq, ANALYST)
    assert "New enrolment code" not in analyst.get("/stores").text
    assert analyst.post("/stores/S1/enrolment").status_code == 403
    assert analyst.post("/stores", data={"code": "S2", "name": "X", "time_zone": "Africa/Harare",
                                         "currencies": "USD"}).status_code == 403
    assert hq.scalar("SELECT count(*) FROM enrolment_codes") == 1
