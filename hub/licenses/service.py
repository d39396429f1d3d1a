"""License rules: installing a verified file, seats per license, the trial, and who may pair.

Expiry never stops selling, sync or fiscalisation: nothing outside pairing asks this module.
An expired license only blocks new pairing and shows a banner. The functions taking a connection
and an actor each run as one `db.write` transaction with exactly one audit entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from typing import Any, Sequence

from hub.clock import format_ts, parse_ts, utc_now
from hub.db import audit, devices, licenses, meta
from hub.db.audit import Actor
from hub.errors import ConflictError, HubError, NotFoundError, PermissionDeniedError
from hub.licenses.verify import verify

# Non-revoked devices a store may pair while it holds no active license.
TRIAL_DEVICES = 2
# The banner warns this long before the last active license expires.
EXPIRY_WARNING_DAYS = 30


def now_for_reads(conn: sqlite3.Connection) -> str:
    """The hub's time on a read connection: the clock, never earlier than the time floor."""
    return max(format_ts(utc_now()), conn.floor.value or "")


def _day(stamp: str) -> str:
    return stamp[:10]


def pairing_refusal(*, in_use: int, active_seats: int, expired_on: str | None) -> HubError | None:
    """Why one more device may not pair, or None; `expired_on`: the last expiry when none is active."""
    if active_seats:
        if in_use < active_seats:
            return None
        return PermissionDeniedError(
            f"All {active_seats} seats of the active licenses are in use ({in_use} tills paired). "
            "Revoke a till you no longer use, or install a license with more seats.",
            code="license_seats_exhausted", extra={"seats": active_seats, "in_use": in_use})
    if in_use < TRIAL_DEVICES:
        return None
    if expired_on is not None:
        return PermissionDeniedError(
            f"The license expired on {_day(expired_on)}. Without an active license only "
            f"{TRIAL_DEVICES} tills may be paired, and {in_use} are. Paired tills keep selling; "
            "install a renewed license to pair more.",
            code="license_expired", extra={"expired_at": expired_on, "in_use": in_use})
    return PermissionDeniedError(
        f"The trial allows {TRIAL_DEVICES} tills without a license, and {in_use} are paired. "
        "Install a license, or revoke a till you no longer use.",
        code="license_seats_exhausted", extra={"seats": TRIAL_DEVICES, "in_use": in_use})


def status(lic: dict[str, Any], now: str) -> str:
    return "active" if lic["expires_at"] > now else "expired"


def seat_for_new_device(conn: sqlite3.Connection, now: str) -> str | None:
    """The license a new device takes a seat of (None on trial); raises when pairing must be refused."""
    installed = licenses.list_licenses(conn)
    refusal = pairing_refusal(
        in_use=devices.count_live(conn), active_seats=licenses.active_seats(conn, now),
        expired_on=installed[0]["expires_at"] if installed else None)
    if refusal is not None:
        raise refusal
    return licenses.with_free_seat(conn, now)


def install(conn: sqlite3.Connection, actor: Actor, text: str, trusted: Sequence[str]) -> dict[str, Any]:
    """Verify and install a license file; live devices without an active license take its seats."""
    terms = verify(text, trusted, meta.get(conn, "store_id"))
    if licenses.get(conn, terms.license_id) is not None:
        raise ConflictError(f"the license {terms.license_id} is already installed", code="license_duplicate")
    now = conn.stamp()
    fields = dataclasses.asdict(terms)
    lic = licenses.insert(conn, raw=text.strip(), installed_by=actor.user_id, **fields)
    linked = []
    if status(lic, now) == "active":
        linked = devices.uncovered(conn, now)[: lic["seats"]]
        for device_id in linked:
            devices.update_device(conn, device_id, license_id=lic["id"])
    audit.append(conn, actor, "license.installed", "license", lic["id"], after=fields,
                 detail={"linked_devices": linked} if linked else None)
    found = licenses.get(conn, lic["id"])
    assert found is not None
    return {**found, "status": status(found, now)}


def link(conn: sqlite3.Connection, actor: Actor, device_id: str, license_id: str | None) -> dict[str, Any]:
    """Give a device a seat of `license_id` (None: take it off any license); returns the device."""
    device = devices.get_device(conn, device_id)
    if device is None:
        raise NotFoundError(f"there is no device {device_id}")
    if device["revoked_at"] is not None:
        raise ConflictError(f"the device {device['name']} is revoked", code="device_revoked")
    if device["license_id"] == license_id:
        return device
    if license_id is not None:
        lic = licenses.get(conn, license_id)
        if lic is None:
            raise NotFoundError(f"there is no license {license_id}")
        if status(lic, conn.stamp()) != "active":
            raise ConflictError(f"the license {license_id} expired on {_day(lic['expires_at'])}",
                                code="license_expired")
        if devices.count_live_on_license(conn, license_id, except_device=device_id) >= lic["seats"]:
            raise ConflictError(f"all {lic['seats']} seats of the license {license_id} are in use",
                                code="license_seats_exhausted")
    updated = devices.update_device(conn, device_id, license_id=license_id)
    audit.append(conn, actor, "device.license_linked", "device", device_id,
                 before={"license_id": device["license_id"]}, after={"license_id": license_id})
    return updated


def _banner(installed: list[dict[str, Any]], active: list[dict[str, Any]], now: str) -> str | None:
    if active:
        last = max(lic["expires_at"] for lic in active)
        soon = format_ts(parse_ts(now) + dt.timedelta(days=EXPIRY_WARNING_DAYS))
        if last > soon:
            return None
        return f"The license expires on {_day(last)}; renew it to keep pairing new tills."
    if installed:
        return (f"The license expired on {_day(installed[0]['expires_at'])}. Tills keep selling and "
                "syncing; install a renewed license to pair new tills.")
    return None


def overview(conn: sqlite3.Connection) -> dict[str, Any]:
    """Every license with its status and used seats, the seat summary, and a banner for the portal."""
    now = now_for_reads(conn)
    installed = [{**lic, "status": status(lic, now)} for lic in licenses.list_licenses(conn)]
    active = [lic for lic in installed if lic["status"] == "active"]
    seats = sum(lic["seats"] for lic in active)
    in_use = devices.count_live(conn)
    refusal = pairing_refusal(in_use=in_use, active_seats=seats,
                              expired_on=installed[0]["expires_at"] if installed else None)
    return {
        "licenses": installed,
        "summary": {"active_seats": seats, "devices_in_use": in_use,
                    "trial_seats": 0 if active else TRIAL_DEVICES, "can_pair": refusal is None,
                    "pairing_refused": refusal.detail if refusal else None},
        "banner": _banner(installed, active, now),
    }
