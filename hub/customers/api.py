"""/api/v1/customers (+ credit account, statement, payments) and /api/v1/vouchers
(docs/customers.md). Services are imported inside the handlers: start-up stays light."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post, put
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.customers.schemas import (MAX_PAGE, Account, CreditAccountRow, Customer, CustomerCreate, CustomerPage,
                                   CustomerSale, CustomerUpdate, Duplicate, LimitsSet, Merge, Payment, PaymentCreate,
                                   Statement, Voucher, VoucherCreate, VoucherPage)
from hub.errors import NotFoundError

CustomerId = Annotated[str, Parameter(max_length=64)]
Day = Annotated[str | None, Parameter(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")]


def _customer(row: dict[str, Any]) -> Customer:
    return msgspec.convert(row, Customer)


def _cursor(after: str | None) -> tuple[str, str] | None:
    from hub.catalogue.products._paging import decode_cursor

    parts = decode_cursor(after, 2)
    return (parts[0], parts[1]) if parts else None


class CustomerController(Controller):
    path = "/api/v1/customers"
    tags = ["customers"]

    @get(opt=requires("customers.view"),
         summary="Customers by name, a page at a time; q finds by part of the name, the phone, e-mail or card")
    async def list_customers(
        self, request: Request,
        q: Annotated[str | None, Parameter(max_length=120, description="Name, phone, e-mail or card")] = None,
        after: Annotated[str | None, Parameter(max_length=400, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> CustomerPage:
        from hub.catalogue.products._paging import encode_cursor
        from hub.db import customers as rows

        found = await request.app.state.db.read(rows.search, q=q, after=_cursor(after), limit=limit)
        items = [_customer(r) for r in found]
        last = found[-1] if found else None
        return CustomerPage(items=items, next_after=encode_cursor(rows.name_key(last["name"]), last["id"])
                            if last and len(found) == limit else None)

    @get("/lookup", opt=requires("customers.view"), summary="The customer holding a card (scanned at a till)")
    async def lookup(self, request: Request, card: Annotated[str, Parameter(min_length=1, max_length=64)]) -> Customer:
        from hub.customers import service
        from hub.db import customers as rows

        def read(conn: Any) -> dict[str, Any]:
            row = rows.by_card(conn, card.strip())
            if row is None:
                raise NotFoundError("no customer holds this card")
            return service.customer(conn, row["id"])

        return _customer(await request.app.state.db.read(read))

    @get("/credit-accounts", opt=requires("customers.view"),
         summary="Every customer who owes (or is owed) money on account, per currency")
    async def credit_accounts(self, request: Request) -> list[CreditAccountRow]:
        from hub.db import credit as rows

        return [CreditAccountRow(**r) for r in await request.app.state.db.read(rows.accounts)]

    @get("/{customer_id:str}", opt=requires("customers.view"),
         summary="One customer with credit per currency and possible duplicates")
    async def get_customer(self, request: Request, customer_id: CustomerId) -> Customer:
        from hub.customers import service

        return _customer(await request.app.state.db.read(service.customer, customer_id))

    @post(opt=requires("customers.manage"),
          summary="Create a customer; `duplicates` warns of others with the same phone, e-mail or a similar name")
    async def create_customer(self, request: Request, identity: Caller,
                              data: JSONBody[CustomerCreate]) -> Customer:
        from hub.customers import service

        row = await request.app.state.db.write(service.create, identity.actor, msgspec.structs.asdict(data))
        return _customer(row)

    @patch("/{customer_id:str}", opt=requires("customers.manage"), summary="Change some of a customer's fields")
    async def update_customer(self, request: Request, identity: Caller, customer_id: CustomerId,
                              data: JSONBody[CustomerUpdate]) -> Customer:
        from hub.customers import service

        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        return _customer(await request.app.state.db.write(service.update, identity.actor, customer_id, changes))

    @post("/{customer_id:str}/merge", status_code=200, opt=requires("customers.manage"),
          summary="Merge another customer into this one: its sales, balances and store credit move here")
    async def merge(self, request: Request, identity: Caller, customer_id: CustomerId,
                    data: JSONBody[Merge]) -> Customer:
        from hub.customers import service

        return _customer(await request.app.state.db.write(service.merge, identity.actor, customer_id, data.merge_id))

    @get("/{customer_id:str}/duplicates", opt=requires("customers.view"),
         summary="Other customers with the same phone or e-mail, or a very similar name")
    async def duplicates(self, request: Request, customer_id: CustomerId) -> list[Duplicate]:
        from hub.customers import service

        c = await request.app.state.db.read(service.customer, customer_id)
        return [msgspec.convert(d, Duplicate) for d in c["duplicates"]]

    @get("/{customer_id:str}/sales", opt=requires("customers.view"),
         summary="The customer's latest sales (with those of customers merged into it)")
    async def sales(self, request: Request, customer_id: CustomerId,
                    limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50) -> list[CustomerSale]:
        from hub.customers import service
        from hub.db import customers as rows

        def read(conn: Any) -> list[dict[str, Any]]:
            service.customer(conn, customer_id)
            return rows.sales(conn, customer_id, limit)

        return [msgspec.convert(r, CustomerSale) for r in await request.app.state.db.read(read)]

    @get("/{customer_id:str}/account", opt=requires("customers.view"),
         summary="The credit account: limit, balance, available and aging (current, 30, 60, 90+) per currency")
    async def account(self, request: Request, customer_id: CustomerId) -> Account:
        from hub.customers import credit

        return msgspec.convert(await request.app.state.db.read(credit.account, customer_id), Account)

    @put("/{customer_id:str}/credit-limits", opt=requires("credit.manage"),
         summary="Set the credit limit per currency (the whole map; a currency left out has none)")
    async def set_limits(self, request: Request, identity: Caller, customer_id: CustomerId,
                         data: JSONBody[LimitsSet]) -> Account:
        from hub.customers import credit

        got = await request.app.state.db.write(credit.set_limits, identity.actor, customer_id, dict(data.limits))
        return msgspec.convert(got, Account)

    @get("/{customer_id:str}/statement", opt=requires("customers.view"),
         summary="The account's entries in one currency with running balance, over the store's local days "
                 "date_from through date_to (both included; the opening balance is everything before)")
    async def statement(self, request: Request, customer_id: CustomerId,
                        currency: Annotated[str, Parameter(pattern="^[A-Z]{3}$")],
                        date_from: Day = None, date_to: Day = None) -> Statement:
        from hub.customers import credit

        got = await request.app.state.db.read(credit.statement_for_days, customer_id, currency, date_from, date_to)
        return msgspec.convert(got, Statement)

    @get("/{customer_id:str}/payments", opt=requires("customers.view"), summary="Payments made on the account")
    async def payments(self, request: Request, customer_id: CustomerId) -> list[Payment]:
        from hub.customers import service
        from hub.db import credit as rows

        def read(conn: Any) -> list[dict[str, Any]]:
            service.customer(conn, customer_id)
            return rows.payments(conn, customer_id)

        return [msgspec.convert(r, Payment) for r in await request.app.state.db.read(read)]

    @post("/{customer_id:str}/payments", opt=requires("credit.manage"),
          summary="Record a payment on the account (idempotent by `id`: the same body again changes nothing)")
    async def record_payment(self, request: Request, identity: Caller, customer_id: CustomerId,
                             data: JSONBody[PaymentCreate]) -> Payment:
        from hub.customers import credit
        from hub.ids import new_id

        payment, _ = await request.app.state.db.write(
            credit.record_payment, identity.actor, customer_id, payment_id=data.id or new_id(),
            currency=data.currency, amount=data.amount, method=data.method, provider=data.provider,
            reference=data.reference, note=data.note)
        return msgspec.convert(payment, Payment)


class VoucherController(Controller):
    path = "/api/v1/vouchers"
    tags = ["vouchers"]

    @get(opt=requires("customers.view"), summary="Vouchers and store credit, newest first")
    async def list_vouchers(
        self, request: Request,
        kind: Annotated[str | None, Parameter(pattern="^(voucher|store_credit)$")] = None,
        customer_id: Annotated[str | None, Parameter(max_length=64)] = None,
        after: Annotated[str | None, Parameter(max_length=64)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> VoucherPage:
        from hub.db import credit as rows

        found = await request.app.state.db.read(rows.list_vouchers, kind=kind, customer_id=customer_id,
                                                after=after, limit=limit)
        items = [msgspec.convert(v, Voucher) for v in found]
        return VoucherPage(items=items, next_after=items[-1].id if len(items) == limit else None)

    @get("/lookup", opt=requires("customers.view"), summary="A voucher by its code, with its balance")
    async def lookup(self, request: Request, code: Annotated[str, Parameter(min_length=1, max_length=32)]) -> Voucher:
        from hub.db import credit as rows

        v = await request.app.state.db.read(rows.voucher_by_code, code)
        if v is None:
            raise NotFoundError("no voucher has this code")
        return msgspec.convert(v, Voucher)

    @get("/{voucher_id:str}", opt=requires("customers.view"), summary="One voucher with its balance ledger")
    async def get_voucher(self, request: Request, voucher_id: CustomerId) -> Voucher:
        from hub.customers import vouchers

        return msgspec.convert(await request.app.state.db.read(vouchers.voucher, voucher_id), Voucher)

    @post(opt=requires("vouchers.manage"), summary="Issue a voucher (or store credit to a customer)")
    async def issue(self, request: Request, identity: Caller, data: JSONBody[VoucherCreate]) -> Voucher:
        from hub.customers import vouchers

        v = await request.app.state.db.write(
            vouchers.issue, identity.actor, currency=data.currency, amount=data.amount, customer_id=data.customer_id,
            code=data.code, expires_on=data.expires_on, note=data.note, kind=data.kind)
        return msgspec.convert(v, Voucher)

    @post("/{voucher_id:str}/expire", status_code=200, opt=requires("vouchers.manage"),
          summary="Expire a voucher: what it had left is taken off (an expire entry)")
    async def expire(self, request: Request, identity: Caller, voucher_id: CustomerId) -> Voucher:
        from hub.customers import vouchers

        return msgspec.convert(await request.app.state.db.write(vouchers.expire, identity.actor, voucher_id), Voucher)


CONTROLLERS: list = [CustomerController, VoucherController]


def _register_facts() -> None:
    """The till's `credit.payment` fact (hub.sync.facts), applied by hub.customers.sync."""
    from hub.customers.sync import PERMISSION, apply_credit_payment
    from hub.sync.facts import register

    register("credit.payment", apply_credit_payment, permission=PERMISSION)


_register_facts()
