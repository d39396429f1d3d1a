"""Wire structs of /api/v1/customers and /api/v1/vouchers (docs/customers.md). Money is integer
minor units of the named currency; nothing is summed across currencies."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from hub.bounds import bounded_int

MAX_PAGE = 200
MAX_MONEY = 10**13
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Currency = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$", description="ISO 4217 code")]
Money = bounded_int(0, MAX_MONEY, "Minor units")
Positive = bounded_int(1, MAX_MONEY, "Minor units, more than zero")
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
Short = Annotated[str, msgspec.Meta(max_length=120)]
Long = Annotated[str, msgspec.Meta(max_length=1000)]
Day = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$", description="A day, YYYY-MM-DD")]
Limits = Annotated[dict[Currency, Money], msgspec.Meta(max_length=20)]


class CustomerCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""
    email: Short = ""
    card: Annotated[str, msgspec.Meta(max_length=64)] = ""
    tier_id: Id | None = None
    notes: Long = ""
    registered_name: Short = ""
    trade_name: Short = ""
    tin: Annotated[str, msgspec.Meta(max_length=40)] = ""
    vat_number: Annotated[str, msgspec.Meta(max_length=40)] = ""
    address: Annotated[str, msgspec.Meta(max_length=400)] = ""


class CustomerUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    phone: Annotated[str, msgspec.Meta(max_length=40)] | msgspec.UnsetType = msgspec.UNSET
    email: Short | msgspec.UnsetType = msgspec.UNSET
    card: Annotated[str, msgspec.Meta(max_length=64)] | msgspec.UnsetType = msgspec.UNSET
    tier_id: Id | None | msgspec.UnsetType = msgspec.UNSET
    notes: Long | msgspec.UnsetType = msgspec.UNSET
    registered_name: Short | msgspec.UnsetType = msgspec.UNSET
    trade_name: Short | msgspec.UnsetType = msgspec.UNSET
    tin: Annotated[str, msgspec.Meta(max_length=40)] | msgspec.UnsetType = msgspec.UNSET
    vat_number: Annotated[str, msgspec.Meta(max_length=40)] | msgspec.UnsetType = msgspec.UNSET
    address: Annotated[str, msgspec.Meta(max_length=400)] | msgspec.UnsetType = msgspec.UNSET


class Duplicate(msgspec.Struct):
    id: str
    name: str
    reasons: list[str]  # "same phone", "same e-mail", "similar name"


class CreditLine(msgspec.Struct):
    limit: int
    balance: int  # above zero: the customer owes the store


class Customer(msgspec.Struct):
    id: str
    name: str
    phone: str
    email: str
    card: str | None
    tier_id: str | None
    tier_name: str | None
    notes: str
    registered_name: str
    trade_name: str
    tin: str
    vat_number: str
    address: str
    status: str  # active, merged
    merged_into: str | None
    version: int
    created_at: str
    updated_at: str
    credit: dict[str, CreditLine] = {}
    duplicates: list[Duplicate] = []


class CustomerPage(msgspec.Struct):
    items: list[Customer]
    next_after: str | None


class Merge(msgspec.Struct, forbid_unknown_fields=True):
    merge_id: Id  # the customer merged into this one (it stays on record, marked merged)


class LimitsSet(msgspec.Struct, forbid_unknown_fields=True):
    limits: Limits  # every currency's limit; a currency left out has none (0)


class Aging(msgspec.Struct, rename={"d30": "30", "d60": "60", "d90": "90+"}):
    current: int
    d30: int
    d60: int
    d90: int


class AccountCurrency(msgspec.Struct):
    currency: str
    limit: int
    balance: int
    available: int
    aging: Aging


class Account(msgspec.Struct):
    customer_id: str
    name: str
    currencies: list[AccountCurrency]


class StatementEntry(msgspec.Struct):
    seq: int
    kind: str  # sale, payment, void, refund, merge_in, merge_out
    amount: int  # above zero: owed more
    balance: int
    reference: str | None
    source_type: str
    source_id: str
    occurred_at: str


class Statement(msgspec.Struct):
    customer_id: str
    name: str
    currency: str
    since: str | None
    until: str | None
    limit: int
    opening: int
    closing: int
    entries: list[StatementEntry]


class PaymentCreate(msgspec.Struct, forbid_unknown_fields=True):
    currency: Currency
    amount: Positive
    method: Literal["cash", "card", "mobile_money", "bank_transfer"]
    id: Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")] | None = None
    provider: Annotated[str, msgspec.Meta(max_length=40)] = ""
    reference: Annotated[str, msgspec.Meta(max_length=64)] = ""
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class Payment(msgspec.Struct):
    id: str
    number: int
    customer_id: str
    customer_name: str
    currency: str
    amount: int
    method: str
    provider: str
    reference: str
    note: str
    received_by_name: str
    received_at: str


class CustomerSale(msgspec.Struct):
    id: str
    invoice_number: str
    currency: str
    total: int
    status: str
    occurred_at: str
    methods: str | None


class VoucherCreate(msgspec.Struct, forbid_unknown_fields=True):
    currency: Currency
    amount: Positive
    kind: Literal["voucher", "store_credit"] = "voucher"
    customer_id: Id | None = None
    code: Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9-]{4,32}$")] | None = None
    expires_on: Day | None = None
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class VoucherEntry(msgspec.Struct):
    seq: int
    kind: str  # issue, redeem, expire, merge_in, merge_out
    amount: int
    source_type: str
    source_id: str
    reference: str | None
    recorded_at: str


class Voucher(msgspec.Struct):
    id: str
    code: str
    kind: str
    customer_id: str | None
    customer_name: str | None
    currency: str
    expires_on: str | None
    note: str
    created_at: str
    balance: int
    issued: int
    redemptions: int
    expired: bool
    entries: list[VoucherEntry] = []


class VoucherPage(msgspec.Struct):
    items: list[Voucher]
    next_after: str | None


class CreditAccountRow(msgspec.Struct):
    id: str
    name: str
    currency: str
    balance: int
    credit_limit: int | None
