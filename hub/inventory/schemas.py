"""Wire structs of the inventory API (read-only in this part: movements, levels, valuation).

Quantities are integer thousandths of the product's unit; costs and values are integer minor
units of the base currency.
"""

from __future__ import annotations

import msgspec


class Movement(msgspec.Struct):
    id: str
    seq: int  # the order the hub recorded it in
    kind: str  # opening, sale, void, refund, receipt, receipt_reversal, adjustment, count, ...
    product_id: str
    sku: str
    name: str
    unit_code: str
    unit_decimals: int
    quantity: int  # a signed change; for a count, the counted quantity (the new baseline)
    unit_cost: int | None  # per unit; for stock going out, the average cost it left at
    value: int | None  # quantity x unit cost, rounded half away from zero; null for a count
    source_type: str
    source_id: str | None
    source_line: int | None
    user_id: str | None
    username: str | None
    device_id: str | None
    occurred_at: str  # when it happened (a device's time corrected by its skew, else the hub's)
    recorded_at: str  # when the hub recorded it
    event_id: str | None
    note: str
    within_count: bool  # it happened at or before the product's latest count, which includes it:
    # it adds nothing to on hand now (one that arrived after that count moved nothing at all)
    baseline: bool  # this count is the one on hand stands on


class MovementPage(msgspec.Struct):
    items: list[Movement]
    next_after: str | None  # pass as `after` for the next (older) page; null on the last page


class MovementKind(msgspec.Struct):
    kind: str
    direction: str  # in, out, any, level
    description: str


class StockLevel(msgspec.Struct):
    product_id: str
    sku: str
    name: str
    category_id: str | None
    unit_id: str
    unit_code: str
    unit_decimals: int
    active: bool
    stock_tracked: bool
    low_stock_threshold: int
    on_hand: int  # thousandths; below zero when more was sold than the ledger held
    avg_cost: int | None  # weighted average cost per unit; null until a cost is known
    value: int | None  # on hand x average cost; null until a cost is known
    negative: bool
    low: bool  # on hand at or below the low-stock threshold
    baseline_id: str | None  # the latest count, which on hand stands on
    baseline_at: str | None  # when it was counted
    last_moved_at: str | None  # when the hub recorded its latest movement
    version: int  # as on the `stock_level` change rows (0: never moved)


class StockLevelPage(msgspec.Struct):
    items: list[StockLevel]
    next_after: str | None


class CategoryValue(msgspec.Struct):
    category_id: str | None  # null: products without a category
    name: str
    parent_id: str | None
    products: int  # with stock (on hand not zero)
    value: int
    without_cost: int  # products with stock but no known cost, not in `value`


class Valuation(msgspec.Struct):
    currency: str | None  # the base currency every cost is in
    total_value: int  # at average cost; negative stock counts against it
    products: int  # with stock (on hand not zero)
    negative_products: int
    without_cost: int  # products with stock whose cost the ledger does not know yet
    by_category: list[CategoryValue]
