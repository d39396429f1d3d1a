"""The Tax, Currencies and Exchange rates pages over real HTTP: what they show (rates as
percentages and exact decimal text, times in the store's zone, ZIMRA ids not mapped yet), who
may see and change what, forms that change the data through the API's own services, and refused
forms that name the field, keep what was typed and change nothing.

The exact text parsers the forms use are checked directly first.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re
import zoneinfo

import pytest

from hub.catalogue import _rates_portal as typed
from hub.catalogue.currencies import portal as currency_portal
from hub.catalogue.taxes import portal as tax_portal
from hub.portal.session import FLASH_COOKIE
from tests.catalogue.fixtures import create, reference
from tests.catalogue.reference import enrol, mark, one_audit, wrote_nothing
from tests.portal.client import Portal, set_cookies

HARARE = zoneinfo.ZoneInfo("Africa/Harare")


@pytest.fixture
def portal(hub):
    return Portal(hub)


def text_of(page: str) -> str:
    """The page's text without tags, whitespace folded: what a reader sees."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def rows(page: str, table: str) -> list[str]:
    """The text of each body row of the table with class `table`."""
    found = re.search(rf'<table class="table {table}">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert found, f"no table {table} on the page"
    return [text_of(row) for row in found[1].split("</tr>")[:-1]]


def field_error(page: str, input_id: str) -> str:
    """The inline message beside input `f-<input_id>` (empty when there is none)."""
    found = re.search(rf'<p class="field-error" id="e-{re.escape(input_id)}">(.*?)</p>', page, re.S)
    return html.unescape(found[1]) if found else ""


def value_of(page: str, input_id: str) -> str:
    found = re.search(rf'<input id="f-{re.escape(input_id)}"[^>]*\bvalue="([^"]*)"', page)
    assert found, f"no input f-{input_id}"
    return html.unescape(found[1])


def flash_of(response) -> str:
    """The notice a redirect leaves for the page it lands on (its one-shot cookie, decoded)."""
    value = set_cookies(response)[FLASH_COOKIE].split(";", 1)[0].split("=", 1)[1]
    return json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))["text"]


def tax_class(hub, code: str) -> dict:
    r = hub.as_user("admin").get("/api/v1/tax-classes", params={"q": code, "active": "true"})
    return next(c for c in r.json()["items"] if c["code"] == code)


def utc_of(local: str) -> str:
    """A Harare wall-clock "2031-07-01T00:00" as the hub stores it."""
    moment = dt.datetime.fromisoformat(local).replace(tzinfo=HARARE).astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ---- the text the forms take, converted exactly ----------------------------------------------

@pytest.mark.parametrize("text, bp", [("15.5", 1550), ("15.50", 1550), ("15", 1500), ("0", 0), ("100", 10000),
                                      (" 15.25 % ", 1525), ("0.01", 1), ("14.5%", 1450), ("007", 700)])
def test_a_percentage_becomes_basis_points_exactly(text, bp):
    assert typed.parse_percent(text) == bp


@pytest.mark.parametrize("text, why", [("15.555", "has at most 2 decimals"), ("15,5", "must be a percentage"),
                                       ("", "is required"), ("100.01", "must be at most 100"),
                                       ("-1", "must be a percentage"), ("1e2", "must be a percentage"),
                                       ("15.", "must be a percentage"), ("1000", "must be a percentage")])
def test_a_percentage_that_basis_points_cannot_hold_is_refused(text, why):
    with pytest.raises(typed.TypedError, match=why):
        typed.parse_percent(text)


@pytest.mark.parametrize("bp, shown", [(1550, "15.5%"), (1500, "15%"), (1525, "15.25%"), (5, "0.05%"), (0, "0%"),
                                       (10000, "100%"), (1510, "15.1%")])
def test_basis_points_show_as_the_shortest_percentage(bp, shown):
    assert typed.format_percent(bp) == shown
    assert typed.parse_percent(shown) == bp  # and read back the same


@pytest.mark.parametrize("text, decimals, minor", [("0.05", 2, 5), ("1", 2, 100), ("5", 0, 5), ("1.2345", 4, 12345),
                                                   ("0.5", 1, 5), ("10.10", 2, 1010)])
def test_an_amount_becomes_minor_units_of_its_currency_exactly(text, decimals, minor):
    assert typed.parse_amount(text, decimals) == minor
    assert typed.parse_amount(typed.format_amount(minor, decimals), decimals) == minor


@pytest.mark.parametrize("text, decimals, why", [("0.5", 0, "takes no decimals"), ("0.005", 2, "at most 2 decimals"),
                                                 ("", 2, "is required"), ("1,50", 2, "must be an amount such as 0.05"),
                                                 ("-1", 2, "must be an amount")])
def test_an_amount_its_currency_cannot_hold_is_refused(text, decimals, why):
    with pytest.raises(typed.TypedError, match=why):
        typed.parse_amount(text, decimals)


def test_a_time_typed_in_the_store_zone_keeps_that_zones_offset():
    assert typed.parse_local("2026-03-01T00:00", HARARE) == "2026-03-01T00:00:00+02:00"
    assert typed.parse_local("2026-03-01 08:30", HARARE) == "2026-03-01T08:30:00+02:00"
    assert typed.parse_local("  ", HARARE) is None
    with pytest.raises(typed.TypedError, match="is not a date and time"):
        typed.parse_local("next month", HARARE)


def test_paging_links_carry_the_filters_and_the_way_back():
    first = typed.pager("/x", {"pair": "USD-ZWG"}, None, "", "A")
    assert first == {"previous": None, "next": "/x?pair=USD-ZWG&after=A"}
    second = typed.pager("/x", {"pair": "USD-ZWG"}, "A", "", "B")
    assert second == {"previous": "/x?pair=USD-ZWG", "next": "/x?pair=USD-ZWG&after=B&back=A"}
    third = typed.pager("/x", {}, "B", "A", None)
    assert third == {"previous": "/x?after=A", "next": None}


# ---- Tax --------------------------------------------------------------------------------------

def test_the_tax_page_lists_each_class_with_its_rate_in_force_and_no_zimra_id_yet(hub, portal):
    vat = tax_class(hub, "VAT")
    page = portal.call("GET", "/taxes", portal.token("supervisor"))
    assert page.status_code == 200
    listed = rows(page.text, "tax-classes")
    assert [r.split()[0] for r in listed] == ["EXEMPT", "VAT", "ZERO"]
    assert listed[1] == (f"VAT VAT standard rate {typed.format_percent(vat['rate_bp'])} None scheduled "
                         "Not mapped yet Active")
    assert listed[0].startswith("EXEMPT Exempt Exempt") and listed[2].startswith("ZERO Zero-rated 0%")
    shown = text_of(page.text)
    assert "stays empty until the fiscal device's configuration is loaded" in shown
    assert 'href="/taxes/new"' not in page.text  # a supervisor may look, not change
    assert 'id="f-tax_mode-inclusive" type="radio" name="tax_mode" value="inclusive" checked disabled' in page.text
    assert "Changing the tax mode needs the settings.manage permission." in shown


def test_pages_are_refused_to_a_role_without_the_permission(portal):
    cashier = portal.token("cashier")
    for path in ("/taxes", "/currencies", "/currencies/rates", "/currencies/USD"):
        assert portal.call("GET", path, cashier).status_code == 403, path
    manager = portal.token("manager")  # may view the catalogue, not manage tax classes
    assert portal.call("GET", "/taxes/new", manager).status_code == 403
    assert portal.call("POST", "/taxes", manager, {"code": "LUX", "name": "Luxury"}).status_code == 403
    supervisor = portal.call("POST", "/taxes/pricing", portal.token("supervisor"), {"tax_mode": "exclusive"})
    assert supervisor.status_code == 403


def test_a_class_is_created_with_a_rate_typed_as_a_percentage(hub, portal):
    token = portal.token("admin")
    r = portal.call("POST", "/taxes", token, {"code": "LUX", "name": "Luxury goods", "rate": "15.5"})
    assert r.status_code == 303, r.text
    created = tax_class(hub, "LUX")
    assert r.headers["location"] == f"/taxes/{created['id']}"
    assert created["rate_bp"] == 1550 and [x["rate_bp"] for x in created["rates"]] == [1550]
    page = portal.call("GET", r.headers["location"], token).text
    assert "Rate in force: 15.5%" in text_of(page)
    [history] = rows(page, "tax-rates")
    assert history.startswith("15.5% ") and "In force" in history and history.split("In force ")[1].startswith("admin")


def test_a_rate_with_three_decimals_is_refused_beside_its_field_and_nothing_is_written(hub, portal):
    token = portal.token("admin")
    since = mark(hub)  # after signing in, which is audited
    r = portal.call("POST", "/taxes", token, {"code": "LUX", "name": "Luxury", "rate": "15.555",
                                                              "effective_from": "yesterday"})
    assert r.status_code == 422
    assert field_error(r.text, "rate") == "Rate has at most 2 decimals (15.25 is the finest rate)."
    assert field_error(r.text, "effective_from").startswith("Starts is not a date and time")
    assert "Nothing was saved: check the 2 fields marked below." in text_of(r.text)
    assert value_of(r.text, "rate") == "15.555" and value_of(r.text, "code") == "LUX"
    assert 'aria-invalid="true"' in r.text
    assert wrote_nothing(hub, since)


def test_an_exempt_class_with_a_rate_gets_the_services_refusal_at_the_rate(hub, portal):
    token = portal.token("admin")
    since = mark(hub)
    r = portal.call("POST", "/taxes", token, {"code": "EXM2", "name": "Exempt 2", "exempt": "on",
                                                              "rate": "5"})
    assert r.status_code == 422
    assert field_error(r.text, "rate") == "An exempt class has no rate."
    assert 'id="f-exempt" type="checkbox" name="exempt" checked' in r.text
    assert wrote_nothing(hub, since)


def test_a_future_rate_is_scheduled_in_the_store_zone_and_shown_next(hub, portal):
    vat = tax_class(hub, "VAT")
    token = portal.token("admin")
    r = portal.call("POST", f"/taxes/{vat['id']}/rates", token, {"rate": "16", "effective_from": "2031-07-01T00:00"})
    assert r.status_code == 303, r.text
    assert flash_of(r) == "Rate of 16% added, from 01 Jul 2031 00:00."
    after = tax_class(hub, "VAT")
    assert after["rate_bp"] == vat["rate_bp"]  # not in force yet
    assert after["rates"][-1]["rate_bp"] == 1600 and after["rates"][-1]["effective_from"] == utc_of("2031-07-01T00:00")
    page = portal.call("GET", f"/taxes/{vat['id']}", token).text
    assert rows(page, "tax-rates")[0].startswith("16% 01 Jul 2031 00:00 Scheduled admin")
    listed = rows(portal.call("GET", "/taxes", token).text, "tax-classes")
    assert "16% from 01 Jul 2031 00:00" in listed[1]


def test_a_rate_in_the_past_gets_the_services_refusal_inline_and_nothing_changes(hub, portal):
    vat = tax_class(hub, "VAT")
    token = portal.token("admin")
    since = mark(hub)
    r = portal.call("POST", f"/taxes/{vat['id']}/rates", token, {"rate": "14", "effective_from": "2024-01-01T00:00"})
    assert r.status_code == 422
    assert field_error(r.text, "effective_from") == (
        "Starts is in the past: sales since then were taxed at the rate then in force; leave it empty to "
        "start now.")
    assert value_of(r.text, "rate") == "14" and value_of(r.text, "effective_from") == "2024-01-01T00:00"
    assert wrote_nothing(hub, since) and tax_class(hub, "VAT")["rates"] == vat["rates"]


def test_a_class_is_renamed_and_a_code_another_class_has_is_refused_with_409(hub, portal):
    zero = tax_class(hub, "ZERO")
    token = portal.token("admin")
    r = portal.call("POST", f"/taxes/{zero['id']}", token, {"code": "ZERO", "name": "Zero-rated food"})
    assert r.status_code == 303 and tax_class(hub, "ZERO")["name"] == "Zero-rated food"
    since = mark(hub)
    r = portal.call("POST", f"/taxes/{zero['id']}", token, {"code": "vat", "name": "Zero"})
    assert r.status_code == 409
    assert field_error(r.text, "code") == "Another tax class already has the code 'VAT'."
    assert value_of(r.text, "code") == "vat" and value_of(r.text, "name") == "Zero"
    assert wrote_nothing(hub, since)


def test_a_class_is_archived_and_restored(hub, portal):
    token = portal.token("admin")
    made = portal.call("POST", "/taxes", token, {"code": "TMP", "name": "Temporary"})
    class_id = made.headers["location"].rsplit("/", 1)[1]
    r = portal.call("POST", f"/taxes/{class_id}/archive", token)
    assert r.status_code == 303
    page = text_of(portal.call("GET", f"/taxes/{class_id}", token).text)
    assert "Archived" in page and "Restore TMP" in page
    assert "TMP" in text_of(portal.call("GET", "/taxes?status=archived", token).text)
    assert portal.call("POST", f"/taxes/{class_id}/restore", token).status_code == 303
    assert hub.as_user("admin").get(f"/api/v1/tax-classes/{class_id}").json()["active"] is True


def test_a_manager_sees_a_class_without_the_forms_they_may_not_use(hub, portal):
    vat = tax_class(hub, "VAT")
    page = portal.call("GET", f"/taxes/{vat['id']}", portal.token("manager")).text
    assert "needs the taxes.manage permission" in text_of(page)
    assert "Add rate" not in page and "Save changes" not in page and 'id="f-code"' in page and "disabled" in page
    r = portal.call("POST", f"/taxes/{vat['id']}/rates", portal.token("manager"), {"rate": "16"})
    assert r.status_code == 403


def test_an_enrolled_hub_shows_hqs_tax_fields_disabled(hub, portal):
    enrol(hub)
    vat = tax_class(hub, "VAT")
    page = portal.call("GET", f"/taxes/{vat['id']}", portal.token("admin")).text
    assert "This hub is enrolled with HQ" in text_of(page)
    assert re.search(r'<input id="f-code"[^>]* disabled', page) and "Add rate" not in page
    token = portal.token("admin")
    assert 'href="/taxes/new"' not in portal.call("GET", "/taxes", token).text
    since = mark(hub)  # a crafted post still meets the service's refusal
    r = portal.call("POST", f"/taxes/{vat['id']}/rates", token, {"rate": "16"})
    assert r.status_code == 409 and "Rate is HQ's to change once the hub is enrolled." in text_of(r.text)
    assert wrote_nothing(hub, since)


def test_a_manager_switches_the_tax_mode_and_a_bad_mode_is_refused(hub, portal):
    token = portal.token("manager")
    since = mark(hub)
    r = portal.call("POST", "/taxes/pricing", token, {"tax_mode": "exclusive"})
    assert r.status_code == 303 and r.headers["location"] == "/taxes"
    one_audit(hub, since, "settings.pricing_updated", r.headers["x-request-id"])
    assert hub.as_user("manager").get("/api/v1/settings/pricing").json()["tax_mode"] == "exclusive"
    page = portal.call("GET", "/taxes", token).text
    assert 'value="exclusive" checked>' in page and "Save tax mode" in page

    since = mark(hub)
    r = portal.call("POST", "/taxes/pricing", token, {"tax_mode": "sideways"})
    assert r.status_code == 422 and "Tax mode must be one of the two choices." in text_of(r.text)
    assert wrote_nothing(hub, since)
    again = portal.call("POST", "/taxes/pricing", token, {"tax_mode": "exclusive"})
    assert again.status_code == 303 and wrote_nothing(hub, since)  # the same mode writes nothing


def test_the_tax_list_pages_with_next_and_previous(hub, portal, monkeypatch):
    monkeypatch.setattr(tax_portal, "PAGE_SIZE", 2)
    token = portal.token("supervisor")
    first = portal.call("GET", "/taxes", token).text
    assert [r.split()[0] for r in rows(first, "tax-classes")] == ["EXEMPT", "VAT"]
    following = re.search(r'<a class="button" href="([^"]+)" rel="next">Next</a>', first)[1]
    second = portal.call("GET", html.unescape(following), token).text
    assert [r.split()[0] for r in rows(second, "tax-classes")] == ["ZERO"]
    assert 'rel="next"' not in second
    back = html.unescape(re.search(r'href="([^"]+)" rel="prev"', second)[1])
    assert back == "/taxes"
    empty = portal.call("GET", "/taxes?q=nothing-like-it", token).text
    assert "No tax class matches this filter." in text_of(empty)


# ---- Currencies -------------------------------------------------------------------------------

def test_the_currencies_page_lists_each_currency_with_its_base_coin_rule_and_rate(hub, portal):
    assert hub.as_user("manager").post("/api/v1/exchange-rates", json={"quote": "ZWG", "rate_text": "26.7834"}
                                       ).status_code == 201
    page = portal.call("GET", "/currencies", portal.token("supervisor"))
    assert page.status_code == 200
    usd, zwg = rows(page.text, "currencies")
    assert usd == "USD Base US Dollar · US$ 2 0.01 Its own (the base) — Active"
    assert zwg == "ZWG Zimbabwe Gold · ZiG 2 0.01 Its own only 1 USD = 26.7834 ZWG Active"
    assert 'href="/currencies/new"' not in page.text


def test_a_currency_is_added_with_its_amounts_typed_as_money(hub, portal):
    token = portal.token("manager")
    r = portal.call("POST", "/currencies", token, {
        "code": "zar", "name": "South African Rand", "symbol": "R", "decimals": "2", "derive_prices": "on",
        "round_step": "0.05", "round_mode": "up", "cash_rounding": "0.10"})
    assert r.status_code == 303 and r.headers["location"] == "/currencies/ZAR", r.text
    zar = hub.as_user("manager").get("/api/v1/currencies/ZAR").json()
    assert (zar["round_step"], zar["cash_rounding"], zar["round_mode"], zar["derive_prices"]) == (5, 10, "up", True)
    listed = rows(portal.call("GET", "/currencies", token).text, "currencies")
    assert listed[1] == "ZAR South African Rand · R 2 0.10 From USD at the rate, rounded always up to 0.05 " \
                        "No rate yet Active"


def test_a_currency_form_names_every_wrong_field_keeps_the_text_and_writes_nothing(hub, portal):
    token = portal.token("manager")
    since = mark(hub)
    r = portal.call("POST", "/currencies", token, {
        "code": "RAND", "name": "", "decimals": "2", "round_step": "0.01", "round_mode": "half_up",
        "cash_rounding": "0.005"})
    assert r.status_code == 422
    assert field_error(r.text, "code") == "Code must be 3 letters (ISO 4217), e.g. ZWG."
    assert field_error(r.text, "name") == "Name is required."
    assert field_error(r.text, "cash_rounding") == "Smallest coin has at most 2 decimals."
    assert value_of(r.text, "cash_rounding") == "0.005" and value_of(r.text, "code") == "RAND"
    assert wrote_nothing(hub, since)


def test_the_base_moves_until_prices_exist_then_the_refusal_is_shown_at_the_base_field(hub, portal):
    token = portal.token("admin")
    form = {"name": "Zimbabwe Gold", "symbol": "ZiG", "decimals": "2", "round_step": "0.01",
            "round_mode": "half_up", "cash_rounding": "0.01"}
    assert portal.call("POST", "/currencies/ZWG", token, {**form, "is_base": "on"}).status_code == 303
    assert hub.as_user("admin").get("/api/v1/settings/pricing").json()["base_currency"] == "ZWG"
    page = text_of(portal.call("GET", "/currencies/ZWG", token).text)
    assert "Make another currency the base to change it." in page
    assert portal.call("POST", "/currencies/USD", token, {**form, "name": "US Dollar", "is_base": "on"}
                       ).status_code == 303

    admin = hub.as_user("admin")
    create(admin, reference(admin))  # a product priced in USD: the base stays put now
    since = mark(hub)
    r = portal.call("POST", "/currencies/ZWG", token, {**form, "is_base": "on"})
    assert r.status_code == 409
    assert field_error(r.text, "is_base").startswith("The base currency stays USD once products have prices or costs")
    assert 'id="f-is_base" type="checkbox" name="is_base" checked' in r.text
    assert wrote_nothing(hub, since)


def test_an_enrolled_hub_lets_the_store_change_only_the_smallest_coin(hub, portal):
    enrol(hub)
    token = portal.token("manager")
    page = portal.call("GET", "/currencies/ZWG", token).text
    assert re.search(r'<input id="f-name"[^>]* disabled', page)
    assert not re.search(r'<input id="f-cash_rounding"[^>]* disabled', page)
    r = portal.call("POST", "/currencies/ZWG", token, {"cash_rounding": "0.50"})  # only what was enabled
    assert r.status_code == 303, r.text
    zwg = hub.as_user("manager").get("/api/v1/currencies/ZWG").json()
    assert zwg["cash_rounding"] == 50 and zwg["name"] == "Zimbabwe Gold"


def test_a_currency_is_archived_and_the_base_cannot_be(hub, portal):
    token = portal.token("manager")
    since = mark(hub)
    r = portal.call("POST", "/currencies/USD/archive", token)
    assert r.status_code == 422 and "The base currency cannot be archived" in text_of(r.text)
    assert wrote_nothing(hub, since)
    assert portal.call("POST", "/currencies/ZWG/archive", token).status_code == 303
    assert "ZWG" not in text_of(portal.call("GET", "/currencies", token).text).split("Status")[1]
    assert portal.call("POST", "/currencies/ZWG/restore", token).status_code == 303


# ---- Exchange rates ---------------------------------------------------------------------------

def test_a_rate_with_a_typo_is_refused_inline_then_the_corrected_rate_is_in_force(hub, portal):
    token = portal.token("manager")
    since = mark(hub)
    r = portal.call("POST", "/currencies/rates", token, {"base": "USD", "quote": "ZWG", "rate_text": "27.O5",
                                                         "source": "official"})
    assert r.status_code == 422
    assert field_error(r.text, "r-rate_text") == 'Rate must be a decimal number with a dot, such as "26.7834".'
    assert value_of(r.text, "r-rate_text") == "27.O5"
    assert '<option value="official" selected>' in r.text
    assert wrote_nothing(hub, since)

    r = portal.call("POST", "/currencies/rates", token, {"base": "USD", "quote": "ZWG", "rate_text": "27.05",
                                                         "source": "official", "note": "RBZ mid-rate"})
    assert r.status_code == 303 and r.headers["location"] == "/currencies/rates?pair=USD-ZWG"
    one_audit(hub, since, "exchange_rate.created", r.headers["x-request-id"])
    page = portal.call("GET", r.headers["location"], token).text
    [now] = rows(page, "rates-now")
    assert now.startswith("USD → ZWG 1 USD = 27.05 ZWG ") and now.endswith("Official manager")
    [history] = rows(page, "rate-history")
    assert history.startswith("USD → ZWG 27.05 ") and "In force Official manager" in history
    assert history.endswith("RBZ mid-rate")


def test_rates_show_the_exact_decimal_text_never_a_float(hub, portal):
    r = portal.call("POST", "/currencies/rates", portal.token("manager"),
                    {"quote": "ZWG", "rate_text": "9007199254.740993"})  # a float would say ...740992
    assert r.status_code == 303
    page = portal.call("GET", "/currencies/rates", portal.token("supervisor")).text
    assert "1 USD = 9007199254.740993 ZWG" in text_of(page)
    assert "Record a rate" not in page  # a supervisor may look, not record


def test_a_rate_with_more_decimals_than_kept_is_refused_and_a_pair_of_one_currency_too(hub, portal):
    token = portal.token("manager")
    since = mark(hub)
    r = portal.call("POST", "/currencies/rates", token, {"base": "USD", "quote": "USD", "rate_text": "1.1234567"})
    assert r.status_code == 422
    assert field_error(r.text, "r-rate_text") == "Rate has more than 6 decimals."
    assert field_error(r.text, "r-quote") == "To must differ from the base."
    assert wrote_nothing(hub, since)


def test_a_scheduled_rate_is_kept_in_the_store_zone_and_does_not_replace_the_rate_in_force(hub, portal):
    token = portal.token("manager")
    assert portal.call("POST", "/currencies/rates", token, {"quote": "ZWG", "rate_text": "26.5"}).status_code == 303
    r = portal.call("POST", "/currencies/rates", token, {"quote": "ZWG", "rate_text": "28",
                                                         "effective_from": "2031-01-01T08:30"})
    assert r.status_code == 303
    assert "1 USD = 28 ZWG, scheduled from 01 Jan 2031 08:30." in flash_of(r)
    api = hub.as_user("manager").get("/api/v1/exchange-rates", params={"quote": "ZWG"}).json()["items"]
    assert api[0]["effective_from"] == utc_of("2031-01-01T08:30") and api[0]["status"] == "scheduled"
    page = portal.call("GET", "/currencies/rates", token).text
    [now] = rows(page, "rates-now")
    assert now.startswith("USD → ZWG 1 USD = 26.5 ZWG ") and now.endswith("Store manager")
    assert "1 USD = 28 ZWG from 01 Jan 2031 08:30" in text_of(page)
    assert rows(page, "rate-history")[0].startswith("USD → ZWG 28 01 Jan 2031 08:30 Scheduled Store manager")


def test_a_rate_in_the_past_is_recorded_as_history_the_service_allows(hub, portal):
    """Exchange rates may start in the past (a rate the store forgot to record); the service says
    which is in force, and the page shows it as superseded or in force accordingly."""
    token = portal.token("manager")
    r = portal.call("POST", "/currencies/rates", token, {"quote": "ZWG", "rate_text": "25",
                                                         "effective_from": "2025-01-01T00:00"})
    assert r.status_code == 303
    page = portal.call("GET", "/currencies/rates", token).text
    assert rows(page, "rate-history")[0].startswith("USD → ZWG 25 01 Jan 2025 00:00 In force")


def test_the_rate_history_pages_newest_first(hub, portal, monkeypatch):
    monkeypatch.setattr(currency_portal, "RATES_PER_PAGE", 2)
    manager = hub.as_user("manager")
    for day, text in enumerate(("20", "21", "22", "23", "24"), start=1):
        r = manager.post("/api/v1/exchange-rates", json={"quote": "ZWG", "rate_text": text,
                                                         "effective_from": f"2026-01-0{day}T00:00:00+02:00"})
        assert r.status_code == 201, r.text
    token = portal.token("supervisor")

    def rates_on(path: str) -> tuple[list[str], str]:
        page = portal.call("GET", path, token).text
        return [r.split()[3] for r in rows(page, "rate-history")], page

    seen, page = rates_on("/currencies/rates?pair=USD-ZWG")
    assert seen == ["24", "23"]
    pages = []
    while 'rel="next"' in page:
        pages.append(html.unescape(re.search(r'href="([^"]+)" rel="next"', page)[1]))
        more, page = rates_on(pages[-1])
        seen += more
    assert seen == ["24", "23", "22", "21", "20"]
    back = html.unescape(re.search(r'href="([^"]+)" rel="prev"', page)[1])
    assert rates_on(back)[0] == ["22", "21"]
    assert "pair=USD-ZWG" in back
