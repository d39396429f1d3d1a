"""The Shifts pages over real HTTP: open shifts listed first with filters, a shift's X report with
the expected cash per currency, the close form with an error beside each wrong input and nothing
changed, a count by denomination, and the printable close report."""

from __future__ import annotations

import html
import re

import pytest

from tests.people import People, audit_entries, query
from tests.portal.client import Portal
from tests.shifts import recipes
from tests.shifts.recipes import SHIFTS


@pytest.fixture
def portal(hub):
    return Portal(hub)


@pytest.fixture
def people(hub):
    return People(hub)


def text(r) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", r.text)))


def test_open_shifts_come_first_and_the_list_filters(hub, portal, people):
    closed = recipes.closed_shift(people)
    open_one = recipes.open_shift(people, "supervisor")
    token = portal.token("manager")
    r = portal.call("GET", "/shifts", token)
    assert r.status_code == 200, r.text
    open_part, all_part = r.text.split("All shifts", 1)
    assert f"/shifts/{open_one}" in open_part and f"/shifts/{closed}" not in open_part
    assert f"/shifts/{closed}" in all_part and f"/shifts/{open_one}" in all_part
    only_closed = portal.call("GET", "/shifts?status=closed", token).text.split("All shifts", 1)[1]
    assert f"/shifts/{closed}" in only_closed and f"/shifts/{open_one}" not in only_closed
    assert "No shift matches these filters" in portal.call("GET", "/shifts?date=2001-01-01", token).text
    assert portal.call("GET", "/shifts?date=2026-02-31", token).status_code == 200  # an impossible day: no filter
    assert portal.call("GET", "/shifts", portal.token("cashier")).status_code == 403  # shifts.view


def test_a_shifts_page_shows_its_x_report_per_currency(hub, portal, people):
    till = recipes.at_till(people)
    shift = till.post(SHIFTS, json={"floats": recipes.FLOATS}).json()
    till.post(f"{SHIFTS}/{shift['id']}/cash-movements", json={
        "kind": "pay_out", "currency": "USD", "amount": 1250, "reason_code": "supplier_paid", "note": "Bread man"})
    r = portal.call("GET", f"/shifts/{shift['id']}", portal.token("supervisor"))
    assert r.status_code == 200, r.text
    page = text(r)
    assert "X report" in page and "Supplier paid" in page and "Bread man" in page
    usd = re.search(r'data-currency="USD".*?</tr>', r.text, re.S).group(0)
    assert "USD 37.50" in usd  # 50.00 float less the 12.50 pay-out
    assert f'href="/shifts/{shift["id"]}/close"' in r.text


def test_the_close_form_refuses_beside_each_input_and_keeps_what_was_typed(hub, portal, people):
    shift = recipes.open_shift(people)
    token = portal.token("manager")
    form = portal.call("GET", f"/shifts/{shift}/close", token)
    assert form.status_code == 200 and 'name="counted[0].amount"' in form.text and "ZiG 100 notes" in form.text
    seq = audit_entries(hub)[-1]["seq"]
    r = portal.call("POST", f"/shifts/{shift}/close", token, {
        "counted[0].amount": "12.345", "counted[1].note.10000": "two", "note": "Typed note"})
    assert r.status_code == 422, r.text
    assert re.search(r'id="e-counted\[0\]\.amount">Has at most 2 decimals', r.text)
    assert re.search(r'id="e-counted\[1\]\.note\.10000">Must be a whole number', r.text)
    assert 'value="12.345"' in r.text and 'value="two"' in r.text and "Typed note" in r.text
    assert "<details class=\"denominations\" open>" in r.text  # the count with an error stays open
    assert "The shift was not closed" in r.text
    r = portal.call("POST", f"/shifts/{shift}/close", token, {"counted[0].amount": "50"})
    assert r.status_code == 422 and re.search(r'id="e-counted\[1\]\.amount">Count the ZWG cash', r.text)
    assert audit_entries(hub, seq) == [] and query(hub, "SELECT status FROM shifts WHERE id = ?", shift) == [("open",)]


def test_a_manager_closes_a_cashiers_shift_by_denomination_and_prints_the_report(hub, portal, people):
    shift = recipes.open_shift(people)
    token = portal.token("manager")
    assert portal.call("GET", f"/shifts/{shift}/report", token).status_code == 303  # still open
    seq = audit_entries(hub)[-1]["seq"]
    r = portal.call("POST", f"/shifts/{shift}/close", token, {
        "counted[0].amount": "49.00", "counted[1].note.10000": "1", "counted[1].note.5000": "2",
        "note": "One dollar short"})
    assert r.status_code == 303 and r.headers["location"] == f"/shifts/{shift}", r.text
    assert [e["action"] for e in audit_entries(hub, seq)] == ["shift.closed"]
    page = portal.call("GET", f"/shifts/{shift}", token)
    usd = re.search(r'data-currency="USD".*?</tr>', page.text, re.S).group(0)
    assert "USD 49.00" in usd and "USD -1.00" in usd and "Short" in usd
    zwg = re.search(r'data-currency="ZWG".*?</tr>', page.text, re.S).group(0)
    assert "ZWG 200.00" in zwg and "Short" not in zwg
    report = portal.call("GET", f"/shifts/{shift}/report", token)
    assert report.status_code == 200 and "Shift close report" in report.text
    printed = text(report)
    assert "ZiG 100 1 ZWG 100.00" in printed and "ZiG 50 2 ZWG 100.00" in printed and "One dollar short" in printed
    again = portal.call("GET", f"/shifts/{shift}/close", token)
    assert again.status_code == 303  # a closed shift has no close form
    r = portal.call("POST", f"/shifts/{shift}/close", token, {"counted[0].amount": "1"})
    assert r.status_code == 409 and "was closed at" in text(r)  # a stale form: nothing changes
