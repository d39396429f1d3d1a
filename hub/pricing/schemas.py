"""Wire structs of POST /api/v1/pricing/quote: a basket in, the engine's result out.

The result is the pricing engine's (docs/pricing.md, "Output") with the basket's currency, the
instant it was priced at, the store's tax mode and the tier beside it.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from hub.bounds import bounded_int

MAX_LINES = 500
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
CurrencyCode = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
# Below 1 reaches the engine, which refuses it naming the line (`invalid_quantity`).
Quantity = bounded_int(-1_000_000_000, 1_000_000_000, "thousandths of the product's unit (2 loaves = 2000)")


class QuoteLine(msgspec.Struct, forbid_unknown_fields=True):
    product: Id
    quantity: Quantity
    line: bounded_int(1, 100_000) | None = None  # default: its position, from 1


class QuoteRequest(msgspec.Struct, forbid_unknown_fields=True):
    currency: CurrencyCode
    lines: Annotated[list[QuoteLine], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    tier: Id | None = None
    at: Annotated[str, msgspec.Meta(max_length=40, description="a UTC instant; default now")] | None = None
    # Only these promotions (a preview of one promotion, or a quotation's own list); default:
    # every active promotion whose dates contain `at`.
    promotions: Annotated[list[Id], msgspec.Meta(max_length=200)] | None = None


class PromotionAmount(msgspec.Struct):
    promotion: str
    amount: int


class QuotedLine(msgspec.Struct):
    line: int
    unit_price: int
    gross: int
    discounts: list[PromotionAmount]
    net: int
    tax_class: str


class TaxLine(msgspec.Struct):
    tax_class: str
    rate_bp: int | None  # null for an exempt class
    net: int
    tax: int
    sales_with_tax: int


class Quote(msgspec.Struct):
    currency: str
    at: str
    tax_mode: str
    tier: str | None
    lines: list[QuotedLine]
    promotions: list[PromotionAmount]
    taxes: list[TaxLine]
    subtotal: int
    discount_total: int
    tax_total: int
    total: int
