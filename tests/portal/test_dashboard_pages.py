"""The portal's home as a dashboard, over real HTTP: today's and the month's sales per currency
(never summed; the combined figure labelled as converted at recorded rates), the 7-day chart whose
seven bars per currency are the fixture's daily net sales in the store's time zone, open shifts
and low stock with links to act, tills behind, exceptions, and fiscal and day placeholders that
say "not set up"; a cashier sees no figures."""

from __future__ import annotations

import datetime as dt
import html
import re
import zoneinfo

import pytest

from tests.portal.client import Portal
from tests.sales.build import cash, line
from tests.sales.recipes import Till

ZONE = zoneinfo.ZoneInfo("Africa/Harare")
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def on_time(hub, who: str = "cashier") -> Till:
    till = Till(hub, who)
    hub.write("UPDATE devices SET clock_skew_ms = 0 WHERE id = ?", till.device_id)
    return till


def bars(page: str) -> dict[str, dict[str, int]]:
    """currency -> {day: value} of the chart bars on the page."""
    out: dict[str, dict[str, int]] = {}
    for fig in re.finditer(r'<figure class="card chart-card" data-currency="([A-Z]{3})">(.*?)</figure>', page, re.S):
        out[fig[1]] = {m[1]: int(m[2]) for m in re.finditer(
            r'<g class="chart-bar" data-key="([0-9-]+)" data-label="[^"]*" data-value="(-?\d+)">', fig[2])}
    return out


@pytest.fixture
def week(hub):
    """Sales on five of the last seven days (USD and ZWG, one voided-free, one shift left open)."""
    front, back = on_time(hub), on_time(hub, "supervisor")
    shift = front.shift()
    expected: dict[str, dict[str, int]] = {"USD": {}, "ZWG": {}}
    for days_ago, usd, zwg in ((0, 350, 5000), (1, 1200, 0), (2, 0, 12000), (4, 999, 700), (6, 10, 0), (8, 5000, 0)):
        at = NOW - dt.timedelta(days=days_ago)
        if at.astimezone(ZONE).date() != (NOW.astimezone(ZONE) - dt.timedelta(days=days_ago)).date():
            continue
        day = at.astimezone(ZONE).date().isoformat()
        if usd:
            front.sell(front.body([line(usd, tax_rate_bp=0)], clock=at, shift_id=shift))
            expected["USD"][day] = expected["USD"].get(day, 0) + usd
        if zwg:
            back.sell(back.body([line(zwg, tax_rate_bp=0)], tenders=[cash(zwg, "ZWG")], currency="ZWG", clock=at))
            expected["ZWG"][day] = expected["ZWG"].get(day, 0) + zwg
    return expected


def test_the_seven_bars_are_the_daily_net_sales_per_currency(hub, week):
    portal = Portal(hub)
    r = portal.call("GET", "/", portal.token("manager"))
    assert r.status_code == 200, r.text
    page = html.unescape(r.text)
    found = bars(page)
    today = NOW.astimezone(ZONE).date()
    days = [(today - dt.timedelta(days=n)).isoformat() for n in range(6, -1, -1)]
    assert set(found) == {"USD", "ZWG"}
    for currency, values in found.items():
        assert list(values) == days, "seven bars, oldest first, one per local day"
        assert values == {d: week[currency].get(d, 0) for d in days}, currency
    assert "Today, USD" in page and "Today, ZWG" in page
    assert "converted at recorded rates" in page
    # the fiscal panel says what end of day's fiscal step says today ("not set up" until fiscal is)
    eod = hub.as_user("manager").get("/api/v1/end-of-day").json()
    [fiscal] = [s for s in eod["steps"] if s["key"] == "fiscal"]
    panel = re.search(r'<div class="stat dash-fiscal">(.*?)</div>', page, re.S)[1]
    assert html.unescape(fiscal["explanation"]) in panel
    if fiscal["state"] == "not_applicable":
        assert "Not set up" in panel


def test_open_shifts_low_stock_and_exceptions_link_to_where_they_are_acted_on(hub, week):
    portal = Portal(hub)
    page = html.unescape(portal.call("GET", "/", portal.token("manager")).text)
    assert re.search(r'<section class="card dash-open-shifts".*?href="/shifts/[^"]+/close">Close</a>', page, re.S)
    assert 'href="/stock?low=1"' in page and 'href="/stock/purchase-orders/new"' in page
    assert re.search(r'Open exceptions</span>\s*<strong class="stat-value">\d+</strong>', page)
    assert 'href="/exceptions?status=open"' in page  # the sales named no shift: exceptions were raised


def test_a_cashier_sees_no_figures(hub, week):
    portal = Portal(hub)
    page = portal.call("GET", "/", portal.token("cashier")).text
    assert "Today's sales" not in page and "chart-bar" not in page and "Low stock" not in page
