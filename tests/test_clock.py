import datetime as dt

import pytest

import hub.clock as clock
from hub.clock import TimeFloor, format_ts, parse_ts
from hub.db import audit, meta
from hub.db.connection import connect, transaction

T0 = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def frozen(monkeypatch):
    """Set the system clock the hub reads."""
    now = {"t": T0}
    monkeypatch.setattr(clock, "utc_now", lambda: now["t"])
    return now


def test_timestamps_sort_as_text_in_time_order():
    a, b = T0, T0 + dt.timedelta(microseconds=1)
    assert format_ts(a) < format_ts(b)
    assert parse_ts(format_ts(a)) == a


def test_stamp_never_goes_back_when_the_clock_does(frozen):
    floor = TimeFloor()
    first = floor.stamp()
    frozen["t"] = T0 - dt.timedelta(hours=3)  # power cut, no RTC, no network time yet
    second = floor.stamp()
    assert second == first
    assert floor.behind_by() == dt.timedelta(hours=3)
    frozen["t"] = T0 + dt.timedelta(minutes=1)
    assert floor.stamp() == format_ts(T0 + dt.timedelta(minutes=1))
    assert floor.behind_by() == dt.timedelta(0)


def test_floor_survives_a_restart_and_facts_are_never_stamped_before_it(demo_store, settings, frozen):
    conn = connect(settings.db_path)
    with transaction(conn):
        entry = audit.append(conn, audit.Actor.system(), "a", "x")
    conn.close()
    frozen["t"] = T0 - dt.timedelta(days=400)  # the Pi booted at its build date
    conn = connect(settings.db_path)
    try:
        assert meta.get(conn, "time_floor") >= entry["at"]
        with transaction(conn):
            later = audit.append(conn, audit.Actor.system(), "b", "x")
        assert later["at"] >= entry["at"]
    finally:
        conn.close()


def test_health_reports_a_clock_behind_the_floor(hub, frozen):
    frozen["t"] = T0 + dt.timedelta(days=3650)
    # an audited login moves the floor ten years ahead of the real clock...
    hub.login("admin")
    frozen["t"] = T0
    body = hub.client().get("/api/v1/health").json()
    assert body["clock"]["ok"] is False
    assert body["clock"]["behind_floor_s"] > 3600 * 24 * 365
