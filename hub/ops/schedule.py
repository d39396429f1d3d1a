"""When a scheduled backup is due, and which backups retention keeps: pure functions."""

from __future__ import annotations

import datetime as dt
from typing import Iterable


def latest_due(now: dt.datetime, times: Iterable[str], every_hours: int,
               last: dt.datetime | None) -> dt.datetime | None:
    """The latest scheduled moment at or before `now` (local, aware) that no backup has covered:
    a moment counts as covered when the last scheduled backup started at or after it. None: none due.

    Times of day give moments today and yesterday; `every_hours` adds one moment that many hours
    after the last backup (or now, if there was none)."""
    moments: list[dt.datetime] = []
    for day in (now.date() - dt.timedelta(days=1), now.date()):
        for text in times:
            hour, minute = (int(p) for p in text.split(":"))
            moments.append(dt.datetime.combine(day, dt.time(hour, minute), tzinfo=now.tzinfo))
    if every_hours:
        moments.append(last + dt.timedelta(hours=every_hours) if last else now)
    past = [m for m in moments if m <= now]
    if not past:
        return None
    due = max(past)
    if last is not None and last >= due:
        return None
    return due


def keep(stamps: list[tuple[str, dt.datetime]], daily: int, weekly: int,
         since: dt.datetime | None = None) -> set[str]:
    """The names retention keeps among (name, local time taken): every backup taken at or after
    `since` (the last day's, so a backup taken on demand never removes this morning's), the newest
    backup of each of the newest `daily` days and the newest of each of the newest `weekly` ISO
    weeks (besides those)."""
    ordered = sorted(stamps, key=lambda s: s[1], reverse=True)
    kept: set[str] = {name for name, moment in stamps if since is not None and moment >= since}
    days: list[dt.date] = []
    weeks: list[tuple[int, int]] = []
    for name, moment in ordered:
        day = moment.date()
        if day not in days and len(days) < daily:
            days.append(day)
            kept.add(name)
        week = tuple(moment.isocalendar())[:2]
        if week not in weeks and len(weeks) < weekly:
            weeks.append(week)  # type: ignore[arg-type]
            kept.add(name)
    return kept
