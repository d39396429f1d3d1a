"""Rules for units: codes unique without case, and no archiving a unit active products use.

`create_unit` and `update_unit` each run as one `db.write` transaction with one audit entry.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue._common import check_after, conflict, found, update_action
from hub.catalogue.ownership import require_store_owned
from hub.db import audit, units
from hub.db.audit import Actor

OWNERSHIP = "units"


def list_units(conn: sqlite3.Connection, *, q: str | None, active: bool | None,
               after: str | None, limit: int) -> list[dict[str, Any]]:
    if after is not None:
        check_after(units.get_unit(conn, after) is not None)
    return units.list_units(conn, q=q, active=active, after=after, limit=limit)


def _check_code_free(conn: sqlite3.Connection, code: str, unit_id: str | None = None) -> None:
    other = units.get_unit_by_code(conn, code)
    if other is not None and other["id"] != unit_id:
        raise conflict("code", f"another unit already has the code {other['code']!r}", "unit_exists")


def create_unit(conn: sqlite3.Connection, actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
    require_store_owned(conn, OWNERSHIP, fields)
    _check_code_free(conn, fields["code"])
    unit = units.create_unit(conn, **fields)
    audit.append(conn, actor, "unit.created", "unit", unit["id"], after=unit)
    return unit


def update_unit(conn: sqlite3.Connection, actor: Actor, unit_id: str,
                changes: dict[str, Any]) -> dict[str, Any]:
    """Apply the given fields; a change that changes nothing writes nothing."""
    unit = found(units.get_unit(conn, unit_id), f"unit {unit_id}")
    changes = {k: v for k, v in changes.items() if unit[k] != v}
    if not changes:
        return unit
    require_store_owned(conn, OWNERSHIP, changes)
    if "code" in changes:
        _check_code_free(conn, changes["code"], unit_id)
    if changes.get("active") is False:
        in_use = units.active_products(conn, unit_id)
        if in_use:
            raise conflict("active", f"{in_use} active products are sold in {unit['code']}; give "
                                     "them another unit or archive them first", "unit_in_use")
    updated = units.update_unit(conn, unit_id, **changes)
    audit.append(conn, actor, update_action("unit", changes), "unit", unit_id,
                 before=unit, after=updated)
    return updated
