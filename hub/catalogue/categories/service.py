"""Rules for the category tree: no cycles, no two active siblings with one name, an active
category only under an active parent, and archiving only what nothing active still uses.

`create_category` and `update_category` each run as one `db.write` transaction with one audit
entry; the readers run inside `db.read`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue._common import check_after, conflict, found, update_action
from hub.catalogue.categories import tree
from hub.catalogue.ownership import require_store_owned
from hub.db import audit, categories
from hub.db.audit import Actor
from hub.errors import FieldErrors

OWNERSHIP = "categories"


def flat(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return tree.flatten(categories.all_categories(conn))


def list_categories(conn: sqlite3.Connection, *, q: str | None, active: bool | None,
                    parent_id: str | None, after: str | None, limit: int) -> list[dict[str, Any]]:
    """The tree top to bottom, filtered; `after` is the id of the last row of the previous page."""
    rows = flat(conn)
    if after is not None:
        position = next((i for i, r in enumerate(rows) if r["id"] == after), None)
        check_after(position is not None)
        rows = rows[position + 1:]  # type: ignore[operator]
    needle = q.strip().casefold() if q and q.strip() else None
    picked = [r for r in rows
              if (active is None or r["active"] == active)
              and (parent_id is None or r["parent_id"] == parent_id)
              and (needle is None or needle in r["name"].casefold())]
    return picked[:limit]


def category_tree(conn: sqlite3.Connection, *, active: bool | None) -> list[dict[str, Any]]:
    return tree.nest(r for r in flat(conn) if active is None or r["active"] == active)


def get_category(conn: sqlite3.Connection, category_id: str) -> dict[str, Any]:
    row = next((r for r in flat(conn) if r["id"] == category_id), None)
    return found(row, f"category {category_id}")


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise FieldErrors([("name", "must not be blank")])
    return name


def _check_parent(conn: sqlite3.Connection, parent_id: str | None, *, active: bool) -> None:
    if parent_id is None:
        return
    parent = categories.get_category(conn, parent_id)
    if parent is None:
        raise FieldErrors([("parent_id", f"there is no category {parent_id}")])
    if active and not parent["active"]:
        raise FieldErrors([("parent_id", f"{parent['name']!r} is archived; restore it first")])


def _check_name_free(conn: sqlite3.Connection, parent_id: str | None, name: str,
                     category_id: str | None = None) -> None:
    if categories.active_sibling_named(conn, parent_id, name, category_id) is not None:
        where = "at the top level" if parent_id is None else "under this parent"
        raise conflict("name", f"an active category {where} is already called {name!r}",
                       "category_exists")


def _check_can_archive(conn: sqlite3.Connection, category: dict[str, Any]) -> None:
    use = categories.in_use(conn, category["id"])
    reasons = []
    if use["products"]:
        reasons.append(f"{use['products']} active product{'s' if use['products'] != 1 else ''}")
    if use["children"]:
        reasons.append(f"{use['children']} active subcategor{'ies' if use['children'] != 1 else 'y'}")
    if reasons:
        raise conflict("active", f"{category['name']!r} still holds {' and '.join(reasons)}; move "
                                 "or archive them first", "category_in_use")


def create_category(conn: sqlite3.Connection, actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
    fields = {**fields, "name": _name(fields["name"])}
    require_store_owned(conn, OWNERSHIP, fields)
    _check_parent(conn, fields.get("parent_id"), active=True)
    _check_name_free(conn, fields.get("parent_id"), fields["name"])
    created = categories.create_category(conn, **fields)
    audit.append(conn, actor, "category.created", "category", created["id"], after=created)
    return get_category(conn, created["id"])


def update_category(conn: sqlite3.Connection, actor: Actor, category_id: str,
                    changes: dict[str, Any]) -> dict[str, Any]:
    """Rename, move (parent_id), reorder, archive or restore; a no-op writes nothing."""
    category = found(categories.get_category(conn, category_id), f"category {category_id}")
    if "name" in changes:
        changes["name"] = _name(changes["name"])
    changes = {k: v for k, v in changes.items() if category[k] != v}
    if not changes:
        return get_category(conn, category_id)
    require_store_owned(conn, OWNERSHIP, changes)
    after = {**category, **changes}
    if "parent_id" in changes or changes.get("active"):
        _check_parent(conn, after["parent_id"], active=after["active"])
    if "parent_id" in changes and tree.creates_cycle(categories.parents(conn), category_id,
                                                     after["parent_id"]):
        raise FieldErrors([("parent_id", f"{category['name']!r} cannot go under itself or one of "
                                         "its own subcategories")], code="category_cycle")
    if after["active"] and {"name", "parent_id", "active"} & set(changes):
        _check_name_free(conn, after["parent_id"], after["name"], category_id)
    if changes.get("active") is False:
        _check_can_archive(conn, category)
    updated = categories.update_category(conn, category_id, **changes)
    action = "category.moved" if set(changes) == {"parent_id"} else update_action("category", changes)
    audit.append(conn, actor, action, "category", category_id, before=category, after=updated)
    return get_category(conn, category_id)
