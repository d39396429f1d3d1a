"""The reports over real HTTP: every report answers JSON and CSV for a manager (reports.view), a
cashier is refused, periods are checked and named, and the figures are per currency."""

from __future__ import annotations

import csv
import io

import pytest

from hub.reports.catalog import REPORTS
from hub.reports.queries import CONVERTED_LABEL
from tests.sales.build import cash, line
from tests.sales.recipes import ZWG_RATE, Till

URL = "/api/v1/reports"


@pytest.fixture
def sold(hub):
    till = Till(hub)
    shift = till.shift()
    till.sell(till.body(lines=[line(250, 2000, tax_rate_bp=0)], shift_id=shift))  # USD 5.00
    zwg = [line(13250, tax_rate_bp=0)]  # ZWG 132.50 = USD 5.00 at 26.50
    till.sell(till.body(lines=zwg, tenders=[cash(500, "USD")], currency="ZWG", shift_id=shift,
                        rates=[{"currency": "USD", "rate": 37_736, "rate_scale": 1_000_000}]))
    return hub


def test_every_report_answers_json_and_csv_for_a_manager(sold):
    manager = sold.as_user("manager")
    listed = manager.get(URL)
    assert listed.status_code == 200, listed.text
    assert [r["name"] for r in listed.json()] == list(REPORTS)
    for name in REPORTS:
        r = manager.get(f"{URL}/{name}", params={"period": "week"})
        assert r.status_code == 200, (name, r.text)
        body = r.json()
        assert body["report"] == name and [c["key"] for c in body["columns"]] == [c.key for c in REPORTS[name].columns]
        for row in body["rows"]:
            if any(c.kind == "money" for c in REPORTS[name].columns):
                assert row["currency"], (name, row)
        r = manager.get(f"{URL}/{name}", params={"period": "week", "format": "csv"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), name
        assert f'filename="{name}.csv"' in r.headers["content-disposition"]
        header = next(csv.reader(io.StringIO(r.text)))
        assert header == [c.label for c in REPORTS[name].columns]


def test_sales_by_currency_keeps_each_currency_and_converts_at_the_recorded_rate(sold):
    body = sold.as_user("manager").get(f"{URL}/sales-by-currency").json()
    assert {r["currency"]: (r["count"], r["total"]) for r in body["rows"]} == {"USD": (1, 500), "ZWG": (1, 13250)}
    assert body["combined"] == {"label": CONVERTED_LABEL, "currency": "USD", "amount": 1000, "not_converted": []}
    assert body["period"]["period"] == "today" and body["period"]["timezone"] == "Africa/Harare"


def test_a_cashier_is_refused_and_an_unknown_report_is_not_found(sold):
    assert sold.as_user("cashier").get(f"{URL}/sales-by-day").status_code == 403
    r = sold.as_user("manager").get(f"{URL}/no-such-report")
    assert r.status_code == 404 and r.json()["code"] == "report_unknown"


@pytest.mark.parametrize("params, field", [
    ({"period": "custom"}, "from"),
    ({"period": "custom", "from": "2026-02-31", "to": "2026-03-01"}, "from"),
    ({"period": "custom", "from": "2026-03-02", "to": "2026-03-01"}, "to"),
    ({"period": "custom", "from": "2025-01-01", "to": "2025-12-31"}, "to"),
    ({"period": "custom", "from": "2026-01-01", "to": "2999-01-01"}, "to"),
])
def test_a_custom_period_is_checked_and_the_field_named(sold, params, field):
    r = sold.as_user("manager").get(f"{URL}/sales-by-day", params=params)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]], r.json()


def test_a_custom_period_reads_the_days_asked(sold):
    manager = sold.as_user("manager")
    today = manager.get(f"{URL}/sales-by-day").json()["period"]["from"]
    r = manager.get(f"{URL}/sales-by-day", params={"period": "custom", "from": today, "to": today})
    assert r.status_code == 200, r.text
    assert {row["currency"] for row in r.json()["rows"]} == {"USD", "ZWG"}
    assert manager.get(f"{URL}/sales-by-day", params={"period": "yesterday"}).json()["rows"] == []
