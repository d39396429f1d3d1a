"""Portal pages for products: the list (search, filters, the API's cursor paging), one product
(prices, barcodes, suppliers, price history, scheduled price changes), create and edit forms, and
archive / restore.

Every change calls the function the API calls (hub.catalogue.products.service and .prices) inside
one `db.write`, so the same rules hold and each change writes one audit entry and a changes row.
Forms and their parsing: _portal_forms; what the pages read: _portal_reads.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue.products import prices, service
from hub.catalogue.products import _portal_forms as forms
from hub.catalogue.products._paging import decode_cursor
from hub.catalogue.products._portal_reads import (ListQuery, list_page, product_page, references, scale_labels,
                                                  shelf_prices)
from hub.clock import format_ts
from hub.errors import FieldErrors, HubError, NotFoundError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page

PAGES = (
    Page("products", "Products", "/products", "Catalogue", "catalogue.view",
         keywords="products items catalogue sku barcode search prices stock archive price change",
         summary="Every product: search by name, SKU or barcode; prices, barcodes, suppliers, price history"),
    Page("products.new", "New product", "/products/new", "Catalogue", "catalogue.manage", sidebar=False,
         keywords="add create product item sku barcode price"),
)
ProductId = Annotated[str, Parameter(max_length=64)]
Ref = Annotated[str, Parameter(max_length=64)]
Cursor = Annotated[str | None, Parameter(max_length=400)]
STATUSES = (("active", "Active"), ("archived", "Archived"), ("all", "All"))
TRACKED = (("", "Any"), ("yes", "Tracks stock"), ("no", "Does not track stock"))
SCHEDULE_FIELDS = ("currency", "price", "effective_from")


def _sentence(err: HubError) -> str:
    return forms.sentence(err.detail)


def _cursor(text: str | None) -> tuple[tuple[str, ...] | None, bool]:
    """A list cursor from a link, and False when it was not one (the page then starts over)."""
    try:
        return decode_cursor(text, 2), True
    except FieldErrors:
        return None, False


def _href(filters: dict[str, str], after: str | None) -> str:
    """The list's address with these filters (only those set) and cursor."""
    shown = {k: v for k, v in filters.items() if v and not (k == "status" and v == "active")}
    return "/products?" + urlencode({**shown, **({"after": after} if after else {})})


def _submitted(form: Form) -> dict[str, str]:
    keys = form.data.keys() if hasattr(form.data, "keys") else []
    return {k: form.get(k) for k in keys if k != "_csrf_token"}


def _helpers(refs: dict[str, Any]) -> dict[str, Any]:
    """Formatting the templates use: money in a currency, quantities in a unit, input ids and labels."""
    known = refs["all_currencies"]

    def money(amount: int | None, code: str | None) -> str:
        if amount is None:
            return "—"
        decimals = known[code]["decimals"] if code in known else 2
        return f"{code or ''} {forms.format_amount(amount, decimals)}".strip()

    def quantity(thousandths: int | None, unit_id: str | None) -> str:
        unit = refs["units"].get(unit_id or "")
        text = forms.format_quantity(thousandths, unit["decimals"] if unit else 3)
        return f"{text} {unit['code']}" if unit and text else text

    return {"money": money, "quantity": quantity, "fid": forms.input_id, "label_of": forms.label_of,
            "amount": forms.format_amount, "refs": refs}


def _options(refs: dict[str, Any], values: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """(value, text) for each select of the product form: active rows, and any a value names."""
    chosen = set(values.values())

    def shown(row: dict[str, Any]) -> bool:
        return row["active"] or row["id"] in chosen

    def archived(row: dict[str, Any]) -> str:
        return "" if row["active"] else " (archived)"

    return {
        "category_options": [(c["id"], " › ".join(c["path"]) + archived(c))
                             for c in refs["categories"] if shown(c)],
        "unit_options": [(u["id"], f"{u['name']} ({u['code']})" + archived(u)) for u in refs["unit_list"] if shown(u)],
        "tax_options": [(t["id"], t["name"] + archived(t)) for t in refs["tax_list"] if shown(t)],
        "supplier_options": [(s["id"], s["name"] + archived(s)) for s in refs["supplier_list"] if shown(s)],
        "currency_options": [(c["code"], c["code"]) for c in refs["currencies"]],
    }


def _context(request: Request, refs: dict[str, Any], product: dict[str, Any] | None) -> forms.FormContext:
    return forms.FormContext(
        units=refs["units"], currencies=refs["currencies"],
        price_part="override_prices" if refs["enrolled"] else "prices",
        may_price=request.state.identity.can("prices.manage"), locked=refs["locked"],
        current_unit_id=product["unit_id"] if product else None,
        opening_editable=product is None or (product["opening_stock"] is None and product["on_hand"] == 0))


class ProductPortal(PortalController):
    path = "/products"

    @get(opt=requires("catalogue.view"))
    async def list_products(
        self, request: Request, q: Annotated[str, Parameter(max_length=100)] = "",
        category: Ref = "", supplier: Ref = "", tax_class: Ref = "",
        status: Annotated[str, Parameter(pattern="^(active|archived|all)$")] = "active",
        tracked: Annotated[str, Parameter(pattern="^(yes|no)?$")] = "", after: Cursor = None,
    ) -> Template:
        cursor, readable = _cursor(after)
        query = ListQuery(q=q.strip() or None, category_id=category or None, supplier_id=supplier or None,
                          tax_class_id=tax_class or None,
                          active={"active": True, "archived": False}.get(status),
                          tracked={"yes": True, "no": False}.get(tracked), after=cursor)
        db = request.app.state.db
        refs = await db.read(references)
        listing = await db.read(list_page, query)
        rows = [{**p, "shelf": shelf_prices(p, refs)} for p in listing["items"]]
        filters = {"q": q, "category": category, "supplier": supplier, "tax_class": tax_class,
                   "status": status, "tracked": tracked}
        narrowed = sum(1 for k in ("category", "supplier", "tax_class", "tracked") if filters[k]) + (status != "active")
        filtered = bool(narrowed or q)
        return await shell.page(request, "products/list.html", key="products", products=rows,
                                filters=filters, filtered=filtered, narrowed=narrowed, statuses=STATUSES, tracked_options=TRACKED,
                                first_href=_href(filters, None), next_after=listing["next_after"],
                                next_href=_href(filters, listing["next_after"]), scanned_out=listing["scanned_out"],
                                paged=after is not None, stale_link=not readable, **_helpers(refs))

    # -- one product ---------------------------------------------------------------------------

    async def _product_page(self, request: Request, product_id: str, *, history_after: str | None = None,
                            schedule: dict[str, str] | None = None, schedule_errors: dict[str, str] | None = None,
                            error: str | None = None, status: int = 200) -> Template:
        db = request.app.state.db
        cursor, _ = _cursor(history_after)
        found = await db.read(product_page, product_id, cursor)
        if found is None:
            raise NotFoundError(f"there is no product {product_id}")
        refs = await db.read(references)
        product = found["product"]
        base = next((c for c in refs["currencies"] if c["is_base"]), None)
        return await shell.page(
            request, "products/product.html", key="products", title=product["name"],
            crumbs=[(product["sku"], None)], product=product, history=found["history"],
            history_next=found["history_next"], history_paged=history_after is not None,
            schedules=found["schedules"], label_queued_at=found["label_queued_at"],
            shelf=shelf_prices(product, refs), base=base,
            scale_labels=scale_labels(product, refs["embedded"], base["code"] if base else None), error=error, status=status,
            schedule=schedule or {"currency": base["code"] if base else ""},
            schedule_errors=schedule_errors or {}, **_helpers(refs))

    @get("/{product_id:str}", opt=requires("catalogue.view"))
    async def product(self, request: Request, product_id: ProductId, history_after: Cursor = None) -> Template:
        return await self._product_page(request, product_id, history_after=history_after)

    async def _set_active(self, request: Request, product_id: str, active: bool) -> Response:
        try:
            row = await request.app.state.db.write(service.set_active, request.state.identity.actor,
                                                   product_id, active)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._product_page(request, product_id, error=_sentence(err), status=err.status)
        notice = (f"{row['name']} is restored: tills sell it again." if active else
                  f"{row['name']} is archived: tills no longer sell it. Its history stays.")
        return shell.redirect(request, f"/products/{product_id}", notice)

    @post("/{product_id:str}/archive", opt=requires("catalogue.manage"), status_code=303)
    async def archive(self, request: Request, product_id: ProductId) -> Response:
        return await self._set_active(request, product_id, False)

    @post("/{product_id:str}/restore", opt=requires("catalogue.manage"), status_code=303)
    async def restore(self, request: Request, product_id: ProductId) -> Response:
        return await self._set_active(request, product_id, True)

    @post("/{product_id:str}/scheduled-prices", opt=requires("prices.manage"), status_code=303)
    async def schedule_price(self, request: Request, product_id: ProductId) -> Response:
        form = Form(await request.form())
        values = {name: form.get(name)[:40] for name in SCHEDULE_FIELDS}
        errors: dict[str, str] = {}
        refs = await request.app.state.db.read(references)
        zone = (await shell.store_of(request))["zone"]
        currency = refs["all_currencies"].get(values["currency"])
        if currency is None:
            errors["currency"] = "Choose a currency."
        amount = moment = None
        if not values["price"].strip():
            errors["price"] = "Type the new price."
        elif currency is not None:
            try:
                amount = forms.parse_money(values["price"], currency["code"], currency["decimals"])
            except forms.Unreadable as err:
                errors["price"] = forms.sentence(str(err))
        if not values["effective_from"].strip():
            errors["effective_from"] = "Choose when the new price starts."
        else:
            try:
                moment = forms.local_instant(values["effective_from"], zone)
            except forms.Unreadable as err:
                errors["effective_from"] = forms.sentence(str(err))
        if errors or amount is None or moment is None or currency is None:
            return await self._product_page(request, product_id, schedule=values, schedule_errors=errors,
                                            status=422)
        try:
            await request.app.state.db.write(prices.schedule_price, request.state.identity.actor, product_id,
                                             currency=currency["code"], price=amount,
                                             effective_from=format_ts(moment))
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            found = {e["field"]: forms.sentence(e["message"]) for e in err.extra.get("errors", [])}
            return await self._product_page(request, product_id, schedule=values, status=err.status,
                                            schedule_errors=found or {"": _sentence(err)})
        when = moment.astimezone(zone).strftime("%d %b %Y %H:%M")
        return shell.redirect(request, f"/products/{product_id}",
                              f"Price change scheduled: {currency['code']} "
                              f"{forms.format_amount(amount, currency['decimals'])} from {when}.")

    @post("/{product_id:str}/scheduled-prices/{schedule_id:str}/cancel", opt=requires("prices.manage"),
          status_code=303)
    async def cancel_schedule(self, request: Request, product_id: ProductId,
                              schedule_id: Annotated[str, Parameter(max_length=64)]) -> Response:
        try:
            await request.app.state.db.write(prices.cancel_schedule, request.state.identity.actor,
                                             product_id, schedule_id)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._product_page(request, product_id, error=_sentence(err), status=err.status)
        return shell.redirect(request, f"/products/{product_id}", "The scheduled price change is cancelled.")

    # -- create and edit -----------------------------------------------------------------------

    async def _form_page(self, request: Request, *, values: dict[str, str], product: dict[str, Any] | None = None,
                         read: forms.ReadForm | None = None, summary: str | None = None,
                         status: int = 200) -> Template:
        refs = await request.app.state.db.read(references)
        ctx = _context(request, refs, product)
        errors = read.errors if read else {}
        editing = product is not None
        if editing and read is not None:  # disabled inputs send nothing: show what they hold
            held = forms.product_values(product, ctx)
            values = {**{k: v for k, v in held.items() if forms.is_locked(k, ctx.locked) or
                         (not ctx.may_price and k.startswith(ctx.price_part + "."))}, **values}
        barcode_rows = max(forms.row_count(values, "barcodes") + (2 if not read else 0), forms.NEW_BARCODE_ROWS)
        supplier_rows = max(forms.row_count(values, "suppliers") + (1 if not read else 0),
                            forms.NEW_SUPPLIER_ROWS)
        title = f"Edit {product['name']}" if editing else "New product"
        crumbs = [(product["sku"], f"/products/{product['id']}"), ("Edit", None)] if editing else []
        return await shell.page(
            request, "products/form.html", key="products" if editing else "products.new", title=title,
            crumbs=crumbs, status=status, values=values, errors=errors, summary=summary, product=product,
            ctx=ctx, barcode_rows=min(barcode_rows, forms.MAX_ROWS), supplier_rows=min(supplier_rows, forms.MAX_ROWS),
            **_options(refs, values), **_helpers(refs))

    async def _refused(self, request: Request, err: HubError, read: forms.ReadForm, values: dict[str, str],
                       product: dict[str, Any] | None) -> Template:
        if isinstance(err, NotFoundError):
            raise err
        read.refuse(err.extra.get("errors", []))
        summary = None if read.errors else _sentence(err)
        return await self._form_page(request, values=values, product=product, read=read, summary=summary,
                                     status=err.status)

    @get("/new", opt=requires("catalogue.manage"))
    async def new_product(self, request: Request) -> Template:
        refs = await request.app.state.db.read(references)
        unit = next((u["id"] for u in refs["unit_list"] if u["code"] == "each" and u["active"]), "")
        tax = next((t["id"] for t in refs["tax_list"] if t["code"] == "VAT" and t["active"]), "")
        return await self._form_page(request, values={"stock_tracked": "on", "unit_id": unit, "tax_class_id": tax})

    @post(opt=requires("catalogue.manage"), status_code=303)
    async def create_product(self, request: Request) -> Response:
        form = Form(await request.form())
        db, identity = request.app.state.db, request.state.identity
        values = _submitted(form)
        read = forms.read_product_form(form, _context(request, await db.read(references), None), editing=False)
        if read.errors:
            return await self._form_page(request, values=values, read=read, status=422)
        try:
            row = await db.write(service.create_product, identity.actor, identity.permissions, read.body)
        except HubError as err:
            return await self._refused(request, err, read, values, None)
        return shell.redirect(request, f"/products/{row['id']}", f"Product {row['sku']} ({row['name']}) created.")

    async def _existing(self, request: Request, product_id: str) -> dict[str, Any]:
        found = await request.app.state.db.read(product_page, product_id, None)
        if found is None:
            raise NotFoundError(f"there is no product {product_id}")
        return found["product"]

    @get("/{product_id:str}/edit", opt=requires("catalogue.manage"))
    async def edit_product(self, request: Request, product_id: ProductId) -> Template:
        product = await self._existing(request, product_id)
        refs = await request.app.state.db.read(references)
        values = forms.product_values(product, _context(request, refs, product))
        return await self._form_page(request, values=values, product=product)

    @post("/{product_id:str}", opt=requires("catalogue.manage"), status_code=303)
    async def update_product(self, request: Request, product_id: ProductId) -> Response:
        form = Form(await request.form())
        db, identity = request.app.state.db, request.state.identity
        product = await self._existing(request, product_id)
        values = _submitted(form)
        ctx = _context(request, await db.read(references), product)
        read = forms.read_product_form(form, ctx, editing=True)
        if read.errors:
            return await self._form_page(request, values=values, product=product, read=read, status=422)
        changes = dict(read.body)
        reason = changes.pop("reason", "")
        try:
            row = await db.write(service.update_product, identity.actor, identity.permissions, product_id,
                                 changes, reason=reason)
        except HubError as err:
            return await self._refused(request, err, read, values, product)
        same = row["version"] == product["version"]
        return shell.redirect(request, f"/products/{product_id}",
                              "Nothing changed." if same else f"{row['name']} saved.")


ROUTES = [ProductPortal]
