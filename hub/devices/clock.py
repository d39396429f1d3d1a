"""When a device's fact happened on the hub's time line: its clock reading corrected by the
device's recorded skew (`devices.clock_skew_ms`, the device's clock minus the hub's), or the
hub's receive time when the skew is unknown (DESIGN.md section 3, Time; docs/inventory.md).

Stock takes use it for each counted line; sales and till sync use the same rule. Till sync is
what records a device's skew; until it has, a device's clock is not trusted at all.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from hub.catalogue._common import now
from hub.clock import format_ts
from hub.db import devices


def corrected_time(conn: sqlite3.Connection, device_id: str | None, device_clock: str | dt.datetime | None,
                   *, received_at: str | None = None) -> str:
    """The moment a device's fact happened, as a hub stamp: `device_clock - skew` when the device's
    skew is recorded, else `received_at` (default: the hub's time now). Never later than the
    receive time: nothing happens after the hub heard of it."""
    received = received_at or now(conn)
    if device_id is None or device_clock is None:
        return received
    _, skew = devices.clock_skew(conn, device_id)
    if skew is None:
        return received
    clock = dt.datetime.fromisoformat(device_clock) if isinstance(device_clock, str) else device_clock
    corrected = format_ts(clock - dt.timedelta(milliseconds=skew))
    return min(corrected, received)
