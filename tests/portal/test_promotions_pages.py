"""The Promotions pages and "Try a basket" over real HTTP: the list and its filters, a form for every
kind the service supports (checked back through the API), inline errors that change nothing,
editing, ending, and the basket preview priced by the quote's own code, worked out by hand here."""

from __future__ import annotations

import datetime as dt
import html
import re
import zoneinfo
from urllib.parse import urlencode

import pytest

from hub.clock import format_ts
from tests.catalogue import seed
from tests.people import audit_entries, query
from tests.portal.client import Portal
from tests.portal.test_devices_pages import rows, text_of

HARARE = zoneinfo.ZoneInfo("Africa/Harare")
MULTI_BUY = {"name": "3 breads for 4.00", "kind": "multi_buy", "target": {"products": ["bread"]},
             "quantity": 3, "amounts": {"USD": 400}}


@pytest.fixture
def shop(hub):
    """USD and ZWG, VAT 15.5 % (inclusive), bread USD 1.50 (VAT), milk USD 2.00 (exempt), covo (ZWG)."""
    seed.basics(hub.db_path)
    hub.manager = hub.as_user("manager")
    return hub


@pytest.fixture
def portal(hub):
    return Portal(hub)


def promotion(shop, **fields) -> dict:
    r = shop.manager.post("/api/v1/promotions", json={**MULTI_BUY, **fields})
    assert r.status_code == 201, r.text
    return r.json()


def inline_error(page: str, name: str) -> str | None:
    """The message shown beside the input `name`, checking the input points at it."""
    found = re.search(rf'<p class="pricing-error" id="e-{re.escape(name)}">([^<]*)</p>', page)
    if found is None:
        return None
    pointer = rf'aria-describedby="[^"]*e-{re.escape(name)}\b'
    assert re.search(pointer, page), f"{name} does not point at its error"
    return html.unescape(found[1])


def value_of(page: str, name: str) -> str:
    found = re.search(rf'<input id="f-{re.escape(name)}" name="[^"]*" type="[^"]*" value="([^"]*)"', page)
    assert found, f"no input {name}"
    return html.unescape(found[1])


def local(text: str) -> str:
    """A store-local 'YYYY-MM-DDTHH:MM' as the hub's UTC stamp."""
    return format_ts(dt.datetime.fromisoformat(text).replace(tzinfo=HARARE))


def first_words(portal: Portal, path: str, token: str) -> list[str]:
    """The first word of each promotion listed at `path`."""
    return [row.split(" ")[0] for row in rows(portal.call("GET", path, token).text)]


def test_the_list_filters_by_status_and_kind_pages_and_says_what_to_do_when_empty(shop, portal,
                                                                                   monkeypatch):
    token = portal.token("supervisor")
    empty = text_of(portal.call("GET", "/promotions", token).text)
    assert "The store has no promotions yet." in empty and "Make the first one" not in empty
    assert "Make the first one" in text_of(portal.call("GET", "/promotions", portal.token("manager")).text)
    running = promotion(shop, name="Running multi-buy")
    soon = format_ts(dt.datetime.now(dt.UTC) + dt.timedelta(days=3))
    promotion(shop, name="Scheduled tea", kind="percent_off", quantity=None, amounts=None,
              percent_off_bp=1000, valid_from=soon)
    ended = promotion(shop, name="Ended bread deal")
    assert shop.manager.post(f"/api/v1/promotions/{ended['id']}/end").status_code == 200

    page = portal.call("GET", "/promotions", token)
    assert page.status_code == 200
    listed = rows(page.text)
    assert [r.split(" ")[0] for r in listed] == ["Ended", "Scheduled", "Running"]  # newest first
    assert listed[2].startswith("Running multi-buy Multi-buy (3 for 5.00) 3 for USD 4.00: bread Always 100")
    assert listed[2].endswith("Active") and listed[1].endswith("Scheduled") and listed[0].endswith("Ended")
    assert "New promotion" not in page.text  # a supervisor looks, does not make
    for status, name in (("running", "Running"), ("scheduled", "Scheduled"), ("ended", "Ended")):
        assert first_words(portal, f"/promotions?status={status}", token) == [name]
    assert first_words(portal, "/promotions?kind=percent_off", token) == ["Scheduled"]
    assert first_words(portal, "/promotions?q=BREAD", token) == ["Ended"]
    nothing = text_of(portal.call("GET", "/promotions?q=zzz", token).text)
    assert "No promotion matches these filters. Show every promotion" in nothing

    monkeypatch.setattr("hub.catalogue.promotions.portal.PAGE_SIZE", 2)
    first = portal.call("GET", "/promotions", token).text
    assert len(rows(first)) == 2
    older = html.unescape(re.search(r'<a class="button" href="([^"]+)">Older →</a>', first)[1])
    second = portal.call("GET", older, token).text
    assert [r.split(" ")[0] for r in rows(second)] == ["Running"] and running["id"] in second
    assert "Older →" not in second and "← Newest" in second
    assert portal.call("GET", "/promotions", portal.token("cashier")).status_code == 403


def test_a_multi_buy_made_on_the_form_is_the_promotion_the_api_reads(shop, portal):
    token = portal.token("manager")
    form = portal.call("GET", "/promotions/new?kind=multi_buy", token).text
    assert "Units in a group" in form and 'name="amount_ZWG"' in form and 'name="percent"' not in form
    seq = audit_entries(shop)[-1]["seq"]
    r = portal.call("POST", "/promotions", token, {
        "kind": "multi_buy", "name": "3 breads for 4.00", "target_type": "products",
        "target_products": "bread", "quantity": "3", "amount_USD": "4.00", "max_applications": "2",
        "priority": "20"})
    assert r.status_code == 303, r.text
    promotion_id = r.headers["location"].rsplit("/", 1)[1]
    made = shop.manager.get(f"/api/v1/promotions/{promotion_id}").json()
    fields = ("kind", "target", "quantity", "amounts", "max_applications", "priority", "stackable",
              "days", "tiers")
    assert {k: made.get(k) for k in fields} == {
        "kind": "multi_buy", "target": {"products": ["bread"]}, "quantity": 3, "amounts": {"USD": 400},
        "max_applications": 2, "priority": 20, "stackable": False, "days": None, "tiers": None}
    assert [e["action"] for e in audit_entries(shop, seq)] == ["promotion.created"]
    page = text_of(portal.call("GET", r.headers["location"], portal.token("supervisor")).text)
    assert "Deal 3 for USD 4.00: bread" in page and "At most 2 times in one basket" in page
    assert "Edit promotion" not in page and "End promotion now" not in page


def test_a_refused_form_names_each_field_beside_it_keeps_the_typing_and_changes_nothing(shop, portal):
    token = portal.token("manager")
    seq = audit_entries(shop)[-1]["seq"]
    typed = {"kind": "multi_buy", "name": "Bread deal", "target_type": "products",
             "target_products": "bread\nghost", "quantity": "", "amount_USD": "4.5.0",
             "amount_ZWG": "120", "day": ["6"], "time_from": "08:00"}
    r = portal.call("POST", "/promotions", token, typed)
    assert r.status_code == 422
    assert inline_error(r.text, "quantity") == "A multi-buy promotion needs quantity"
    assert inline_error(r.text, "amount_USD") == "A number such as 5.00"
    assert inline_error(r.text, "target_products") == "No active product has the SKU or barcode ghost"
    assert inline_error(r.text, "time_until") == "A time window needs time from and time until"
    assert inline_error(r.text, "name") is None and inline_error(r.text, "amount_ZWG") is None
    summary = text_of(r.text.split('pricing-summary" role="alert">')[1].split("</div>")[0])
    assert summary.startswith("4 fields to fix; nothing was saved.")
    assert summary.index("Products : No active") < summary.index("Units in a group : A multi-buy") \
        < summary.index("Amount in USD : A number") < summary.index("Until (time of day) : A time window")
    assert value_of(r.text, "name") == "Bread deal" and value_of(r.text, "amount_ZWG") == "120"
    assert value_of(r.text, "amount_USD") == "4.5.0" and ">bread\nghost</textarea>" in r.text
    assert re.search(r'name="day" value="6" checked', r.text)
    assert audit_entries(shop, seq) == [] and query(shop, "SELECT count(*) FROM promotions") == [(0,)]

    r = portal.call("POST", "/promotions", token, {**typed, "target_products": "bread", "quantity": "1",
                                                   "amount_USD": "4.00", "time_until": "12:00"})
    assert r.status_code == 422  # the service's own rule, beside its input
    assert inline_error(r.text, "quantity") == "A multi-buy groups at least 2 units"
    assert query(shop, "SELECT count(*) FROM promotions") == [(0,)]
    r = portal.call("POST", "/promotions", portal.token("supervisor"), typed)
    assert r.status_code == 403


def _tier(shop, name: str = "Staff", percent_off_bp: int | None = 1000) -> str:
    r = shop.manager.post("/api/v1/pricing-tiers", json={"name": name, "percent_off_bp": percent_off_bp})
    assert r.status_code == 201, r.text
    return r.json()["id"]


# kind -> (form, what the API must then read), covering every field the service takes.
def _every_kind(tier_id: str) -> dict[str, tuple[dict, dict]]:
    return {
        "percent_off": (
            {"name": "Bakery 12.5% weekends", "target_type": "categories", "target_categories": ["bakery"],
             "percent": "12.5", "day": ["6", "7"], "time_from": "16:00", "time_until": "19:00",
             "stackable": "on", "max_discount_USD": "3.00", "priority": "-5"},
            {"target": {"categories": ["bakery"]}, "percent_off_bp": 1250, "days": [6, 7],
             "time_from": "16:00", "time_until": "19:00", "stackable": True, "max_discount": {"USD": 300},
             "priority": -5}),
        "amount_off": (
            {"name": "50c off the basket in December", "target_type": "basket", "amount_USD": "0.50",
             "amount_ZWG": "13", "valid_from": "2026-12-01T08:00", "valid_until": "2027-01-01T00:00"},
            {"target": {"basket": True}, "amounts": {"USD": 50, "ZWG": 1300},
             "valid_from": local("2026-12-01T08:00"), "valid_until": local("2027-01-01T00:00"),
             "priority": 100}),
        "multi_buy": (
            {"name": "Any 3 for 4.00", "target_type": "products", "target_products": "bread, milk",
             "quantity": "3", "amount_USD": "4", "max_applications": "1"},
            {"target": {"products": ["bread", "milk"]}, "quantity": 3, "amounts": {"USD": 400},
             "max_applications": 1}),
        "buy_x_get_y": (
            {"name": "Buy 2 bread, milk half price", "buy": "2", "buy_target_type": "products",
             "buy_target_products": "bread", "get": "1", "get_target_type": "categories",
             "get_target_categories": ["food"], "percent": "50", "tier": [tier_id]},
            {"buy": 2, "get": 1, "buy_target": {"products": ["bread"]},
             "get_target": {"categories": ["food"]}, "percent_off_bp": 5000, "tiers": [tier_id]}),
        "spend_threshold": (
            {"name": "Spend 20, get 1 off", "target_type": "basket", "threshold_USD": "20.00",
             "threshold_ZWG": "530", "amount_USD": "1.00", "amount_ZWG": "27"},
            {"target": {"basket": True}, "thresholds": {"USD": 2000, "ZWG": 53000},
             "amounts": {"USD": 100, "ZWG": 2700}}),
    }


@pytest.mark.parametrize("kind", ["percent_off", "amount_off", "multi_buy", "buy_x_get_y",
                                  "spend_threshold"])
def test_every_kind_the_service_supports_is_made_on_its_form(shop, portal, kind):
    form, wanted = _every_kind(_tier(shop))[kind]
    token = portal.token("manager")
    assert portal.call("GET", f"/promotions/new?kind={kind}", token).status_code == 200
    r = portal.call("POST", "/promotions", token, {"kind": kind, **form})
    assert r.status_code == 303, text_of(r.text)[:2000]
    made = shop.manager.get(f"/api/v1/promotions/{r.headers['location'].rsplit('/', 1)[1]}").json()
    assert made["kind"] == kind and made["name"] == form["name"]
    assert {k: made.get(k) for k in wanted} == wanted
    page = portal.call("GET", r.headers["location"], token)
    assert page.status_code == 200 and "Edit promotion" in page.text


def test_the_edit_form_shows_the_promotion_and_a_change_of_kind_removes_the_old_kinds_fields(shop, portal):
    made = promotion(shop, days=[6], max_applications=2, amounts={"USD": 400, "ZWG": 10700})
    token = portal.token("manager")
    page = portal.call("GET", f"/promotions/{made['id']}/edit", token).text
    assert value_of(page, "name") == "3 breads for 4.00" and value_of(page, "quantity") == "3"
    assert value_of(page, "amount_USD") == "4.00" and value_of(page, "amount_ZWG") == "107.00"
    assert ">bread</textarea>" in page and re.search(r'name="day" value="6" checked', page)
    switched = portal.call("GET", f"/promotions/{made['id']}/edit?kind=percent_off", token).text
    assert "Saving changes this promotion from Multi-buy (3 for 5.00) to Percent off." in text_of(switched)
    assert value_of(switched, "name") == "3 breads for 4.00" and 'name="quantity"' not in switched

    r = portal.call("POST", f"/promotions/{made['id']}", token, {
        "kind": "percent_off", "name": "Bread 10% off", "target_type": "products",
        "target_products": "bread", "percent": "10", "priority": "100"})
    assert r.status_code == 303, text_of(r.text)[:1500]
    saved = shop.manager.get(f"/api/v1/promotions/{made['id']}").json()
    assert (saved["kind"], saved["percent_off_bp"], saved["version"]) == ("percent_off", 1000, 2)
    assert all(k not in saved for k in ("quantity", "amounts", "max_applications", "days"))

    seq = audit_entries(shop)[-1]["seq"]
    r = portal.call("POST", f"/promotions/{made['id']}", token, {
        "kind": "spend_threshold", "name": "Spend 20", "target_type": "basket", "threshold_USD": "20",
        "amount_USD": "1", "amount_ZWG": "27", "priority": "100"})
    assert r.status_code == 422
    assert inline_error(r.text, "amount_ZWG") == "No threshold in ZWG: add thresholds.ZWG"
    assert audit_entries(shop, seq) == []
    assert shop.manager.get(f"/api/v1/promotions/{made['id']}").json()["version"] == 2
    supervisor = portal.token("supervisor")
    assert portal.call("GET", f"/promotions/{made['id']}/edit", supervisor).status_code == 403
    assert portal.call("GET", "/promotions/no-such-promotion/edit", token).status_code == 404


def test_ending_a_promotion_stops_it_once_and_an_hq_promotion_is_left_to_hq(shop, portal):
    made = promotion(shop)
    token = portal.token("manager")
    assert "End promotion now" in portal.call("GET", f"/promotions/{made['id']}", token).text
    supervisor = portal.token("supervisor")
    assert portal.call("POST", f"/promotions/{made['id']}/end", supervisor).status_code == 403
    r = portal.call("POST", f"/promotions/{made['id']}/end", token)
    assert r.status_code == 303 and r.headers["location"] == f"/promotions/{made['id']}"
    assert shop.manager.get(f"/api/v1/promotions/{made['id']}").json()["status"] == "ended"
    page = portal.call("GET", r.headers["location"], token).text
    assert '<span class="badge off">Ended</span>' in page and "End promotion now" not in page
    again = portal.call("POST", f"/promotions/{made['id']}/end", token)
    assert again.status_code == 409 and "The promotion '3 breads for 4.00' ended at" in text_of(again.text)

    with seed.writing(shop.db_path) as conn:
        seed.promotion(conn, "hq-promo", {**MULTI_BUY, "name": "HQ bread deal"}, source="hq")
        conn.execute("INSERT INTO meta (key, value) VALUES ('hq_enrolled', '1')"
                     " ON CONFLICT (key) DO UPDATE SET value = '1'")
    page = text_of(portal.call("GET", "/promotions/hq-promo", token).text)
    assert "HQ sent this promotion: change or end it at HQ." in page and "Made by HQ" in page
    assert "Edit promotion" not in page and "End promotion now" not in page
    refused = portal.call("POST", "/promotions/hq-promo/end", token)
    assert refused.status_code == 409 and "HQ owns" in text_of(refused.text)
    assert shop.manager.get("/api/v1/promotions/hq-promo").json()["status"] == "running"


def _try(portal: Portal, token: str, lines: list[tuple[str, str]], **params: str):
    query = [pair for (c, q) in lines for pair in (("code", c), ("qty", q))]
    query += [*params.items(), ("go", "1")]
    return portal.call("GET", f"/promotions/try?{urlencode(query)}", token)


def _result(page: str) -> str:
    return text_of(page.split('id="result-title">')[1])


def test_try_a_basket_shows_each_discount_with_its_promotion_tax_and_totals_and_writes_nothing(
        shop, portal):
    made = promotion(shop)
    token = portal.token("supervisor")  # catalogue.view is enough: it changes nothing
    seq = audit_entries(shop)[-1]["seq"]
    r = _try(portal, token, [("bread", "3"), ("milk", "1")])
    assert r.status_code == 200, text_of(r.text)[:1500]
    # By hand: bread 3 x 1.50 = 4.50, "3 for 4.00" takes 0.50 off; milk 2.00 (exempt).
    # VAT inclusive on 4.00: round(400 x 1550 / 11550) = round(53.68) = 54 cents.
    result = _result(r.text)
    assert result.startswith("The price: USD 6.00")
    lines = rows(r.text)
    assert lines[0] == "1 bread bread 3 1.50 4.50 3 breads for 4.00: −0.50 4.00"
    assert lines[1] == "2 milk milk 1 2.00 2.00 none 2.00"
    assert lines[2:] == ["EXEMPT exempt 2.00 0.00 2.00", "VAT 15.5 % 4.00 0.54 4.00"]
    assert "Promotions given 3 breads for 4.00 : −0.50" in result
    assert f'href="/promotions/{made["id"]}">3 breads for 4.00</a>' in r.text
    assert "Subtotal 6.50 Discounts −0.50 Tax included 0.54 Total USD 6.00" in result
    assert value_of(r.text, "code_0") == "bread" and value_of(r.text, "qty_1") == "1"
    assert value_of(r.text, "code_2") == "" and value_of(r.text, "code_4") == ""  # room for more lines
    assert audit_entries(shop, seq) == []  # a preview records nothing

    tier_id = _tier(shop)
    staff = _result(_try(portal, token, [("bread", "3"), ("milk", "1")], tier=tier_id).text)
    # 10 % off: bread 1.35 (3 = 4.05, the multi-buy takes 0.05), milk 1.80; total 4.00 + 1.80.
    assert staff.startswith("The price: USD 5.80") and "3 breads for 4.00: −0.05" in staff

    in_zwg = _result(_try(portal, token, [("covo", "2")], currency="ZWG").text)
    assert in_zwg.startswith("The price: ZWG 20.00")  # covo's own ZWG price, 10.00
    assert portal.call("GET", "/promotions/try", portal.token("cashier")).status_code == 403


def test_try_a_basket_prices_at_the_moment_asked_for_and_only_the_promotion_asked_for(shop, portal):
    weekend = promotion(shop, name="Saturday bread", kind="percent_off", quantity=None, amounts=None,
                        percent_off_bp=1000, days=[6])
    token = portal.token("manager")
    saturday = _result(_try(portal, token, [("bread", "1")], at="2026-11-28T10:00").text)
    assert "Priced at 28 Nov 2026 10:00 CAT" in saturday and "Saturday bread: −0.15" in saturday
    friday = _result(_try(portal, token, [("bread", "1")], at="2026-11-27T10:00").text)
    assert "No promotion applies to this basket." in friday and "Total USD 1.50" in friday

    promotion(shop)  # 3 for 4.00, also in force
    both = _result(_try(portal, token, [("bread", "3")], at="2026-11-28T10:00").text)
    # 10 % applies first and does not stack: the multi-buy finds the bread taken.
    assert "Saturday bread: −0.45" in both and "3 breads for 4.00" not in both
    only = _try(portal, token, [("bread", "3")], at="2026-11-28T10:00", promotion=promotion(shop)["id"])
    assert "Only the promotion" in text_of(only.text)
    assert "3 breads for 4.00: −0.50" in _result(only.text) and "Saturday" not in _result(only.text)
    assert weekend["id"] not in only.text.split('class="card pricing-result"')[1]


def test_try_a_basket_shows_each_refusal_beside_its_line_and_keeps_the_basket(shop, portal):
    token = portal.token("manager")
    r = _try(portal, token, [("bread", "2"), ("ghost", "1"), ("milk", "two")])
    assert r.status_code == 422 and "pricing-result" not in r.text
    assert inline_error(r.text, "code_1") == "No active product has the SKU or barcode ghost"
    assert inline_error(r.text, "qty_2") == "Quantity: a number such as 3 or 1.25"
    assert value_of(r.text, "code_1") == "ghost" and value_of(r.text, "qty_2") == "two"
    unpriced = _try(portal, token, [("bread", "1"), ("covo", "1")])  # covo has no USD price
    assert unpriced.status_code == 422 and inline_error(unpriced.text, "code_1").startswith("Line 2:")
    zero = _try(portal, token, [("bread", "0")])
    assert zero.status_code == 422 and inline_error(zero.text, "qty_0").startswith("Line 1:")
    late = _try(portal, token, [("bread", "1")], at="tomorrow")
    assert late.status_code == 422 and inline_error(late.text, "at").startswith("When: a date and time")
    nothing = portal.call("GET", "/promotions/try?go=1", token)
    assert nothing.status_code == 422 and "Type the SKU or barcode of at least one product" in nothing.text
    assert portal.call("GET", "/promotions/try", token).status_code == 200  # an empty form is no error


def test_a_pack_barcode_in_the_basket_counts_its_pack(shop, portal):
    r = shop.manager.patch("/api/v1/products/bread", json={"barcodes": [
        {"code": "4006381333931"}, {"code": "5901234123457", "pack_quantity": 6000}]})
    assert r.status_code == 200, r.text
    page = _try(portal, portal.token("manager"), [("5901234123457", "1"), ("4006381333931", "2")])
    quantities = [line.split(" 1.50 ")[0] for line in rows(page.text)[:2]]
    assert quantities == ["1 bread bread 6", "2 bread bread 2"]
    assert "Total USD 12.00" in _result(page.text)
