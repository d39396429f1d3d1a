"""Rules for currencies: exactly one base, a base that stays put once prices exist, and amounts
that never change meaning under their feet.

`create_currency` and `update_currency` each run as one `db.write` transaction: check, change,
publish (changes rows) and append exactly one audit entry, or raise and change nothing.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue._common import conflict, found, update_action
from hub.catalogue.ownership import require_store_owned
from hub.db import audit, currencies
from hub.db.audit import Actor
from hub.errors import FieldErrors

OWNERSHIP = "currencies"  # the section of ownership.toml


def check_shape(row: dict[str, Any]) -> None:
    """Rules on one currency's own fields (the row as it would be after the change)."""
    if row["is_base"] and row["derive_prices"]:
        raise FieldErrors([("derive_prices", "the base currency cannot derive its prices from itself")])
    if row["is_base"] and not row["active"]:
        raise FieldErrors([("active", "the base currency cannot be archived; make another currency "
                                      "the base first")])


def check_base_can_move(conn: sqlite3.Connection, new_base: str) -> None:
    """Refuse a new base once prices exist: they and product costs are amounts of the old base."""
    old = currencies.base_currency(conn)
    if old is None or old["code"] == new_base:
        return
    costs = currencies.base_costs(conn)
    if currencies.any_price_exists(conn) or costs:
        raise conflict(
            "is_base",
            f"the base currency stays {old['code']} once products have prices or costs: "
            f"costs are amounts of {old['code']} and other currencies' prices derive from it",
            "base_currency_locked")


def check_decimals_can_change(conn: sqlite3.Connection, currency: dict[str, Any]) -> None:
    """Refuse new decimals while amounts are stored in this currency's minor units."""
    in_use = currencies.prices_in(conn, currency["code"])
    if currency["is_base"]:
        in_use += currencies.base_costs(conn)
    if in_use:
        raise conflict("decimals", f"{in_use} prices or costs are kept in minor units of "
                                   f"{currency['code']}; its decimals cannot change under them",
                       "currency_in_use")


def create_currency(conn: sqlite3.Connection, actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
    fields = {**fields, "code": fields["code"].upper()}
    require_store_owned(conn, OWNERSHIP, fields)
    if currencies.get_currency(conn, fields["code"]) is not None:
        raise conflict("code", f"the store already has {fields['code']}", "currency_exists")
    row = {"is_base": False, "derive_prices": False, "active": True, **fields}
    check_shape(row)
    old_base = currencies.base_currency(conn)
    if old_base is None and not row["is_base"]:
        raise FieldErrors([("is_base", "the store has no base currency yet: make this one the base")])
    if row["is_base"] and old_base is not None:
        check_base_can_move(conn, fields["code"])
        currencies.update_currency(conn, old_base["code"], is_base=False)
    created = currencies.create_currency(conn, **fields)
    audit.append(conn, actor, "currency.created", "currency", created["code"], after=created,
                 detail={"previous_base": old_base["code"]} if row["is_base"] and old_base else None)
    return created


def update_currency(conn: sqlite3.Connection, actor: Actor, code: str,
                    changes: dict[str, Any]) -> dict[str, Any]:
    """Apply the given fields; a change that changes nothing writes nothing."""
    currency = found(currencies.get_currency(conn, code.upper()), f"currency {code}")
    code = currency["code"]
    changes = {k: v for k, v in changes.items() if currency[k] != v}
    if not changes:
        return currency
    require_store_owned(conn, OWNERSHIP, changes)
    if changes.get("is_base") is False:
        raise FieldErrors([("is_base", "there is always exactly one base currency: make another "
                                       "currency the base instead")])
    check_shape({**currency, **changes})
    if "decimals" in changes:
        check_decimals_can_change(conn, currency)
    old_base = None
    if changes.get("is_base"):
        check_base_can_move(conn, code)
        old_base = currencies.base_currency(conn)
        if old_base is not None:  # one base at a time (a unique index holds us to it)
            currencies.update_currency(conn, old_base["code"], is_base=False)
    updated = currencies.update_currency(conn, code, **changes)
    audit.append(conn, actor, update_action("currency", changes), "currency", code,
                 before=currency, after=updated,
                 detail={"previous_base": old_base["code"]} if old_base else None)
    return updated
