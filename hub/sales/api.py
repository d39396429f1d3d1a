"""/api/v1/sales: a till records a sale (idempotent by its id; never refused for a business
reason, docs/sales.md), managers list and read them. /api/v1/devices/{id}/code sets a till's
short code, which starts its invoice numbers after the store code."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue.products._paging import decode_cursor, encode_cursor
from hub.clock import format_ts, utc_now
from hub.errors import InvalidInputError
from hub.printing.service import after_sale
from hub.printing.subsystem import wake as wake_printer
from hub.sales import corrections, refunds, schemas, service
from hub.sales.voids import void_sale
from hub.sales.ingest import ingest_sale

MAX_PAGE = 200
SaleId = Annotated[str, Parameter(max_length=64)]
Limit = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
Cursor = Annotated[str | None, Parameter(max_length=400, description="next_after of the last page")]
Day = Annotated[dt.date | None, Parameter(description="A day in the store's time zone (YYYY-MM-DD), included")]
Filter = Annotated[str | None, Parameter(max_length=64)]
SELL, VIEW, VOID = "sales.sell", "sales.view", "sales.void"
REFUND, REFUND_UNLIMITED, CORRECT = "sales.refund", "sales.refund_unlimited", "sales.correct"


class TillRequiredError(InvalidInputError):
    code = "till_required"


class TillCode(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(pattern="^[A-Z0-9]{1,6}$",
                                      description="1 to 6 capital letters or digits, unique in the store")]


class TillCodeSet(msgspec.Struct):
    device_id: str
    name: str
    code: str


def _record(conn: Any, body: schemas.SaleCreate, device_id: str, caller: Any, received_at: str) -> dict[str, Any]:
    result = ingest_sale(conn, body, device_id=device_id, caller=caller, received_at=received_at)
    printer = after_sale(conn, result.sale_id, device_id) if result.created else None
    return {"created": result.created, "printer": printer}


class SaleController(Controller):
    path = "/api/v1/sales"
    tags = ["sales"]

    @post(opt=requires(SELL), summary="Record a sale from this till (idempotent by the sale's id)",
          responses={200: ResponseSpec(schemas.SaleDetail, description="This sale was already recorded")})
    async def record_sale(self, request: Request, identity: Caller,
                          data: JSONBody[schemas.SaleCreate]) -> Response[schemas.SaleDetail]:
        """Called by a paired till (X-Device-Token) with its cashier signed in, after the sale is
        complete. 201 once it is durably stored; the same body again answers 200 with the same sale
        and changes nothing; another body under the same id is 409 `sale_id_reused`. Refused (422)
        only when malformed; a business problem (price, unknown product, shift, stock, invoice
        number, discount) is accepted and listed in `exceptions`."""
        if identity.device_id is None:  # a sign-in made at a till, or sent with its X-Device-Token
            raise TillRequiredError("a sale is recorded by a paired till: send its X-Device-Token with the "
                                    "cashier's sign-in")
        db = request.app.state.db
        got = await db.write(_record, data, identity.device_id, identity.actor, format_ts(utc_now()))
        if got["printer"]:  # the till's receipt printer is the hub's: its worker prints the receipt now
            wake_printer(request.app.state, got["printer"])
        # Read back once durable, off the one writer thread (a sale is never edited, only joined by
        # later documents: what a reader sees now is the sale as recorded, or with what came after).
        sale = await db.read(service.detail, data.id)
        return Response(msgspec.convert(sale, schemas.SaleDetail), status_code=201 if got["created"] else 200)

    @get(opt=requires(VIEW), summary="Sales, newest first, with filters")
    async def list_sales(
        self, request: Request,
        date_from: Day = None, date_to: Day = None,
        till: Annotated[str | None, Parameter(max_length=64, description="The till's device id")] = None,
        cashier: Annotated[str | None, Parameter(max_length=64, description="The cashier's user id")] = None,
        method: Annotated[str | None, Parameter(
            pattern="^(cash|card|mobile_money|bank_transfer|credit_account|voucher|store_credit)$",
            description="Sales with a tender of this method")] = None,
        currency: Annotated[str | None, Parameter(pattern="^[A-Z]{3}$", description="The receipt currency")] = None,
        status: Annotated[str | None, Parameter(pattern="^(completed|voided)$")] = None,
        shift: Filter = None,
        number: Annotated[str | None, Parameter(max_length=100, description="An invoice number")] = None,
        after: Cursor = None, limit: Limit = 50,
    ) -> schemas.SalePage:
        cursor = decode_cursor(after, 2)
        rows = await request.app.state.db.read(
            service.list_sales, date_from=date_from, date_to=date_to, device_id=till, cashier_id=cashier,
            method=method, currency=currency, status=status, shift_id=shift, number=number,
            after=cursor, limit=limit + 1)
        items = [msgspec.convert(r, schemas.Sale) for r in rows[:limit]]
        more = len(rows) > limit and items
        return schemas.SalePage(items=items, next_after=encode_cursor(items[-1].occurred_at, items[-1].id)
                                if more else None)

    @get("/{sale_id:str}", opt=requires(VIEW), summary="One sale with its lines, tenders, change and exceptions")
    async def get_sale(self, request: Request, sale_id: SaleId) -> schemas.SaleDetail:
        return msgspec.convert(await request.app.state.db.read(service.detail, sale_id), schemas.SaleDetail)


    @post("/{sale_id:str}/void", opt=requires(VOID), status_code=200, summary="Void a whole sale, with a reason")
    async def void(self, request: Request, identity: Caller, sale_id: SaleId,
                   data: JSONBody[schemas.SaleVoid]) -> schemas.SaleDetail:
        """A new document: the sale is never edited. Its stock comes back now and its money leaves
        the totals of `shift_id` (the shift open at the till that voids it; none: the sale's own
        shift); 409 `sale_voided` when it was voided already, `sale_refunded` once it has refunds or
        price corrections."""
        got = await request.app.state.db.write(_void, identity.actor, sale_id, data.reason, data.shift_id)
        return msgspec.convert(got, schemas.SaleDetail)


def _refund(conn: Any, sale_id: str, body: schemas.RefundCreate, device_id: str, caller: Any, unlimited: bool,
            received_at: str) -> dict[str, Any]:
    result = refunds.refund_sale(conn, sale_id, body, device_id=device_id, caller=caller, unlimited=unlimited,
                                 received_at=received_at)
    return {"created": result.created, "refund": refunds.detail(conn, result.refund_id)}


class RefundController(Controller):
    path = "/api/v1/sales/{sale_id:str}/refunds"
    tags = ["sales"]

    @post(opt=requires(REFUND), summary="Refund lines of a sale from this till (idempotent by the refund's id)",
          responses={200: ResponseSpec(schemas.Refund, description="This refund was already recorded")})
    async def refund(self, request: Request, identity: Caller, sale_id: SaleId,
                     data: JSONBody[schemas.RefundCreate]) -> Response[schemas.Refund]:
        """Called by a paired till with the signed-in user who may refund. A new document: the sale
        is never edited. 201 once stored; the same body again answers 200 with the same refund; another
        body under the id is 409 `refund_id_reused`. 409 `not_refundable` for more than a line still
        holds or a voided sale; 403 `refund_limit` above the store's refund limit without
        sales.refund_unlimited. Restocked lines move stock back (kind `refund`); the money goes back
        to the sale's own tenders at the rates it recorded, or as store credit."""
        if identity.device_id is None:
            raise TillRequiredError("a refund is made at a paired till: send its X-Device-Token with the "
                                    "user's sign-in")
        got = await request.app.state.db.write(_refund, sale_id, data, identity.device_id, identity.actor,
                                               identity.can(REFUND_UNLIMITED), format_ts(utc_now()))
        return Response(msgspec.convert(got["refund"], schemas.Refund), status_code=201 if got["created"] else 200)


def _correct(conn: Any, sale_id: str, body: schemas.CorrectionCreate, device_id: str, caller: Any,
             received_at: str) -> dict[str, Any]:
    result = corrections.correct_sale(conn, sale_id, body, device_id=device_id, caller=caller,
                                      received_at=received_at)
    return {"created": result.created, "correction": corrections.detail(conn, result.correction_id)}


class CorrectionController(Controller):
    path = "/api/v1/sales/{sale_id:str}/corrections"
    tags = ["sales"]

    @post(opt=requires(CORRECT), summary="Charge or credit a price correction after a sale (idempotent by its id)",
          responses={200: ResponseSpec(schemas.Correction, description="This correction was already recorded")})
    async def correct(self, request: Request, identity: Caller, sale_id: SaleId,
                      data: JSONBody[schemas.CorrectionCreate]) -> Response[schemas.Correction]:
        """Made at a paired till with its own tenders: `charge` takes more money, `credit` pays some
        back, per sale line or for the whole sale, with a reason; no stock moves. A new document: the
        sale is never edited. 201 once stored; the same body again is 200 with the same correction;
        another body under the id is 409 `correction_id_reused`; a voided sale is 409 `not_correctable`;
        tenders that do not make up the total are 422."""
        if identity.device_id is None:
            raise TillRequiredError("a price correction is made at a paired till: send its X-Device-Token with "
                                    "the user's sign-in")
        got = await request.app.state.db.write(_correct, sale_id, data, identity.device_id, identity.actor,
                                               format_ts(utc_now()))
        return Response(msgspec.convert(got["correction"], schemas.Correction),
                        status_code=201 if got["created"] else 200)


class RefundSettingsController(Controller):
    path = "/api/v1/settings/refunds"
    tags = ["settings"]

    @get(opt=requires("settings.view"), summary="The refund limit per receipt currency")
    async def get_settings(self, request: Request) -> schemas.RefundSettings:
        return msgspec.convert(await request.app.state.db.read(refunds.get_settings), schemas.RefundSettings)

    @put(opt=requires("settings.manage"), summary="Set the refund limits (minor units per receipt currency)")
    async def update_settings(self, request: Request, identity: Caller,
                              data: JSONBody[schemas.RefundSettingsUpdate]) -> schemas.RefundSettings:
        """Above a currency's limit a refund needs sales.refund_unlimited; a currency not named has
        no limit. The whole map is replaced."""
        row = await request.app.state.db.write(refunds.update_settings, identity.actor, dict(data.limits))
        return msgspec.convert(row, schemas.RefundSettings)


def _void(conn: Any, actor: Any, sale_id: str, reason: str, shift_id: str | None = None) -> dict[str, Any]:
    void_sale(conn, actor, sale_id, reason, shift_id)
    return service.detail(conn, sale_id)


class TillCodeController(Controller):
    path = "/api/v1/devices"
    tags = ["devices"]

    @put("/{device_id:str}/code", opt=requires("devices.manage"), summary="Set a till's short code")
    async def set_code(self, request: Request, identity: Caller, device_id: SaleId,
                       data: JSONBody[TillCode]) -> TillCodeSet:
        """A till gets the next free T<n> when it pairs; a manager may give it another code, unique
        in the store. Its invoice numbers are `<store code>-<till code>-<sequence>`."""
        row = await request.app.state.db.write(service.set_till_code, identity.actor, device_id, data.code)
        return msgspec.convert(row, TillCodeSet)


CONTROLLERS: list = [SaleController, RefundController, CorrectionController, RefundSettingsController,
                     TillCodeController]
