"""Wire structs of /api/v1/exchange-rates. A rate is an integer scaled by `rate_scale`: 1 `base`
= rate / rate_scale `quote` (1 USD = 26.7834 ZWG is rate 26783400, rate_scale 1000000)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from hub.catalogue.exchange_rates.scaled import MAX_RATE, MAX_RATE_SCALE, MAX_TEXT_LENGTH

Code = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{3}$")]
Instant = Annotated[str, msgspec.Meta(max_length=40, description="ISO 8601 with an offset")]
DEFAULT_SCALE = 1_000_000


class ExchangeRate(msgspec.Struct):
    id: str
    base: str
    quote: str
    rate: int
    rate_scale: int
    rate_text: str  # the same rate as exact decimal text, e.g. "26.7834"
    effective_from: str
    source: str  # official, store or hq
    set_by: str | None  # the user who set it (null for HQ's and the system's)
    set_by_username: str | None
    note: str
    created_at: str
    status: Literal["scheduled", "in_force", "superseded"]  # as of now


class ExchangeRateCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Give `rate` (scaled integer) or `rate_text` (decimal text, converted exactly), not both."""

    quote: Code
    base: Code | None = None  # default: the store's base currency
    rate: Annotated[int, msgspec.Meta(ge=1, le=MAX_RATE)] | None = None
    rate_text: Annotated[str, msgspec.Meta(max_length=MAX_TEXT_LENGTH)] | None = None
    rate_scale: Annotated[int, msgspec.Meta(ge=1, le=MAX_RATE_SCALE)] = DEFAULT_SCALE
    effective_from: Instant | None = None  # default: now; a later time schedules the rate
    source: Literal["official", "store", "hq"] = "store"  # hq: only from HQ's own feed
    note: Annotated[str, msgspec.Meta(max_length=200)] = ""


class ExchangeRatePage(msgspec.Struct):
    items: list[ExchangeRate]
    next_after: str | None  # pass as `after` for the next page; null on the last page
