"""Wire structs of /api/v1/end-of-day. Amounts are integer minor units of their own currency;
money in different currencies is never added together."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

from hub.bounds import bounded_int
from hub.endofday.service import MAX_AMOUNT, MAX_REASON, MAX_REFERENCE, MAX_TEXT

Currency = Annotated[str, msgspec.Meta(min_length=3, max_length=3, pattern="^[A-Z]{3}$")]
Positive = bounded_int(1, MAX_AMOUNT, "Minor units of the currency, more than zero")
State = Literal["done", "needs_action", "not_applicable"]


class DepositCreate(msgspec.Struct, forbid_unknown_fields=True):
    date: dt.date  # the trading day whose cash this is (the store's local date)
    currency: Currency
    amount: Positive
    bank: Annotated[str, msgspec.Meta(max_length=MAX_TEXT)]
    reference: Annotated[str, msgspec.Meta(max_length=MAX_REFERENCE)]  # the deposit slip's number
    deposited_by: Annotated[str, msgspec.Meta(max_length=MAX_TEXT)]  # who took the cash to the bank
    deposited_at: Annotated[dt.datetime, msgspec.Meta(tz=True)]  # when, with its offset


class DepositReverse(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_REASON)]


class DayClose(msgspec.Struct, forbid_unknown_fields=True):
    date: dt.date


class Deposit(msgspec.Struct):
    id: str
    business_day: str
    kind: Literal["deposit", "reversal"]
    reverses: str | None  # a reversal: the deposit it cancels
    currency: str
    amount: int
    bank: str
    reference: str
    deposited_by: str
    deposited_at: str | None
    reason: str  # a reversal's reason
    recorded_by: str | None
    recorded_by_name: str | None
    recorded_at: str
    reversed_by: str | None  # a deposit: the reversal that cancelled it
    reversal_reason: str | None
    reversed_at: str | None


class DepositList(msgspec.Struct):
    date: str
    items: list[Deposit]
    deposited: dict[str, int]  # per currency: deposits less reversals


class StepItem(msgspec.Struct):
    label: str
    detail: str
    link: str


class Step(msgspec.Struct):
    key: str  # shifts, tills, exceptions, fiscal, cashup, deposit, backup
    number: int
    title: str
    state: State
    explanation: str
    link: str
    link_text: str
    items: list[StepItem]


class CurrencyFigures(msgspec.Struct):
    currency: str
    shifts: int  # closed shifts with cash in this currency
    float: int
    cash_sales: int
    pay_in: int
    pay_out: int
    safe_drop: int
    expected: int
    counted: int
    variance: int  # counted - expected (below zero: short)
    deposited: int  # deposits less reversals


class ShiftLine(msgspec.Struct):
    shift_id: str
    shift_number: int | None
    till_name: str
    cashier: str
    currency: str
    float: int
    cash_sales: int
    pay_in: int
    pay_out: int
    safe_drop: int
    expected: int
    counted: int
    variance: int


class DayShift(msgspec.Struct):
    id: str
    number: int | None
    status: str
    till_name: str
    cashier: str
    cashier_name: str
    opened_at: str
    closed_at: str | None


class CurrencySales(msgspec.Struct):
    currency: str
    count: int  # the day's sales, voided ones left out
    total: int
    tax: int
    refunds: int  # given back in the day (of any day's sales)
    corrections: int  # price corrections made in the day: charges less credits
    net: int  # total - refunds + corrections


class ClosedDay(msgspec.Struct):
    business_day: str
    starts_at: str
    ends_at: str
    closed_at: str
    closed_by: str | None
    closed_by_name: str | None
    steps: list[dict[str, Any]]  # each step's key, title, state and explanation at the close
    figures: dict[str, Any]  # the per-currency figures and sales at the close


class EndOfDay(msgspec.Struct):
    date: str
    timezone: str
    starts_at: str  # the day's local midnight, UTC
    ends_at: str
    status: Literal["open", "closed"]
    can_close: bool
    blocking: list[str]  # the keys of the steps that need action
    steps: list[Step]
    sales: list[CurrencySales]
    sale_count: int
    last_sale_at: str | None
    currencies: list[CurrencyFigures]
    shift_lines: list[ShiftLine]
    shifts: list[DayShift]
    deposits: list[Deposit]
    closed: ClosedDay | None
    warnings: list[str]
    unfinished_days: list[str]  # earlier days with sales or shifts that were not closed
