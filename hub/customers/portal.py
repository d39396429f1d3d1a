"""Portal pages of customers (group "People"): the list with search, a customer's page (details,
duplicates with merge, credit per currency with aging, limits, payments with a printable receipt,
statement, vouchers, sales with an A4 tax invoice for business customers), the new and edit
forms; Credit accounts (who owes, aged); Vouchers (issue, expire).

Every change goes through the same service as the API in one `db.write`: one audit entry each.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue._refdata_portal import Refusal, refusal
from hub.errors import FieldErrors, HubError, NotFoundError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page

VIEW, MANAGE, CREDIT, VOUCHERS = "customers.view", "customers.manage", "credit.manage", "vouchers.manage"
PAGES = (
    Page("customers", "Customers", "/customers", "People", VIEW,
         keywords="customer account client buyer phone card business tin vat merge duplicate",
         summary="Customers, their credit accounts, payments, statements and store credit"),
    Page("customers.new", "New customer", "/customers/new", "People", MANAGE, sidebar=False,
         keywords="add customer"),
    Page("credit_accounts", "Credit accounts", "/customers/accounts", "People", VIEW,
         keywords="credit debtors owing balance aging account statement",
         summary="Who owes the store, per currency, aged current, 30, 60 and 90+ days"),
    Page("vouchers", "Vouchers", "/vouchers", "People", VIEW,
         keywords="voucher gift store credit redeem expire code",
         summary="Gift vouchers and store credit: issue, balance, expire"),
)
PAGE_SIZE = 50
Id = Annotated[str, Parameter(max_length=64)]
FIELDS = (("name", "Name", 120), ("phone", "Phone", 40), ("email", "E-mail", 120), ("card", "Card number", 64),
          ("tier_id", "Pricing tier", 64), ("notes", "Notes", 1000), ("registered_name", "Registered name", 120),
          ("trade_name", "Trade name", 120), ("tin", "TIN", 40), ("vat_number", "VAT number", 40),
          ("address", "Address", 400))
LABELS = {k: label for k, label, _ in FIELDS} | {
    "merge_id": "Customer to merge", "currency": "Currency", "amount": "Amount", "method": "Method",
    "provider": "Provider", "reference": "Reference", "note": "Note", "code": "Code", "expires_on": "Expires on",
    "customer_id": "Customer", "limits": "Limits"}
METHODS = (("cash", "Cash"), ("card", "Card"), ("mobile_money", "Mobile money"), ("bank_transfer", "Bank transfer"))
KIND_NAMES = {"sale": "Credit sale", "payment": "Payment", "void": "Sale voided", "refund": "Refund",
              "merge_in": "Moved in (merge)", "merge_out": "Moved out (merge)", "issue": "Issued",
              "redeem": "Redeemed", "expire": "Expired"}


def _helpers(decimals: dict[str, int]) -> dict[str, Any]:
    from hub.inventory import _format

    def money(minor: int | None, currency: str) -> str:
        return _format.money(minor, decimals.get(currency, 2), currency)

    def plain(minor: int, currency: str) -> str:
        from hub.portal.parse import amount_text

        return amount_text(minor, decimals.get(currency, 2))

    return {"money": money, "plain": plain, "labels": LABELS, "methods": METHODS, "kind_names": KIND_NAMES}


def _decimals(conn: sqlite3.Connection) -> dict[str, int]:
    from hub.sales import _portal_reads

    return _portal_reads.currency_decimals(conn)


def _currencies(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute("SELECT code, decimals FROM currencies WHERE active = 1 ORDER BY code")]


def _amount(form: Form, name: str, currency: str, decimals: dict[str, int], errors: dict[str, str]) -> int:
    from hub.portal.parse import parse_amount

    try:
        value = parse_amount(form.get(name), decimals.get(currency, 2))
    except Exception as err:  # TypedError: its message reads after the field's label
        errors[name] = str(err)
        return 0
    if value <= 0 and name == "amount":
        errors[name] = "must be more than zero"
    return value


# ---- reads --------------------------------------------------------------------------------------

def _list(conn: sqlite3.Connection, q: str | None, after: tuple[str, str] | None) -> dict[str, Any]:
    from hub.db import customers as rows

    found = rows.search(conn, q=q, after=after, limit=PAGE_SIZE + 1)
    return {"rows": found}


def _one(conn: sqlite3.Connection, customer_id: str) -> dict[str, Any]:
    from hub.customers import credit, service
    from hub.db import credit as ledger, customers as rows

    c = service.customer(conn, customer_id)
    return {"c": c, "account": credit.account(conn, customer_id), "payments": ledger.payments(conn, customer_id, 20),
            "vouchers": ledger.customer_vouchers(conn, customer_id), "sales": rows.sales(conn, customer_id, 20),
            "merges": rows.merges(conn, customer_id), "currencies": _currencies(conn), "decimals": _decimals(conn),
            "merged_into": rows.get(conn, c["merged_into"]) if c["merged_into"] else None,
            "quotations": _quotations_of(conn, customer_id)}


def _quotations_of(conn: sqlite3.Connection, customer_id: str) -> list[dict[str, Any]]:
    from hub.db import quotations

    return quotations.listing(conn, customer_id=customer_id, limit=10)


def _form_data(conn: sqlite3.Connection, customer_id: str | None) -> dict[str, Any]:
    from hub.customers import service

    tiers = [dict(r) for r in conn.execute("SELECT id, name FROM pricing_tiers WHERE active = 1 ORDER BY name")]
    return {"c": service.customer(conn, customer_id) if customer_id else None, "tiers": tiers}


class CustomersPortal(PortalController):
    path = "/customers"

    @get(opt=requires(VIEW))
    async def list_customers(self, request: Request, q: Annotated[str, Parameter(max_length=120)] = "",
                             after: Annotated[str, Parameter(max_length=400)] = "") -> Template:
        from hub.catalogue.products._paging import decode_cursor, encode_cursor
        from hub.db import customers as rows

        parts = decode_cursor(after, 2) if after else None
        data = await request.app.state.db.read(_list, q.strip() or None, (parts[0], parts[1]) if parts else None)
        page = data["rows"][:PAGE_SIZE]
        more = None
        if len(data["rows"]) > PAGE_SIZE:
            query = {"q": q} if q else {}
            more = "/customers?" + urlencode({**query, "after": encode_cursor(rows.name_key(page[-1]["name"]),
                                                                              page[-1]["id"])})
        return await shell.page(request, "customers/list.html", key="customers", customers=page, q=q, more=more,
                                first="/customers" + (f"?{urlencode({'q': q})}" if q else "") if after else None)

    async def _form(self, request: Request, customer_id: str | None = None, refused: Refusal | None = None,
                    values: dict[str, str] | None = None) -> Template:
        data = await request.app.state.db.read(_form_data, customer_id)
        refused = refused or Refusal()
        c = data["c"]
        if values is None:
            values = {k: (c[k] or "") for k, _, _ in FIELDS} if c else {}
        title = f"Edit {c['name']}" if c else None
        return await shell.page(request, "customers/form.html", key="customers.new" if not c else "customers",
                                title=title, crumbs=[(c["name"], f"/customers/{c['id']}"), ("Edit", None)] if c else (),
                                status=refused.status, refused=refused, values=values, c=c, tiers=data["tiers"],
                                fields=FIELDS, labels=LABELS)

    @get("/new", opt=requires(MANAGE))
    async def new_customer(self, request: Request) -> Template:
        return await self._form(request)

    @get("/{customer_id:str}/edit", opt=requires(MANAGE))
    async def edit_customer(self, request: Request, customer_id: Id) -> Template:
        return await self._form(request, customer_id)

    async def _save(self, request: Request, customer_id: str | None) -> Response:
        from hub.customers import service

        form = Form(await request.form())
        values = {k: form.get(k)[:limit + 1] for k, _, limit in FIELDS}
        actor = request.state.identity.actor

        def write(conn: sqlite3.Connection) -> dict[str, Any]:
            long = [(k, f"is at most {limit} characters") for k, _, limit in FIELDS if len(values[k]) > limit]
            if long:
                raise FieldErrors(long)
            if customer_id is None:
                return service.create(conn, actor, dict(values))
            return service.update(conn, actor, customer_id, dict(values))

        try:
            c = await request.app.state.db.write(write)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._form(request, customer_id, refusal(err, "The customer was not saved"), form.values())
        notice = f"{c['name']} {'added' if customer_id is None else 'saved'}."
        if c["duplicates"]:
            names = ", ".join(d["name"] for d in c["duplicates"][:3])
            notice += f" Possible duplicate of {names}: merge them on this page if they are the same customer."
        return shell.redirect(request, f"/customers/{c['id']}", notice, "warn" if c["duplicates"] else "ok")

    @post(opt=requires(MANAGE), status_code=303)
    async def create_customer(self, request: Request) -> Response:
        return await self._save(request, None)

    @post("/{customer_id:str}", opt=requires(MANAGE), status_code=303)
    async def update_customer(self, request: Request, customer_id: Id) -> Response:
        return await self._save(request, customer_id)

    async def _page(self, request: Request, customer_id: str, refused: Refusal | None = None,
                    values: dict[str, str] | None = None, action: str = "") -> Template:
        data = await request.app.state.db.read(_one, customer_id)
        refused = refused or Refusal()
        c = data["c"]
        identity = request.state.identity
        return await shell.page(
            request, "customers/customer.html", key="customers", title=c["name"], crumbs=[(c["name"], None)],
            status=refused.status, refused=refused, values=values or {}, action=action, **data,
            can_manage=identity.can(MANAGE) and c["status"] == "active",
            can_credit=identity.can(CREDIT) and c["status"] == "active", can_see_sales=identity.can("sales.view"),
            business=bool(c["registered_name"] or c["tin"] or c["vat_number"]), **_helpers(data["decimals"]))

    @get("/{customer_id:str}", opt=requires(VIEW))
    async def customer(self, request: Request, customer_id: Id) -> Template:
        return await self._page(request, customer_id)

    async def _act(self, request: Request, customer_id: str, action: str, fn: Any, done: str, lead: str) -> Response:
        form = Form(await request.form())
        decimals = await request.app.state.db.read(_decimals)
        actor = request.state.identity.actor
        try:
            await request.app.state.db.write(fn, actor, customer_id, form, decimals)
        except HubError as err:
            if isinstance(err, NotFoundError) and action != "merge":
                raise
            return await self._page(request, customer_id, refusal(err, lead), form.values(), action)
        return shell.redirect(request, f"/customers/{customer_id}", done)

    @post("/{customer_id:str}/merge", opt=requires(MANAGE), status_code=303)
    async def merge(self, request: Request, customer_id: Id) -> Response:
        from hub.customers import service

        def write(conn: sqlite3.Connection, actor: Any, cid: str, form: Form, _: dict) -> Any:
            other = form.get("merge_id").strip()[:64]
            if not other:
                raise FieldErrors([("merge_id", "choose the customer to merge into this one")])
            try:
                return service.merge(conn, actor, cid, other)
            except NotFoundError as err:
                raise FieldErrors([("merge_id", "there is no such customer")]) from err

        return await self._act(request, customer_id, "merge", write, "Merged: the other customer's sales and "
                               "balances are now on this one.", "Nothing was merged")

    @post("/{customer_id:str}/limits", opt=requires(CREDIT), status_code=303)
    async def set_limits(self, request: Request, customer_id: Id) -> Response:
        from hub.customers import credit

        def write(conn: sqlite3.Connection, actor: Any, cid: str, form: Form, decimals: dict) -> Any:
            errors: dict[str, str] = {}
            limits = {}
            for cur in _currencies(conn):
                name = f"limit_{cur['code']}"
                if form.get(name).strip():
                    limits[cur["code"]] = _amount(form, name, cur["code"], decimals, errors)
            if errors:
                raise FieldErrors(list(errors.items()))
            return credit.set_limits(conn, actor, cid, limits)

        return await self._act(request, customer_id, "limits", write, "Credit limits saved.",
                               "The limits were not saved")

    @post("/{customer_id:str}/payments", opt=requires(CREDIT), status_code=303)
    async def record_payment(self, request: Request, customer_id: Id) -> Response:
        from hub.customers import credit
        from hub.ids import new_id

        form = Form(await request.form())
        payment_id = form.get("payment_id").strip()[:64] or new_id()  # a resend records one payment
        decimals = await request.app.state.db.read(_decimals)
        actor = request.state.identity.actor

        def write(conn: sqlite3.Connection) -> Any:
            errors: dict[str, str] = {}
            currency = form.get("currency").strip()[:3]
            method = form.get("method").strip()
            if currency not in decimals:
                errors["currency"] = "choose the currency paid in"
            if method not in dict(METHODS):
                errors["method"] = "choose how it was paid"
            amount = _amount(form, "amount", currency, decimals, errors)
            for name, limit in (("provider", 40), ("reference", 64), ("note", 500)):
                if len(form.get(name)) > limit:
                    errors[name] = f"is at most {limit} characters"
            if errors:
                raise FieldErrors(list(errors.items()))
            return credit.record_payment(conn, actor, customer_id, payment_id=payment_id, currency=currency,
                                         amount=amount, method=method, provider=form.get("provider"),
                                         reference=form.get("reference"), note=form.get("note"))

        try:
            payment, _ = await request.app.state.db.write(write)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._page(request, customer_id, refusal(err, "The payment was not recorded"),
                                    {**form.values(), "payment_id": payment_id}, "payment")
        return shell.redirect(request, f"/customers/{customer_id}/payments/{payment['id']}/receipt",
                              f"Payment P{payment['number']} recorded.")

    @get("/{customer_id:str}/statement", opt=requires(VIEW))
    async def statement(self, request: Request, customer_id: Id,
                        currency: Annotated[str, Parameter(pattern="^[A-Z]{3}$")] = "USD",
                        date_from: Annotated[str, Parameter(max_length=10)] = "",
                        date_to: Annotated[str, Parameter(max_length=10)] = "") -> Template:
        from hub.customers import credit

        problem: Refusal | None = None

        def read(conn: sqlite3.Connection) -> dict[str, Any]:
            nonlocal problem
            try:
                st = credit.statement_for_days(conn, customer_id, currency, date_from, date_to)
            except FieldErrors as err:  # the whole account, with the typed days kept and named
                problem = refusal(err, "The statement period was not read")
                st = credit.statement_for_days(conn, customer_id, currency)
            return {"st": st, "decimals": _decimals(conn), "aging": credit.aging(conn, customer_id, currency),
                    "period": {"date_from": date_from, "date_to": date_to}}

        data = await request.app.state.db.read(read)
        page = await shell.page(request, "customers/statement.html", key="customers",
                                title=f"Statement: {data['st']['name']} ({currency})", refusal=problem, **data,
                                **_helpers(data["decimals"]))
        if problem is not None:
            page.status_code = problem.status
        return page

    @get("/{customer_id:str}/payments/{payment_id:str}/receipt", opt=requires(VIEW))
    async def receipt(self, request: Request, customer_id: Id, payment_id: Id) -> Template:
        from hub.db import credit as ledger

        def read(conn: sqlite3.Connection) -> dict[str, Any]:
            p = ledger.get_payment(conn, payment_id)
            if p is None or p["customer_id"] != customer_id:
                raise NotFoundError(f"there is no payment {payment_id} of this customer")
            return {"p": p, "balance": ledger.balance(conn, customer_id, p["currency"]), "decimals": _decimals(conn),
                    "seller": _seller(conn)}

        data = await request.app.state.db.read(read)
        return await shell.page(request, "customers/receipt.html", key="customers",
                                title=f"Payment receipt P{data['p']['number']}", **data, **_helpers(data["decimals"]))

    @get("/{customer_id:str}/invoices/{sale_id:str}", opt=requires("sales.view"))
    async def tax_invoice(self, request: Request, customer_id: Id, sale_id: Id) -> Template:
        data = await request.app.state.db.read(_invoice, customer_id, sale_id)
        return await shell.page(request, "customers/invoice.html", key="customers",
                                title=f"Tax invoice {data['sale']['invoice_number']}", **data,
                                **_helpers(data["decimals"]))


def _seller(conn: sqlite3.Connection) -> dict[str, Any]:
    from hub.db.settings import get_setting

    return {k: get_setting(conn, f"store.{k}", "") or "" for k in ("name", "legal_name", "address", "phone", "email",
                                                                     "tin", "vat_number")}


def _invoice(conn: sqlite3.Connection, customer_id: str, sale_id: str) -> dict[str, Any]:
    """A sale of this customer (or one merged into it) with its lines and tax per rate, the buyer's
    and the store's data: an A4 tax invoice."""
    from hub.db import customers as rows, sales

    c = rows.get(conn, customer_id)
    sale = sales.get_sale(conn, sale_id)
    if c is None or sale is None or sale["customer_id"] not in rows.merged_ids(conn, customer_id):
        raise NotFoundError(f"there is no sale {sale_id} of this customer")
    parts = sales.parts(conn, sale_id)
    taxes: dict[tuple[str, int], dict[str, int]] = {}
    for line in parts["lines"]:
        t = taxes.setdefault((line["tax_code"], line["tax_rate_bp"]), {"total": 0, "tax": 0})
        t["total"] += line["total"]
        t["tax"] += line["tax_amount"]
    return {"c": c, "sale": sale, "lines": parts["lines"], "tenders": parts["tenders"],
            "taxes": [{"code": k[0], "rate_bp": k[1], **v} for k, v in sorted(taxes.items())],
            "seller": _seller(conn), "decimals": _decimals(conn)}


# ---- credit accounts and vouchers -------------------------------------------------------------

def _accounts(conn: sqlite3.Connection) -> dict[str, Any]:
    from hub.customers import credit
    from hub.db import credit as ledger

    rows = ledger.accounts(conn)
    for r in rows:
        r["aging"] = credit.aging(conn, r["id"], r["currency"])
    totals: dict[str, dict[str, int]] = {}
    for r in rows:
        t = totals.setdefault(r["currency"], dict.fromkeys(("balance", *credit.BUCKETS), 0))
        t["balance"] += r["balance"]
        for b in credit.BUCKETS:
            t[b] += r["aging"][b]
    return {"rows": rows, "totals": totals, "decimals": _decimals(conn), "buckets": credit.BUCKETS}


class CreditAccountsPortal(PortalController):
    path = "/customers/accounts"

    @get(opt=requires(VIEW))
    async def accounts(self, request: Request) -> Template:
        data = await request.app.state.db.read(_accounts)
        return await shell.page(request, "customers/accounts.html", key="credit_accounts", **data,
                                **_helpers(data["decimals"]))


def _vouchers(conn: sqlite3.Connection, q: str | None, kind: str | None) -> dict[str, Any]:
    from hub.db import credit as ledger

    return {"rows": ledger.list_vouchers(conn, kind=kind, q=q, limit=200), "currencies": _currencies(conn),
            "decimals": _decimals(conn)}


def _voucher(conn: sqlite3.Connection, voucher_id: str) -> dict[str, Any]:
    from hub.customers import vouchers

    return {"v": vouchers.voucher(conn, voucher_id), "decimals": _decimals(conn)}


class VouchersPortal(PortalController):
    path = "/vouchers"

    async def _list(self, request: Request, q: str = "", kind: str = "", refused: Refusal | None = None,
                    values: dict[str, str] | None = None) -> Template:
        data = await request.app.state.db.read(_vouchers, q.strip() or None, kind or None)
        refused = refused or Refusal()
        return await shell.page(request, "customers/vouchers.html", key="vouchers", status=refused.status,
                                refused=refused, values=values or {}, vouchers=data["rows"],
                                currencies=data["currencies"], filters={"q": q, "kind": kind},
                                can_issue=request.state.identity.can(VOUCHERS), **_helpers(data["decimals"]))

    @get(opt=requires(VIEW))
    async def list_vouchers(self, request: Request, q: Annotated[str, Parameter(max_length=32)] = "",
                            kind: Annotated[str, Parameter(pattern="^(voucher|store_credit|)$")] = "") -> Template:
        return await self._list(request, q, kind)

    @post(opt=requires(VOUCHERS), status_code=303)
    async def issue(self, request: Request) -> Response:
        import datetime as dt

        from hub.customers import vouchers

        form = Form(await request.form())
        decimals = await request.app.state.db.read(_decimals)
        actor = request.state.identity.actor

        def write(conn: sqlite3.Connection) -> Any:
            errors: dict[str, str] = {}
            currency = form.get("currency").strip()[:3]
            if currency not in decimals:
                errors["currency"] = "choose the voucher's currency"
            amount = _amount(form, "amount", currency, decimals, errors)
            code = form.get("code").strip()
            if code and not (4 <= len(code) <= 32 and code.replace("-", "").isalnum()):
                errors["code"] = "4 to 32 letters, digits or dashes; empty: the hub makes one"
            expires = form.get("expires_on").strip()
            if expires:
                try:
                    dt.date.fromisoformat(expires)
                except ValueError:
                    errors["expires_on"] = "must be a day such as 2027-01-31"
            if len(form.get("note")) > 500:
                errors["note"] = "is at most 500 characters"
            if errors:
                raise FieldErrors(list(errors.items()))
            return vouchers.issue(conn, actor, currency=currency, amount=amount, code=code or None,
                                  expires_on=expires or None, note=form.get("note"))

        try:
            v = await request.app.state.db.write(write)
        except HubError as err:
            return await self._list(request, refused=refusal(err, "No voucher was issued"), values=form.values())
        return shell.redirect(request, f"/vouchers/{v['id']}", f"Voucher {v['code']} issued.")

    async def _voucher_page(self, request: Request, voucher_id: str, refused: Refusal | None = None) -> Template:
        data = await request.app.state.db.read(_voucher, voucher_id)
        refused = refused or Refusal()
        return await shell.page(request, "customers/voucher.html", key="vouchers", title=f"Voucher {data['v']['code']}",
                                crumbs=[(data["v"]["code"], None)], v=data["v"], status=refused.status,
                                refused=refused, can_expire=request.state.identity.can(VOUCHERS),
                                **_helpers(data["decimals"]))

    @get("/{voucher_id:str}", opt=requires(VIEW))
    async def voucher(self, request: Request, voucher_id: Id) -> Template:
        return await self._voucher_page(request, voucher_id)

    @post("/{voucher_id:str}/expire", opt=requires(VOUCHERS), status_code=303)
    async def expire(self, request: Request, voucher_id: Id) -> Response:
        from hub.customers import vouchers

        actor = request.state.identity.actor
        try:
            v = await request.app.state.db.write(vouchers.expire, actor, voucher_id)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._voucher_page(request, voucher_id, refusal(err, "It was not expired"))
        return shell.redirect(request, f"/vouchers/{voucher_id}", f"Voucher {v['code']} expired.")


ROUTES = [CreditAccountsPortal, CustomersPortal, VouchersPortal]
