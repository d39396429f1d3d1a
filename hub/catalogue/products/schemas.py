"""Wire structs of /api/v1/products and its lookup, history, schedules, import and bulk prices.

Money is integer minor units; quantities are integer thousandths of the product's unit (a case
of 12 is 12000); ids are strings. Bounds here keep every integer far inside SQLite's range; the
rules that need the database (a unit's decimals, a taken barcode) live in the service.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from hub.bounds import bounded_int
from hub.catalogue.products.validation import (DESCRIPTION_LENGTH, MAX_BARCODES, MAX_MONEY, MAX_QUANTITY,
                                               MAX_SUPPLIERS, NAME_LENGTH, RECEIPT_NAME_LENGTH,
                                               SKU_LENGTH, SUPPLIER_CODE_LENGTH)

MAX_PAGE = 200
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Money = bounded_int(0, MAX_MONEY)
Quantity = bounded_int(1, MAX_QUANTITY, "thousandths of the unit")
Threshold = bounded_int(0, MAX_QUANTITY, "thousandths of the unit")
CurrencyCode = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
Sku = Annotated[str, msgspec.Meta(min_length=1, max_length=SKU_LENGTH)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_LENGTH)]
ReceiptName = Annotated[str, msgspec.Meta(max_length=RECEIPT_NAME_LENGTH)]
Description = Annotated[str, msgspec.Meta(max_length=DESCRIPTION_LENGTH)]
HsCode = Annotated[str, msgspec.Meta(max_length=8, description="4 or 8 digits, or empty")]
Plu = Annotated[str, msgspec.Meta(max_length=6, description="1 to 6 digits: the item code in scale barcodes")]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Reason = Annotated[str, msgspec.Meta(max_length=200)]
Prices = Annotated[dict[CurrencyCode, Money], msgspec.Meta(max_length=20)]
PriceChanges = Annotated[dict[CurrencyCode, Money | None], msgspec.Meta(max_length=20)]


class Barcode(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    pack_quantity: Quantity = 1000  # one scan sells this much: 12000 for a case of 12


class ProductSupplier(msgspec.Struct, forbid_unknown_fields=True):
    supplier_id: Id
    supplier_code: Annotated[str, msgspec.Meta(max_length=SUPPLIER_CODE_LENGTH)] = ""
    cost: Money | None = None
    currency: CurrencyCode | None = None
    pack_size: Quantity = 1000
    preferred: bool = False


Barcodes = Annotated[list[Barcode], msgspec.Meta(max_length=MAX_BARCODES)]
Suppliers = Annotated[list[ProductSupplier], msgspec.Meta(max_length=MAX_SUPPLIERS)]


class OpeningStock(msgspec.Struct, forbid_unknown_fields=True):
    """Stock on hand when the product is first entered: posted at once as the product's `opening`
    stock movement, and only while the product has no stock movement (docs/inventory.md)."""

    quantity: Quantity
    unit_cost: Money = 0  # base currency
    note: Annotated[str, msgspec.Meta(max_length=200)] = ""


class OpeningBalance(msgspec.Struct):
    """The product's opening stock movement."""

    id: str  # the movement's id
    quantity: int
    unit_cost: int
    entered_by: str | None
    entered_at: str
    note: str


class PendingPrice(msgspec.Struct):
    id: str
    currency: str
    price: int
    effective_from: str


class Product(msgspec.Struct):
    id: str
    sku: str
    name: str
    receipt_name: str
    description: str
    category_id: str | None
    unit_id: str
    tax_class_id: str
    hs_code: str
    cost_price: int
    stock_tracked: bool
    low_stock_threshold: int
    sold_by_weight: bool
    plu: str | None
    active: bool
    archived_at: str | None
    prices: dict[str, int]  # `price` per currency (HQ's once the hub is enrolled)
    override_prices: dict[str, int]  # the store's own, where set
    effective_prices: dict[str, int]  # what a customer pays: the override, else the price
    barcodes: list[Barcode]
    suppliers: list[ProductSupplier]
    on_hand: int  # thousandths, from the stock ledger (read-only: stock moves by movements)
    opening_stock: OpeningBalance | None  # the opening balance posted to the ledger, if any
    scheduled_prices: list[PendingPrice]  # pending scheduled changes, soonest first
    version: int
    created_at: str
    updated_at: str


class PriceChange(msgspec.Struct):
    id: str
    currency: str
    field: Literal["price", "override_price"]
    old_price: int | None
    new_price: int | None
    source: str  # manual, scheduled, bulk, import, hq
    reason: str
    changed_by: str | None
    effective_at: str


class ProductDetail(Product):
    recent_price_history: list[PriceChange]  # the latest; page with .../price-history
    label_queued_at: str | None  # on the shelf-label queue since, or null


class ProductCreate(msgspec.Struct, forbid_unknown_fields=True):
    sku: Sku
    name: Name
    unit_id: Id
    tax_class_id: Id
    receipt_name: ReceiptName | None = None  # default: the name cut to 24 characters
    description: Description = ""
    category_id: Id | None = None
    hs_code: HsCode = ""
    cost_price: Money = 0
    stock_tracked: bool = True
    low_stock_threshold: Threshold = 0
    sold_by_weight: bool = False
    plu: Plu | None = None
    prices: Prices = {}
    override_prices: Prices = {}
    barcodes: Barcodes = []
    suppliers: Suppliers = []
    opening_stock: OpeningStock | None = None


class ProductUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent change. `prices` / `override_prices` merge per currency (null removes
    that currency; a currency not sent is left as it is); `barcodes` and `suppliers` replace the
    whole list; `opening_stock` posts the opening balance, which a product can have only before any
    stock has moved (409 `stock_has_movements` after: use a stock adjustment); `reason` goes into
    price history."""

    sku: Sku | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    receipt_name: ReceiptName | None | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    category_id: Id | None | msgspec.UnsetType = msgspec.UNSET
    unit_id: Id | msgspec.UnsetType = msgspec.UNSET
    tax_class_id: Id | msgspec.UnsetType = msgspec.UNSET
    hs_code: HsCode | msgspec.UnsetType = msgspec.UNSET
    cost_price: Money | msgspec.UnsetType = msgspec.UNSET
    stock_tracked: bool | msgspec.UnsetType = msgspec.UNSET
    low_stock_threshold: Threshold | msgspec.UnsetType = msgspec.UNSET
    sold_by_weight: bool | msgspec.UnsetType = msgspec.UNSET
    plu: Plu | None | msgspec.UnsetType = msgspec.UNSET
    prices: PriceChanges = {}
    override_prices: PriceChanges = {}
    barcodes: Barcodes | msgspec.UnsetType = msgspec.UNSET
    suppliers: Suppliers | msgspec.UnsetType = msgspec.UNSET
    opening_stock: OpeningStock | None | msgspec.UnsetType = msgspec.UNSET
    reason: Reason = ""


class ProductPage(msgspec.Struct):
    items: list[Product]
    next_after: str | None  # pass as `after` for the next page; null on the last page


class PriceHistoryPage(msgspec.Struct):
    items: list[PriceChange]
    next_after: str | None


class ScheduledPriceCreate(msgspec.Struct, forbid_unknown_fields=True):
    currency: CurrencyCode
    price: Money
    effective_from: Annotated[dt.datetime, msgspec.Meta(tz=True)]  # an instant with an offset, in the future


class ScheduledPrice(msgspec.Struct):
    id: str
    product_id: str
    currency: str
    price: int
    effective_from: str
    status: Literal["pending", "applied", "cancelled"]
    created_by: str | None
    created_at: str
    applied_at: str | None
    cancelled_at: str | None


class LookupProduct(msgspec.Struct):
    id: str
    sku: str
    name: str
    receipt_name: str
    category_id: str | None
    unit_id: str
    unit_code: str
    unit_decimals: int
    tax_class_id: str
    sold_by_weight: bool
    plu: str | None
    active: bool
    prices: dict[str, int]  # what a customer pays, per currency the product has a price in
    version: int


class LookupResult(msgspec.Struct):
    """What a scan sells. `kind`: `unit` or `pack` (a product barcode; `quantity` is what one scan
    sells), `weight` (an in-store code carrying the weight: `quantity`), `price` (an in-store code
    carrying the amount: `price` in minor units of `currency`, the base currency; `quantity`
    null), or `sku` (typed at the till; `quantity` 1000)."""

    kind: Literal["unit", "pack", "weight", "price", "sku"]
    code: str
    quantity: int | None
    price: int | None
    currency: str | None
    product: LookupProduct


class ImportRow(msgspec.Struct):
    row: int  # as a spreadsheet numbers it: the header is row 1
    sku: str


class ImportUpdate(ImportRow):
    fields: list[str]  # the columns that change


class ImportProblem(msgspec.Struct):
    row: int
    field: str  # the column ("" for the row as a whole)
    message: str


class ImportReport(msgspec.Struct):
    dry_run: bool
    rows: int
    created: list[ImportRow]
    updated: list[ImportUpdate]
    unchanged: int
    errors: list[ImportProblem]  # a real import with any error imports nothing (422)


Delta = bounded_int(-MAX_MONEY, MAX_MONEY)
MAX_STEP = 1_000_000


class BulkSelection(msgspec.Struct, forbid_unknown_fields=True):
    """Products in the category or any below it, supplied by the supplier, and/or listed; several
    criteria narrow each other."""

    category_id: Id | None = None
    supplier_id: Id | None = None
    product_ids: Annotated[list[Id], msgspec.Meta(max_length=5000)] | None = None


class BulkPriceChange(msgspec.Struct, forbid_unknown_fields=True):
    """Either `percent_bp` (basis points: 500 = +5 %, -1000 = -10 %) on the `currencies` listed, or
    `amounts` (minor units, + or -, per currency: the currencies it moves); then each new price is rounded to the
    currency's `round_step` (default 1) by `round_mode`. Products without a price in a currency
    are skipped, as are prices that would fall below zero."""

    select: BulkSelection
    currencies: Annotated[list[CurrencyCode], msgspec.Meta(max_length=20)] = []
    percent_bp: Annotated[int, msgspec.Meta(ge=-10000, le=100000)] | None = None
    amounts: Annotated[dict[CurrencyCode, Delta], msgspec.Meta(max_length=20)] = {}
    round_step: Annotated[dict[CurrencyCode, bounded_int(1, MAX_STEP)], msgspec.Meta(max_length=20)] = {}
    round_mode: Literal["half_up", "up", "down"] = "half_up"
    include_archived: bool = False
    reason: Reason = ""


class BulkPriceItem(msgspec.Struct):
    product_id: str
    sku: str
    name: str
    currency: str
    field: Literal["price", "override_price"]
    old_price: int
    new_price: int


class BulkPriceSkip(msgspec.Struct):
    product_id: str
    sku: str
    name: str
    currency: str
    reason: str


class BulkPriceResult(msgspec.Struct):
    items: list[BulkPriceItem]  # each price that changes, old -> new
    skipped: list[BulkPriceSkip]
    unchanged: int  # prices the rule leaves where they are
    products: int  # how many products the selection holds
    applied: bool
