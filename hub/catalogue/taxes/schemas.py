"""Wire structs of /api/v1/tax-classes. Rates are basis points (15.5 % = 1550)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from hub.catalogue._common import ZERO_FLOOR

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9._-]+$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
RateBp = Annotated[int, msgspec.Meta(ge=0, le=10000, description="Basis points: 1550 is 15.5 %",
                                     extra_json_schema=ZERO_FLOOR)]
Instant = Annotated[str, msgspec.Meta(max_length=40, description="ISO 8601 with an offset")]


class TaxRate(msgspec.Struct):
    id: str
    rate_bp: int
    effective_from: str
    created_by: str | None
    created_at: str
    status: Literal["scheduled", "in_force", "superseded"]  # as of now


class TaxClass(msgspec.Struct):
    id: str
    code: str
    name: str
    exempt: bool  # no rate and no tax (ZIMRA: taxPercent omitted)
    zimra_tax_id: int | None  # FDMS taxID; null until the fiscal device's configuration maps it
    active: bool
    rate_bp: int | None  # the rate in force now (null: exempt, or no rate has started)
    rates: list[TaxRate]  # the history, oldest start first
    version: int
    created_at: str
    updated_at: str


class TaxClassCreate(msgspec.Struct, forbid_unknown_fields=True):
    """`rate_bp` (optional) starts the class's history at `effective_from` (default now)."""

    code: Code
    name: Name
    exempt: bool = False
    rate_bp: RateBp | None = None
    effective_from: Instant | None = None


class TaxClassUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields given change; `active: false` archives the class. Rates are added with
    POST .../rates and never edited."""

    code: Code | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    exempt: bool | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class TaxRateCreate(msgspec.Struct, forbid_unknown_fields=True):
    rate_bp: RateBp
    effective_from: Instant | None = None  # default: now; never earlier than now


class TaxClassPage(msgspec.Struct):
    items: list[TaxClass]
    next_after: str | None  # pass as `after` for the next page; null on the last page


class TaxRateAt(msgspec.Struct):
    """The rate of a class in force at `at`: null rate_bp when exempt or when none had started."""

    tax_class_id: str
    at: str
    exempt: bool
    rate_bp: int | None
    rate_id: str | None
    effective_from: str | None
