"""The sales pages over real HTTP, with sales recorded through the API by paired tills: the history
with its period (in the store's time zone), till, cashier, tender, currency and status filters,
cursor paging and totals per currency (a mixed USD and ZWG day is never summed across
currencies); a receipt with quantities in the unit's decimals, discounts and their cause, tax per
rate, a foreign-currency tender with the till's rate, change per currency and the exceptions the
sale raised; the printable view; refused for those without sales.view."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from hub.db.connection import connect
from hub.inventory import ledger
from tests.catalogue.fixtures import admin, create, ids  # noqa: F401
from tests.people import audit_entries, query
from tests.portal.client import Portal
from tests.sales.build import cash, line
from tests.sales.recipes import ZWG_RATE, Till

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@pytest.fixture
def portal(hub):
    return Portal(hub)


def on_time(hub, who: str = "cashier") -> Till:
    """A paired till whose clock the hub knows to be right (skew 0): a sale stands at its own time."""
    till = Till(hub, who)
    hub.write("UPDATE devices SET clock_skew_ms = 0 WHERE id = ?", till.device_id)
    return till


def text_of(response) -> str:
    return html.unescape(response.text)


def totals_of(page: str) -> dict[str, str]:
    """currency -> the text of its total block at the top of the history."""
    return {m[1]: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m[2])).strip()
            for m in re.finditer(r'<div class="stat" data-currency="([A-Z]{3})">(.*?)</div>', page, re.S)}


def invoices(page: str) -> list[str]:
    return re.findall(r'class="row-link" href="/sales/[^"]+">([^<]+)</a>', page)


def ledger_clean(hub) -> None:
    conn = connect(hub.db_path)
    try:
        assert ledger.check(conn) == []
    finally:
        conn.close()


def test_a_mixed_usd_and_zwg_day_shows_totals_per_currency_never_summed(hub, portal):
    front, back = on_time(hub), on_time(hub, "supervisor")
    usd1 = front.sell(clock=NOW)  # USD 1.50 cash
    usd2 = front.sell(front.body([line(200, tax_rate_bp=0)], tenders=[
        {"method": "card", "currency": "USD", "amount": 200, "provider": "CBZ", "reference": "AUTH-7781"}],
        clock=NOW))
    zwg = back.sell(back.body([line(5000, tax_rate_bp=0)], tenders=[cash(5000, "ZWG")], currency="ZWG", clock=NOW))
    mixed = front.sell(front.body([line(1000, tax_rate_bp=0)], tenders=[cash(30000, "ZWG")], rates=[ZWG_RATE],
                                  change=[{"currency": "USD", "amount": 132}], clock=NOW))
    old = front.sell(clock=NOW - dt.timedelta(days=1))  # yesterday, in the store's time zone too
    token = portal.token("manager")

    page = text_of(portal.call("GET", "/sales", token))
    assert "Sales of " + NOW.astimezone(dt.timezone(dt.timedelta(hours=2))).strftime("%a %d %b %Y") in page
    totals = totals_of(page)
    assert set(totals) == {"USD", "ZWG"}
    assert "USD 13.50" in totals["USD"] and "3 sales" in totals["USD"]  # 1.50 + 2.00 + 10.00
    assert "ZWG 50.00" in totals["ZWG"] and "1 sale " in totals["ZWG"] + " "
    # never a sum of minor units across currencies: 1350 + 5000, nor USD and ZWG added any way
    assert "63.50" not in page and "6,350" not in page and "6350" not in page
    assert sorted(invoices(page)) == sorted(s["invoice_number"] for s in (usd1, usd2, zwg, mixed))
    assert old["invoice_number"] not in invoices(page)
    assert "Card CBZ USD 2.00" in page and "Cash ZWG 300.00" in page

    only_zwg = text_of(portal.call("GET", "/sales?currency=ZWG", token))
    assert invoices(only_zwg) == [zwg["invoice_number"]] and set(totals_of(only_zwg)) == {"ZWG"}
    by_till = text_of(portal.call("GET", f"/sales?till={back.device_id}", token))
    assert invoices(by_till) == [zwg["invoice_number"]]
    cashier_id = zwg["cashier_id"]
    assert invoices(text_of(portal.call("GET", f"/sales?cashier={cashier_id}", token))) == [zwg["invoice_number"]]
    assert invoices(text_of(portal.call("GET", "/sales?method=card", token))) == [usd2["invoice_number"]]
    assert invoices(text_of(portal.call("GET", "/sales?status=voided", token))) == []
    yesterday = text_of(portal.call("GET", "/sales?period=yesterday", token))
    assert invoices(yesterday) == [old["invoice_number"]] and "USD 1.50" in totals_of(yesterday)["USD"]
    week = text_of(portal.call("GET", "/sales?period=all", token))
    assert len(invoices(week)) == 5 and "USD 15.00" in totals_of(week)["USD"] and "4 sales" in totals_of(week)["USD"]
    day = NOW.astimezone(dt.timezone(dt.timedelta(hours=2))).date()
    custom = text_of(portal.call("GET", f"/sales?period=custom&from={day - dt.timedelta(days=1)}&to={day}", token))
    assert len(invoices(custom)) == 5
    ledger_clean(hub)


def test_history_pages_with_a_cursor_and_refuses_backward_dates_inline(hub, portal):
    till = on_time(hub)
    sold = [till.sell(clock=NOW - dt.timedelta(minutes=i)) for i in range(3)]
    token = portal.token("supervisor")
    import hub.sales.portal as sales_portal
    size = sales_portal.PAGE_SIZE
    sales_portal.PAGE_SIZE = 2  # the hub runs in this process: a small page shows the cursor
    try:
        first = text_of(portal.call("GET", "/sales", token))
        assert invoices(first) == [sold[0]["invoice_number"], sold[1]["invoice_number"]]
        older = re.search(r'href="(/sales\?[^"]*after=[^"]+)">Older', first)[1]
        second = text_of(portal.call("GET", older, token))
        assert invoices(second) == [sold[2]["invoice_number"]] and "← Newest" in second
        assert "USD 4.50" in totals_of(second)["USD"]  # totals are of the whole period, not the page
    finally:
        sales_portal.PAGE_SIZE = size

    refused = portal.call("GET", "/sales?period=custom&from=2026-03-10&to=2026-03-01", token)
    assert refused.status_code == 422
    text = text_of(refused)
    assert 'id="e-to"' in text and "Must be on or after the From day." in text
    assert 'value="2026-03-10"' in text and invoices(text) == []
    assert portal.call("GET", "/sales?after=not-a-cursor", token).status_code in (400, 422)


def test_a_receipt_shows_lines_causes_taxes_tenders_rates_change_and_exceptions(hub, portal, admin, ids):  # noqa: F811
    sugar = create(admin, ids, name="Loose sugar", unit_id=ids["kg"], prices={"USD": 150})
    bread = create(admin, ids, name="Bread loaf", prices={"USD": 150})
    [(supervisor, name)] = query(hub, "SELECT id, display_name FROM users WHERE username = 'supervisor'")
    till = on_time(hub)
    shift = till.shift()
    body = till.body([
        line(150, 2500, product_id=sugar["id"], tax_rate_bp=1550, name="Sugar loose",
             discounts=[{"amount": 25, "approved_by": supervisor, "reason": "bag torn"}]),
        line(99, 1000, code="600999", name="Mystery item", tax_rate_bp=0),
        line(120, 1000, product_id=bread["id"], tax_rate_bp=1550),  # the store's price is 1.50
    ], tenders=[cash(20000, "ZWG"), cash(20, "USD")], rates=[ZWG_RATE], change=[{"currency": "USD", "amount": 26}],
        shift_id=shift, clock=NOW)
    sale = till.sell(body)
    token = portal.token("manager")
    r = portal.call("GET", f"/sales/{sale['id']}", token)
    assert r.status_code == 200
    page = text_of(r)
    assert f"Receipt {sale['invoice_number']}" in page
    assert "2.500 kg" in page and "1 each" in page and "USD 3.50" in page  # in the unit's decimals; less 0.25
    assert f"approved by {name}" in page and "bag torn" in page
    assert "A 15.5%" in page and "0%" in page  # tax per line, and the table per rate
    assert "at 1 USD = 26.5 ZWG, the till's rate" in page and "ZWG 200.00" in page
    assert "Change given" in page and "USD 0.26" in page
    assert "the till sold the code 600999, which no product has" in page
    assert "was charged USD 1.20 a unit; the catalogue price was USD 1.50" in page
    assert f'href="/shifts/{shift}"' in page or "Shift " in page
    for e in sale["exceptions"]:
        assert f'href="/exceptions/{e["id"]}"' in page

    printed = portal.call("GET", f"/sales/{sale['id']}/print", token)
    assert printed.status_code == 200 and 'class="print-doc sales-print"' in printed.text
    assert "Mystery item" in printed.text and 'class="sidebar"' not in printed.text
    assert portal.call("GET", "/sales/no-such-sale", token).status_code == 404


def test_the_sales_pages_are_refused_without_sales_view(hub, portal):
    sale = on_time(hub).sell(clock=NOW)
    token = portal.token("cashier")
    for path in ("/sales", f"/sales/{sale['id']}", f"/sales/{sale['id']}/print"):
        assert portal.call("GET", path, token).status_code == 403
    assert portal.call("GET", "/sales", None).status_code in (302, 303, 401)


def test_a_receipt_is_voided_with_a_reason_refused_inline_without_one(hub, portal, admin, ids):  # noqa: F811
    bread = create(admin, ids, name="Void bread", prices={"USD": 150})
    hub.write("UPDATE products SET stock_tracked = 1 WHERE id = ?", bread["id"])
    sale = on_time(hub).sell(lines=[line(150, 2000, product_id=bread["id"], tax_rate_bp=0)], clock=NOW)
    token = portal.token("supervisor")  # sales.void
    page = text_of(portal.call("GET", f"/sales/{sale['id']}", token))
    assert "Void the sale" in page
    viewer = text_of(portal.call("GET", f"/sales/{sale['id']}", portal.token("manager")))
    assert "Void the sale" in viewer  # the manager may too
    seq = audit_entries(hub)[-1]["seq"]
    refused = portal.call("POST", f"/sales/{sale['id']}/void", token, {"reason": "  "})
    assert refused.status_code == 422
    text = text_of(refused)
    assert 'id="e-reason"' in text and "The sale was not voided." in text
    assert audit_entries(hub, seq) == [] and query(hub, "SELECT count(*) FROM sale_voids")[0][0] == 0

    done = portal.call("POST", f"/sales/{sale['id']}/void", token, {"reason": "Rung up twice"})
    assert done.status_code == 303 and done.headers["location"] == f"/sales/{sale['id']}"
    assert [e["action"] for e in audit_entries(hub, seq)] == ["sale.voided"]
    after = text_of(portal.call("GET", f"/sales/{sale['id']}", token))
    assert "Rung up twice" in after and "Void the sale" not in after and "Voided" in after
    voided = text_of(portal.call("GET", "/sales?status=voided", token))
    assert invoices(voided) == [sale["invoice_number"]] and totals_of(voided) == {}
    assert "1 voided USD sale (USD 3.00)" in voided
    again = portal.call("POST", f"/sales/{sale['id']}/void", token, {"reason": "twice"})
    assert again.status_code == 409
    assert portal.call("POST", f"/sales/{sale['id']}/void", portal.token("cashier"), {"reason": "x"}).status_code == 403
    ledger_clean(hub)
