"""Portal pages for the category tree: the tree as a nested list (active, archived or both, with a
search), adding a category, renaming, moving and reordering one, archiving and restoring.

Every change goes through hub.catalogue.categories.service inside one `db.write`, exactly as the
API's does, so the same rules hold (no cycles, no archiving what active products or
subcategories use) and each change writes one audit entry and one `changes` row.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue import ownership
from hub.catalogue._common import given
from hub.catalogue._refdata_portal import Refusal, checked, refusal, state_refusal
from hub.catalogue.categories import service, tree
from hub.catalogue.categories.schemas import CategoryCreate, CategoryUpdate
from hub.db import categories
from hub.errors import HubError, NotFoundError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.parse import whole_number
from hub.portal.registry import Page

PAGES = (
    Page("categories", "Categories", "/categories", "Catalogue", "catalogue.view",
         keywords="category tree departments groups sections subcategory archive",
         summary="The category tree: add, rename, move or archive a category"),
    Page("categories.new", "New category", "/categories/new", "Catalogue", "catalogue.manage",
         sidebar=False, keywords="add category subcategory department"),
)
CategoryId = Annotated[str, Parameter(max_length=64)]
PAGE_SIZE = 200  # categories a page of the tree shows; a store has hundreds at most
STATUSES = (("active", "Active"), ("archived", "Archived"), ("all", "All, archived too"))
ACTIVE = {"active": True, "archived": False, "all": None}
LABELS = {"name": "Name", "parent_id": "Parent", "sort_order": "Position", "active": "Archive"}
FIELDS = ("name", "parent_id", "sort_order")


def listing(conn: Any, *, q: str | None, active: bool | None, after: str | None) -> dict[str, Any]:
    """A page of the tree (nested; a category whose parent is not on it starts a branch) with the
    active products and subcategories directly in each, and whether there is more."""
    rows = service.list_categories(conn, q=q, active=active, parent_id=None, after=after,
                                   limit=PAGE_SIZE + 1)
    shown = rows[:PAGE_SIZE]
    use = {r["id"]: categories.in_use(conn, r["id"]) for r in shown}
    nodes = [{**r, "products": use[r["id"]]["products"], "subcategories": use[r["id"]]["children"]}
             for r in shown]
    return {"roots": tree.nest(nodes), "count": len(shown), "total": len(service.flat(conn)),
            "next_after": shown[-1]["id"] if len(rows) > PAGE_SIZE else None,
            "enrolled": ownership.is_enrolled(conn)}


def parent_choices(conn: Any, category: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """("", top level) then every active category as its path, top to bottom; an edited
    category's own current parent stays listed even when archived (it is what is selected)."""
    keep = category["parent_id"] if category else None
    rows = [r for r in service.flat(conn)
            if (r["active"] or r["id"] == keep) and (category is None or r["id"] != category["id"])]
    return [("", "None: a top-level category")] + [
        (r["id"], " › ".join(r["path"]) + ("" if r["active"] else " (archived)")) for r in rows]


def category_view(conn: Any, category_id: str) -> dict[str, Any]:
    """One category with what uses it, its subcategories and the parent choices."""
    category = service.get_category(conn, category_id)
    rows = service.flat(conn)
    use = categories.in_use(conn, category_id)
    return {"category": {**category, "products": use["products"], "subcategories": use["children"]},
            "children": [r for r in rows if r["parent_id"] == category_id],
            "parents": parent_choices(conn, category),
            "hq": ownership.hq_fields(service.OWNERSHIP, FIELDS + ("active",))
            if ownership.is_enrolled(conn) else []}


def new_view(conn: Any) -> dict[str, Any]:
    enrolled = ownership.is_enrolled(conn)
    return {"parents": parent_choices(conn), "enrolled": enrolled,
            "hq": ownership.hq_fields(service.OWNERSHIP, FIELDS) if enrolled else []}


def fields_from(form: Form, names: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's `names` as the API's fields, and what could not even be read (a position that is
    not a number). A disabled (HQ-owned) input is not sent, so that field is left as it is."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in (n for n in names if n in form.data):
        if name == "parent_id":
            values[name] = form.get(name).strip() or None
        elif name == "sort_order":
            values[name] = whole_number(form.get(name))
            if values[name] is None:
                errors[name] = "must be a whole number, such as 0 or 10"
        else:
            values[name] = form.get(name).strip()
    return values, errors


class CategoryPortal(PortalController):
    path = "/categories"

    @get(opt=requires("catalogue.view"))
    async def list_categories(
        self, request: Request, q: Annotated[str, Parameter(max_length=80)] = "",
        status: Annotated[str, Parameter(pattern="^(active|archived|all)$")] = "active",
        after: Annotated[str | None, Parameter(max_length=64)] = None,
    ) -> Template:
        text = q.strip() or None
        found = await request.app.state.db.read(listing, q=text, active=ACTIVE[status], after=after)
        query = urlencode({"q": q, "status": status})
        return await shell.page(
            request, "categories/list.html", key="categories", **found, filters={"q": q, "status": status},
            statuses=STATUSES, filtered=bool(text) or status != "active",
            first=f"/categories?{query}" if after else None,
            next=f"/categories?{query}&after={found['next_after']}" if found["next_after"] else None)

    async def _new_page(self, request: Request, values: dict[str, Any],
                        refused: Refusal | None = None) -> Template:
        view = await request.app.state.db.read(new_view)
        refused = refused or Refusal()
        return await shell.page(request, "categories/new.html", key="categories.new", status=refused.status,
                                values=values, refused=refused, labels=LABELS, **view)

    @get("/new", opt=requires("catalogue.manage"))
    async def new_category(self, request: Request,
                           parent: Annotated[str, Parameter(max_length=64)] = "") -> Template:
        return await self._new_page(request, {"parent_id": parent})

    @post(opt=requires("catalogue.manage"), status_code=303)
    async def create_category(self, request: Request) -> Response:
        form = Form(await request.form())
        try:
            values, errors = fields_from(form, ("name", "parent_id"))
            data = checked(values, each=CategoryUpdate, whole_as=CategoryCreate, errors=errors)
            row = await request.app.state.db.write(service.create_category, request.state.identity.actor,
                                                   msgspec.structs.asdict(data))
        except HubError as err:
            return await self._new_page(request, form.values(), refusal(err, "The category was not added"))
        where = f" under {' › '.join(row['path'][:-1])}" if row["parent_id"] else ""
        return shell.redirect(request, "/categories", f"Category {row['name']} added{where}.")

    async def _page(self, request: Request, category_id: str, values: dict[str, Any] | None = None,
                    refused: Refusal | None = None) -> Template:
        view = await request.app.state.db.read(category_view, category_id)
        category, refused = view["category"], refused or Refusal()
        return await shell.page(request, "categories/edit.html", key="categories", title=category["name"],
                                crumbs=[(category["name"], None)], status=refused.status,
                                values=values or category, refused=refused, labels=LABELS, **view)

    @get("/{category_id:str}", opt=requires("catalogue.view"))
    async def category(self, request: Request, category_id: CategoryId) -> Template:
        return await self._page(request, category_id)

    @post("/{category_id:str}", opt=requires("catalogue.manage"), status_code=303)
    async def update_category(self, request: Request, category_id: CategoryId) -> Response:
        form = Form(await request.form())
        try:
            values, errors = fields_from(form, FIELDS)
            data = checked(values, each=CategoryUpdate, whole_as=CategoryUpdate, errors=errors)
            row = await request.app.state.db.write(service.update_category, request.state.identity.actor,
                                                   category_id, given(data))
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._page(request, category_id, form.values(),
                                    refusal(err, "The category was not saved"))
        return shell.redirect(request, f"/categories/{category_id}",
                              f"Category {' › '.join(row['path'])} saved.")

    async def _set_active(self, request: Request, category_id: str, active: bool) -> Response:
        try:
            row = await request.app.state.db.write(service.update_category, request.state.identity.actor,
                                                   category_id, {"active": active})
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            lead = "The category was not archived" if not active else "The category was not restored"
            return await self._page(request, category_id, None, state_refusal(err, lead))
        done = "restored" if active else "archived"
        return shell.redirect(request, f"/categories/{category_id}", f"Category {row['name']} {done}.")

    @post("/{category_id:str}/archive", opt=requires("catalogue.manage"), status_code=303)
    async def archive(self, request: Request, category_id: CategoryId) -> Response:
        return await self._set_active(request, category_id, False)

    @post("/{category_id:str}/restore", opt=requires("catalogue.manage"), status_code=303)
    async def restore(self, request: Request, category_id: CategoryId) -> Response:
        return await self._set_active(request, category_id, True)


ROUTES = [CategoryPortal]
