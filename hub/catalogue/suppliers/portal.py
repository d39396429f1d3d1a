"""Portal pages for suppliers: the list (search by name, active or archived, paged), one
supplier's details, adding and editing one, archiving and restoring it.

Every change goes through hub.catalogue.suppliers.service inside one `db.write`, exactly as the
API's does, so the same rules hold and each change writes one audit entry and one `changes` row.
Suppliers are the store's own: ownership.toml gives HQ none of their fields.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue._common import found, given
from hub.catalogue._refdata_portal import Refusal, checked, refusal, state_refusal
from hub.catalogue.suppliers import service
from hub.catalogue.suppliers.schemas import SupplierCreate, SupplierUpdate
from hub.db import suppliers
from hub.errors import HubError, NotFoundError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.parse import whole_number
from hub.portal.registry import Page

PAGES = (
    Page("suppliers", "Suppliers", "/suppliers", "Catalogue", "catalogue.view",
         keywords="suppliers vendors wholesalers contacts payment terms lead time",
         summary="Who the store buys from: contacts, payment terms and lead times"),
    Page("suppliers.new", "New supplier", "/suppliers/new", "Catalogue", "catalogue.manage",
         sidebar=False, keywords="add supplier vendor wholesaler"),
)
SupplierId = Annotated[str, Parameter(max_length=64)]
PAGE_SIZE = 50
STATUSES = (("active", "Active"), ("archived", "Archived"), ("all", "All, archived too"))
ACTIVE = {"active": True, "archived": False, "all": None}
TEXT = ("name", "contact_name", "phone", "email", "address", "tin", "notes")
DAYS = ("payment_terms_days", "lead_time_days")
LABELS = {"name": "Name", "contact_name": "Contact person", "phone": "Phone", "email": "E-mail",
          "address": "Address", "tin": "TIN", "payment_terms_days": "Payment terms (days)",
          "lead_time_days": "Lead time (days)", "notes": "Notes", "active": "Archive"}
FORMATS = {"email": "is not an e-mail address, such as orders@example.co.zw",
           "tin": "must be the 10 digits of a ZIMRA TIN"}


def listing(conn: Any, *, q: str | None, active: bool | None, after: str | None) -> dict[str, Any]:
    rows = service.list_suppliers(conn, q=q, active=active, after=after, limit=PAGE_SIZE + 1)
    shown = rows[:PAGE_SIZE]
    return {"suppliers": shown, "next_after": shown[-1]["id"] if len(rows) > PAGE_SIZE else None}


def fields_from(form: Form) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's fields as the API's, and the day counts that are not numbers."""
    values: dict[str, Any] = {name: form.get(name).strip() for name in TEXT if name in form.data}
    errors: dict[str, str] = {}
    for name in (n for n in DAYS if n in form.data):
        values[name] = whole_number(form.get(name))
        if values[name] is None:
            errors[name] = "must be a whole number of days, such as 7 (0 to 365)"
    return values, errors


def _days(count: int, zero: str) -> str:
    return zero if count == 0 else f"{count} day{'' if count == 1 else 's'}"


class SupplierPortal(PortalController):
    path = "/suppliers"

    @get(opt=requires("catalogue.view"))
    async def list_suppliers(
        self, request: Request, q: Annotated[str, Parameter(max_length=120)] = "",
        status: Annotated[str, Parameter(pattern="^(active|archived|all)$")] = "active",
        after: Annotated[str | None, Parameter(max_length=64)] = None,
    ) -> Template:
        text = q.strip() or None
        listed = await request.app.state.db.read(listing, q=text, active=ACTIVE[status], after=after)
        query = urlencode({"q": q, "status": status})
        return await shell.page(
            request, "suppliers/list.html", key="suppliers", **listed, filters={"q": q, "status": status},
            statuses=STATUSES, filtered=bool(text) or status != "active", days=_days,
            first=f"/suppliers?{query}" if after else None,
            next=f"/suppliers?{query}&after={listed['next_after']}" if listed["next_after"] else None)

    async def _form_page(self, request: Request, values: dict[str, Any], supplier: dict[str, Any] | None,
                         refused: Refusal | None = None) -> Template:
        refused = refused or Refusal()
        if supplier is None:
            return await shell.page(request, "suppliers/form.html", key="suppliers.new", status=refused.status,
                                    values=values, refused=refused, labels=LABELS, supplier=None)
        return await shell.page(request, "suppliers/form.html", key="suppliers", title=f"Edit {supplier['name']}",
                                crumbs=[(supplier["name"], f"/suppliers/{supplier['id']}"), ("Edit", None)],
                                status=refused.status, values=values, refused=refused, labels=LABELS,
                                supplier=supplier)

    @get("/new", opt=requires("catalogue.manage"))
    async def new_supplier(self, request: Request) -> Template:
        return await self._form_page(request, {"payment_terms_days": 0, "lead_time_days": 0}, None)

    @post(opt=requires("catalogue.manage"), status_code=303)
    async def create_supplier(self, request: Request) -> Response:
        form = Form(await request.form())
        try:
            values, errors = fields_from(form)
            data = checked(values, each=SupplierUpdate, whole_as=SupplierCreate, formats=FORMATS,
                           errors=errors)
            row = await request.app.state.db.write(service.create_supplier, request.state.identity.actor,
                                                   msgspec.structs.asdict(data))
        except HubError as err:
            return await self._form_page(request, form.values(), None,
                                         refusal(err, "The supplier was not added"))
        return shell.redirect(request, f"/suppliers/{row['id']}", f"Supplier {row['name']} added.")

    async def _supplier(self, request: Request, supplier_id: str) -> dict[str, Any]:
        row = await request.app.state.db.read(suppliers.get_supplier, supplier_id)
        return found(row, f"supplier {supplier_id}")

    async def _page(self, request: Request, supplier_id: str, refused: Refusal | None = None) -> Template:
        supplier, refused = await self._supplier(request, supplier_id), refused or Refusal()
        return await shell.page(request, "suppliers/supplier.html", key="suppliers", title=supplier["name"],
                                crumbs=[(supplier["name"], None)], status=refused.status, supplier=supplier,
                                refused=refused, labels=LABELS, days=_days)

    @get("/{supplier_id:str}", opt=requires("catalogue.view"))
    async def supplier(self, request: Request, supplier_id: SupplierId) -> Template:
        return await self._page(request, supplier_id)

    @get("/{supplier_id:str}/edit", opt=requires("catalogue.manage"))
    async def edit_supplier(self, request: Request, supplier_id: SupplierId) -> Template:
        supplier = await self._supplier(request, supplier_id)
        return await self._form_page(request, supplier, supplier)

    @post("/{supplier_id:str}", opt=requires("catalogue.manage"), status_code=303)
    async def update_supplier(self, request: Request, supplier_id: SupplierId) -> Response:
        form = Form(await request.form())
        try:
            values, errors = fields_from(form)
            data = checked(values, each=SupplierUpdate, whole_as=SupplierUpdate, formats=FORMATS,
                           errors=errors)
            row = await request.app.state.db.write(service.update_supplier, request.state.identity.actor,
                                                   supplier_id, given(data))
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            supplier = await self._supplier(request, supplier_id)
            return await self._form_page(request, form.values(), supplier,
                                         refusal(err, "The supplier was not saved"))
        return shell.redirect(request, f"/suppliers/{supplier_id}", f"Supplier {row['name']} saved.")

    async def _set_active(self, request: Request, supplier_id: str, active: bool) -> Response:
        try:
            row = await request.app.state.db.write(service.update_supplier, request.state.identity.actor,
                                                   supplier_id, {"active": active})
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            lead = "The supplier was not restored" if active else "The supplier was not archived"
            return await self._page(request, supplier_id, state_refusal(err, lead))
        done = "restored" if active else "archived"
        return shell.redirect(request, f"/suppliers/{supplier_id}", f"Supplier {row['name']} {done}.")

    @post("/{supplier_id:str}/archive", opt=requires("catalogue.manage"), status_code=303)
    async def archive(self, request: Request, supplier_id: SupplierId) -> Response:
        return await self._set_active(request, supplier_id, False)

    @post("/{supplier_id:str}/restore", opt=requires("catalogue.manage"), status_code=303)
    async def restore(self, request: Request, supplier_id: SupplierId) -> Response:
        return await self._set_active(request, supplier_id, True)


ROUTES = [SupplierPortal]
