"""Typed text on the pricing pages (tiers, promotions, try a basket) to the catalogue's integers and
back: money in minor units, percentages in basis points, quantities in thousandths, store-local
moments to UTC stamps. Exact decimal arithmetic throughout (never float), so "12.50" is 1250.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from hub.clock import format_ts, parse_ts

_NUMBER = re.compile(r"^\d+(\.\d+)?$")
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


class TextError(ValueError):
    """The text is not a value of the wanted kind; the message says what is."""


def _decimal(text: str, places: int, example: str) -> Decimal:
    cleaned = text.strip().replace(",", "").replace(" ", "")
    if not _NUMBER.match(cleaned):
        raise TextError(f"a number such as {example}")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as err:  # the pattern lets only digits and one point through
        raise TextError(f"a number such as {example}") from err
    if -value.as_tuple().exponent > places:  # type: ignore[operator]
        raise TextError(f"at most {places} decimal{'s' if places != 1 else ''}" if places
                        else "a whole number")
    return value


def scaled(text: str, places: int, example: str) -> int:
    """`text` × 10^places as an exact integer: "12.50" with 2 places is 1250."""
    return int(_decimal(text, places, example).scaleb(places))


def parse_money(text: str, decimals: int) -> int:
    """Minor units of a currency with `decimals` ("5" and "5.00" are 500 for cents)."""
    example = "5" if decimals == 0 else "5." + "0" * decimals
    return scaled(text, decimals, example)


def format_money(amount: int | None, decimals: int) -> str:
    """Minor units as the currency writes them: 1250 -> "12.50" (a minus sign when negative)."""
    if amount is None:
        return ""
    sign, whole = ("-" if amount < 0 else ""), abs(amount)
    if decimals == 0:
        return f"{sign}{whole:,}"
    unit = 10 ** decimals
    return f"{sign}{whole // unit:,}.{whole % unit:0{decimals}d}"


def plain_money(amount: int | None, decimals: int) -> str:
    """Minor units as a form field shows them again: 1250 -> "12.50" (no grouping)."""
    return "" if amount is None else format_money(amount, decimals).replace(",", "")


def parse_percent(text: str) -> int:
    """Basis points: "10" is 1000, "12.5" is 1250 (at most two decimals: 0.01 %)."""
    return scaled(text, 2, "10 or 12.5")


def format_percent(basis_points: int | None) -> str:
    """1000 -> "10", 1250 -> "12.5", 1 -> "0.01"."""
    return "" if basis_points is None else _trimmed(Decimal(basis_points).scaleb(-2))


def _trimmed(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_quantity(text: str) -> int:
    """Thousandths of a unit: "3" is 3000, "1.25" (kg) is 1250."""
    return scaled(text, 3, "3 or 1.25")


def format_quantity(thousandths: int) -> str:
    """3000 -> "3", 1250 -> "1.25"."""
    return _trimmed(Decimal(thousandths).scaleb(-3))


def parse_count(text: str, low: int, high: int) -> int:
    """A whole number between `low` and `high`."""
    cleaned = text.strip()
    if not cleaned.isdigit():
        raise TextError("a whole number")
    value = int(cleaned)
    if not low <= value <= high:
        raise TextError(f"between {low:,} and {high:,}")
    return value


def parse_signed(text: str, low: int, high: int) -> int:
    """A whole number, negative allowed, between `low` and `high`."""
    cleaned = text.strip()
    digits = cleaned[1:] if cleaned.startswith("-") else cleaned
    if not digits.isdigit():
        raise TextError("a whole number")
    value = int(cleaned)
    if not low <= value <= high:
        raise TextError(f"between {low:,} and {high:,}")
    return value


def parse_local(text: str, zone: dt.tzinfo) -> str:
    """A store-local "2026-11-25T14:30" (what a datetime-local input sends) as a UTC hub stamp."""
    try:
        moment = dt.datetime.strptime(text.strip()[:16], LOCAL_INPUT)
    except ValueError as err:
        raise TextError("a date and time such as 2026-11-25 14:30") from err
    if not 2000 <= moment.year <= 9998:
        raise TextError("a date between the years 2000 and 9998")
    return format_ts(moment.replace(tzinfo=zone).astimezone(dt.timezone.utc))


def local_input(stamp: str | None, zone: dt.tzinfo) -> str:
    """A UTC stamp as a datetime-local input's value in the store's zone ("" for none)."""
    return "" if not stamp else parse_ts(stamp).astimezone(zone).strftime(LOCAL_INPUT)
