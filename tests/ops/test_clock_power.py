"""Time from the tills' clocks, the UPS watch, throttling flags and clean-shutdown counting."""

from __future__ import annotations

import datetime as dt

import pytest

from hub import clock_sync
from hub.clock import format_ts, utc_now
from hub.db import audit
from hub.db.connection import connect
from hub.ops import clock, power, shutdowns
from tests.sync.up_recipes import STATUS, SyncTill

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone.utc)


def reading(device: str, clock_at: dt.datetime, skew_s: float) -> dict:
    return {"device_id": device, "name": device, "skew_at": format_ts(clock_at), "skew_ms": int(skew_s * 1000)}


def test_the_keeper_takes_the_median_of_new_readings_only():
    keeper = clock.TillClockKeeper(clock.FakeClockSetter())
    old = [reading("t1", NOW - dt.timedelta(hours=5), 9999)]
    assert keeper.poll(old, mono=100.0) == 0  # from before the hub started: says nothing of now
    new = [reading("t1", NOW, 3600), reading("t2", NOW, 3660), reading("t3", NOW, 86400 * 30)]

    assert keeper.poll(new, mono=110.0) == 3
    assert keeper.poll(new, mono=115.0) == 0
    proposal = keeper.propose(now=NOW + dt.timedelta(seconds=10), mono=120.0)

    assert proposal.median == NOW + dt.timedelta(seconds=3660 + 10)  # one far-off till does not move it
    assert proposal.offset_s == 3660


def test_readings_older_than_the_window_are_dropped():
    keeper = clock.TillClockKeeper(clock.FakeClockSetter())
    keeper.poll([], mono=0.0)
    keeper.poll([reading("t1", NOW, 3600)], mono=10.0)

    assert keeper.propose(now=NOW, mono=10.0 + clock.SAMPLE_MAX_AGE_S + 1) is None


def test_apply_sets_the_clock_beyond_the_threshold_and_never_before_the_floor():
    setter = clock.FakeClockSetter()
    keeper = clock.TillClockKeeper(setter)
    keeper.poll([], mono=0.0)
    keeper.poll([reading("t1", NOW, -7200)], mono=1.0)
    behind = keeper.propose(now=NOW, mono=1.0)

    assert keeper.apply(behind, format_ts(NOW - dt.timedelta(hours=1))) is None  # before the floor
    assert keeper.apply(behind, format_ts(NOW - dt.timedelta(hours=3)))["to"] == format_ts(NOW - dt.timedelta(hours=2))
    keeper.poll([reading("t1", NOW, 5)], mono=2.0)
    assert keeper.apply(keeper.propose(now=NOW, mono=2.0), None) is None  # within the threshold
    assert setter.calls == [NOW - dt.timedelta(hours=2)]


def test_a_hub_without_network_time_takes_the_median_of_its_tills_and_audits_it(ops_hub):
    state = ops_hub.server.app.state
    ops = state.ops
    setter = clock.FakeClockSetter()
    ops.keeper.setter = setter
    fake = clock_sync.FakeClockReader(synchronised=False)
    clock_sync.install(state, clock_sync.ClockSync(fake))
    tills = [SyncTill(ops_hub) for _ in range(3)]
    ops.call_threadsafe(ops.clock_round())  # learns what was there before
    for offset in (3600, 3630, 3690):
        till = tills.pop()
        r = till.http.post(STATUS, json={"queue_depth": 0, "device_time": (
            utc_now() + dt.timedelta(seconds=offset)).isoformat()})
        assert r.status_code == 200, r.text

    entry = ops.call_threadsafe(ops.clock_round())

    assert entry is not None and entry["action"] == "clock.set_from_tills"
    assert len(setter.calls) == 1
    assert 3600 < (setter.calls[0] - utc_now()).total_seconds() < 3700
    assert clock_sync.for_state(state).status().source == "tills"
    conn = connect(ops_hub.db_path, readonly=True)
    try:
        [stored] = audit.list_entries(conn, action="clock.set_from_tills")
    finally:
        conn.close()
    assert len(stored["summary"]["detail"]["tills"]) == 3


class BrokenSetter:
    def __init__(self) -> None:
        self.calls = 0

    def set_time(self, moment: dt.datetime) -> None:
        self.calls += 1
        raise FileNotFoundError("no helper here")


def test_a_clock_the_helper_cannot_set_is_tried_again_later_not_every_round(ops_hub):
    state = ops_hub.server.app.state
    ops = state.ops
    ops.keeper.setter = broken = BrokenSetter()
    clock_sync.install(state, clock_sync.ClockSync(clock_sync.FakeClockReader(synchronised=False)))
    till = SyncTill(ops_hub)
    ops.call_threadsafe(ops.clock_round())
    till.http.post(STATUS, json={"queue_depth": 0, "device_time": (utc_now() + dt.timedelta(hours=2)).isoformat()})

    results = [ops.call_threadsafe(ops.clock_round()) for _ in range(3)]

    assert results == [None, None, None] and broken.calls == 1
    assert "no helper here" in ops.clock_error
    conn = connect(ops_hub.db_path, readonly=True)
    try:
        assert audit.list_entries(conn, action="clock.set_from_tills") == []
    finally:
        conn.close()


def test_a_synchronised_hub_leaves_its_clock_alone(ops_hub):
    state = ops_hub.server.app.state
    ops = state.ops
    setter = clock.FakeClockSetter()
    ops.keeper.setter = setter
    clock_sync.install(state, clock_sync.ClockSync(clock_sync.FakeClockReader(synchronised=True), read_every_s=0))
    till = SyncTill(ops_hub)
    ops.call_threadsafe(ops.clock_round())
    till.http.post(STATUS, json={"queue_depth": 0, "device_time": (utc_now() + dt.timedelta(hours=2)).isoformat()})

    assert ops.call_threadsafe(ops.clock_round()) is None
    assert setter.calls == []


UPSC_ONLINE = """battery.charge: 100
battery.runtime: 1620
device.model: Back-UPS ES 700G
ups.status: OL
"""
UPSC_LOW = "battery.charge: 12\nups.status: OB DISCHRG\n"
UPSC_LB = "battery.charge: 40\nups.status: OB LB\n"


def test_upsc_output_is_parsed_and_low_battery_recognised():
    assert power.parse_upsc(UPSC_ONLINE)["device.model"] == "Back-UPS ES 700G"
    assert not power.nut_low(power.parse_upsc(UPSC_ONLINE))
    assert power.nut_low(power.parse_upsc(UPSC_LOW))
    assert power.nut_low(power.parse_upsc(UPSC_LB))
    assert not power.nut_low(power.parse_upsc("battery.charge: 12\nups.status: OL CHRG\n"))


def test_nut_low_battery_shuts_down_once_after_two_low_readings():
    outputs = iter([UPSC_ONLINE, UPSC_LOW, UPSC_ONLINE, UPSC_LOW, UPSC_LB, UPSC_LB])
    calls: list[str] = []
    watch = power.UpsWatch("nut:ups@localhost", "0", calls.append, run=lambda argv: next(outputs))

    fired = [watch.check() for _ in range(6)]

    assert fired == [False, False, False, False, True, False]
    assert len(calls) == 1 and "UPS battery low" in calls[0]


def test_a_gpio_line_at_its_low_value_shuts_down(tmp_path):
    value = tmp_path / "value"
    value.write_text("1\n")
    calls: list[str] = []
    watch = power.UpsWatch(f"gpio:{value}", "0", calls.append)

    assert not watch.check()
    value.write_text("0\n")
    assert not watch.check() and watch.check()
    assert calls == ["UPS battery low (GPIO 0)"]


def test_an_unreadable_ups_never_shuts_down(tmp_path):
    watch = power.UpsWatch(f"gpio:{tmp_path / 'absent'}", "0", pytest.fail)

    assert not watch.check() and not watch.check()
    assert watch.last.startswith("cannot read")


def test_the_subsystem_polls_the_configured_ups(ops_hub, tmp_path):
    value = tmp_path / "gpio"
    value.write_text("0")
    ops = ops_hub.server.app.state.ops
    calls: list[str] = []
    ops.shutdown = calls.append
    r = ops_hub.as_user("admin").patch("/api/v1/ops/settings", json={"ups": f"gpio:{value}", "ups_gpio_low": "0"})
    assert r.status_code == 200, r.text

    results = [ops.call_threadsafe(ops.ups_round()) for _ in range(2)]

    assert results == [False, True] and len(calls) == 1


def test_throttling_flags_from_the_firmware(tmp_path):
    path = tmp_path / "get_throttled"
    path.write_text("50005\n")

    bits = power.throttled(path)

    assert power.throttle_flags(bits) == ["under-voltage now", "throttled now", "under-voltage since boot",
                                          "throttled since boot"]
    assert power.throttled(tmp_path / "absent", run=lambda argv: "throttled=0x0\n") == 0
    assert power.throttled(tmp_path / "absent", run=lambda argv: "") is None


def test_unclean_starts_are_counted_until_a_clean_stop(tmp_path):
    assert shutdowns.started(tmp_path)["unclean_since_clean"] == 0  # the first start
    assert shutdowns.started(tmp_path)["unclean_since_clean"] == 1  # no marker: a power cut
    assert shutdowns.started(tmp_path)["unclean_since_clean"] == 2
    shutdowns.stopped(tmp_path)
    assert shutdowns.started(tmp_path)["unclean_since_clean"] == 0
    assert not (tmp_path / "ops" / shutdowns.MARKER).exists()


def test_the_hub_writes_the_marker_when_it_stops(settings):
    from tests.hubtest import HubServer, make_demo_store

    make_demo_store(settings)
    server = HubServer(settings).start()
    assert not (settings.data_path / "ops" / shutdowns.MARKER).exists()
    server.stop()

    assert (settings.data_path / "ops" / shutdowns.MARKER).exists()
    assert shutdowns.started(settings.data_path)["unclean_since_clean"] == 0
