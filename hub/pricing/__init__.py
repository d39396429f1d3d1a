"""The pricing engine: one pure function prices a basket exactly as docs/pricing.md says.

The tills (Flutter) implement the same rules; `tests/fixtures/pricing/baskets.json` holds the
hand-worked baskets both must reproduce. Integers only: minor units, thousandths of a unit,
basis points and scaled exchange rates; no float anywhere.
"""

from __future__ import annotations

from .engine import price_basket
from .errors import PricingError

__all__ = ["PricingError", "price_basket"]
