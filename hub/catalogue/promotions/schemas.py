"""Wire structs of /api/v1/promotions, in the JSON shape of docs/pricing.md.

A promotion is flat, as the pricing document writes it: `name`, `kind`, `priority`, `stackable`,
the kind's own fields (`target`, `percent_off_bp`, `amounts`, `quantity`, `buy`, `get`,
`buy_target`, `get_target`, `thresholds`) and the optional ones (`valid_from`, `valid_until`,
`days`, `time_from`, `time_until`, `tiers`, `max_applications`, `max_discount`). Types and bounds
are checked on decoding (400); which fields a kind needs and allows, and what the ids name, by
hub.catalogue.promotions.rules (422, each wrong field named).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from hub.bounds import bounded_int

MAX_PAGE = 200
MAX_MONEY = 10**12
MAX_IDS = 1000  # ids in one target

Kind = Literal["percent_off", "amount_off", "multi_buy", "buy_x_get_y", "spend_threshold"]
Status = Literal["scheduled", "running", "ended"]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Ids = Annotated[list[Id], msgspec.Meta(max_length=MAX_IDS)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
BasisPoints = bounded_int(0, 10000, "basis points: 1000 is 10 %")
Priority = bounded_int(-1_000_000, 1_000_000, "smaller applies first")
Count = bounded_int(1, 10_000)
CurrencyCode = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
Amounts = Annotated[dict[CurrencyCode, bounded_int(0, MAX_MONEY, "minor units (cents)")],
                    msgspec.Meta(max_length=20)]
Instant = Annotated[str, msgspec.Meta(min_length=1, max_length=40,
                                      description="a UTC instant, e.g. 2026-11-25T12:30:00Z")]
TimeOfDay = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                                        description="HH:MM, store-local")]
Weekday = bounded_int(1, 7, "ISO weekday, 1 = Monday")
Days = Annotated[list[Weekday], msgspec.Meta(max_length=7)]


class Target(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Exactly one of: `products`, `categories` (with all their descendants), `basket: true`."""

    products: Ids | None = None
    categories: Ids | None = None
    basket: bool | None = None


class Promotion(msgspec.Struct, omit_defaults=True):
    id: str
    name: str
    kind: Kind
    priority: int
    stackable: bool
    source: Literal["store", "hq"]  # HQ's promotions are read-only here once the hub is enrolled
    status: Status  # at the moment of the answer
    version: int
    created_at: str
    updated_at: str
    target: Target | None = None
    percent_off_bp: int | None = None
    amounts: dict[str, int] | None = None
    quantity: int | None = None
    buy: int | None = None
    get: int | None = None
    buy_target: Target | None = None
    get_target: Target | None = None
    thresholds: dict[str, int] | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    days: list[int] | None = None
    time_from: str | None = None
    time_until: str | None = None
    tiers: list[str] | None = None
    max_applications: int | None = None
    max_discount: dict[str, int] | None = None


class PromotionCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    kind: Kind
    priority: Priority = 100
    stackable: bool = False
    target: Target | None = None
    percent_off_bp: BasisPoints | None = None
    amounts: Amounts | None = None
    quantity: Count | None = None
    buy: Count | None = None
    get: Count | None = None
    buy_target: Target | None = None
    get_target: Target | None = None
    thresholds: Amounts | None = None
    valid_from: Instant | None = None
    valid_until: Instant | None = None
    days: Days | None = None
    time_from: TimeOfDay | None = None
    time_until: TimeOfDay | None = None
    tiers: Ids | None = None
    max_applications: Count | None = None
    max_discount: Amounts | None = None


class PromotionUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """The fields to change; `null` removes an optional field. The result is checked whole."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    kind: Kind | msgspec.UnsetType = msgspec.UNSET
    priority: Priority | msgspec.UnsetType = msgspec.UNSET
    stackable: bool | msgspec.UnsetType = msgspec.UNSET
    target: Target | None | msgspec.UnsetType = msgspec.UNSET
    percent_off_bp: BasisPoints | None | msgspec.UnsetType = msgspec.UNSET
    amounts: Amounts | None | msgspec.UnsetType = msgspec.UNSET
    quantity: Count | None | msgspec.UnsetType = msgspec.UNSET
    buy: Count | None | msgspec.UnsetType = msgspec.UNSET
    get: Count | None | msgspec.UnsetType = msgspec.UNSET
    buy_target: Target | None | msgspec.UnsetType = msgspec.UNSET
    get_target: Target | None | msgspec.UnsetType = msgspec.UNSET
    thresholds: Amounts | None | msgspec.UnsetType = msgspec.UNSET
    valid_from: Instant | None | msgspec.UnsetType = msgspec.UNSET
    valid_until: Instant | None | msgspec.UnsetType = msgspec.UNSET
    days: Days | None | msgspec.UnsetType = msgspec.UNSET
    time_from: TimeOfDay | None | msgspec.UnsetType = msgspec.UNSET
    time_until: TimeOfDay | None | msgspec.UnsetType = msgspec.UNSET
    tiers: Ids | None | msgspec.UnsetType = msgspec.UNSET
    max_applications: Count | None | msgspec.UnsetType = msgspec.UNSET
    max_discount: Amounts | None | msgspec.UnsetType = msgspec.UNSET


class PromotionPage(msgspec.Struct):
    items: list[Promotion]
    next_after: str | None  # pass as `after` for the next page; null on the last page
