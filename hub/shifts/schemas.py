"""Wire structs of /api/v1/shifts. Amounts are integer minor units of their own currency; money
in different currencies is never added together."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from hub.bounds import bounded_int
from hub.shifts.service import MAX_AMOUNT, MAX_LINES, MAX_NOTE, MAX_QUANTITY

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Currency = Annotated[str, msgspec.Meta(min_length=3, max_length=3, pattern="^[A-Z]{3}$")]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Note = Annotated[str, msgspec.Meta(max_length=MAX_NOTE)]
Amount = bounded_int(0, MAX_AMOUNT, "Minor units of the currency")
Positive = bounded_int(1, MAX_AMOUNT, "Minor units of the currency, more than zero")
Value = bounded_int(1, MAX_AMOUNT, "The note's or coin's value in minor units")
Quantity = bounded_int(0, MAX_QUANTITY, "How many notes or coins of this denomination")
Kind = Literal["pay_in", "pay_out", "safe_drop"]
Status = Literal["open", "closed"]


class Float(msgspec.Struct, forbid_unknown_fields=True):
    currency: Currency
    amount: Amount


class ShiftOpen(msgspec.Struct, forbid_unknown_fields=True):
    floats: Annotated[list[Float], msgspec.Meta(max_length=MAX_LINES)] = []  # ignored when resuming
    cashier_id: Id | None = None  # another cashier's open shift at this till (shifts.manage); default: mine


class CashMovementCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: Kind  # pay_in adds cash to the drawer; pay_out and safe_drop take it out
    currency: Currency
    amount: Positive
    reason_code: Code  # one of GET /api/v1/shifts/cash-reasons for this kind
    note: Note = ""  # required with the reason `other`
    id: Id | None = None  # the till's id for it: a retry with the same id and body records it once


class CashMovement(msgspec.Struct):
    id: str
    seq: int
    shift_id: str
    kind: Kind
    currency: str
    amount: int
    reason_code: str
    reason: str
    note: str
    user_id: str | None
    username: str | None
    device_id: str | None
    at: str


class CloseLine(msgspec.Struct):
    method: str  # cash, card, mobile_money, ...
    provider: str
    currency: str
    expected: int  # what the shift's float, cash movements and sales say should be there
    counted: int | None  # counted cash, or what the provider's statement reported (null: not reported)
    variance: int | None  # counted - expected (below zero: short)


class CountedNote(msgspec.Struct):
    currency: str
    kind: str
    value: int
    quantity: int
    label: str


class Shift(msgspec.Struct):
    id: str
    number: int | None
    device_id: str
    till_name: str
    cashier_id: str
    cashier: str
    cashier_name: str
    status: Status
    opened_at: str
    opened_by: str | None
    opened_by_name: str | None
    closed_at: str | None
    closed_by: str | None
    closed_by_name: str | None
    close_note: str
    version: int
    floats: list[Float]
    movements: list[CashMovement] = []
    close_lines: list[CloseLine] = []
    counts: list[CountedNote] = []
    resumed: bool | None = None  # on open: true when an open shift was resumed


class ShiftSummary(msgspec.Struct):
    id: str
    number: int | None
    device_id: str
    till_name: str
    cashier_id: str
    cashier: str
    status: Status
    opened_at: str
    closed_at: str | None
    floats: list[Float]


class ShiftPage(msgspec.Struct):
    items: list[ShiftSummary]
    next_after: str | None


class CashLine(msgspec.Struct):
    currency: str
    float: int
    cash_sales: int  # cash received from sales net of change given in this currency
    pay_in: int
    pay_out: int
    safe_drop: int
    expected: int  # float + cash_sales + pay_in - pay_out - safe_drop


class TenderLine(msgspec.Struct):
    method: str
    provider: str
    currency: str
    amount: int


class SalesLine(msgspec.Struct):
    currency: str
    count: int
    total: int
    tax: int


class XReport(msgspec.Struct):
    shift: Shift
    at: str
    cash: list[CashLine]
    sales: list[SalesLine]  # per receipt currency
    tenders: list[TenderLine]  # net received per method, provider and currency (cash net of change)
    movements: list[CashMovement]


class CountedDenomination(msgspec.Struct, forbid_unknown_fields=True):
    kind: Literal["note", "coin"]
    value: Value
    quantity: Quantity


class CountedCash(msgspec.Struct, forbid_unknown_fields=True):
    currency: Currency
    amount: Amount | None = None  # the total counted; or give denominations (or both, agreeing)
    denominations: Annotated[list[CountedDenomination], msgspec.Meta(max_length=60)] | None = None


class ReportedTender(msgspec.Struct, forbid_unknown_fields=True):
    method: Code  # card, mobile_money, ... (cash is counted, not reported)
    currency: Currency
    amount: Amount
    provider: Annotated[str, msgspec.Meta(max_length=64)] = ""


class ShiftClose(msgspec.Struct, forbid_unknown_fields=True):
    counted: Annotated[list[CountedCash], msgspec.Meta(max_length=MAX_LINES)]
    reported: Annotated[list[ReportedTender], msgspec.Meta(max_length=MAX_LINES)] = []
    note: Note = ""


class CloseReport(msgspec.Struct):
    shift: Shift
    cash: list[CashLine]
    sales: list[SalesLine]
    close_lines: list[CloseLine]
    counts: list[CountedNote]
    movements: list[CashMovement]


class CashReason(msgspec.Struct):
    kind: Kind
    code: str
    name: str
    active: bool


class Denomination(msgspec.Struct):
    currency: str
    kind: str
    value: int
    label: str
