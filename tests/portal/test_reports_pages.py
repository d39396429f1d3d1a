"""The report pages over real HTTP: the list, every report over a period with its table, totals per
currency, charts per currency and CSV download; a refused custom period keeps the typed days and
names each field (422); a cashier is refused."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import pytest

from hub.reports.catalog import REPORTS
from tests.portal.client import Portal
from tests.sales.build import cash, line
from tests.sales.recipes import Till


@pytest.fixture
def sold(hub):
    till = Till(hub)
    shift = till.shift()
    till.sell(till.body(lines=[line(250, 2000, tax_rate_bp=0)], shift_id=shift))
    till.sell(till.body(lines=[line(13250, tax_rate_bp=0)], tenders=[cash(13250, "ZWG")], currency="ZWG",
                        shift_id=shift))
    return hub


def test_every_report_page_shows_its_table_and_totals_per_currency(sold):
    portal = Portal(sold)
    token = portal.token("manager")
    index = portal.call("GET", "/reports", token)
    assert index.status_code == 200
    for name, report in REPORTS.items():
        assert f'href="/reports/{name}"' in index.text
        r = portal.call("GET", f"/reports/{name}?period=week", token)
        assert r.status_code == 200, (name, r.text[:500])
        page = html.unescape(r.text)
        assert f'data-report="{name}"' in page and 'href="/reports/' + name + '/csv?period=week"' in page
        if "Nothing in this period." in page:
            assert name in ("discounts", "voids-refunds", "shift-variance", "stock-valuation", "movers",
                            "loss-prevention", "credit-aging"), name
            continue
        for column in report.columns:
            assert f">{column.label}</th>" in page, (name, column.label)
    page = html.unescape(portal.call("GET", "/reports/sales-by-day", token).text)
    currencies = re.findall(r'<figure class="card chart-card" data-currency="([A-Z]{3})">', page)
    assert currencies == ["USD", "ZWG"]  # a chart per currency, never one axis for both
    totals = dict(re.findall(r'<tr data-currency="([A-Z]{3})"><td data-label="Currency">[A-Z]{3}</td>'
                             r'<td data-label="Sales" class="num">(\d+)</td>', page))
    assert totals == {"USD": "1", "ZWG": "1"}


def test_the_csv_download_is_the_report(sold):
    portal = Portal(sold)
    r = portal.call("GET", "/reports/sales-by-currency/csv?period=today", portal.token("manager"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert re.match(r'attachment; filename="sales-by-currency_\d{4}-\d{2}-\d{2}.csv"', r.headers["content-disposition"])
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == [c.label for c in REPORTS["sales-by-currency"].columns]
    assert rows[1][:4] == ["USD", "1", "5.00", "0.00"] and rows[2][:4] == ["ZWG", "1", "132.50", "0.00"]


def test_a_refused_custom_period_keeps_the_days_and_names_each_field(sold):
    portal = Portal(sold)
    token = portal.token("manager")
    future = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    r = portal.call("GET", f"/reports/sales-by-day?period=custom&from=2026-01-01&to={future}", token)
    assert r.status_code == 422
    page = html.unescape(r.text)
    assert f'value="{future}"' in page and 'value="2026-01-01"' in page
    assert re.search(r'<p class="field-error" id="e-to">[^<]+</p>', page)
    assert "This period cannot be shown" in page
    r = portal.call("GET", "/reports/sales-by-day?period=custom&from=2026-03-02&to=2026-03-01", token)
    assert r.status_code == 422 and 'id="e-to"' in r.text
    assert portal.call("GET", "/reports/sales-by-day/csv?period=custom", token).status_code == 422


def test_a_cashier_is_refused_and_an_unknown_report_is_not_found(sold):
    portal = Portal(sold)
    assert portal.call("GET", "/reports/sales-by-day", portal.token("cashier")).status_code == 403
    assert portal.call("GET", "/reports/nothing", portal.token("manager")).status_code == 404
