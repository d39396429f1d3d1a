"""The clock-status interface (hub.clock_sync): the real reader is safe anywhere, the fake drives
tests, and `unsynchronised_for` measures from the last synchronisation of any source."""

from __future__ import annotations

import datetime as dt
import types

import pytest

import hub.clock as clock
from hub import clock_sync
from hub.clock_sync import ClockStatus, ClockSync, FakeClockReader, SystemClockReader

T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def frozen(monkeypatch):
    now = {"t": T0}
    monkeypatch.setattr(clock, "utc_now", lambda: now["t"])
    return now


def test_the_system_reader_answers_without_raising():
    status = SystemClockReader().read()
    assert isinstance(status, ClockStatus) and status.source in clock_sync.SOURCES
    assert status.synchronised == (status.source != "none") and status.reason


def test_a_reader_without_adjtimex_or_timedatectl_says_not_synchronised(monkeypatch):
    reader = SystemClockReader()
    reader._adjtimex = None
    monkeypatch.setattr(clock_sync.shutil, "which", lambda name: None)
    status = reader.read()
    assert not status.synchronised and status.source == "none" and "no way" in status.reason


def test_unsynchronised_time_counts_from_the_last_sync_of_any_source(frozen):
    fake = FakeClockReader(synchronised=True)
    sync = ClockSync(fake, read_every_s=0)
    assert sync.status().synchronised and sync.unsynchronised_for() == dt.timedelta(0)
    fake.set(False, reason="cable out")
    frozen["t"] = T0 + dt.timedelta(hours=3)
    status = sync.status()
    assert not status.synchronised and status.last_sync_at == clock.format_ts(T0) and status.reason == "cable out"
    assert sync.unsynchronised_for() == dt.timedelta(hours=3)
    sync.record("tills", reason="median of 3 tills")
    status = sync.status()  # the reader still says no: the tills' moment is the last sync
    assert not status.synchronised and status.last_sync_at == clock.format_ts(T0 + dt.timedelta(hours=3))
    frozen["t"] = T0 + dt.timedelta(hours=4)
    assert sync.unsynchronised_for() == dt.timedelta(hours=1)
    with pytest.raises(ValueError):
        sync.record("guess")


def test_never_synchronised_counts_from_the_start(frozen):
    sync = ClockSync(FakeClockReader(synchronised=False), read_every_s=0)
    frozen["t"] = T0 + dt.timedelta(minutes=90)
    assert sync.unsynchronised_for() == dt.timedelta(minutes=90)


def test_install_reaches_connections_by_their_floor():
    floor = clock.TimeFloor()
    state = types.SimpleNamespace(db=types.SimpleNamespace(floor=floor))
    sync = clock_sync.install(state, ClockSync(FakeClockReader()))
    assert clock_sync.for_state(state) is sync
    assert clock_sync.for_conn(types.SimpleNamespace(floor=floor)) is sync
    assert clock_sync.for_conn(types.SimpleNamespace(floor=clock.TimeFloor())) is clock_sync.default()
