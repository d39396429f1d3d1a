"""/api/v1/categories: the tree flat (paged, with depth and path) or nested; create, rename,
move, reorder, archive."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue._common import DEFAULT_PAGE, MAX_PAGE, given, page
from hub.catalogue.categories import service
from hub.catalogue.categories.schemas import (
    Category, CategoryCreate, CategoryNode, CategoryPage, CategoryUpdate,
)

CategoryId = Annotated[str, Parameter(max_length=64)]
ActiveFilter = Annotated[bool | None, Parameter(description="Only active (true) or archived (false)")]


class CategoryController(Controller):
    path = "/api/v1/categories"
    tags = ["categories"]

    @get(opt=requires("catalogue.view"),
         summary="Categories top to bottom (each after its parent) with depth and path, a page at a time")
    async def list_categories(
        self, request: Request,
        q: Annotated[str | None, Parameter(max_length=80, description="Part of the name")] = None,
        active: ActiveFilter = None,
        parent_id: Annotated[str | None, Parameter(max_length=64, description="Only direct children of")] = None,
        after: Annotated[str | None, Parameter(max_length=64, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    ) -> CategoryPage:
        rows = await request.app.state.db.read(service.list_categories, q=q, active=active,
                                               parent_id=parent_id, after=after, limit=limit + 1)
        items, next_after = page(rows, limit, lambda r: r["id"])
        return CategoryPage(items=msgspec.convert(items, list[Category]), next_after=next_after)

    @get("/tree", opt=requires("catalogue.view"), summary="The whole category tree, nested")
    async def category_tree(self, request: Request, active: ActiveFilter = None) -> list[CategoryNode]:
        roots = await request.app.state.db.read(service.category_tree, active=active)
        return msgspec.convert(roots, list[CategoryNode])

    @get("/{category_id:str}", opt=requires("catalogue.view"), summary="One category")
    async def get_category(self, request: Request, category_id: CategoryId) -> Category:
        return msgspec.convert(await request.app.state.db.read(service.get_category, category_id), Category)

    @post(opt=requires("catalogue.manage"), summary="Add a category (under a parent, or at the top)")
    async def create_category(self, request: Request, identity: Caller,
                              data: JSONBody[CategoryCreate]) -> Category:
        row = await request.app.state.db.write(
            service.create_category, identity.actor, msgspec.structs.asdict(data))
        return msgspec.convert(row, Category)

    @patch("/{category_id:str}", opt=requires("catalogue.manage"),
           summary="Rename, move (parent_id), reorder or archive a category")
    async def update_category(self, request: Request, identity: Caller, category_id: CategoryId,
                              data: JSONBody[CategoryUpdate]) -> Category:
        row = await request.app.state.db.write(
            service.update_category, identity.actor, category_id, given(data))
        return msgspec.convert(row, Category)
