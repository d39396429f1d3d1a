"""Wire structs of printing: printers, assignments, print jobs, reprints, drawer, labels."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from hub.bounds import bounded_int

Id = Annotated[str, msgspec.Meta(max_length=64)]
Address = Annotated[str, msgspec.Meta(min_length=1, max_length=300, description=(
    "tcp://host:9100, serial:///dev/ttyUSB0?baudrate=9600, file:///dev/usb/lp0, usb://04b8:0202 or dummy://name"))]
ProfileKey = Annotated[str, msgspec.Meta(max_length=40, description="80mm-48, 80mm-42, 58mm-32, 58mm-32-nodrawer, "
                                                                    "zpl-50mm")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
Reason = Annotated[str, msgspec.Meta(max_length=200)]


class Printer(msgspec.Struct):
    id: str
    name: str
    address: str
    profile: str
    enabled: bool
    status: str  # ready, paper_low, paper_out, cover_open, offline, error, unknown
    status_detail: str
    status_at: str | None
    last_error: str
    last_error_at: str | None
    version: int
    created_at: str
    updated_at: str


class PrinterCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    address: Address
    profile: ProfileKey = "80mm-48"
    enabled: bool = True


class PrinterUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: Name | None = None
    address: Address | None = None
    profile: ProfileKey | None = None
    enabled: bool | None = None


class PrinterTestResult(msgspec.Struct):
    id: str
    printer_id: str
    printer_name: str
    kind: str
    ok: bool
    detail: str
    tested_by: str | None
    tested_at: str


class PrinterDetail(Printer):
    tests: list[PrinterTestResult] = []


class PrinterTest(msgspec.Struct, forbid_unknown_fields=True):
    kind: Literal["test_page", "drawer_kick"] = "test_page"


class Assignment(msgspec.Struct):
    device_id: str | None  # None: the store itself (boot slip, labels from the portal)
    role: str
    printer_id: str | None
    kick_drawer_on_cash: bool


class AssignmentRow(msgspec.Struct):
    device_id: str
    till_name: str | None
    role: str
    printer_id: str
    printer_name: str
    kick_drawer_on_cash: bool
    updated_at: str


class AssignmentSet(msgspec.Struct, forbid_unknown_fields=True):
    role: Literal["receipt", "label"]
    printer_id: Id | None = None  # None: take the assignment away
    device_id: Id | None = None  # None: the store's own printer for this role
    kick_drawer_on_cash: bool = False


class PrintJob(msgspec.Struct):
    id: str
    printer_id: str | None
    kind: str  # receipt, copy, drawer, labels, test_page, status_slip
    sale_id: str | None
    device_id: str | None
    payload: dict[str, Any]
    status: str  # queued, printing, held, done, failed, cancelled
    attempts: int
    next_attempt_at: str
    last_error: str
    created_by: str | None
    created_at: str
    updated_at: str
    printed_at: str | None
    data_bytes: int | None = None
    printer_name: str | None = None
    invoice_number: str | None = None


class PrintJobPage(msgspec.Struct):
    items: list[PrintJob]
    next_after: str | None


class Reprint(msgspec.Struct, forbid_unknown_fields=True):
    printer_id: Id | None = None  # None: the sale's till's receipt printer, else the store's


class DrawerOpen(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason
    device_id: Id | None = None  # the till whose drawer opens (its receipt printer's drawer port)
    printer_id: Id | None = None


class LabelPrint(msgspec.Struct, forbid_unknown_fields=True):
    product_ids: Annotated[list[Id], msgspec.Meta(max_length=2000)] = []
    from_queue: bool = False  # add every product on the needs-new-label list
    kind: Literal["shelf", "sticker"] = "shelf"
    copies: bounded_int(1, 20) = 1  # type: ignore[valid-type]
    printer_id: Id | None = None  # None: the store's label printer
    clear_queue: bool = False  # take the printed products off the needs-new-label list
    as_of: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class LabelRender(msgspec.Struct, forbid_unknown_fields=True):
    product_ids: Annotated[list[Id], msgspec.Meta(max_length=2000)] = []
    from_queue: bool = False
    kind: Literal["shelf", "sticker"] = "shelf"
    copies: bounded_int(1, 20) = 1  # type: ignore[valid-type]
    format: Literal["zpl", "escpos", "text"] = "zpl"
    profile: ProfileKey = "80mm-48"
