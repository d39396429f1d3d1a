"""Currencies: the store's currencies, its one base currency, and what prices each one carries."""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.db._listing import LIKE_ESCAPE, bool_columns, like_pattern, set_columns
from hub.db.changes import record_change

ENTITY = "currency"
COLUMNS = ("code, name, symbol, decimals, is_base, derive_prices, round_step, round_mode,"
           " cash_rounding, active, version, created_at, updated_at")
BOOLEANS = ("is_base", "derive_prices", "active")
UPDATABLE = frozenset({"name", "symbol", "decimals", "is_base", "derive_prices", "round_step",
                       "round_mode", "cash_rounding", "active"})

LIST_SQL = f"""
SELECT {COLUMNS} FROM currencies
WHERE (:after IS NULL OR code > :after)
  AND (:active IS NULL OR active = :active)
  AND (:pattern IS NULL OR code LIKE :pattern ESCAPE '{LIKE_ESCAPE}'
       OR name LIKE :pattern ESCAPE '{LIKE_ESCAPE}')
ORDER BY code LIMIT :limit
"""
INSERT_SQL = """
INSERT INTO currencies (code, name, symbol, decimals, is_base, derive_prices, round_step,
                        round_mode, cash_rounding, active, version, created_at, updated_at)
VALUES (:code, :name, :symbol, :decimals, :is_base, :derive_prices, :round_step, :round_mode,
        :cash_rounding, 1, 1, :now, :now)
"""
# Amounts stored in minor units of a currency: changing its decimals or the base would
# silently re-denominate every one of them.
PRICES_IN_SQL = """
SELECT (SELECT count(*) FROM product_prices WHERE currency = :code)
     + (SELECT count(*) FROM tier_prices WHERE currency = :code)
     + (SELECT count(*) FROM product_suppliers WHERE currency = :code)
"""
ANY_PRICE_SQL = """
SELECT EXISTS (SELECT 1 FROM product_prices) OR EXISTS (SELECT 1 FROM tier_prices)
"""
COSTS_SQL = "SELECT count(*) FROM products WHERE cost_price > 0"  # kept in the base currency


def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    return None if row is None else bool_columns(row, BOOLEANS)


def get_currency(conn: sqlite3.Connection, code: str) -> dict[str, Any] | None:
    return _row(conn.execute(f"SELECT {COLUMNS} FROM currencies WHERE code = :code",
                             {"code": code}).fetchone())


def base_currency(conn: sqlite3.Connection) -> dict[str, Any] | None:
    return _row(conn.execute(f"SELECT {COLUMNS} FROM currencies WHERE is_base = 1").fetchone())


def count_currencies(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM currencies").fetchone()[0])


def list_currencies(conn: sqlite3.Connection, *, q: str | None = None, active: bool | None = None,
                    after: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(LIST_SQL, {"after": after, "limit": limit, "pattern": like_pattern(q),
                                   "active": None if active is None else int(active)})
    return [bool_columns(r, BOOLEANS) for r in rows]


def prices_in(conn: sqlite3.Connection, code: str) -> int:
    """How many product, tier and supplier prices are amounts of `code`."""
    return int(conn.execute(PRICES_IN_SQL, {"code": code}).fetchone()[0])


def any_price_exists(conn: sqlite3.Connection) -> bool:
    """True once any product or pricing tier has a price in any currency."""
    return bool(conn.execute(ANY_PRICE_SQL).fetchone()[0])


def base_costs(conn: sqlite3.Connection) -> int:
    """How many products have a cost price (an amount of the base currency)."""
    return int(conn.execute(COSTS_SQL).fetchone()[0])


def _publish(conn: sqlite3.Connection, code: str) -> dict[str, Any]:
    currency = get_currency(conn, code)
    if currency is None:
        raise KeyError(code)
    record_change(conn, ENTITY, code, currency["version"], "upsert", currency)
    return currency


def create_currency(conn: sqlite3.Connection, *, code: str, name: str, symbol: str = "",
                    decimals: int = 2, is_base: bool = False, derive_prices: bool = False,
                    round_step: int = 1, round_mode: str = "half_up",
                    cash_rounding: int = 1) -> dict[str, Any]:
    conn.execute(INSERT_SQL, {
        "code": code, "name": name, "symbol": symbol, "decimals": decimals, "is_base": int(is_base),
        "derive_prices": int(derive_prices), "round_step": round_step, "round_mode": round_mode,
        "cash_rounding": cash_rounding, "now": conn.stamp()})
    return _publish(conn, code)


def update_currency(conn: sqlite3.Connection, code: str, **fields: Any) -> dict[str, Any]:
    """Set the given columns, bump the version, publish the change; returns the new row."""
    set_columns(conn, "currencies", "code", code, fields, UPDATABLE)
    return _publish(conn, code)
