"""A till's clock skew, its status report and its shift digests (docs/sync.md, "Clock" and
"Status and digests").

The skew is the till's clock minus the hub's when a request arrived, in milliseconds; the hub
keeps the latest (devices.clock_skew_ms, read by hub.devices.clock.corrected_time). Beyond
SKEW_ALERT_MS it raises one `clock_skew` exception per till and day and a device alert. All of
it is telemetry: no version bump, no change-feed row, no audit entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from typing import Any

from hub.clock import format_ts, parse_ts
from hub.db import devices as device_rows, sync as rows
from hub.exceptions.service import raise_exception
from hub.sync.schemas import MAX_DIGEST_IDS

# Read at call time, so tests can shrink it: a till whose clock is further off than this is flagged.
SKEW_ALERT_MS = 120_000


def duration(ms: int) -> str:
    """`ms` in words: 3 days 4 h, 2 h 5 min, 40 s."""
    seconds = (abs(ms) + 500) // 1000
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s"
    return f"{seconds} s"


def record_skew(conn: sqlite3.Connection, device_id: str, device_time: dt.datetime | None,
                at: str) -> tuple[int | None, dict[str, Any] | None]:
    """Record the till's skew from its clock reading `device_time` taken when the hub stamped `at`;
    (the skew in ms or None when no reading came, a device alert to publish or None)."""
    if device_time is None:
        state = rows.read_state(conn, device_id)
        return (state or {}).get("skew_ms"), None
    skew = int((device_time - parse_ts(at)) / dt.timedelta(milliseconds=1))
    rows.set_skew(conn, device_id, skew, at)
    if abs(skew) <= SKEW_ALERT_MS:
        return skew, None
    device = device_rows.get_device(conn, device_id) or {"name": device_id}
    detail = {"skew_ms": skew, "skew": duration(skew), "device_name": device["name"], "hub_time": at,
              "device_time": format_ts(device_time)}
    raised = raise_exception(conn, "clock_skew", "device", f"{device_id}@{at[:10]}", detail=detail,
                             device_id=device_id)
    return skew, ({"kind": "clock_skew", "device_id": device_id, **detail} if raised else None)


def report(conn: sqlite3.Connection, device_id: str, body: dict[str, Any], device_time: dt.datetime | None,
           ) -> dict[str, Any]:
    """Keep the till's latest status report; the answer and any device alert (`alert`)."""
    at = conn.stamp()  # type: ignore[attr-defined]
    skew, alert = record_skew(conn, device_id, device_time, at)

    def clock(value: Any) -> str | None:
        return format_ts(value) if isinstance(value, dt.datetime) else value

    rows.set_status(conn, device_id, {
        "queue_depth": body["queue_depth"], "oldest_unsent_seq": body.get("oldest_unsent_seq"),
        "oldest_unsent_at": clock(body.get("oldest_unsent_at")),
        "last_failed_request": body.get("last_failed_request") or "", "last_error": body.get("last_error") or "",
        "last_failed_at": clock(body.get("last_failed_at")), "app_version": body.get("app_version") or "",
        "protocol_version": body.get("protocol_version") or "", "offline_seconds": body.get("offline_seconds") or 0,
        "device_time": clock(device_time), "reported_at": at})
    state = rows.device_state(conn, device_id)
    return {"hub_time": at, "skew_ms": skew, "acked_through": state["acked_through"], "alert": alert}


def ids_hash(event_ids: list[str]) -> str:
    """SHA-256 (hex) of the ids sorted, one per line, no final newline."""
    return hashlib.sha256("\n".join(sorted(event_ids)).encode()).hexdigest()


def digest(conn: sqlite3.Connection, device_id: str, body: dict[str, Any], device_time: dt.datetime | None,
           ) -> dict[str, Any]:
    """Compare a till's digest of one shift with what the hub holds of that till for it: the
    answer lists the hub's event ids, so the till resends those it does not see there."""
    at = conn.stamp()  # type: ignore[attr-defined]
    skew, alert = record_skew(conn, device_id, device_time, at)
    held = rows.shift_events(conn, device_id, body["shift_id"], MAX_DIGEST_IDS)
    totals: dict[str, int] = {}
    for event in held:
        if event["type"] == "sale":
            payload = json.loads(event["payload"])
            if not payload.get("training") and isinstance(payload.get("total"), int):
                totals[payload.get("currency", "")] = totals.get(payload.get("currency", ""), 0) + payload["total"]
    ids = [e["event_id"] for e in held]
    hub = {"count": len(ids), "totals": [{"currency": c, "total": t} for c, t in sorted(totals.items())],
           "event_ids_sha256": ids_hash(ids)}
    given = sorted((t["currency"], t["total"]) for t in body.get("totals") or [])
    match = (hub["count"] == body["count"] and hub["event_ids_sha256"] == body["event_ids_sha256"].lower()
             and given == [(t["currency"], t["total"]) for t in hub["totals"]])
    state = rows.device_state(conn, device_id)
    return {"hub_time": at, "shift_id": body["shift_id"], "match": match, "hub": hub, "event_ids": ids,
            "acked_through": state["acked_through"], "resend_from": state["acked_through"] + 1,
            "skew_ms": skew, "alert": alert}
