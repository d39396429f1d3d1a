"""Wire structs of /api/v1/categories: flat rows carry `depth` and `path`; the tree nests them."""

from __future__ import annotations

from typing import Annotated

import msgspec

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
SortOrder = Annotated[int, msgspec.Meta(ge=-1_000_000, le=1_000_000)]


class Category(msgspec.Struct):
    id: str
    name: str
    parent_id: str | None
    sort_order: int  # siblings are listed by sort_order, then name
    active: bool
    depth: int  # 0 for a top-level category
    path: list[str]  # names from the top down to this category
    version: int
    created_at: str
    updated_at: str


class CategoryNode(msgspec.Struct):
    id: str
    name: str
    parent_id: str | None
    sort_order: int
    active: bool
    depth: int
    path: list[str]
    version: int
    children: list["CategoryNode"]


class CategoryCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    parent_id: Id | None = None  # null: a top-level category
    sort_order: SortOrder = 0


class CategoryUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields given change. `parent_id` moves the category (null: to the top level);
    `active: false` archives it once it has no active products or child categories."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    parent_id: Id | None | msgspec.UnsetType = msgspec.UNSET
    sort_order: SortOrder | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class CategoryPage(msgspec.Struct):
    items: list[Category]
    next_after: str | None  # pass as `after` for the next page; null on the last page
