"""/api/v1/products: list, read, create, edit, archive and restore products; the till's lookup;
price history; scheduled price changes. No DELETE: sales reference products, so they are archived.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import authenticated, requires
from hub.auth.identity import Caller
from hub.catalogue.products import prices, service
from hub.catalogue.products._paging import decode_cursor, encode_cursor, like_pattern
from hub.catalogue.products.schemas import (MAX_PAGE, LookupResult, PriceChange, PriceHistoryPage,
                                            Product, ProductCreate, ProductDetail, ProductPage,
                                            ProductUpdate, ScheduledPrice, ScheduledPriceCreate)
from hub.clock import format_ts
from hub.db import labels, product_prices, product_refs, products
from hub.errors import FieldErrors, NotFoundError

ProductId = Annotated[str, Parameter(max_length=64)]
Search = Annotated[str | None, Parameter(
    max_length=100, description="Name or SKU containing this, or a barcode starting with it")]
CategoryFilter = Annotated[str | None, Parameter(
    max_length=64, description="This category and every one below it")]
ActiveFilter = Annotated[bool | None, Parameter(
    description="true: only active, false: only archived; default both")]
Limit = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
Cursor = Annotated[str | None, Parameter(max_length=400, description="next_after of the last page")]
RECENT_HISTORY = 10


def _product(doc: dict[str, Any]) -> Product:
    return msgspec.convert(doc, Product)


def _detail(conn: Any, product_id: str) -> dict[str, Any] | None:
    doc = products.get_product(conn, product_id)
    if doc is None:
        return None
    doc["recent_price_history"] = product_prices.list_history(conn, product_id, limit=RECENT_HISTORY)
    doc["label_queued_at"] = labels.queued_at(conn, product_id)
    return doc


def _list(conn: Any, *, category_id: str | None, **filters: Any) -> list[dict[str, Any]]:
    categories = None
    if category_id is not None:
        categories = product_refs.category_and_descendants(conn, category_id)
    return products.list_products(conn, categories=categories, **filters)


class ProductController(Controller):
    path = "/api/v1/products"
    tags = ["products"]

    @get(opt=requires("catalogue.view"),
         summary="Products by name, a page at a time, with search and filters")
    async def list_products(
        self, request: Request,
        q: Search = None,
        category_id: CategoryFilter = None,
        supplier_id: Annotated[str | None, Parameter(max_length=64)] = None,
        tax_class_id: Annotated[str | None, Parameter(max_length=64)] = None,
        active: ActiveFilter = None,
        after: Cursor = None,
        limit: Limit = 50,
    ) -> ProductPage:
        cursor = decode_cursor(after, 2)
        text = q.strip() if q and q.strip() else None
        rows = await request.app.state.db.read(
            _list, category_id=category_id, q=text, q_like=like_pattern(text) if text else None,
            supplier_id=supplier_id, active=active, tax_class_id=tax_class_id,
            after=cursor, limit=limit + 1)
        items = [_product(r) for r in rows[:limit]]
        more = len(rows) > limit
        return ProductPage(items=items, next_after=encode_cursor(items[-1].name, items[-1].id)
                           if more and items else None)

    @get("/lookup", opt=authenticated(), summary="What a scanned or typed code sells")
    async def lookup(self, request: Request,
                     barcode: Annotated[str, Parameter(min_length=1, max_length=64)]) -> LookupResult:
        """Resolves, in this order: a product barcode (unit or pack), a weight- or price-embedded
        in-store EAN-13 (the store's `barcodes.embedded` rules, docs/barcodes.md), a SKU typed at
        the till (any case). 404 `barcode_unknown` otherwise, also for an in-store code whose
        check digit is wrong. Any signed-in user may look up (a cashier sells)."""
        try:
            # A lookup reads a handful of index pages: done on the loop, no thread hand-off.
            found = request.app.state.db.read_now(products.lookup, barcode)
        except products.MisreadBarcodeError as err:
            raise NotFoundError(f"{err}: scan it again", code="barcode_unknown") from err
        if found is None:
            raise NotFoundError(f"no product has the barcode, PLU or SKU {barcode.strip()}",
                                code="barcode_unknown")
        return msgspec.convert(found, LookupResult)

    @get("/{product_id:str}", opt=requires("catalogue.view"),
         summary="One product with its latest price history")
    async def get_product(self, request: Request, product_id: ProductId) -> ProductDetail:
        doc = await request.app.state.db.read(_detail, product_id)
        if doc is None:
            raise NotFoundError(f"there is no product {product_id}")
        return msgspec.convert(doc, ProductDetail)

    @post(opt=requires("catalogue.manage"), summary="Create a product (prices need prices.manage too)")
    async def create_product(self, request: Request, identity: Caller,
                             data: JSONBody[ProductCreate]) -> Product:
        """Refusals: 422 `invalid_fields` naming each field; 409 `sku_taken`, `plu_taken` or
        `barcode_taken` naming the product that has it; 409 `hq_owned` on an enrolled hub."""
        body = msgspec.to_builtins(data)
        row = await request.app.state.db.write(service.create_product, identity.actor,
                                               identity.permissions, body)
        return _product(row)

    @patch("/{product_id:str}", opt=requires("catalogue.manage"),
           summary="Change a product (only the fields sent; prices need prices.manage too)")
    async def update_product(self, request: Request, identity: Caller, product_id: ProductId,
                             data: JSONBody[ProductUpdate]) -> Product:
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        reason = changes.pop("reason", "")
        changes = msgspec.to_builtins(changes)
        row = await request.app.state.db.write(service.update_product, identity.actor,
                                               identity.permissions, product_id, changes, reason=reason)
        return _product(row)

    @post("/{product_id:str}/archive", status_code=200, opt=requires("catalogue.manage"),
          summary="Archive a product: no longer sold, never deleted")
    async def archive(self, request: Request, identity: Caller, product_id: ProductId) -> Product:
        db = request.app.state.db
        return _product(await db.write(service.set_active, identity.actor, product_id, False))

    @post("/{product_id:str}/restore", status_code=200, opt=requires("catalogue.manage"),
          summary="Restore an archived product")
    async def restore(self, request: Request, identity: Caller, product_id: ProductId) -> Product:
        db = request.app.state.db
        return _product(await db.write(service.set_active, identity.actor, product_id, True))

    @get("/{product_id:str}/price-history", opt=requires("catalogue.view"),
         summary="A product's price changes, newest first, a page at a time")
    async def price_history(self, request: Request, product_id: ProductId, after: Cursor = None,
                            limit: Limit = 50) -> PriceHistoryPage:
        cursor = decode_cursor(after, 2)

        def read(conn: Any) -> list[dict[str, Any]] | None:
            if products.get_product(conn, product_id) is None:
                return None
            return product_prices.list_history(conn, product_id, after=cursor,  # type: ignore[arg-type]
                                               limit=limit + 1)

        rows = await request.app.state.db.read(read)
        if rows is None:
            raise NotFoundError(f"there is no product {product_id}")
        items = [msgspec.convert(r, PriceChange) for r in rows[:limit]]
        more = len(rows) > limit
        last = encode_cursor(items[-1].effective_at, items[-1].id) if more and items else None
        return PriceHistoryPage(items=items, next_after=last)

    @get("/{product_id:str}/scheduled-prices", opt=requires("catalogue.view"),
         summary="A product's scheduled price changes (pending, applied, cancelled), latest first")
    async def list_schedules(self, request: Request, product_id: ProductId) -> list[ScheduledPrice]:
        def read(conn: Any) -> list[dict[str, Any]] | None:
            if products.get_product(conn, product_id) is None:
                return None
            return product_prices.list_schedules(conn, product_id)

        rows = await request.app.state.db.read(read)
        if rows is None:
            raise NotFoundError(f"there is no product {product_id}")
        return [msgspec.convert(r, ScheduledPrice) for r in rows]

    @post("/{product_id:str}/scheduled-prices", opt=requires("prices.manage"),
          summary="Schedule a price change for a future moment")
    async def schedule_price(self, request: Request, identity: Caller, product_id: ProductId,
                             data: JSONBody[ScheduledPriceCreate]) -> ScheduledPrice:
        """Applied within a minute of `effective_from` (and at start-up if the hub was off then),
        through the same path as any price change. Once the hub is enrolled with HQ it sets the
        store's override price."""
        if not 2000 <= data.effective_from.year <= 9998:
            raise FieldErrors([("effective_from", "must be between the years 2000 and 9998")])
        row = await request.app.state.db.write(
            prices.schedule_price, identity.actor, product_id, currency=data.currency, price=data.price,
            effective_from=format_ts(data.effective_from))
        return msgspec.convert(row, ScheduledPrice)

    @post("/{product_id:str}/scheduled-prices/{schedule_id:str}/cancel", status_code=200,
          opt=requires("prices.manage"), summary="Cancel a pending scheduled price change")
    async def cancel_schedule(self, request: Request, identity: Caller, product_id: ProductId,
                              schedule_id: Annotated[str, Parameter(max_length=64)]) -> ScheduledPrice:
        row = await request.app.state.db.write(prices.cancel_schedule, identity.actor, product_id,
                                               schedule_id)
        return msgspec.convert(row, ScheduledPrice)
