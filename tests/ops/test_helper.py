"""The one client of the privileged helper (hub.ops.helper), against the image's real helper script
in dry-run mode (tests.helpertest), and everything in the hub that asks through it: the clock from
the tills, updates' service control, the UPS's clean shutdown and the command-line client the
image's scripts run."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys

import pytest

from hub.ops import clock, helper, subsystem, updates
from tests.helpertest import FakeHelper


@pytest.fixture
def fake_helper(tmp_path, monkeypatch):
    fake = FakeHelper(tmp_path)
    monkeypatch.setattr(helper, "SOCKET", fake.path)  # where the hub's client looks by default
    yield fake
    fake.close()


@pytest.fixture
def silent_helper(tmp_path):
    fake = FakeHelper(tmp_path, silent=True)
    yield fake
    fake.close()


def test_ask_returns_what_the_helper_did(fake_helper):
    assert helper.ask("set-time", "2026-11-26T09:30:00Z") == "time set to 2026-11-26T09:30:00Z"
    assert fake_helper.requests == ["set-time 2026-11-26T09:30:00Z"]
    assert fake_helper.commands[0] == r"run date -u -s 2026-11-26\ 09:30:00Z"


def test_a_refusal_absence_and_silence_are_each_their_own_error(fake_helper, silent_helper, tmp_path):
    with pytest.raises(helper.HelperRefused) as refused:
        helper.ask("set-time", "not-a-time")
    assert refused.value.reason.startswith("set-time wants YYYY-MM-DDTHH:MM:SSZ")
    assert refused.value.request == "set-time not-a-time"
    with pytest.raises(helper.HelperRefused, match="unknown action"):
        helper.ask("format-disk")
    with pytest.raises(helper.HelperUnavailable, match="cannot be reached.*No such file"):
        helper.ask("poweroff", path=str(tmp_path / "no-helper.sock"))
    with pytest.raises(helper.HelperTimeout, match="no answer within 0.3 s"):
        helper.ask("poweroff", path=silent_helper.path, timeout=0.3)
    assert silent_helper.requests == ["poweroff"]
    with pytest.raises(ValueError):
        helper.ask("set-time", "2026-11-26T09:30:00Z\npoweroff")
    assert fake_helper.commands == []  # nothing was run for any of them


def test_the_clock_is_set_through_the_helper(fake_helper):
    moment = dt.datetime(2026, 11, 26, 11, 30, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    clock.HelperClockSetter().set_time(moment)
    assert fake_helper.requests == ["set-time 2026-11-26T09:30:05Z"]  # UTC
    assert fake_helper.answers == ["ok time set to 2026-11-26T09:30:05Z"]
    with pytest.raises(helper.HelperUnavailable):
        clock.HelperClockSetter(fake_helper.path + ".gone").set_time(moment)


def test_a_clock_round_without_a_helper_records_why_and_waits(ops_hub, tmp_path):
    from hub import clock_sync
    from hub.clock import utc_now
    from tests.sync.up_recipes import STATUS, SyncTill

    state = ops_hub.server.app.state
    ops = state.ops
    ops.keeper.setter = clock.HelperClockSetter(str(tmp_path / "no-helper.sock"))  # the real setter, no helper
    clock_sync.install(state, clock_sync.ClockSync(clock_sync.FakeClockReader(synchronised=False)))
    till = SyncTill(ops_hub)
    ops.call_threadsafe(ops.clock_round())
    till.http.post(STATUS, json={"queue_depth": 0, "device_time": (utc_now() + dt.timedelta(hours=2)).isoformat()})

    assert ops.call_threadsafe(ops.clock_round()) is None
    assert "cannot be reached" in ops.clock_error and ops.clock_failed_at is not None


def test_updates_stop_start_and_restart_the_hub_through_the_helper(fake_helper):
    for verb in ("stop", "start", "restart"):
        updates.helper_control(verb)
    assert fake_helper.commands == ["run systemctl stop soko-hub.service",
                                    "run systemctl --no-block start soko-hub.service",
                                    "run systemctl --no-block restart soko-hub.service"]


def test_updates_say_when_the_helper_cannot_control_the_hub(tmp_path, monkeypatch):
    monkeypatch.setattr(helper, "SOCKET", str(tmp_path / "no-helper.sock"))
    with pytest.raises(updates.UpdateError, match="could not restart the hub: the system helper cannot be reached"):
        updates.helper_control("restart")


def test_a_low_battery_powers_off_through_the_helper(fake_helper, tmp_path, monkeypatch, caplog):
    subsystem._poweroff("the UPS battery is low")
    assert fake_helper.commands == ["run systemctl poweroff"]
    monkeypatch.setattr(helper, "SOCKET", str(tmp_path / "no-helper.sock"))
    with caplog.at_level(logging.CRITICAL, logger="hub.ops.subsystem"):
        subsystem._poweroff("the UPS battery is low")  # logged, never raised into the UPS loop
    assert "could not power off" in caplog.text


def run_client(*argv: str, socket_path: str) -> subprocess.CompletedProcess:
    """`python -m hub.ops.helper`, as the image's /usr/lib/soko-hub/soko-hub-helper runs it."""
    code = ("import sys; from hub.ops import helper; helper.SOCKET = sys.argv[1]; "
            "sys.exit(helper.main(sys.argv[2:]))")
    return subprocess.run([sys.executable, "-c", code, socket_path, *argv], capture_output=True, text=True,
                          timeout=60)


def test_the_command_line_client_exits_0_1_or_2(fake_helper, tmp_path):
    ok = run_client("network", "dhcp", socket_path=fake_helper.path)
    assert (ok.returncode, ok.stdout) == (0, "ok network dhcp\n")
    refused = run_client("set-time", "not-a-time", socket_path=fake_helper.path)
    assert refused.returncode == 1 and refused.stdout.startswith("error set-time wants")
    absent = run_client("poweroff", socket_path=str(tmp_path / "none.sock"))
    assert absent.returncode == 2 and "No such file or directory" in absent.stderr
    assert run_client(socket_path=fake_helper.path).returncode == 2  # no verb: usage
    assert fake_helper.requests == ["network dhcp", "set-time not-a-time"]

