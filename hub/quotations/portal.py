"""Portal pages of quotations (group "Sales"): the pipeline (count and value per status and
currency, follow-ups due today, the list by status), a draft's form (the customer by name, phone
or card; lines by SKU or barcode and quantity), a quotation's page with send / accept / expire /
convert, and an A4 print view.

Every change goes through hub.quotations.service in one `db.write`, as the API's does: one audit
entry each.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

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

MANAGE = "quotations.manage"
PAGES = (
    Page("quotations", "Quotations", "/quotations", "Sales", MANAGE,
         keywords="quotation quote estimate proforma offer pipeline follow up customer convert",
         summary="Quotes for customers priced by the store's pricing: send, follow up, convert to a sale"),
    Page("quotations.new", "New quotation", "/quotations/new", "Sales", MANAGE, sidebar=False,
         keywords="new quote estimate"),
)
Id = Annotated[str, Parameter(max_length=64)]
ROWS = 8  # empty line rows a form offers beyond the quotation's own
STATUS_NAMES = {"draft": "Draft", "sent": "Sent", "accepted": "Accepted", "expired": "Expired",
                "converted": "Converted"}
MODES = (("pay_at_till", "Paid at a till"), ("on_account", "On the customer's account"))
LABELS = {"customer": "Customer", "customer_id": "Customer", "currency": "Currency", "valid_until": "Valid until",
          "follow_up_on": "Follow up on", "note": "Note", "lines": "Lines", "mode": "Convert", "method": "Paid by",
          "provider": "Bank or provider", "reference": "Reference"}


def _helpers(decimals: dict[str, int]) -> dict[str, Any]:
    from hub.inventory import _format

    def money(minor: int | None, currency: str) -> str:
        return _format.money(minor, decimals.get(currency, 2), currency)

    return {"money": money, "quantity": lambda q: f"{q / 1000:g}", "status_names": STATUS_NAMES, "modes": MODES,
            "labels": LABELS}


def _decimals(conn: sqlite3.Connection) -> dict[str, int]:
    from hub.sales import _portal_reads

    return _portal_reads.currency_decimals(conn)


def _pipeline(conn: sqlite3.Connection, status: str | None) -> dict[str, Any]:
    from hub.db import quotations as rows
    from hub.quotations import service

    return {**service.pipeline(conn), "rows": rows.listing(conn, status=status, limit=200),
            "decimals": _decimals(conn)}


def _one(conn: sqlite3.Connection, quotation_id: str) -> dict[str, Any]:
    from hub.customers.portal import _seller
    from hub.quotations import service

    return {"q": service.quotation(conn, quotation_id), "decimals": _decimals(conn), "seller": _seller(conn)}


def _form_data(conn: sqlite3.Connection, quotation_id: str | None, customer_id: str | None) -> dict[str, Any]:
    from hub.db import customers as customer_rows
    from hub.quotations import service

    currencies = [r[0] for r in conn.execute("SELECT code FROM currencies WHERE active = 1 ORDER BY code")]
    q = service.quotation(conn, quotation_id) if quotation_id else None
    customer = customer_rows.get(conn, customer_id) if customer_id else None
    return {"q": q, "currencies": currencies, "customer": customer, "today": service.today(conn).isoformat()}


def _resolve(conn: sqlite3.Connection, form: Form, errors: dict[str, str]) -> str:
    """The customer the form names: the chosen id while its name is unchanged, else one customer
    found by name, phone or card."""
    from hub.db import customers as rows

    text = form.get("customer").strip()[:120]
    chosen = form.get("customer_id").strip()[:64]
    if chosen:
        c = rows.get(conn, chosen)
        if c is not None and c["name"] == text:
            return chosen
    if not text:
        errors["customer"] = "name the customer: a name, phone or card"
        return ""
    card = rows.by_card(conn, text)
    if card is not None:
        return card["id"]
    found = rows.search(conn, q=text, after=None, limit=6)
    exact = [c for c in found if c["name"].lower() == text.lower()]
    if len(exact) == 1 or len(found) == 1:
        return (exact or found)[0]["id"]
    if not found:
        errors["customer"] = "no customer has this name, phone or card"
    else:
        errors["customer"] = "several customers match: " + ", ".join(c["name"] for c in found[:5])
    return ""


def _values(conn: sqlite3.Connection, form: Form) -> dict[str, Any]:
    """The form as the service's values; FieldErrors naming each wrong input (lines as code_<i>)."""
    from hub.db import quotations as rows
    from hub.portal.parse import parse_amount

    errors: dict[str, str] = {}
    customer_id = _resolve(conn, form, errors)
    lines = []
    for i in range(200):
        code, qty = form.get(f"code_{i}").strip()[:64], form.get(f"qty_{i}").strip()[:20]
        if not code and not qty:
            if not form.getall(f"code_{i}") and i >= ROWS:
                break
            continue
        product_id = rows.product_by_code(conn, code) if code else None
        if product_id is None:
            errors[f"code_{i}"] = "no product has this SKU or barcode" if code else "give the SKU or barcode"
        try:
            quantity = parse_amount(qty or "1", 3)
            if quantity <= 0:
                raise ValueError
        except Exception:
            errors[f"qty_{i}"] = "a quantity such as 2 or 1.5"
            quantity = 0
        lines.append({"product_id": product_id, "quantity": quantity, "row": i})
    if not lines and not errors:
        errors["code_0"] = "a quotation needs at least one line"
    if errors:
        raise FieldErrors(list(errors.items()))
    return {"customer_id": customer_id, "currency": form.get("currency").strip()[:3],
            "valid_until": form.get("valid_until").strip()[:10] or None,
            "follow_up_on": form.get("follow_up_on").strip()[:10] or None,
            "note": form.get("note")[:1000], "lines": lines}


def _row_errors(err: HubError, values: dict[str, Any] | None) -> Refusal:
    """The service names lines as lines[<index>]: put each beside its row's code input."""
    refused = refusal(err, "The quotation was not saved")
    if values and refused.errors:
        rows_ = [ln["row"] for ln in values["lines"]]
        fixed = {}
        for name, message in refused.errors.items():
            if name.startswith("lines[") and "]" in name:
                index = int(name[6:name.index("]")])
                fixed[f"code_{rows_[index] if index < len(rows_) else 0}"] = message
            else:
                fixed[name] = message
        refused.errors = fixed
    return refused


class QuotationsPortal(PortalController):
    path = "/quotations"

    @get(opt=requires(MANAGE))
    async def pipeline(self, request: Request,
                       status: Annotated[str, Parameter(pattern="^(draft|sent|accepted|expired|converted|)$")] = ""
                       ) -> Template:
        data = await request.app.state.db.read(_pipeline, status or None)
        return await shell.page(request, "quotations/list.html", key="quotations", statuses=data["statuses"],
                                due=data["due"], quotations=data["rows"], chosen=status,
                                **_helpers(data["decimals"]))

    async def _form(self, request: Request, quotation_id: str | None = None, customer_id: str | None = None,
                    refused: Refusal | None = None, values: dict[str, str] | None = None) -> Template:
        data = await request.app.state.db.read(_form_data, quotation_id, customer_id)
        refused = refused or Refusal()
        q = data["q"]
        if values is None:
            values = {"currency": data["currencies"][0] if data["currencies"] else ""}
            if data["customer"]:
                values |= {"customer": data["customer"]["name"], "customer_id": data["customer"]["id"]}
            if q:
                values = {"customer": q["customer_name"], "customer_id": q["customer_id"], "currency": q["currency"],
                          "valid_until": q["valid_until"], "follow_up_on": q["follow_up_on"] or "", "note": q["note"]}
                for line in q["lines"]:
                    values[f"code_{line['line_no']}"] = line["sku"]
                    values[f"qty_{line['line_no']}"] = f"{line['quantity'] / 1000:g}"
        used = max([int(k[5:]) + 1 for k in values if k.startswith("code_") and k[5:].isdigit()] + [0])
        return await shell.page(
            request, "quotations/form.html", key="quotations.new" if not q else "quotations",
            title=f"Edit {q['label']}" if q else None,
            crumbs=[(q["label"], f"/quotations/{q['id']}"), ("Edit", None)] if q else (),
            status=refused.status, refused=refused, values=values, q=q, currencies=data["currencies"],
            rows=range(used + ROWS), labels=LABELS, today=data["today"])

    @get("/new", opt=requires(MANAGE))
    async def new(self, request: Request, customer: Annotated[str, Parameter(max_length=64)] = "") -> Template:
        return await self._form(request, customer_id=customer or None)

    @get("/{quotation_id:str}/edit", opt=requires(MANAGE))
    async def edit(self, request: Request, quotation_id: Id) -> Template:
        return await self._form(request, quotation_id)

    async def _save(self, request: Request, quotation_id: str | None) -> Response:
        from hub.quotations import service

        form = Form(await request.form())
        actor = request.state.identity.actor
        seen: dict[str, Any] = {}

        def write(conn: sqlite3.Connection) -> dict[str, Any]:
            values = _values(conn, form)
            seen["values"] = values
            clean = {**values, "lines": [{k: v for k, v in ln.items() if k != "row"} for ln in values["lines"]]}
            if quotation_id is None:
                return service.create(conn, actor, clean)
            return service.update(conn, actor, quotation_id, clean)

        try:
            q = await request.app.state.db.write(write)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._form(request, quotation_id, refused=_row_errors(err, seen.get("values")),
                                    values=form.values())
        return shell.redirect(request, f"/quotations/{q['id']}", f"Quotation {q['label']} saved.")

    @post(opt=requires(MANAGE), status_code=303)
    async def create(self, request: Request) -> Response:
        return await self._save(request, None)

    @post("/{quotation_id:str}", opt=requires(MANAGE), status_code=303)
    async def update(self, request: Request, quotation_id: Id) -> Response:
        return await self._save(request, quotation_id)

    async def _page(self, request: Request, quotation_id: str, refused: Refusal | None = None,
                    template: str = "quotations/quotation.html", sell_values: dict[str, Any] | None = None) -> Template:
        from hub.quotations.backoffice import METHOD_NAMES

        data = await request.app.state.db.read(_one, quotation_id)
        refused = refused or Refusal()
        q = data["q"]
        return await shell.page(request, template, key="quotations", title=f"Quotation {q['label']}",
                                crumbs=[(q["label"], None)], status=refused.status, refused=refused, q=q,
                                seller=data["seller"], sell_methods=list(METHOD_NAMES.items()),
                                sell_values=sell_values or {}, **_helpers(data["decimals"]))

    @get("/{quotation_id:str}", opt=requires(MANAGE))
    async def quotation(self, request: Request, quotation_id: Id) -> Template:
        return await self._page(request, quotation_id)

    @get("/{quotation_id:str}/print", opt=requires(MANAGE))
    async def print_view(self, request: Request, quotation_id: Id) -> Template:
        return await self._page(request, quotation_id, template="quotations/print.html")

    async def _mark(self, request: Request, quotation_id: str, status: str, done: str) -> Response:
        from hub.quotations import service

        await request.form()
        try:
            await request.app.state.db.write(service.mark, request.state.identity.actor, quotation_id, status)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._page(request, quotation_id, refusal(err, f"It was not marked {status}"))
        return shell.redirect(request, f"/quotations/{quotation_id}", done)

    @post("/{quotation_id:str}/send", opt=requires(MANAGE), status_code=303)
    async def send(self, request: Request, quotation_id: Id) -> Response:
        return await self._mark(request, quotation_id, "sent", "Marked sent.")

    @post("/{quotation_id:str}/accept", opt=requires(MANAGE), status_code=303)
    async def accept(self, request: Request, quotation_id: Id) -> Response:
        return await self._mark(request, quotation_id, "accepted", "Marked accepted.")

    @post("/{quotation_id:str}/expire", opt=requires(MANAGE), status_code=303)
    async def expire(self, request: Request, quotation_id: Id) -> Response:
        return await self._mark(request, quotation_id, "expired", "Marked expired.")

    @post("/{quotation_id:str}/convert", opt=requires(MANAGE), status_code=303)
    async def convert(self, request: Request, quotation_id: Id) -> Response:
        from hub.quotations import service

        form = Form(await request.form())
        mode = form.get("mode").strip()
        try:
            if mode not in dict(MODES):
                raise FieldErrors([("mode", "choose paid at a till or on the customer's account")])
            q = await request.app.state.db.write(service.convert, request.state.identity.actor, quotation_id, mode)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._page(request, quotation_id, refusal(err, "It was not converted"))
        return shell.redirect(request, f"/quotations/{quotation_id}",
                              f"{q['label']} is ready at the tills: ring up quotation {q['label']} to sell it.")

    @post("/{quotation_id:str}/sell", opt=requires(MANAGE), status_code=303)
    async def sell(self, request: Request, quotation_id: Id) -> Response:
        from hub.quotations import backoffice

        form = Form(await request.form())
        values = {k: form.get(k).strip() for k in ("method", "provider", "reference")}
        try:
            sold = await request.app.state.db.write(backoffice.sell, request.state.identity.actor, quotation_id,
                                                    values["method"], reference=values["reference"],
                                                    provider=values["provider"])
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._page(request, quotation_id, refusal(err, "The sale was not recorded"),
                                    sell_values=values)
        return shell.redirect(request, f"/sales/{sold['sale_id']}",
                              f"Sale {sold['invoice_number']} recorded for {sold['quotation']['label']}.")


ROUTES = [QuotationsPortal]
