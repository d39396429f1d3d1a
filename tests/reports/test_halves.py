"""A long period's gross margin and sales by product are read in two halves at once
(hub.reports.queries.in_halves); their figures are those of one read of the whole period to the
minor unit, and the halves cover every moment of the period exactly once."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.db.connection import connect
from hub.reports import periods, queries
from hub.sales.demo_history import load_demo_history
from tests.hubtest import make_demo_store, make_settings

TODAY = dt.date(2026, 10, 31)
DAYS = 30


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("halves"))
    make_demo_store(settings, catalogue=True)
    load_demo_history(settings.db_path, seed=11, days=DAYS, today=TODAY)
    conn = connect(settings.db_path, readonly=True)
    yield conn
    conn.close()


def test_the_halves_meet_at_a_local_midnight_and_cover_the_period_once(history):
    for days in (1, 2, 29, 92):
        period = periods.for_days(history, TODAY - dt.timedelta(days=days - 1), TODAY)
        parts = periods.halves(period)
        assert len(parts) == (1 if days == 1 else 2)
        assert parts[0].since == period.since and parts[-1].until == period.until
        assert all(a.until == b.since for a, b in zip(parts, parts[1:]))
        assert sum((p.last - p.first).days + 1 for p in parts) == days
        if len(parts) == 2:
            assert parts[1].since == periods.for_days(history, parts[1].first, parts[1].last).since


@pytest.mark.parametrize("report", ["gross_margin", "sales_by_product"])
def test_a_long_report_read_in_halves_equals_one_read_of_the_whole(history, monkeypatch, report):
    period = periods.for_days(history, TODAY - dt.timedelta(days=DAYS - 1), TODAY)
    assert (period.last - period.first).days + 1 >= queries.PARALLEL_FROM_DAYS
    read = getattr(queries, report)
    history.execute("BEGIN")
    try:
        halves = read(history, period)
        monkeypatch.setattr(queries, "PARALLEL_FROM_DAYS", 10_000)
        whole = read(history, period)
    finally:
        history.execute("COMMIT")
    assert whole["rows"] and sum(r["lines"] for r in whole["rows"]) > 1000
    assert halves == whole


def test_a_failing_half_fails_the_report(history, monkeypatch):
    period = periods.for_days(history, TODAY - dt.timedelta(days=DAYS - 1), TODAY)
    calls = []

    def read(conn, part):
        calls.append(part)
        if part.since != period.since:
            raise RuntimeError("the second half failed")
        return []

    with pytest.raises(RuntimeError, match="second half"):
        queries.in_halves(history, period, read)
    assert len(calls) == 2
