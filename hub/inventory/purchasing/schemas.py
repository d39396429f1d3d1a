"""Wire structs of /api/v1/inventory/purchase-orders. Quantities are integer thousandths of the
product's unit; costs integer minor units of the base currency per unit."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from hub.bounds import bounded_int

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Code = Annotated[str, msgspec.Meta(max_length=64, description="A SKU or a barcode")]
Quantity = bounded_int(1, 10**9, "thousandths of the unit")
Cost = bounded_int(0, 10**12, "minor units of the base currency per unit")
Text = Annotated[str, msgspec.Meta(max_length=500)]
Days = bounded_int(1, 365, "days of sales the velocity is measured over")
ReviewDays = bounded_int(0, 365, "days until the next order, added to the supplier's lead time")
MAX_LINES = 500


class PurchaseOrderLineIn(msgspec.Struct, forbid_unknown_fields=True):
    quantity: Quantity
    product_id: Id | None = None
    code: Code | None = None
    unit_cost: Cost | None = None  # expected; default: the supplier's cost, else the product's


Lines = Annotated[list[PurchaseOrderLineIn], msgspec.Meta(max_length=MAX_LINES)]


class PurchaseOrderCreate(msgspec.Struct, forbid_unknown_fields=True):
    supplier_id: Id
    expected_on: dt.date | None = None
    note: Text = ""
    lines: Lines = []


class PurchaseOrderUpdate(msgspec.Struct, forbid_unknown_fields=True):
    supplier_id: Id | msgspec.UnsetType = msgspec.UNSET
    expected_on: dt.date | None | msgspec.UnsetType = msgspec.UNSET
    note: Text | msgspec.UnsetType = msgspec.UNSET
    lines: Lines | msgspec.UnsetType = msgspec.UNSET  # replaces every line


class Reason(msgspec.Struct, forbid_unknown_fields=True):
    reason: Text = ""


class FromSuggestions(msgspec.Struct, forbid_unknown_fields=True):
    supplier_id: Id
    days: Days = 28
    review_days: ReviewDays = 7
    product_ids: Annotated[list[Id], msgspec.Meta(max_length=MAX_LINES)] | None = None  # default: all due


class PurchaseOrderLine(msgspec.Struct):
    line: int
    product_id: str
    sku: str
    name: str
    unit_code: str
    unit_decimals: int
    quantity: int  # ordered, thousandths of the unit
    pack_size: int  # the supplier's pack, thousandths of the unit
    packs: int | None  # whole packs ordered (null when not a whole number of packs)
    unit_cost: int | None
    value: int
    received: int  # by posted goods receipts, net of reversals
    outstanding: int
    short: bool
    over: bool


class ReceiptRef(msgspec.Struct):
    id: str
    number: str
    kind: str
    status: str
    posted_at: str | None


class PurchaseOrderSummary(msgspec.Struct):
    id: str
    number: str
    supplier_id: str
    supplier_name: str
    status: str  # draft, sent, part_received, closed, cancelled
    expected_on: str | None
    note: str
    created_by: str | None
    created_at: str
    updated_at: str
    sent_at: str | None
    sent_by: str | None
    closed_at: str | None
    closed_by: str | None
    close_reason: str  # empty when it closed by itself, everything received
    cancelled_at: str | None
    cancelled_by: str | None
    cancel_reason: str
    version: int


class PurchaseOrder(PurchaseOrderSummary):
    total_cost: int
    lines: list[PurchaseOrderLine]
    receipts: list[ReceiptRef]


class PurchaseOrderPage(msgspec.Struct):
    items: list[PurchaseOrderSummary]
    next_after: str | None


class Suggestion(msgspec.Struct):
    product_id: str
    sku: str
    name: str
    unit_code: str
    unit_decimals: int
    supplier_id: str
    supplier_name: str
    lead_time_days: int
    cover_days: int  # lead time + review days
    on_hand: int
    on_order: int  # still to come on open orders
    low_stock_threshold: int
    sold: int  # by `sale` movements over the days asked
    daily_velocity: int  # sold / days, rounded up
    need: int  # cover_days x velocity + threshold - on hand
    pack_size: int
    packs: int
    quantity: int  # need rounded up to whole packs (at least one)
    unit_cost: int
