"""The pricing engine's catalogue (docs/pricing.md, "The JSON shapes"), read from the database
for one basket: only the basket's products, their categories' ancestry and tax classes, every
tier's prices for those products, the currencies with the rate in force, and the promotions.

Seven small queries whatever the catalogue's size, all in the caller's read snapshot. A
product's price is its `override_price` when the store set one (the store's own, beside HQ's
`price`), else `price`. A currency that derives its prices takes them from the base currency at
the latest exchange rate (base -> currency) whose `effective_from <= at`; with no such rate it
derives nothing, and products without a price of their own in it are unpriced.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from hub.db import promotions as promotion_store
from hub.db.settings import get_setting

DEFAULT_TIMEZONE = "Africa/Harare"

PRODUCTS_SQL = """
SELECT id, category_id, tax_class_id FROM products
WHERE id IN (SELECT value FROM json_each(:ids)) AND (:archived OR active = 1)
"""
PRICES_SQL = """
SELECT product_id, currency, coalesce(override_price, price) AS price FROM product_prices
WHERE product_id IN (SELECT value FROM json_each(:ids))
"""
TIERS_SQL = """
SELECT t.id, t.percent_off_bp, p.product_id, p.currency, p.price
FROM pricing_tiers t
LEFT JOIN tier_prices p ON p.tier_id = t.id AND p.product_id IN (SELECT value FROM json_each(:ids))
WHERE t.active = 1
"""
CATEGORIES_SQL = """
WITH RECURSIVE up (id, parent_id) AS (
    SELECT c.id, c.parent_id FROM categories c
    WHERE c.id IN (SELECT category_id FROM products WHERE id IN (SELECT value FROM json_each(:ids)))
    UNION
    SELECT c.id, c.parent_id FROM categories c JOIN up ON c.id = up.parent_id
)
SELECT id, parent_id FROM up
"""
TAX_SQL = """
SELECT c.id, c.exempt, r.effective_from, r.rate_bp
FROM tax_classes c LEFT JOIN tax_rates r ON r.tax_class_id = c.id
WHERE c.id IN (SELECT tax_class_id FROM products WHERE id IN (SELECT value FROM json_each(:ids)))
ORDER BY c.id, r.effective_from
"""
# Each active currency, and for one that derives its prices, the latest rate from the base
# currency in force at :at (ties on effective_from: the one recorded last).
CURRENCIES_SQL = """
SELECT c.code, c.decimals, c.derive_prices, c.round_step, c.round_mode, b.code AS base,
       (SELECT json_array(e.rate, e.rate_scale) FROM exchange_rates e
        WHERE e.base = b.code AND e.quote = c.code AND e.effective_from <= :at
        ORDER BY e.effective_from DESC, e.created_at DESC, e.id DESC LIMIT 1) AS rate
FROM currencies c LEFT JOIN currencies b ON b.is_base = 1 AND b.code <> c.code AND b.active = 1
WHERE c.active = 1
"""
PROMOTIONS_IN_FORCE_SQL = promotion_store.PROMOTION_SQL + """
WHERE active = 1 AND (valid_until IS NULL OR valid_until > :at)
  AND (valid_from IS NULL OR valid_from <= :at)
ORDER BY priority, id
"""
PROMOTIONS_NAMED_SQL = promotion_store.PROMOTION_SQL + """
WHERE active = 1 AND id IN (SELECT value FROM json_each(:ids)) ORDER BY priority, id
"""


def load_catalogue(conn: sqlite3.Connection, product_ids: Iterable[str], *, at: str,
                   promotion_ids: Iterable[str] | None = None,
                   include_archived: bool = False) -> dict[str, Any]:
    """The catalogue for a basket of `product_ids` at `at` (a hub stamp, fixed-width UTC).

    Promotions: those named by `promotion_ids` (whatever their window: the engine checks it),
    else every active one whose window contains `at`. Archived products are left out (a basket
    naming one is refused as `unknown_product`) unless `include_archived`.
    """
    ids = json.dumps(sorted(set(product_ids)))
    return {
        "timezone": get_setting(conn, "store.timezone", DEFAULT_TIMEZONE),
        "currencies": _currencies(conn, at),
        "categories": {r["id"]: {"parent": r["parent_id"]}
                       for r in conn.execute(CATEGORIES_SQL, {"ids": ids})},
        "tax_classes": _tax_classes(conn, ids),
        **_products_and_tiers(conn, ids, include_archived),
        "promotions": _promotions(conn, at, promotion_ids),
    }


def load_prices(conn: sqlite3.Connection, product_ids: Iterable[str], *, at: str,
                include_archived: bool = False) -> dict[str, Any]:
    """What `hub.pricing.prices.unit_price` reads of `load_catalogue`, and no more: the currencies
    at `at`, the products (with their category) and the tiers. A recorded sale's price check
    needs only this: three of the seven queries (hub.sales.ingest)."""
    ids = json.dumps(sorted(set(product_ids)))
    return {"currencies": _currencies(conn, at), **_products_and_tiers(conn, ids, include_archived)}


def _currencies(conn: sqlite3.Connection, at: str) -> dict[str, dict[str, Any]]:
    currencies: dict[str, dict[str, Any]] = {}
    for row in conn.execute(CURRENCIES_SQL, {"at": at}):
        spec: dict[str, Any] = {"decimals": row["decimals"]}
        if row["derive_prices"] and row["base"] is not None and row["rate"] is not None:
            rate, rate_scale = json.loads(row["rate"])
            spec.update(derive_from=row["base"], rate=rate, rate_scale=rate_scale,
                        round_step=row["round_step"], round_mode=row["round_mode"])
        currencies[row["code"]] = spec
    return currencies


def _tax_classes(conn: sqlite3.Connection, ids: str) -> dict[str, dict[str, Any]]:
    classes: dict[str, dict[str, Any]] = {}
    for row in conn.execute(TAX_SQL, {"ids": ids}):
        entry = classes.setdefault(row["id"], {"exempt": bool(row["exempt"]), "rates": []})
        if row["effective_from"] is not None:
            entry["rates"].append({"from": row["effective_from"], "rate_bp": row["rate_bp"]})
    return classes


def _products_and_tiers(conn: sqlite3.Connection, ids: str,
                        include_archived: bool) -> dict[str, dict[str, Any]]:
    products = {r["id"]: {"category": r["category_id"], "tax_class": r["tax_class_id"],
                          "prices": {}, "tier_prices": {}}
                for r in conn.execute(PRODUCTS_SQL, {"ids": ids, "archived": int(include_archived)})}
    for row in conn.execute(PRICES_SQL, {"ids": ids}):
        if row["product_id"] in products and row["price"] is not None:
            products[row["product_id"]]["prices"][row["currency"]] = row["price"]
    tiers: dict[str, dict[str, Any]] = {}
    for row in conn.execute(TIERS_SQL, {"ids": ids}):
        tiers[row["id"]] = {"percent_off_bp": row["percent_off_bp"]}
        product = products.get(row["product_id"])
        if product is not None:
            product["tier_prices"].setdefault(row["id"], {})[row["currency"]] = row["price"]
    return {"products": products, "tiers": tiers}


def _promotions(conn: sqlite3.Connection, at: str,
                promotion_ids: Iterable[str] | None) -> dict[str, dict[str, Any]]:
    if promotion_ids is None:
        rows = conn.execute(PROMOTIONS_IN_FORCE_SQL, {"at": at})
    else:
        rows = conn.execute(PROMOTIONS_NAMED_SQL, {"ids": json.dumps(sorted(set(promotion_ids)))})
    promotions = {}
    for row in rows:
        promotion = promotion_store.from_row(row)
        assert promotion is not None
        promotions[promotion["id"]] = promotion_store.engine_shape(promotion)
    return promotions
