"""The store's pricing settings, kept in the settings table (published on the change feed).

The base currency is not a setting of its own: it is the currency marked `is_base`, so the two
can never disagree.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.db import audit, currencies
from hub.db.audit import Actor
from hub.db.settings import get_setting, put_setting

TAX_MODE_KEY = "pricing.tax_mode"
# Zimbabwean shelf prices include VAT, so a store starts inclusive.
DEFAULT_TAX_MODE = "inclusive"


def tax_mode(conn: sqlite3.Connection) -> str:
    """The store's tax mode, `inclusive` or `exclusive`, as the pricing engine takes it."""
    return get_setting(conn, TAX_MODE_KEY, DEFAULT_TAX_MODE)


def get_pricing(conn: sqlite3.Connection) -> dict[str, Any]:
    base = currencies.base_currency(conn)
    return {"tax_mode": tax_mode(conn), "base_currency": base["code"] if base else None}


def update_pricing(conn: sqlite3.Connection, actor: Actor, new_tax_mode: str) -> dict[str, Any]:
    """Set the tax mode; setting it to what it is writes nothing."""
    before = get_pricing(conn)
    if before["tax_mode"] == new_tax_mode:
        return before
    put_setting(conn, TAX_MODE_KEY, new_tax_mode)
    after = get_pricing(conn)
    audit.append(conn, actor, "settings.pricing_updated", "settings", "pricing",
                 before=before, after=after)
    return after
