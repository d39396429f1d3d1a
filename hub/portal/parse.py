"""Numbers and times typed into the portal's forms, read exactly and written back: the one place
the pages turn typed digits into minor units or thousandths (integer arithmetic on the digits,
never a float), write them again for an input or a table, and read a time typed on the store's
clock. Each form keeps its own grammar and words for what is wrong (a count's "1,5" is one and a
half, a price's "1,250.50" groups thousands); what they share is here.
"""

from __future__ import annotations

import datetime as dt
import re

_AMOUNT = re.compile(r"^([0-9]{1,12})(?:\.([0-9]+))?$")
_WHOLE = re.compile(r"[+-]?[0-9]{1,9}")


class TypedError(ValueError):
    """Typed text the field cannot take; the message (a predicate: "is required") says why."""


def scaled(whole: str, fraction: str, places: int) -> int:
    """The digits before and after a decimal point as an integer of 10^-places ("12", "5", 2 ->
    1250), exactly; TypedError when the fraction has more digits than `places`."""
    if len(fraction) > places:
        raise TypedError(f"has at most {places} decimals" if places else "takes no decimals")
    return int(whole or "0") * 10 ** places + int(fraction.ljust(places, "0") or "0")


def parse_amount(text: str, decimals: int) -> int:
    """"0.05" of a currency with 2 decimals -> 5 minor units, exactly; no more decimals than it has."""
    value = text.strip()
    if not value:
        raise TypedError("is required")
    match = _AMOUNT.match(value)
    if match is None:
        raise TypedError("must be an amount such as " + amount_text(5 * 10 ** max(decimals - 2, 0), decimals))
    return scaled(match[1], match[2] or "", decimals)


def whole_number(text: str) -> int | None:
    """Typed whole number ("", spaces: 0); None when it is not one."""
    text = text.strip()
    if not text:
        return 0
    return int(text) if _WHOLE.fullmatch(text) else None


def amount_text(minor: int | None, decimals: int, *, grouped: bool = False) -> str:
    """Minor units in the currency's decimals: 5 -> "0.05", -125050 -> "-1250.50" (grouped:
    "-1,250.50"); "" for none."""
    if minor is None:
        return ""
    whole, fraction = divmod(abs(minor), 10 ** decimals)
    digits = f"{whole:,}" if grouped else str(whole)
    return ("-" if minor < 0 else "") + digits + (f".{fraction:0{decimals}d}" if decimals else "")


def quantity_text(thousandths: int | None, decimals: int = 3, *, grouped: bool = False) -> str:
    """Thousandths in units, trailing zeros dropped and at most `decimals` of them: 12000 -> "12",
    -1500 -> "-1.5" (grouped: 1250000 -> "1,250"); "" for none."""
    if thousandths is None:
        return ""
    whole, fraction = divmod(abs(thousandths), 1000)
    digits = f"{fraction:03d}"[:max(decimals, 0)].rstrip("0")
    return ("-" if thousandths < 0 else "") + (f"{whole:,}" if grouped else str(whole)) + (
        f".{digits}" if digits else "")


def store_moment(text: str, zone: dt.tzinfo) -> dt.datetime:
    """A time typed on the store's clock ("2027-01-31T08:00" as a datetime-local input sends it,
    or "2027-01-31 08:00") in the store's zone; one that names its own offset keeps it.
    TypedError("is not a date and time") otherwise."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise TypedError("is not a date and time") from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
