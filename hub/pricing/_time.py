"""Instants and times of day as the pricing document writes them."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

UTC = dt.timezone.utc


def parse_instant(text: str) -> dt.datetime:
    """`2026-11-25T12:30:00Z` (any ISO 8601 instant; one without an offset is read as UTC)."""
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_time_of_day(text: str) -> dt.time:
    """`"HH:MM"` (seconds allowed) as a naive time of day."""
    return dt.time.fromisoformat(text)


@functools.lru_cache(maxsize=32)
def store_zone(name: str) -> zoneinfo.ZoneInfo:
    """The store's time zone; days of the week and times of day are read in it."""
    return zoneinfo.ZoneInfo(name)
