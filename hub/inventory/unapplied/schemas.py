"""Wire structs of /api/v1/inventory/device-documents and /api/v1/inventory/unapplied.

A device document is a stock-take count (`kind: count`, lines counted for one session) or a stock
adjustment (`kind: adjustment`, signed lines with a reason) made on a till or scanner, often
offline. Quantities are integer thousandths of the product's unit; times are hub stamps (UTC)
except `device_clock`/`counted_at`, the device's own clock readings as sent.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from hub.bounds import bounded_int
from hub.inventory.ledger import MAX_QUANTITY

MAX_LINES = 200  # lines in one device document, as one batch of counted lines or one adjustment
MAX_NOTE = 500
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
ReasonCode = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Note = Annotated[str, msgspec.Meta(max_length=MAX_NOTE)]
DocumentId = Annotated[str, msgspec.Meta(
    pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    description="A UUID the device made for this document: sending it again is recognised")]
Quantity = bounded_int(-MAX_QUANTITY, MAX_QUANTITY, "Thousandths of the product's unit; a count is never below zero")
Clock = Annotated[dt.datetime, msgspec.Meta(tz=True)]
Kind = Literal["count", "adjustment"]
Status = Literal["queued", "applied", "discarded"]


class DocumentLine(msgspec.Struct, forbid_unknown_fields=True):
    """One line: the product by barcode or SKU (`code`) or by id, and its quantity."""

    quantity: Quantity
    code: Code | None = None
    product_id: Id | None = None
    counted_at: Clock | None = None  # count: the device's clock when it was counted (default: device_clock)
    recount: bool = False  # count: replaces what was counted of the product before
    reason_code: ReasonCode | None = None  # adjustment: this line's reason (default: the document's)
    note: Note = ""  # adjustment


class DeviceDocument(msgspec.Struct, forbid_unknown_fields=True):
    document_id: DocumentId
    kind: Kind
    device_clock: Clock  # the device's clock when the document was made
    lines: Annotated[list[DocumentLine], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    stock_take_id: Id | None = None  # count: the session counted
    reason_code: ReasonCode | None = None  # adjustment: for every line that names none
    note: Note = ""  # adjustment


class FailingLine(msgspec.Struct):
    line: int | None  # the document's line (0-based); null: the document as a whole
    field: str
    message: str


class Outcome(msgspec.Struct):
    """What became of a device document: applied now, or queued (accepted, kept, waiting for a
    manager); `replayed` when this document_id had been received before with the same body."""

    id: str  # the hub's id of the received document (GET /api/v1/inventory/unapplied/{id} when queued)
    document_id: str
    status: Status
    reason: str | None
    detail: str
    failing: list[FailingLine]
    applied_type: str | None  # stock_take or adjustment
    applied_id: str | None
    replayed: bool


class LineView(msgspec.Struct):
    line: int
    quantity: int
    code: str | None
    product_id: str | None
    counted_at: str | None
    recount: bool
    reason_code: str | None
    note: str
    mapped_to: str | None  # the product a manager mapped this line's code to
    problem: str | None  # why this line could not be applied, at the last attempt


class UnappliedDocument(msgspec.Struct):
    id: str
    document_id: str
    kind: Kind
    device_id: str
    device_name: str
    user_id: str | None
    username: str | None
    device_clock: str | None
    happened_at: str  # the device's clock corrected by its skew, or the receive time
    received_at: str
    status: Status
    reason: str | None
    detail: str
    failing: list[FailingLine]
    attempts: int
    mappings: dict[str, str]  # code -> product id
    stock_take_id: str | None
    reason_code: str | None
    note: str
    line_count: int
    applied_type: str | None
    applied_id: str | None
    applied_at: str | None
    applied_by: str | None
    authority: str | None  # device_user: under its maker's permissions; manager: under the resolver's
    discarded_at: str | None
    discarded_by: str | None
    discard_reason: str
    updated_at: str
    version: int
    lines: list[LineView] = []


class UnappliedPage(msgspec.Struct):
    items: list[UnappliedDocument]
    next_after: str | None
    queued: int  # documents waiting now, whatever the filters


class MapCode(msgspec.Struct, forbid_unknown_fields=True):
    code: Code  # a code of the document's lines that matched no product
    product_id: Id
    add_barcode: bool = False  # also add the code as a barcode of that product (needs catalogue.manage)


class Apply(msgspec.Struct, forbid_unknown_fields=True):
    # false: under the permissions of whoever made it on the device; true: under the resolver's own
    under_my_authority: bool = False


class Discard(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NOTE)]
