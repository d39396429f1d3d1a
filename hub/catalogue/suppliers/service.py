"""Rules for suppliers: a name that is not blank, archive rather than delete.

Suppliers are the store's own (ownership.toml lists no HQ field), so an enrolled hub edits them
freely. `create_supplier` and `update_supplier` each run as one `db.write` transaction with one
audit entry.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue._common import check_after, found, update_action
from hub.catalogue.ownership import require_store_owned
from hub.db import audit, suppliers
from hub.db.audit import Actor
from hub.errors import FieldErrors

OWNERSHIP = "suppliers"


def list_suppliers(conn: sqlite3.Connection, *, q: str | None, active: bool | None,
                   after: str | None, limit: int) -> list[dict[str, Any]]:
    if after is not None:
        check_after(suppliers.get_supplier(conn, after) is not None)
    return suppliers.list_suppliers(conn, q=q, active=active, after=after, limit=limit)


def _tidy(fields: dict[str, Any]) -> dict[str, Any]:
    """Trim text fields; a blank name is refused."""
    tidy = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
    if "name" in tidy and not tidy["name"]:
        raise FieldErrors([("name", "must not be blank")])
    return tidy


def create_supplier(conn: sqlite3.Connection, actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
    fields = _tidy(fields)
    require_store_owned(conn, OWNERSHIP, fields)
    supplier = suppliers.create_supplier(conn, **fields)
    audit.append(conn, actor, "supplier.created", "supplier", supplier["id"], after=supplier)
    return supplier


def update_supplier(conn: sqlite3.Connection, actor: Actor, supplier_id: str,
                    changes: dict[str, Any]) -> dict[str, Any]:
    """Apply the given fields; a change that changes nothing writes nothing."""
    supplier = found(suppliers.get_supplier(conn, supplier_id), f"supplier {supplier_id}")
    changes = {k: v for k, v in _tidy(changes).items() if supplier[k] != v}
    if not changes:
        return supplier
    require_store_owned(conn, OWNERSHIP, changes)
    updated = suppliers.update_supplier(conn, supplier_id, **changes)
    audit.append(conn, actor, update_action("supplier", changes), "supplier", supplier_id,
                 before=supplier, after=updated)
    return updated
