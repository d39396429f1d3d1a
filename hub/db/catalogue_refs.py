"""Do the ids a request names exist? One query per kind of reference, for validation messages.

Promotions and tier prices name products, categories, tiers and currencies that other parts of
the catalogue own; these checks read their tables directly so a refusal can name the field.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Iterable

_EXISTING_SQL = {
    "products": "SELECT id FROM products WHERE id IN (SELECT value FROM json_each(:ids))",
    "categories": "SELECT id FROM categories WHERE id IN (SELECT value FROM json_each(:ids))",
    "pricing_tiers": "SELECT id FROM pricing_tiers WHERE id IN (SELECT value FROM json_each(:ids))",
    "currencies": "SELECT code FROM currencies WHERE code IN (SELECT value FROM json_each(:ids))",
}


def existing(conn: sqlite3.Connection, table: str, ids: Iterable[str]) -> set[str]:
    """The subset of `ids` that name rows of `table` (archived rows included)."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    return {r[0] for r in conn.execute(_EXISTING_SQL[table], {"ids": json.dumps(wanted)})}


def active_product(conn: sqlite3.Connection, product_id: str) -> bool | None:
    """True/False for an active/archived product, None when there is no such product."""
    row = conn.execute("SELECT active FROM products WHERE id = :id", {"id": product_id}).fetchone()
    return None if row is None else bool(row[0])
