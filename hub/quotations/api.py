"""/api/v1/quotations: drafts priced for a customer by the pricing engine, marked sent, accepted or
expired, converted into a basket a till sells (paid there, or on account), and a pipeline view
(docs/customers.md, "Quotations"). Services are imported inside the handlers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.bounds import bounded_int

MANAGE = "quotations.manage"
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
QuotationId = Annotated[str, Parameter(max_length=64)]
Day = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$", description="A day, YYYY-MM-DD")]


class QuotationLineIn(msgspec.Struct, forbid_unknown_fields=True):
    product_id: Id
    quantity: bounded_int(1, 1_000_000_000, "Thousandths of the product's unit")


class QuotationIn(msgspec.Struct, forbid_unknown_fields=True):
    customer_id: Id
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
    valid_until: Day
    lines: Annotated[list[QuotationLineIn], msgspec.Meta(min_length=1, max_length=200)]
    follow_up_on: Day | None = None
    note: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class Convert(msgspec.Struct, forbid_unknown_fields=True):
    mode: Literal["pay_at_till", "on_account"]


class Fulfil(msgspec.Struct, forbid_unknown_fields=True):
    sale_id: Id


class QuotationLine(msgspec.Struct):
    line_no: int
    product_id: str
    name: str
    sku: str
    quantity: int
    unit_price: int
    gross: int
    discount: int
    net: int
    tax_class: str


class Quotation(msgspec.Struct):
    id: str
    number: int
    label: str  # Q-<number>
    customer_id: str
    customer_name: str
    currency: str
    status: str  # draft, sent, accepted, expired, converted
    valid_until: str
    follow_up_on: str | None
    note: str
    tax_mode: str
    tier_id: str | None
    subtotal: int
    discount_total: int
    tax_total: int
    total: int
    priced_at: str
    conversion: str | None  # pay_at_till, on_account
    sale_id: str | None
    version: int
    created_at: str
    updated_at: str
    lines: list[QuotationLine] = []
    past_valid_until: bool = False


class QuotationPage(msgspec.Struct):
    items: list[Quotation]
    next_after: int | None


class StatusLine(msgspec.Struct):
    status: str
    count: int
    totals: dict[str, int]  # per currency, never summed across currencies


class Pipeline(msgspec.Struct):
    statuses: list[StatusLine]
    due: list[Quotation]  # follow-up day today or before, still open


class Basket(msgspec.Struct):
    quotation_id: str
    number: str
    customer_id: str
    customer_name: str
    currency: str
    tier_id: str | None
    tax_mode: str
    conversion: str
    tender: str | None  # credit_account for a quotation converted on account
    sale_id: str | None
    total: int
    lines: list[QuotationLine]


class SellIn(msgspec.Struct, forbid_unknown_fields=True):
    """Sell the quotation in the portal, on the back-office till."""

    method: Annotated[str, msgspec.Meta(max_length=20)]  # bank_transfer, card, mobile_money or credit_account
    provider: Annotated[str, msgspec.Meta(max_length=40)] = ""
    reference: Annotated[str, msgspec.Meta(max_length=64)] = ""


class Sold(msgspec.Struct):
    sale_id: str
    invoice_number: str
    quotation: Quotation


def _q(row: dict[str, Any]) -> Quotation:
    return msgspec.convert(row, Quotation)


class QuotationController(Controller):
    path = "/api/v1/quotations"
    tags = ["quotations"]

    @get(opt=requires(MANAGE), summary="Quotations, newest first; due=today lists follow-ups due")
    async def list_quotations(
        self, request: Request,
        status: Annotated[str | None, Parameter(pattern="^(draft|sent|accepted|expired|converted)$")] = None,
        customer_id: Annotated[str | None, Parameter(max_length=64)] = None,
        due: Annotated[str | None, Parameter(pattern="^today$", description="today: follow-ups due")] = None,
        after: Annotated[int | None, Parameter(ge=1, le=10**9)] = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> QuotationPage:
        from hub.db import quotations as rows
        from hub.quotations import service

        def read(conn: Any) -> list[dict[str, Any]]:
            return rows.listing(conn, status=status, customer_id=customer_id,
                                due=service.today(conn).isoformat() if due else None, after=after, limit=limit)

        items = [_q(r) for r in await request.app.state.db.read(read)]
        return QuotationPage(items=items, next_after=items[-1].number if len(items) == limit else None)

    @get("/pipeline", opt=requires(MANAGE), summary="Count and value per status and currency; follow-ups due")
    async def pipeline(self, request: Request) -> Pipeline:
        from hub.quotations import service

        return msgspec.convert(await request.app.state.db.read(service.pipeline), Pipeline)

    @get("/basket", opt=requires("customers.view"),
         summary="A converted quotation as a till sells it (by its number, Q-12 or 12)")
    async def basket(self, request: Request, number: Annotated[str, Parameter(pattern=r"^(Q-|q-)?\d{1,9}$")]) -> Basket:
        from hub.quotations import service

        n = int(number.upper().removeprefix("Q-"))
        return msgspec.convert(await request.app.state.db.read(service.basket, n), Basket)

    @get("/{quotation_id:str}", opt=requires(MANAGE), summary="One quotation with its lines")
    async def get_quotation(self, request: Request, quotation_id: QuotationId) -> Quotation:
        from hub.quotations import service

        return _q(await request.app.state.db.read(service.quotation, quotation_id))

    @post(opt=requires(MANAGE), summary="Draft a quotation, priced by the pricing engine at the customer's tier")
    async def create(self, request: Request, identity: Caller, data: JSONBody[QuotationIn]) -> Quotation:
        from hub.quotations import service

        return _q(await request.app.state.db.write(service.create, identity.actor, msgspec.to_builtins(data)))

    @put("/{quotation_id:str}", opt=requires(MANAGE), summary="Edit a draft or sent quotation (priced again now)")
    async def update(self, request: Request, identity: Caller, quotation_id: QuotationId,
                     data: JSONBody[QuotationIn]) -> Quotation:
        from hub.quotations import service

        return _q(await request.app.state.db.write(service.update, identity.actor, quotation_id,
                                                   msgspec.to_builtins(data)))

    @post("/{quotation_id:str}/send", status_code=200, opt=requires(MANAGE), summary="Mark a draft sent")
    async def send(self, request: Request, identity: Caller, quotation_id: QuotationId) -> Quotation:
        from hub.quotations import service

        return _q(await request.app.state.db.write(service.mark, identity.actor, quotation_id, "sent"))

    @post("/{quotation_id:str}/accept", status_code=200, opt=requires(MANAGE), summary="Mark it accepted")
    async def accept(self, request: Request, identity: Caller, quotation_id: QuotationId) -> Quotation:
        from hub.quotations import service

        return _q(await request.app.state.db.write(service.mark, identity.actor, quotation_id, "accepted"))

    @post("/{quotation_id:str}/expire", status_code=200, opt=requires(MANAGE), summary="Mark it expired")
    async def expire(self, request: Request, identity: Caller, quotation_id: QuotationId) -> Quotation:
        from hub.quotations import service

        return _q(await request.app.state.db.write(service.mark, identity.actor, quotation_id, "expired"))

    @post("/{quotation_id:str}/convert", status_code=200, opt=requires(MANAGE),
          summary="Convert to a basket a till sells: paid at the till, or on the customer's account")
    async def convert(self, request: Request, identity: Caller, quotation_id: QuotationId,
                      data: JSONBody[Convert]) -> Quotation:
        from hub.quotations import service

        return _q(await request.app.state.db.write(service.convert, identity.actor, quotation_id, data.mode))

    @post("/{quotation_id:str}/sale", status_code=200, opt=requires("sales.sell"),
          summary="The till's sale of a converted quotation's basket (the same sale again changes nothing)")
    async def fulfil(self, request: Request, identity: Caller, quotation_id: QuotationId,
                     data: JSONBody[Fulfil]) -> Quotation:
        from hub.quotations import service

        return _q(await request.app.state.db.write(service.fulfil, identity.actor, quotation_id, data.sale_id))

    @post("/{quotation_id:str}/sell", status_code=201, opt=requires(MANAGE),
          summary="Sell it here, on the back-office till: paid by bank transfer, card or mobile money, or on "
                  "the customer's account (no cash: a drawer counts cash at a till)")
    async def sell(self, request: Request, identity: Caller, quotation_id: QuotationId,
                   data: JSONBody[SellIn]) -> Sold:
        from hub.quotations import backoffice

        got = await request.app.state.db.write(backoffice.sell, identity.actor, quotation_id, data.method,
                                               reference=data.reference, provider=data.provider)
        return Sold(sale_id=got["sale_id"], invoice_number=got["invoice_number"], quotation=_q(got["quotation"]))


CONTROLLERS: list = [QuotationController]
