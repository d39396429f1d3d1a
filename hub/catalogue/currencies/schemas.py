"""Wire structs of /api/v1/currencies. Amounts of a currency are integers of its minor units."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from hub.catalogue._common import ZERO_FLOOR

# ISO 4217 letters; accepted in any case and stored in capitals.
Code = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code, e.g. ZWG")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
Symbol = Annotated[str, msgspec.Meta(max_length=8)]
Decimals = Annotated[int, msgspec.Meta(ge=0, le=4, description="Minor-unit decimals (2: cents)",
                                       extra_json_schema=ZERO_FLOOR)]
Step = Annotated[int, msgspec.Meta(ge=1, le=1_000_000, description="Minor units")]
RoundMode = Literal["half_up", "up", "down"]


class Currency(msgspec.Struct):
    code: str
    name: str
    symbol: str
    decimals: int
    is_base: bool
    derive_prices: bool  # a product without its own price here is priced from the base currency
    round_step: int  # derived prices are rounded to a multiple of this many minor units ...
    round_mode: str  # ... half_up, up or down
    cash_rounding: int  # the smallest coin, in minor units (cash totals round to it at payment)
    active: bool
    version: int
    created_at: str
    updated_at: str


class CurrencyCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    name: Name
    symbol: Symbol = ""
    decimals: Decimals = 2
    is_base: bool = False
    derive_prices: bool = False
    round_step: Step = 1
    round_mode: RoundMode = "half_up"
    cash_rounding: Step = 1


class CurrencyUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields given change; `active: false` archives the currency."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    symbol: Symbol | msgspec.UnsetType = msgspec.UNSET
    decimals: Decimals | msgspec.UnsetType = msgspec.UNSET
    is_base: bool | msgspec.UnsetType = msgspec.UNSET
    derive_prices: bool | msgspec.UnsetType = msgspec.UNSET
    round_step: Step | msgspec.UnsetType = msgspec.UNSET
    round_mode: RoundMode | msgspec.UnsetType = msgspec.UNSET
    cash_rounding: Step | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class CurrencyPage(msgspec.Struct):
    items: list[Currency]
    next_after: str | None  # pass as `after` for the next page; null on the last page
