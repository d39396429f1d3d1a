"""The period a report covers: today, yesterday, this week (from Monday), this month or custom days,
as the store's local days and their UTC bounds (docs/reports.md, "Periods").

A custom period is at most MAX_DAYS days: every report then reads at most a quarter of the
history, which is what keeps each one within its second on a store's Raspberry Pi.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Any

from hub.audit.portal import day_start
from hub.catalogue._common import now
from hub.clock import parse_ts
from hub.db.pricing import DEFAULT_TIMEZONE
from hub.db.settings import get_setting
from hub.errors import FieldErrors
from hub.portal.templating import store_zone

PERIODS = (("today", "Today"), ("yesterday", "Yesterday"), ("week", "This week"), ("month", "This month"),
           ("custom", "Custom dates"))
PERIOD_PATTERN = r"^(today|yesterday|week|month|custom)$"
MAX_DAYS = 92
EARLIEST = dt.date(2000, 1, 1)


@dataclass(frozen=True, slots=True)
class Period:
    name: str
    first: dt.date  # store-local days, both included
    last: dt.date
    since: str  # UTC stamps: local midnight of `first`, and of the day after `last`
    until: str
    zone: Any

    def as_dict(self) -> dict[str, Any]:
        return {"period": self.name, "from": self.first.isoformat(), "to": self.last.isoformat(),
                "since": self.since, "until": self.until, "timezone": str(self.zone)}

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def zone_of(conn: sqlite3.Connection) -> Any:
    return store_zone(get_setting(conn, "store.timezone", DEFAULT_TIMEZONE))


def today(conn: sqlite3.Connection) -> dt.date:
    return parse_ts(now(conn)).astimezone(zone_of(conn)).date()


def _date(name: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FieldErrors([(name, "is not a date: use YYYY-MM-DD")]) from None


def days_of(name: str, today_: dt.date, date_from: str = "", date_to: str = "") -> tuple[dt.date, dt.date]:
    """The local days a period covers (both included); FieldErrors naming `from`/`to` for a custom
    period that is missing a day, reversed, in the future or longer than MAX_DAYS."""
    if name == "today":
        return today_, today_
    if name == "yesterday":
        return today_ - dt.timedelta(days=1), today_ - dt.timedelta(days=1)
    if name == "week":
        return today_ - dt.timedelta(days=today_.weekday()), today_
    if name == "month":
        return today_.replace(day=1), today_
    if name != "custom":
        raise FieldErrors([("period", "is not one of today, yesterday, week, month, custom")])
    problems = [(field, "is needed for custom dates") for field, text in (("from", date_from), ("to", date_to))
                if not text]
    if problems:
        raise FieldErrors(problems)
    first, last = _date("from", date_from), _date("to", date_to)
    if first < EARLIEST:
        raise FieldErrors([("from", f"must be {EARLIEST.isoformat()} or later")])
    if last > today_:
        raise FieldErrors([("to", "has not come yet: choose today or an earlier day")])
    if last < first:
        raise FieldErrors([("to", "must be on or after the From day")])
    if (last - first).days + 1 > MAX_DAYS:
        raise FieldErrors([("to", f"a custom period is at most {MAX_DAYS} days")])
    return first, last


def resolve(conn: sqlite3.Connection, name: str = "today", date_from: str = "", date_to: str = "") -> Period:
    zone = zone_of(conn)
    first, last = days_of(name, today(conn), date_from, date_to)
    since, until = day_start(first.isoformat(), zone), day_start(last.isoformat(), zone, days_after=1)
    assert since is not None and until is not None
    return Period(name, first, last, since, until, zone)


def halves(period: Period) -> list[Period]:
    """The period cut at the local midnight nearest its middle, for a report that reads its two
    halves at once; a period of one day stays whole. Every moment falls in exactly one half."""
    days = (period.last - period.first).days + 1
    if days < 2:
        return [period]
    middle = period.first + dt.timedelta(days=days // 2)
    cut = day_start(middle.isoformat(), period.zone)
    assert cut is not None
    return [Period(period.name, period.first, middle - dt.timedelta(days=1), period.since, cut, period.zone),
            Period(period.name, middle, period.last, cut, period.until, period.zone)]


def for_days(conn: sqlite3.Connection, first: dt.date, last: dt.date, name: str = "custom") -> Period:
    zone = zone_of(conn)
    since, until = day_start(first.isoformat(), zone), day_start(last.isoformat(), zone, days_after=1)
    assert since is not None and until is not None
    return Period(name, first, last, since, until, zone)
