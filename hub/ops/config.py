"""Operations settings (table ops_settings): defaults, validation, reading and one audited change.

Times of day are the store's local time ("HH:MM"). Every key has a default here, so a fresh hub
takes a backup at 13:00 and 22:00 and keeps a week of daily and a month of weekly backups.
"""

from __future__ import annotations

import re
import sqlite3
import zoneinfo
from typing import Any

from hub.db import audit, ops as rows
from hub.db.settings import get_setting
from hub.errors import FieldErrors

DEFAULTS: dict[str, Any] = {
    "backup_times": ["13:00", "22:00"],  # while selling and after closing
    "backup_every_hours": 0,  # 0: only at backup_times
    "keep_daily": 7,
    "keep_weekly": 4,
    "usb_path": "",  # the USB drive's mount directory; empty: no USB copies
    "hq_copies": True,
    "recipient_key": "",  # X25519 public key (base64) of the recovery key; empty: no encrypted copies
    "key_id": "",
    "key_created_at": "",
    "ups": "",  # "", "nut:<ups>@<host>" or "gpio:<value file>"
    "ups_gpio_low": "0",  # the GPIO value that means "battery low"
    "clock_from_tills": True,
    "trading_hours": "07:00-21:00",
}
EDITABLE = ("backup_times", "backup_every_hours", "keep_daily", "keep_weekly", "usb_path", "hq_copies", "ups",
            "ups_gpio_low", "clock_from_tills", "trading_hours")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MAX_TIMES = 8


def load(conn: sqlite3.Connection) -> dict[str, Any]:
    values = dict(DEFAULTS)
    values.update({k: v for k, v in rows.settings(conn).items() if k in DEFAULTS})
    return values


def store_zone(conn: sqlite3.Connection) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(get_setting(conn, "store.timezone") or "Africa/Harare")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def parse_hours(text: str) -> tuple[str, str]:
    start, _, end = text.partition("-")
    return start.strip(), end.strip()


def problems(changes: dict[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with `changes` (field, message); empty when they may be saved."""
    errors: list[tuple[str, str]] = []
    for key in changes:
        if key not in EDITABLE:
            errors.append((key, "is not an operations setting"))
    times = changes.get("backup_times")
    if times is not None:
        if not isinstance(times, list) or len(times) > MAX_TIMES or not all(
                isinstance(t, str) and HHMM.match(t) for t in times):
            errors.append(("backup_times", f"must be up to {MAX_TIMES} times of day as HH:MM, e.g. 13:00"))
    for key, low, high in (("backup_every_hours", 0, 24), ("keep_daily", 1, 60), ("keep_weekly", 0, 52)):
        value = changes.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high):
            errors.append((key, f"must be a whole number from {low} to {high}"))
    usb = changes.get("usb_path")
    if usb is not None and (not isinstance(usb, str) or len(usb) > 200 or (usb and not usb.startswith("/"))):
        errors.append(("usb_path", "must be empty or an absolute directory, e.g. /media/soko-usb"))
    ups = changes.get("ups")
    if ups is not None and (not isinstance(ups, str) or len(ups) > 200 or (
            ups and not re.match(r"^(nut:[\w.-]+(@[\w.:-]+)?|gpio:/\S+)$", ups))):
        errors.append(("ups", "must be empty, nut:<ups>@<host> (e.g. nut:ups@localhost) or gpio:<value file>"))
    if changes.get("ups_gpio_low") not in (None, "0", "1"):
        errors.append(("ups_gpio_low", "must be 0 or 1"))
    for key in ("hq_copies", "clock_from_tills"):
        if key in changes and not isinstance(changes[key], bool):
            errors.append((key, "must be true or false"))
    hours = changes.get("trading_hours")
    if hours is not None:
        start, end = parse_hours(hours) if isinstance(hours, str) else ("", "")
        if not (HHMM.match(start) and HHMM.match(end)) or start == end:
            errors.append(("trading_hours", "must be opening and closing times as HH:MM-HH:MM, e.g. 07:00-21:00"))
    return errors


def save(conn: sqlite3.Connection, actor: audit.Actor, changes: dict[str, Any]) -> dict[str, Any]:
    """Validate and store `changes` with one audit entry; the settings after."""
    errors = problems(changes)
    if errors:
        raise FieldErrors(errors)
    before = load(conn)
    for key, value in changes.items():
        rows.put_setting(conn, key, value)
    after = load(conn)
    audit.append(conn, actor, "ops.settings_changed", "ops_settings", None,
                 before={k: before[k] for k in changes}, after={k: after[k] for k in changes})
    return after


def put_internal(conn: sqlite3.Connection, values: dict[str, Any]) -> None:
    """Store keys the hub itself manages (the recipient key); the caller audits."""
    for key, value in values.items():
        assert key in DEFAULTS, key
        rows.put_setting(conn, key, value)
