"""Wire structs of /api/v1/inventory/transfers. Quantities are integer thousandths of the product's
unit (a line typed with a pack barcode counts packs: thousandths of a pack); costs integer minor
units of the base currency per unit."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from hub.bounds import bounded_int

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Code = Annotated[str, msgspec.Meta(max_length=64, description="A SKU or a barcode (a pack's barcode counts its pack)")]
StoreCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{2,8}$", description="The other store's code, as its settings name it")]
Entered = bounded_int(1, 10**9, "thousandths of a unit, or of a pack when the code is a pack's barcode")
Received = bounded_int(0, 10**9, "thousandths of the product's unit that arrived")
LineNumber = bounded_int(0, 10**6)
Name = Annotated[str, msgspec.Meta(max_length=120)]
Text = Annotated[str, msgspec.Meta(max_length=500)]
MAX_LINES = 500


class TransferLineIn(msgspec.Struct, forbid_unknown_fields=True):
    quantity: Entered
    code: Code | None = None
    product_id: Id | None = None


Lines = Annotated[list[TransferLineIn], msgspec.Meta(max_length=MAX_LINES)]


class TransferCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A draft out transfer to another store of the chain."""

    other_store_code: StoreCode
    other_store_name: Name = ""
    note: Text = ""
    lines: Lines = []


class TransferUpdate(msgspec.Struct, forbid_unknown_fields=True):
    other_store_code: StoreCode | msgspec.UnsetType = msgspec.UNSET
    other_store_name: Name | msgspec.UnsetType = msgspec.UNSET
    note: Text | msgspec.UnsetType = msgspec.UNSET
    lines: Lines | msgspec.UnsetType = msgspec.UNSET  # replaces every line


class ReceivingLine(msgspec.Struct, forbid_unknown_fields=True):
    """A change to one line of an in transfer: the local product it is (by id, SKU or unit
    barcode), how much arrived, or that none did."""

    line: LineNumber
    received: Received | None = None
    code: Code | None = None
    product_id: Id | None = None
    not_received: bool | None = None


class Receiving(msgspec.Struct, forbid_unknown_fields=True):
    lines: Annotated[list[ReceivingLine], msgspec.Meta(max_length=MAX_LINES)] = []


class TransferLine(msgspec.Struct):
    line: int
    product_id: str | None  # None: an in line matched to no local product yet
    sku: str  # as the sender named it
    barcode: str
    name: str
    product_sku: str | None  # the local product's
    product_name: str | None
    unit_code: str | None
    unit_decimals: int | None
    quantity: int  # sent
    unit_cost: int | None  # the sender's average cost when it left (None: none known, or not posted yet)
    received: int | None
    not_received: bool
    difference: int | None  # received - sent (None: not known yet)
    value: int  # sent x unit cost
    received_value: int


class TransferSummary(msgspec.Struct):
    id: str
    number: str  # TO-000001 (out) or TI-000001 (in)
    direction: str  # out or in
    status: str  # draft, in_transit, received, discarded
    other_store_code: str  # the destination of an out transfer, the source of an in one
    other_store_name: str
    other_hub_id: str | None
    source_transfer_id: str | None  # an in transfer's id at its sender
    source_number: str | None
    sent_at: str | None
    note: str
    created_by: str | None
    created_at: str
    updated_at: str
    posted_at: str | None
    posted_by: str | None
    received_at: str | None
    received_by: str | None
    version: int
    line_count: int
    unmatched: int  # in lines matched to no product and not marked not received


class Transfer(TransferSummary):
    total_cost: int
    received_cost: int
    lines: list[TransferLine]


class TransferPage(msgspec.Struct):
    items: list[TransferSummary]
    next_after: str | None


TransferDocument = dict[str, Any]  # a transfer file or receipt confirmation (hub.inventory.transfers.files)
