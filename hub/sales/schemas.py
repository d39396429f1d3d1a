"""Wire structs of /api/v1/sales (docs/sales.md).

Money is integer minor units: of the sale's receipt currency everywhere, except a tender's
`amount` (its own currency) and change (the currency handed back). Quantities are integer
thousandths; tax rates basis points. Times are ISO 8601 with a zone; stored as hub stamps (UTC).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from hub.bounds import bounded_int

MAX_LINES = 500  # lines in one sale
MAX_DISCOUNTS = 10  # discounts on one line
MAX_TENDERS = 20
MAX_CHANGE = 4  # currencies change is given in
MAX_RATES = 8
MAX_MONEY = 10**13  # minor units: a hundred billion units of any currency
MAX_QUANTITY = 10**9  # thousandths: a million units on one line
MAX_UNIT_PRICE = 10**12

Uuid = Annotated[str, msgspec.Meta(
    pattern="^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    description="A UUID (the till generates a UUIDv7), lowercase")]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Currency = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$", description="ISO 4217 code")]
Money = bounded_int(0, MAX_MONEY, "Minor units")
Positive = bounded_int(1, MAX_MONEY, "Minor units, more than zero")
RateValue = bounded_int(1, 10**15)
RateScale = bounded_int(1, 10**12)
Quantity = bounded_int(1, MAX_QUANTITY, "Thousandths of the product's unit")
UnitPrice = bounded_int(0, MAX_UNIT_PRICE, "Minor units per unit")
BasisPoints = bounded_int(0, 10000, "Basis points")
Sequence = bounded_int(1, 10**9, "The till's invoice sequence")
Rounding = bounded_int(-10**6, 10**6, "Cash rounding of the total, signed")
Method = Literal["cash", "card", "mobile_money", "bank_transfer", "credit_account", "voucher", "store_credit"]


class Rate(msgspec.Struct, forbid_unknown_fields=True):
    """One unit of the receipt currency is rate / rate_scale units of `currency`, as the till used."""

    currency: Currency
    rate: RateValue
    rate_scale: RateScale = 1_000_000


class DiscountIn(msgspec.Struct, forbid_unknown_fields=True):
    """A discount on a line and its cause: the promotion, or the supervisor who approved it."""

    amount: Positive
    promotion_id: Id | None = None
    approved_by: Id | None = None  # a user id
    reason: Annotated[str, msgspec.Meta(max_length=200)] = ""


class SaleLineIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    quantity: Quantity
    unit_price: UnitPrice
    total: Money  # quantity x price (half-up) less discounts; tax excluded in exclusive mode
    product_id: Id | None = None  # None: a code the till did not know
    code: Annotated[str, msgspec.Meta(max_length=64)] = ""  # the barcode or SKU scanned or typed
    discounts: Annotated[list[DiscountIn], msgspec.Meta(max_length=MAX_DISCOUNTS)] = []
    tax_class_id: Id | None = None
    tax_code: Annotated[str, msgspec.Meta(max_length=3)] = ""
    tax_rate_bp: BasisPoints = 0
    tax_amount: Money = 0


class TenderIn(msgspec.Struct, forbid_unknown_fields=True):
    method: Method
    currency: Currency
    amount: Positive  # in `currency`, as handed over (cash before change)
    provider: Annotated[str, msgspec.Meta(max_length=40)] = ""  # EcoCash, OneMoney, InnBucks, ...
    reference: Annotated[str, msgspec.Meta(max_length=64)] = ""  # reference or approval code


class ChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    currency: Currency
    amount: Positive


class SaleCreate(msgspec.Struct, forbid_unknown_fields=True):
    id: Uuid
    sequence: Sequence
    currency: Currency  # the receipt currency
    device_clock: dt.datetime  # the till's clock when the sale was completed
    lines: Annotated[list[SaleLineIn], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    tenders: Annotated[list[TenderIn], msgspec.Meta(min_length=1, max_length=MAX_TENDERS)]
    subtotal: Money
    discount_total: Money
    tax_total: Money
    total: Money
    rounding: Rounding = 0
    rates: Annotated[list[Rate], msgspec.Meta(max_length=MAX_RATES)] = []
    change: Annotated[list[ChangeIn], msgspec.Meta(max_length=MAX_CHANGE)] = []
    shift_id: Id | None = None
    customer_id: Id | None = None
    # A till in training mode: kept and marked, never moves stock, money, reports, fiscal or HQ.
    # Last, so a sale without it hashes as it did before it existed (hub.sales.ingest.body_hash).
    training: bool = False


class Discount(msgspec.Struct):
    seq: int
    amount: int
    promotion_id: str | None
    approved_by: str | None
    reason: str


class SaleLine(msgspec.Struct):
    line_no: int
    product_id: str | None
    code: str
    name: str
    quantity: int
    unit_price: int
    catalogue_price: int | None  # what the store's pricing said at the sale's moment
    gross: int
    discount: int
    discounts: list[Discount]
    tax_class_id: str | None
    tax_code: str
    tax_rate_bp: int
    tax_amount: int
    total: int
    refunded: int = 0  # thousandths given back by refunds so far
    refundable: int = 0  # thousandths still refundable (0 once the sale is voided)


class Tender(msgspec.Struct):
    seq: int
    method: str
    provider: str
    reference: str
    currency: str
    amount: int
    rate: int
    rate_scale: int
    amount_receipt: int
    money_type: str  # FDMS moneyTypeCode name
    money_type_code: int


class Change(msgspec.Struct):
    currency: str
    amount: int
    amount_receipt: int


class ExceptionRecord(msgspec.Struct):
    id: str
    kind: str
    subject_type: str
    subject_id: str
    sale_id: str | None
    device_id: str | None
    detail: dict
    status: str
    raised_at: str
    resolved_by: str | None
    resolved_by_name: str | None
    resolved_at: str | None
    note: str
    version: int


class Sale(msgspec.Struct):
    id: str
    invoice_number: str
    store_code: str
    till_code: str
    sequence: int
    device_id: str
    device_name: str | None
    shift_id: str | None
    cashier_id: str
    cashier_name: str
    customer_id: str | None
    currency: str
    rates: dict[str, list[int]]
    tax_mode: str
    subtotal: int
    discount_total: int
    tax_total: int
    rounding: int
    total: int
    paid: int  # tenders in the receipt currency
    status: str  # completed, or voided once a void names it
    occurred_at: str
    device_clock: str | None
    recorded_at: str
    void_id: str | None = None
    void_reason: str | None = None
    voided_at: str | None = None
    voided_by_name: str | None = None
    void_shift_id: str | None = None  # the shift the void's money left
    training: bool = False  # a training sale: counted nowhere


class SaleDetail(Sale):
    lines: list[SaleLine] = []
    tenders: list[Tender] = []
    change: list[Change] = []
    exceptions: list[ExceptionRecord] = []
    refunds: list[Refund] = []
    corrections: list[Correction] = []


class SalePage(msgspec.Struct):
    items: list[Sale]
    next_after: str | None


class ExceptionPage(msgspec.Struct):
    items: list[ExceptionRecord]
    next_after: str | None


class SaleVoid(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    shift_id: Id | None = None  # the shift open at the till that voids it (none: the sale's own)


class ExceptionAction(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


# ---- refunds (docs/sales.md, "Refunds") ---------------------------------------------------------

MAX_LIMIT_CURRENCIES = 16
LineNo = bounded_int(0, MAX_LINES - 1, "A line number of the sale (its lines count from 0)")


class RefundLineIn(msgspec.Struct, forbid_unknown_fields=True):
    """A quantity of one sale line given back: restocked, or written off with a reason."""

    line_no: LineNo
    quantity: Quantity
    restock: bool = True
    write_off_reason: Annotated[str, msgspec.Meta(max_length=200)] = ""  # needed when not restocked


class RefundCreate(msgspec.Struct, forbid_unknown_fields=True):
    id: Uuid  # the till's UUIDv7: a retry with the same body is the same refund
    device_clock: dt.datetime  # the till's clock when the refund was made
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    lines: Annotated[list[RefundLineIn], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    refund_to: Literal["original", "store_credit"] = "original"
    shift_id: Id | None = None  # the shift open at the till


class RefundLine(msgspec.Struct):
    line_no: int
    sale_line_no: int
    product_id: str | None
    name: str
    quantity: int
    amount: int  # receipt currency, the line's total for this quantity
    tax_code: str
    tax_rate_bp: int
    tax_amount: int
    restock: bool
    write_off_reason: str


class RefundTender(msgspec.Struct):
    seq: int
    sale_tender_seq: int | None  # the sale's tender it went back to (None: store credit issued)
    method: str
    provider: str
    reference: str
    currency: str
    amount: int  # in `currency`
    rate: int
    rate_scale: int
    amount_receipt: int
    money_type: str
    money_type_code: int


class Refund(msgspec.Struct):
    id: str
    sale_id: str
    invoice_number: str
    device_id: str
    shift_id: str | None
    refunded_by: str
    refunded_by_name: str
    currency: str  # the sale's receipt currency
    refund_to: str
    total: int  # money handed back, receipt currency (tax included)
    tax_total: int
    reason: str
    occurred_at: str
    device_clock: str | None
    recorded_at: str
    lines: list[RefundLine] = []
    tenders: list[RefundTender] = []


class RefundSettings(msgspec.Struct):
    limits: dict[str, int]  # per receipt currency, minor units; a currency not named has no limit


class RefundSettingsUpdate(msgspec.Struct, forbid_unknown_fields=True):
    limits: Annotated[dict[Currency, Money], msgspec.Meta(max_length=MAX_LIMIT_CURRENCIES)]


# ---- price corrections (docs/sales.md, "Price corrections") -------------------------------------

MAX_CORRECTION_LINES = 50


class CorrectionLineIn(msgspec.Struct, forbid_unknown_fields=True):
    """An amount charged (or credited) on one sale line (its tax rate), or on the whole sale
    (`line_no` null: give the tax code and rate)."""

    amount: Positive  # receipt currency; tax included in inclusive mode, excluded in exclusive mode
    line_no: LineNo | None = None
    description: Annotated[str, msgspec.Meta(max_length=200)] = ""
    tax_code: Annotated[str, msgspec.Meta(max_length=3)] = ""
    tax_rate_bp: BasisPoints = 0


class CorrectionCreate(msgspec.Struct, forbid_unknown_fields=True):
    id: Uuid  # the till's UUIDv7: a retry with the same body is the same correction
    kind: Literal["charge", "credit"]  # charge: the customer pays more; credit: the store pays back
    device_clock: dt.datetime
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    lines: Annotated[list[CorrectionLineIn], msgspec.Meta(min_length=1, max_length=MAX_CORRECTION_LINES)]
    tenders: Annotated[list[TenderIn], msgspec.Meta(min_length=1, max_length=MAX_TENDERS)]
    rates: Annotated[list[Rate], msgspec.Meta(max_length=MAX_RATES)] = []
    shift_id: Id | None = None


class CorrectionLine(msgspec.Struct):
    line_no: int
    sale_line_no: int | None
    description: str
    tax_code: str
    tax_rate_bp: int
    amount: int
    tax_amount: int


class CorrectionTender(msgspec.Struct):
    seq: int
    method: str
    provider: str
    reference: str
    currency: str
    amount: int
    rate: int
    rate_scale: int
    amount_receipt: int
    money_type: str
    money_type_code: int


class TaxAmount(msgspec.Struct):
    tax_code: str
    tax_rate_bp: int
    amount: int
    tax: int


class Correction(msgspec.Struct):
    id: str
    sale_id: str
    invoice_number: str
    device_id: str
    shift_id: str | None
    kind: str
    corrected_by: str
    corrected_by_name: str
    currency: str  # the sale's receipt currency
    rates: dict[str, list[int]]
    total: int  # receipt currency, tax included
    tax_total: int
    reason: str
    occurred_at: str
    device_clock: str | None
    recorded_at: str
    lines: list[CorrectionLine] = []
    tenders: list[CorrectionTender] = []
    taxes: list[TaxAmount] = []  # per tax rate: the lines' amounts and tax
