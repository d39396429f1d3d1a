"""Wire structs of /api/v1/pricing-tiers."""

from __future__ import annotations

from typing import Annotated

import msgspec

from hub.bounds import bounded_int

MAX_PAGE = 200
MAX_MONEY = 10**12  # minor units: a trillion cents is beyond any one price
TierName = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
BasisPoints = bounded_int(0, 10000, "basis points: 500 is 5 %")
CurrencyCode = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
Money = bounded_int(0, MAX_MONEY, "minor units (cents)")
# The body of PUT .../prices/{product_id}: every currency the product has a tier price in.
PriceSet = Annotated[dict[CurrencyCode, Money], msgspec.Meta(min_length=1, max_length=20)]


class PricingTier(msgspec.Struct):
    id: str
    name: str
    percent_off_bp: int | None  # the rule: this much off the normal price; null: none
    active: bool
    priced_products: int  # products with a price of their own in this tier
    version: int
    created_at: str
    updated_at: str


class PricingTierCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: TierName
    percent_off_bp: BasisPoints | None = None


class PricingTierUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: TierName | msgspec.UnsetType = msgspec.UNSET
    percent_off_bp: BasisPoints | None | msgspec.UnsetType = msgspec.UNSET


class PricingTierPage(msgspec.Struct):
    items: list[PricingTier]
    next_after: str | None  # pass as `after` for the next page; null on the last page


class TierProductPrices(msgspec.Struct):
    tier_id: str
    product_id: str
    prices: dict[str, int]  # currency -> price in minor units; never converted to another


class TierPriceEntry(msgspec.Struct):
    product_id: str
    prices: dict[str, int]


class TierPricePage(msgspec.Struct):
    items: list[TierPriceEntry]
    next_after: str | None
