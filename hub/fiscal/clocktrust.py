"""Clock trust for fiscal signing: a receipt's date is the signing time on the hub's clock, so the
hub signs only while that clock is trusted (docs/fiscal.md "Clock trust").

Untrusted: the system clock is behind the hub's time floor (hub.clock: it went back, e.g. a Pi
that booted without network time), or the clock has not been synchronised (hub.clock_sync: network
time, or the tills' median recorded by the operations work) for longer than the fiscal setting
`clock_max_unsynced_hours`. Meanwhile sales are recorded as always and their fiscal receipts
wait as pending; the fiscal worker signs them, in order, once the clock is trusted again.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from hub import clock_sync

DEFAULT_MAX_UNSYNCED_HOURS = 24
BEHIND_TOLERANCE = dt.timedelta(seconds=2)  # a step back of an NTP correction is not a broken clock


def _duration(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 86400:
        return f"{seconds // 86400} d {seconds % 86400 // 3600} h"
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    if seconds >= 60:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def max_unsynced_hours(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM fiscal_settings WHERE key = 'clock_max_unsynced_hours'").fetchone()
    try:
        return int(row[0]) if row else DEFAULT_MAX_UNSYNCED_HOURS
    except (TypeError, ValueError):
        return DEFAULT_MAX_UNSYNCED_HOURS


def untrusted_reason(conn: sqlite3.Connection) -> str | None:
    """Why the clock may not date fiscal receipts now (None: it may)."""
    floor = getattr(conn, "floor", None)
    if floor is not None:
        behind = floor.behind_by()
        if behind > BEHIND_TOLERANCE:
            return (f"the hub's clock is {_duration(behind)} behind the latest time it recorded (its time floor): "
                    "signing waits until the clock is right again (check network time)")
    sync = clock_sync.for_conn(conn)
    limit = max_unsynced_hours(conn)
    gone = sync.unsynchronised_for()
    if gone > dt.timedelta(hours=limit):
        status = sync.status()
        return (f"the hub's clock has not been synchronised for {_duration(gone)}, more than the {limit} h the "
                f"fiscal settings allow ({status.reason or 'no time source'}): signing waits until network time "
                "or the tills set it again")
    return None


def status(conn: sqlite3.Connection) -> dict[str, Any]:
    """The clock as the Fiscal page and the day endpoint show it."""
    sync = clock_sync.for_conn(conn)
    current = sync.status()
    reason = untrusted_reason(conn)
    return {"trusted": reason is None, "untrusted_because": reason or "", **current.as_dict(),
            "max_unsynced_hours": max_unsynced_hours(conn)}


PENDING_SQL = ("SELECT DISTINCT r.fiscal_device_id FROM fiscal_receipts r JOIN fiscal_devices d ON "
               "d.id = r.fiscal_device_id WHERE r.status = 'pending' AND d.status = 'registered'")


def resume(conn: sqlite3.Connection) -> int:
    """Sign, in order, what waited on a device that can sign again (its clock trusted again):
    the next sale's own transaction would too, but a quiet till may send none. The fiscal
    worker runs it every round."""
    from hub.fiscal import service

    signed = 0
    for (fid,) in conn.execute(PENDING_SQL).fetchall():
        device = service.get_device(conn, fid)
        if service.can_sign(conn, device) is None:
            signed += service.sign_pending(conn, device)
    return signed
