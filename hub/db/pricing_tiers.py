"""Pricing tiers (wholesale, staff, ...) and their per-product prices per currency.

A tier is reference data on the change feed (entity `pricing_tier`). A product's prices in a tier
travel as one `tier_price` change per (tier, product): `id` is `<tier_id>/<product_id>`, `data`
carries every currency's price (an `upsert`) or nothing (a `delete`). Every change to a tier's
prices bumps the tier's version, and that version is the change's version, so a till can tell a
stale change from a new one. Tiers are archived, never deleted: a sale may name one.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hub.db.changes import record_change
from hub.ids import new_id

TIER_SQL = """
SELECT id, name, percent_off_bp, active, version, created_at, updated_at,
       (SELECT count(DISTINCT product_id) FROM tier_prices p WHERE p.tier_id = t.id) AS priced_products
FROM pricing_tiers t
"""
LIST_SQL = TIER_SQL + """
WHERE (:after IS NULL OR name > :after COLLATE NOCASE)
  AND (:all OR active = 1)
  AND (:q IS NULL OR instr(lower(name), lower(:q)) > 0)
ORDER BY name COLLATE NOCASE LIMIT :limit
"""
INSERT_SQL = """
INSERT INTO pricing_tiers (id, name, percent_off_bp, active, version, created_at, updated_at)
VALUES (:id, :name, :percent_off_bp, 1, 1, :now, :now)
"""
NAME_TAKEN_SQL = "SELECT id FROM pricing_tiers WHERE name = :name COLLATE NOCASE AND id <> :id"
BUMP_SQL = "UPDATE pricing_tiers SET version = version + 1, updated_at = :now WHERE id = :id"
PRODUCT_PRICES_SQL = """
SELECT currency, price FROM tier_prices WHERE tier_id = :tier AND product_id = :product ORDER BY currency
"""
PRICES_PAGE_SQL = """
SELECT product_id, json_group_object(currency, price) AS prices
FROM tier_prices
WHERE tier_id = :tier AND (:after IS NULL OR product_id > :after)
GROUP BY product_id ORDER BY product_id LIMIT :limit
"""
DELETE_PRICES_SQL = "DELETE FROM tier_prices WHERE tier_id = :tier AND product_id = :product"
INSERT_PRICE_SQL = """
INSERT INTO tier_prices (tier_id, product_id, currency, price)
VALUES (:tier, :product, :currency, :price)
"""
UPDATABLE = frozenset({"name", "percent_off_bp", "active"})


def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    tier = dict(row)
    tier["active"] = bool(tier["active"])
    return tier


def _public(tier: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in tier.items() if k != "priced_products"}


def get_tier(conn: sqlite3.Connection, tier_id: str) -> dict[str, Any] | None:
    return _row(conn.execute(TIER_SQL + " WHERE id = :id", {"id": tier_id}).fetchone())


def name_taken(conn: sqlite3.Connection, name: str, *, except_id: str = "") -> bool:
    return conn.execute(NAME_TAKEN_SQL, {"name": name, "id": except_id}).fetchone() is not None


def list_tiers(conn: sqlite3.Connection, *, after: str | None = None, limit: int = 50,
               include_archived: bool = False, q: str | None = None) -> list[dict[str, Any]]:
    rows = conn.execute(LIST_SQL, {"after": after, "limit": limit, "all": int(include_archived),
                                   "q": q}).fetchall()
    return [t for t in map(_row, rows) if t is not None]


def create_tier(conn: sqlite3.Connection, *, name: str, percent_off_bp: int | None) -> dict[str, Any]:
    tier_id = new_id()
    conn.execute(INSERT_SQL, {"id": tier_id, "name": name, "percent_off_bp": percent_off_bp,
                              "now": conn.stamp()})
    tier = get_tier(conn, tier_id)
    assert tier is not None
    record_change(conn, "pricing_tier", tier_id, tier["version"], "upsert", _public(tier))
    return tier


def update_tier(conn: sqlite3.Connection, tier_id: str, **fields: Any) -> dict[str, Any]:
    """Set the given columns, bump the version, publish the change; returns the new row."""
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)}")
    if "active" in fields:
        fields["active"] = int(bool(fields["active"]))
    sets = "".join(f"{k} = :{k}, " for k in fields)
    conn.execute(f"UPDATE pricing_tiers SET {sets}version = version + 1, updated_at = :now"
                 " WHERE id = :id", {**fields, "id": tier_id, "now": conn.stamp()})
    tier = get_tier(conn, tier_id)
    if tier is None:
        raise KeyError(tier_id)
    record_change(conn, "pricing_tier", tier_id, tier["version"], "upsert", _public(tier))
    return tier


def product_prices(conn: sqlite3.Connection, tier_id: str, product_id: str) -> dict[str, int]:
    """`{currency: price}` of one product in one tier (empty when it has none)."""
    return {r[0]: r[1] for r in conn.execute(PRODUCT_PRICES_SQL, {"tier": tier_id,
                                                                   "product": product_id})}


def prices_page(conn: sqlite3.Connection, tier_id: str, *, after: str | None = None,
                limit: int = 100) -> list[dict[str, Any]]:
    """The tier's prices, one entry per product (`{product_id, prices: {currency: price}}`)."""
    rows = conn.execute(PRICES_PAGE_SQL, {"tier": tier_id, "after": after, "limit": limit})
    return [{"product_id": r[0], "prices": json.loads(r[1])} for r in rows]


def _publish_prices(conn: sqlite3.Connection, tier_id: str, product_id: str,
                    prices: dict[str, int]) -> int:
    now = conn.stamp()
    conn.execute(BUMP_SQL, {"id": tier_id, "now": now})
    version = conn.execute("SELECT version FROM pricing_tiers WHERE id = :id",
                           {"id": tier_id}).fetchone()[0]
    change_id = f"{tier_id}/{product_id}"
    if prices:
        record_change(conn, "tier_price", change_id, version, "upsert",
                      {"tier_id": tier_id, "product_id": product_id, "prices": prices})
    else:
        record_change(conn, "tier_price", change_id, version, "delete", None)
    return int(version)


def set_product_prices(conn: sqlite3.Connection, tier_id: str, product_id: str,
                       prices: dict[str, int]) -> dict[str, int]:
    """Replace one product's prices in a tier by `prices` (every currency it lists, no other)."""
    conn.execute(DELETE_PRICES_SQL, {"tier": tier_id, "product": product_id})
    conn.executemany(INSERT_PRICE_SQL, [{"tier": tier_id, "product": product_id,
                                         "currency": c, "price": p} for c, p in prices.items()])
    stored = product_prices(conn, tier_id, product_id)
    _publish_prices(conn, tier_id, product_id, stored)
    return stored


def remove_product_prices(conn: sqlite3.Connection, tier_id: str, product_id: str) -> None:
    conn.execute(DELETE_PRICES_SQL, {"tier": tier_id, "product": product_id})
    _publish_prices(conn, tier_id, product_id, {})
