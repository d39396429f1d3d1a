"""Exchange rates as scaled integers and as decimal text, converted exactly (no floats).

`26.7834` with rate_scale 1000000 is 26783400; a text with more decimals than the scale holds
is refused rather than rounded, because a rate is money's multiplier (docs/pricing.md).
"""

from __future__ import annotations

import re

MAX_RATE_SCALE = 10**12
MAX_RATE = 10**18  # below SQLite's 2**63 - 1
MAX_TEXT_LENGTH = 40
_DECIMAL = re.compile(r"^([0-9]+)(?:\.([0-9]+))?$")


class RateTextError(ValueError):
    """The text is not a rate that `rate_scale` can hold exactly; the message says why."""


def is_power_of_ten(n: int) -> bool:
    return n >= 1 and str(n) == "1" + "0" * (len(str(n)) - 1)


def scale_places(rate_scale: int) -> int:
    """How many decimals a power-of-ten `rate_scale` holds (1000000 -> 6)."""
    if not is_power_of_ten(rate_scale):
        raise ValueError(f"rate_scale {rate_scale} is not a power of ten")
    return len(str(rate_scale)) - 1


def parse_scaled(text: str, rate_scale: int) -> int:
    """`"26.7834"`, 1000000 -> 26783400, exactly; RateTextError for anything else."""
    if len(text) > MAX_TEXT_LENGTH:
        raise RateTextError(f"is longer than {MAX_TEXT_LENGTH} characters")
    match = _DECIMAL.match(text)
    if match is None:
        raise RateTextError('must be a decimal number with a dot, such as "26.7834"')
    whole, fraction = match[1], match[2] or ""
    numerator = int(whole + fraction) * rate_scale
    denominator = 10 ** len(fraction)
    if numerator % denominator:
        places = scale_places(rate_scale) if is_power_of_ten(rate_scale) else None
        limit = f" (at most {places})" if places is not None else ""
        raise RateTextError(f"has more decimals than rate_scale {rate_scale} holds{limit}")
    value = numerator // denominator
    if value < 1:
        raise RateTextError("must be more than zero")
    if value > MAX_RATE:
        raise RateTextError("is too large")
    return value


def format_scaled(rate: int, rate_scale: int) -> str:
    """26783400, 1000000 -> `"26.7834"`: the shortest exact decimal text of a power-of-ten scale."""
    places = scale_places(rate_scale)
    whole, fraction = divmod(rate, rate_scale)
    if places == 0 or fraction == 0:
        return str(whole)
    return f"{whole}.{str(fraction).rjust(places, '0').rstrip('0')}"
