"""Wire structs of /api/v1/inventory/receipts. Quantities are integer thousandths of the product's
unit (`entered` is what was typed: thousandths of a unit or of a pack); costs integer minor units
of the base currency per unit."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from hub.bounds import bounded_int

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Code = Annotated[str, msgspec.Meta(max_length=64, description="A SKU or a barcode (a pack's barcode too)")]
Entered = bounded_int(1, 10**9, "thousandths of a unit or of a pack, as entered_as says")
Cost = bounded_int(0, 10**12, "minor units of the base currency per unit")
LineNumber = bounded_int(0, 10**6)
Text = Annotated[str, msgspec.Meta(max_length=500)]
Ref = Annotated[str, msgspec.Meta(max_length=64)]
MAX_LINES = 500


class GoodsReceiptLineIn(msgspec.Struct, forbid_unknown_fields=True):
    quantity: Entered
    product_id: Id | None = None
    code: Code | None = None
    entered_as: Literal["unit", "pack"] = "unit"
    unit_cost: Cost | None = None  # default: the order line's cost, else the supplier's, else the product's
    order_line: LineNumber | None = None  # default: the order's first line of the product


Lines = Annotated[list[GoodsReceiptLineIn], msgspec.Meta(max_length=MAX_LINES)]


class GoodsReceiptCreate(msgspec.Struct, forbid_unknown_fields=True):
    supplier_id: Id
    order_id: Id | None = None
    supplier_ref: Ref = ""  # the supplier's delivery note or invoice number
    note: Text = ""
    update_supplier_cost: bool = False  # on posting, set the supplier's cost to each line's cost
    lines: Lines = []


class GoodsReceiptUpdate(msgspec.Struct, forbid_unknown_fields=True):
    supplier_id: Id | msgspec.UnsetType = msgspec.UNSET
    order_id: Id | None | msgspec.UnsetType = msgspec.UNSET
    supplier_ref: Ref | msgspec.UnsetType = msgspec.UNSET
    note: Text | msgspec.UnsetType = msgspec.UNSET
    update_supplier_cost: bool | msgspec.UnsetType = msgspec.UNSET
    lines: Lines | msgspec.UnsetType = msgspec.UNSET  # replaces every line


class Reverse(msgspec.Struct, forbid_unknown_fields=True):
    note: Text = ""


class GoodsReceiptLine(msgspec.Struct):
    line: int
    product_id: str
    sku: str
    name: str
    unit_code: str
    unit_decimals: int
    order_line: int | None
    entered: int
    entered_as: str  # unit or pack
    pack_size: int  # thousandths of the unit in one pack (1000 when typed in units)
    quantity: int  # thousandths of the unit
    unit_cost: int
    value: int  # quantity x unit cost
    ordered: int | None  # the order line's quantity
    previously_received: int | None  # received against the order line before this receipt
    short: bool  # with this receipt, less than ordered has come
    over: bool  # with this receipt, more than ordered has come (or not on the order at all)


class GoodsReceiptSummary(msgspec.Struct):
    id: str
    number: str
    kind: str  # receipt, or reversal (of reverses_id)
    status: str  # draft or posted
    supplier_id: str
    supplier_name: str
    order_id: str | None
    order_number: str | None
    reverses_id: str | None
    reverses_number: str | None
    reversed_by_id: str | None
    reversed_by_number: str | None
    supplier_ref: str
    note: str
    update_supplier_cost: bool
    created_by: str | None
    created_at: str
    updated_at: str
    posted_at: str | None
    posted_by: str | None
    version: int


class GoodsReceipt(GoodsReceiptSummary):
    total_cost: int
    lines: list[GoodsReceiptLine]


class GoodsReceiptPage(msgspec.Struct):
    items: list[GoodsReceiptSummary]
    next_after: str | None
