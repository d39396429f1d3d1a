"""Time for fiscal tests that must pass hours without sleeping: the hub's clock (hub.clock.utc_now,
which its time floor and every stamp read) and the FDMS simulator's move forward together, and the
hub's clock-status interface (hub.clock_sync) answers from a fake."""

from __future__ import annotations

import datetime as dt
from typing import Any

import hub.clock as clock
from hub import clock_sync

_real_now = clock.utc_now


class Clockwork:
    def __init__(self, monkeypatch: Any, hub: Any, sim: Any = None) -> None:
        self.offset = dt.timedelta(0)
        self.sim = sim
        monkeypatch.setattr(clock, "utc_now", lambda: _real_now() + self.offset)
        self.reader = clock_sync.FakeClockReader(synchronised=True)
        self.sync = clock_sync.install(hub.server.app.state, clock_sync.ClockSync(self.reader, read_every_s=0))

    def advance(self, **delta: float) -> None:
        """Move the hub's clock (and FDMS's, unless `fdms=False` was asked) forward."""
        self.offset += dt.timedelta(**delta)
        if self.sim is not None:
            self.sim.clock_offset = self.offset

    def set_back(self, **delta: float) -> None:
        """Move only the hub's system clock back (as a Pi booting without network time would)."""
        self.offset -= dt.timedelta(**delta)
