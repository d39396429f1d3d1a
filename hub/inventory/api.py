"""/api/v1/inventory: the stock ledger's movements, the levels it projects (low stock, negative),
and a valuation at cost. Read-only here; documents that move stock (receipts, counts,
adjustments, ...) post through hub.inventory.ledger and are audited by their own routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import Parameter

from hub.auth.access import requires
from hub.catalogue.products._paging import decode_cursor, encode_cursor, like_pattern
from hub.clock import format_ts
from hub.db import product_refs, stock, stock_lists
from hub.errors import FieldErrors, NotFoundError
from hub.inventory import schemas
from hub.inventory.projection import stock_value
from hub.inventory.valuation import valuation

MAX_PAGE = 200
Id = Annotated[str | None, Parameter(max_length=64)]
Limit = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
Cursor = Annotated[str | None, Parameter(max_length=400, description="next_after of the last page")]
Moment = Annotated[dt.datetime | None, Parameter(description="An ISO 8601 moment with a time zone")]
ProductId = Annotated[str, Parameter(max_length=64)]
VIEW = "inventory.view"


def movement(row: dict[str, Any]) -> schemas.Movement:
    value = None if row["direction"] == "level" or row["unit_cost"] is None else \
        stock_value(row["quantity"], row["unit_cost"])
    return msgspec.convert({**row, "value": value}, schemas.Movement)


def _moment(name: str, value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise FieldErrors([(name, "needs a time zone (Z or +02:00)")])
    if not 2000 <= value.year <= 9998:
        raise FieldErrors([(name, "must be between the years 2000 and 9998")])
    return format_ts(value)


def movements_page(rows: list[dict[str, Any]], limit: int) -> schemas.MovementPage:
    items = [movement(r) for r in rows[:limit]]
    more = len(rows) > limit and items
    return schemas.MovementPage(items=items, next_after=encode_cursor(str(items[-1].seq)) if more else None)


def seq_cursor(after: str | None) -> int | None:
    cursor = decode_cursor(after, 1)
    if cursor is None:
        return None
    if not cursor[0].isdigit() or len(cursor[0]) > 18:
        raise FieldErrors([("after", "is not a cursor from this list")])
    return int(cursor[0])


def _levels(conn: Any, *, category_id: str | None, **filters: Any) -> list[dict[str, Any]]:
    categories = None
    if category_id is not None:
        categories = product_refs.category_and_descendants(conn, category_id)
    return stock_lists.list_levels(conn, categories=categories, **filters)


def _valuation(conn: Any) -> dict[str, Any]:
    base = stock_lists.base_currency(conn)
    return valuation(stock_lists.valuation_rows(conn), base["code"] if base else None)


class InventoryController(Controller):
    path = "/api/v1/inventory"
    tags = ["inventory"]

    @get("/movements", opt=requires(VIEW), summary="Stock movements, newest first, with filters")
    async def list_movements(
        self, request: Request,
        product_id: Id = None,
        kind: Annotated[str | None, Parameter(max_length=32)] = None,
        user_id: Id = None,
        device_id: Id = None,
        source_type: Annotated[str | None, Parameter(max_length=64)] = None,
        source_id: Id = None,
        since: Moment = None,
        until: Moment = None,
        after: Cursor = None,
        limit: Limit = 50,
    ) -> schemas.MovementPage:
        """Every movement the ledger holds, newest recorded first. `since`/`until` bound when a
        movement happened (occurred_at, until excluded). A movement with `within_count` happened at
        or before its product's latest count, which includes it: it adds nothing to on hand now."""
        rows = await request.app.state.db.read(
            stock_lists.list_movements, product_id=product_id, kind=kind, user_id=user_id,
            device_id=device_id, source_type=source_type, source_id=source_id,
            since=_moment("since", since), until=_moment("until", until), before=seq_cursor(after),
            limit=limit + 1)
        return movements_page(rows, limit)

    @get("/movement-kinds", opt=requires(VIEW), summary="The kinds of stock movement and their direction")
    async def movement_kinds(self, request: Request) -> list[schemas.MovementKind]:
        return [msgspec.convert(k, schemas.MovementKind) for k in await request.app.state.db.read(stock.kinds)]

    @get("/levels", opt=requires(VIEW), summary="On hand per stock-tracked product, by name, with filters")
    async def list_levels(
        self, request: Request,
        q: Annotated[str | None, Parameter(
            max_length=100, description="Name or SKU containing this, or a barcode starting with it")] = None,
        category_id: Annotated[str | None, Parameter(
            max_length=64, description="This category and every one below it")] = None,
        low: Annotated[bool, Parameter(description="Only on hand at or below the low-stock threshold")] = False,
        negative: Annotated[bool, Parameter(description="Only on hand below zero")] = False,
        active: Annotated[bool | None, Parameter(description="true: active products only; false: archived")] = None,
        after: Cursor = None,
        limit: Limit = 50,
    ) -> schemas.StockLevelPage:
        cursor = decode_cursor(after, 2)
        text = q.strip() if q and q.strip() else None
        rows = await request.app.state.db.read(
            _levels, category_id=category_id, q=text, q_like=like_pattern(text) if text else None, low=low,
            negative=negative, active=active, after=cursor, limit=limit + 1)
        items = [msgspec.convert(r, schemas.StockLevel) for r in rows[:limit]]
        more = len(rows) > limit and items
        return schemas.StockLevelPage(items=items, next_after=encode_cursor(items[-1].name, items[-1].product_id)
                                      if more else None)

    @get("/levels/{product_id:str}", opt=requires(VIEW), summary="One product's stock level")
    async def get_level(self, request: Request, product_id: ProductId) -> schemas.StockLevel:
        row = await request.app.state.db.read(stock_lists.get_level, product_id)
        if row is None:
            raise NotFoundError(f"there is no product {product_id}")
        return msgspec.convert(row, schemas.StockLevel)

    @get("/valuation", opt=requires(VIEW), summary="Stock at average cost, in total and by category")
    async def get_valuation(self, request: Request) -> schemas.Valuation:
        """Every level not at zero, valued at its weighted average cost in the base currency.
        Products with stock whose cost is not known yet are counted in `without_cost`, not valued."""
        return msgspec.convert(await request.app.state.db.read(_valuation), schemas.Valuation)
