"""Wire structs of /api/v1/settings/pricing."""

from __future__ import annotations

from typing import Literal

import msgspec

TaxMode = Literal["inclusive", "exclusive"]


class PricingSettings(msgspec.Struct):
    tax_mode: TaxMode  # inclusive: shelf prices include tax; exclusive: tax is added at the till
    base_currency: str | None  # read-only here: the currency with is_base (PATCH /currencies/{code})


class PricingSettingsUpdate(msgspec.Struct, forbid_unknown_fields=True):
    tax_mode: TaxMode
