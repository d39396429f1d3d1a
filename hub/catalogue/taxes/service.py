"""Rules for tax classes: rates are only ever added (never edited or deleted), a new rate never
starts in the past (sales made since were taxed at the rate then in force), an exempt class has
no rate, and a class active products use stays active.

The writers each run as one `db.write` transaction with exactly one audit entry.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue import in_force
from hub.catalogue._common import check_after, conflict, found, instant, now, update_action
from hub.catalogue.ownership import require_store_owned
from hub.db import audit, taxes
from hub.db.audit import Actor
from hub.errors import FieldErrors

OWNERSHIP = "tax_classes"


def with_rate_in_force(tax_class: dict[str, Any], at_now: str) -> dict[str, Any]:
    """The class with `rate_bp` in force now and each rate's status."""
    current = None if tax_class["exempt"] else in_force.in_force(tax_class["rates"], at_now)
    rates = [{**r, "status": in_force.status(r, current, at_now)} for r in tax_class["rates"]]
    return {**tax_class, "rates": rates, "rate_bp": current["rate_bp"] if current else None}


def get_tax_class(conn: sqlite3.Connection, class_id: str) -> dict[str, Any]:
    tax_class = found(taxes.get_tax_class(conn, class_id), f"tax class {class_id}")
    return with_rate_in_force(tax_class, now(conn))


def list_tax_classes(conn: sqlite3.Connection, *, q: str | None, active: bool | None,
                     exempt: bool | None, after: str | None, limit: int) -> list[dict[str, Any]]:
    if after is not None:
        check_after(taxes.get_tax_class(conn, after) is not None)
    at_now = now(conn)
    rows = taxes.list_tax_classes(conn, q=q, active=active, exempt=exempt, after=after, limit=limit)
    return [with_rate_in_force(r, at_now) for r in rows]


def rate_at(conn: sqlite3.Connection, class_id: str, at: str | None) -> dict[str, Any]:
    """The rate of the class in force at `at` (default now)."""
    tax_class = found(taxes.get_tax_class(conn, class_id), f"tax class {class_id}")
    moment = instant("at", at) if at else now(conn)
    rate = None if tax_class["exempt"] else in_force.in_force(tax_class["rates"], moment)
    return {"tax_class_id": class_id, "at": moment, "exempt": tax_class["exempt"],
            "rate_bp": rate["rate_bp"] if rate else None, "rate_id": rate["id"] if rate else None,
            "effective_from": rate["effective_from"] if rate else None}


def _check_code_free(conn: sqlite3.Connection, code: str, class_id: str | None = None) -> None:
    other = taxes.get_tax_class_by_code(conn, code)
    if other is not None and other["id"] != class_id:
        raise conflict("code", f"another tax class already has the code {other['code']!r}",
                       "tax_class_exists")


def create_tax_class(conn: sqlite3.Connection, actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
    rate_bp, start = fields.pop("rate_bp", None), fields.pop("effective_from", None)
    require_store_owned(conn, OWNERSHIP, [*fields, *(["rates"] if rate_bp is not None else [])])
    errors = []
    if fields.get("exempt") and rate_bp is not None:
        errors.append(("rate_bp", "an exempt class has no rate"))
    if start is not None and rate_bp is None:
        errors.append(("effective_from", "goes with rate_bp: the start of the class's first rate"))
    if errors:
        raise FieldErrors(errors)
    _check_code_free(conn, fields["code"])
    # No sale can have used a class that did not exist, so its first rate may start in the past.
    first = [(rate_bp, instant("effective_from", start) if start else conn.stamp())] \
        if rate_bp is not None else []
    created = taxes.create_tax_class(conn, **fields, rates=first, created_by=actor.user_id)
    shown = with_rate_in_force(created, conn.stamp())
    audit.append(conn, actor, "tax_class.created", "tax_class", created["id"], after=shown)
    return shown


def update_tax_class(conn: sqlite3.Connection, actor: Actor, class_id: str,
                     changes: dict[str, Any]) -> dict[str, Any]:
    """Apply the given fields; a change that changes nothing writes nothing."""
    tax_class = found(taxes.get_tax_class(conn, class_id), f"tax class {class_id}")
    changes = {k: v for k, v in changes.items() if tax_class[k] != v}
    if not changes:
        return with_rate_in_force(tax_class, conn.stamp())
    require_store_owned(conn, OWNERSHIP, changes)
    if "code" in changes:
        _check_code_free(conn, changes["code"], class_id)
    if changes.get("active") is False:
        in_use = taxes.active_products(conn, class_id)
        if in_use:
            raise conflict("active", f"{in_use} active products are taxed as {tax_class['code']}; "
                                     "give them another class or archive them first",
                           "tax_class_in_use")
    updated = taxes.update_tax_class(conn, class_id, **changes)
    at_now = conn.stamp()
    audit.append(conn, actor, update_action("tax_class", changes), "tax_class", class_id,
                 before=with_rate_in_force(tax_class, at_now),
                 after=with_rate_in_force(updated, at_now))
    return with_rate_in_force(updated, at_now)


def add_rate(conn: sqlite3.Connection, actor: Actor, class_id: str,
             fields: dict[str, Any]) -> dict[str, Any]:
    """Append a rate starting now or later; returns the class with its history."""
    tax_class = found(taxes.get_tax_class(conn, class_id), f"tax class {class_id}")
    require_store_owned(conn, OWNERSHIP, ["rates"])
    at_now = conn.stamp()
    start = instant("effective_from", fields["effective_from"]) \
        if fields.get("effective_from") is not None else at_now
    if tax_class["exempt"]:
        raise conflict("rate_bp", f"{tax_class['code']} is exempt: an exempt class has no rate",
                       "tax_class_exempt")
    if start < at_now:
        raise FieldErrors([("effective_from", "is in the past: sales since then were taxed at the "
                                              "rate then in force; leave it out to start now")])
    if any(r["effective_from"] == start for r in tax_class["rates"]):
        raise conflict("effective_from", "a rate of this class already starts then; a rate "
                                         "is never edited", "tax_rate_exists")
    updated = taxes.add_rate(conn, class_id, rate_bp=fields["rate_bp"], effective_from=start,
                             created_by=actor.user_id)
    shown = with_rate_in_force(updated, at_now)
    rate_before = with_rate_in_force(tax_class, at_now)["rate_bp"]
    audit.append(conn, actor, "tax_class.rate_added", "tax_class", class_id,
                 after={"rate_bp": fields["rate_bp"], "effective_from": start},
                 detail={"code": tax_class["code"], "rate_before": rate_before})
    return shown
