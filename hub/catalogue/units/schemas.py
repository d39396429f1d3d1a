"""Wire structs of /api/v1/units. Quantities are integer thousandths whatever the unit; `decimals`
says how many of those three decimals a quantity of this unit may use (each: 0, kg: 3)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from hub.catalogue._common import ZERO_FLOOR

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9._-]+$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
Decimals = Annotated[int, msgspec.Meta(ge=0, le=3, extra_json_schema=ZERO_FLOOR)]


class Unit(msgspec.Struct):
    id: str
    code: str
    name: str
    decimals: int
    active: bool
    version: int
    created_at: str
    updated_at: str


class UnitCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    name: Name
    decimals: Decimals = 0


class UnitUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields given change; `active: false` archives the unit."""

    code: Code | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    decimals: Decimals | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class UnitPage(msgspec.Struct):
    items: list[Unit]
    next_after: str | None  # pass as `after` for the next page; null on the last page
