"""Wire structs of /api/v1/inventory/adjustments, /api/v1/inventory/supplier-returns and
/api/v1/settings/adjustments.

Quantities are integer thousandths of the product's unit (signed for an adjustment: below zero
takes stock away); costs and values integer minor units of the base currency.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from hub.bounds import bounded_int
from hub.inventory.adjustments.service import MAX_LINES, MAX_NOTE, MAX_REF, MAX_THRESHOLD
from hub.inventory.ledger import MAX_QUANTITY, MAX_UNIT_COST

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Note = Annotated[str, msgspec.Meta(max_length=MAX_NOTE)]
Quantity = bounded_int(-MAX_QUANTITY, MAX_QUANTITY, "Thousandths of the product's unit")
Returned = bounded_int(1, MAX_QUANTITY, "Thousandths of the product's unit sent back")
Cost = bounded_int(0, MAX_UNIT_COST, "Minor units of the base currency per unit")
Status = Literal["draft", "pending_approval", "posted", "rejected", "discarded"]


class AdjustmentLineCreate(msgspec.Struct, forbid_unknown_fields=True):
    product_id: Id
    quantity: Quantity  # signed: below zero takes stock away
    unit_cost: Cost | None = None  # an increase only; default: the average cost
    reason_code: Code | None = None  # default: the document's
    note: Note = ""


class AdjustmentCreate(msgspec.Struct, forbid_unknown_fields=True):
    lines: Annotated[list[AdjustmentLineCreate], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    reason_code: Code | None = None  # for every line that names none
    note: Note = ""
    post: bool = False  # false: keep it as a draft; true: post it (at once, or to wait for approval)


class AdjustmentUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """A draft's content anew: its lines, reason and note replace what it had."""

    lines: Annotated[list[AdjustmentLineCreate], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    reason_code: Code | None = None  # for every line that names none
    note: Note = ""


class Discard(msgspec.Struct, forbid_unknown_fields=True):
    reason: Note = ""  # why it is given up (optional)


class AdjustmentLine(msgspec.Struct):
    line: int
    product_id: str
    sku: str
    name: str
    unit_code: str
    unit_decimals: int
    quantity: int
    unit_cost: int | None  # as given (an increase); null: stock leaves or comes back at its average
    cost: int | None  # the cost it is valued at
    value: int  # signed: quantity x cost
    reason_code: str
    note: str
    on_hand: int | None  # the product's on hand now
    negative: bool  # on hand is below zero now


class Adjustment(msgspec.Struct):
    id: str
    number: int
    status: Status
    reason_code: str | None
    note: str
    value: int  # sum of |quantity| x cost: what the approval threshold is compared with
    threshold: int | None  # the threshold when it was posted
    created_by_id: str | None
    created_by: str | None
    created_at: str
    submitted_by_id: str | None
    submitted_by: str | None
    submitted_at: str | None
    decided_by_id: str | None
    decided_by: str | None
    decided_at: str | None
    decision_note: str  # the approver's note, or why it was rejected or discarded
    posted_at: str | None  # when its stock moved
    lines: list[AdjustmentLine]


class AdjustmentSummary(msgspec.Struct):
    id: str
    number: int
    status: Status
    reason_code: str | None
    note: str
    value: int
    created_by_id: str | None
    created_by: str | None
    created_at: str
    decided_by: str | None
    decided_at: str | None
    posted_at: str | None
    line_count: int


class AdjustmentPage(msgspec.Struct):
    items: list[AdjustmentSummary]
    next_after: str | None


class Approval(msgspec.Struct, forbid_unknown_fields=True):
    note: Note = ""


class Rejection(msgspec.Struct, forbid_unknown_fields=True):
    reason: Note  # required: why it is rejected (blank is refused, naming `reason`)


class Reason(msgspec.Struct):
    code: str
    name: str
    direction: str  # out: a decrease only; in: an increase only; any
    active: bool


class ReturnLineCreate(msgspec.Struct, forbid_unknown_fields=True):
    product_id: Id
    quantity: Returned
    unit_cost: Cost | None = None  # default: the average cost
    reason_code: Code | None = None
    note: Note = ""


class SupplierReturnCreate(msgspec.Struct, forbid_unknown_fields=True):
    supplier_id: Id
    lines: Annotated[list[ReturnLineCreate], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    goods_receipt_ref: Annotated[str, msgspec.Meta(max_length=MAX_REF)] = ""  # not checked yet
    reason_code: Code | None = None
    note: Note = ""


class ReturnLine(msgspec.Struct):
    line: int
    product_id: str
    sku: str
    name: str
    unit_code: str
    unit_decimals: int
    quantity: int  # sent back (stock went down by it)
    unit_cost: int | None
    value: int
    reason_code: str
    note: str


class SupplierReturn(msgspec.Struct):
    id: str
    number: int
    supplier_id: str
    supplier_name: str
    goods_receipt_ref: str
    note: str
    value: int
    created_by_id: str | None
    created_by: str | None
    posted_at: str
    line_count: int
    lines: list[ReturnLine] = []


class SupplierReturnPage(msgspec.Struct):
    items: list[SupplierReturn]
    next_after: str | None


class AdjustmentSettings(msgspec.Struct):
    approval_threshold: int  # base-currency minor units at cost; above it an adjustment waits
    default_approval_threshold: int


class AdjustmentSettingsUpdate(msgspec.Struct, forbid_unknown_fields=True):
    approval_threshold: bounded_int(0, MAX_THRESHOLD, "Base-currency minor units at cost")  # type: ignore[valid-type]
