"""Wire structs of /api/v1/inventory/stock-takes.

Quantities are integer thousandths of the product's unit; values integer minor units of the base
currency. Times are hub stamps (UTC).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from hub.bounds import bounded_int

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
Location = Annotated[str, msgspec.Meta(max_length=120)]
Note = Annotated[str, msgspec.Meta(max_length=500)]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Counted = bounded_int(0, 10**9, "Counted quantity in thousandths of the product's unit")
MAX_BATCH = 200


class StockTake(msgspec.Struct):
    id: str
    name: str
    scope: str  # store, category (with the categories below it) or location
    category_id: str | None
    category_name: str | None
    location: str
    blind: bool  # counters do not see what the ledger expects
    uncounted_zero: bool  # products in scope not counted are posted as zero
    status: str  # open, counting, review, posted, cancelled
    note: str
    line_count: int
    created_by_name: str | None
    approved_by: str | None
    approved_at: str | None
    approved_value: int | None  # the absolute variance value approved
    posted_by: str | None
    posted_at: str | None
    cancelled_by: str | None
    cancelled_at: str | None
    version: int
    created_at: str
    updated_at: str


class StockTakeCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    scope: Literal["store", "category", "location"] = "store"
    category_id: Id | None = None
    location: Location = ""
    blind: bool = False
    uncounted_zero: bool = False  # store or category scope only
    note: Note = ""


class CountLine(msgspec.Struct, forbid_unknown_fields=True):
    """One counted line: the product by barcode or SKU (`code`) or by id, what was counted, and
    for a scanner or till its device id and the device's clock when it was counted."""

    quantity: Counted
    code: Code | None = None
    product_id: Id | None = None
    recount: bool = False  # replaces what was counted of the product before, instead of adding
    device_id: Id | None = None  # default: the calling till
    # the device's own clock reading, with a time zone
    device_clock: Annotated[dt.datetime, msgspec.Meta(tz=True)] | None = None


class CountLines(msgspec.Struct, forbid_unknown_fields=True):
    lines: Annotated[list[CountLine], msgspec.Meta(min_length=1, max_length=MAX_BATCH)]


class Line(msgspec.Struct):
    id: str
    seq: int
    product_id: str
    sku: str
    name: str
    unit_code: str
    quantity: int
    recount: bool
    code: str
    device_id: str | None
    device_clock: str | None  # as the device gave it
    counted_at: str  # the moment it stands for: device clock - skew, or the receive time
    received_at: str
    username: str | None


class Variance(msgspec.Struct):
    product_id: str
    sku: str
    name: str
    unit_code: str
    counted: int
    counted_at: str  # its latest line's moment: where the count stands in the ledger
    lines: int
    uncounted: bool  # not counted; posted as zero (uncounted_zero)
    expected: int | None  # on hand at that moment by the ledger; null in a blind count
    variance: int | None  # counted - expected
    avg_cost: int | None
    variance_value: int | None  # at average cost; null when no cost is known or blind


class Totals(msgspec.Struct):
    products: int
    variance_value: int | None  # signed sum; null in a blind count
    absolute_value: int | None  # what the approval threshold is compared with
    gains_value: int | None
    losses_value: int | None
    threshold: int
    needs_approval: bool | None
    approved: bool | None


class StockTakeDetail(msgspec.Struct):
    stock_take: StockTake
    lines: list[Line]
    products: list[Variance]
    totals: Totals
    expected_shown: bool  # false while a blind count is counted, or for a counter who may not view stock


class StockTakePage(msgspec.Struct):
    items: list[StockTake]
    next_after: str | None
