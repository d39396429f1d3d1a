"""Product prices per currency, their history, and scheduled price changes.

A product's row in `product_prices` holds HQ's (or, before enrolment, the store's) `price` and the
store's `override_price`; the price a customer pays is the override when set. A row with neither
is deleted: the product then has no own price in that currency (docs/pricing.md: it derives or is
unpriced). History rows are never edited.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.ids import new_id

PRICES_SQL = "SELECT currency, price, override_price FROM product_prices WHERE product_id = :id"
UPSERT_PRICE_SQL = """
INSERT INTO product_prices (product_id, currency, price, override_price, updated_at)
VALUES (:product_id, :currency, :price, :override_price, :now)
ON CONFLICT (product_id, currency) DO UPDATE SET price = excluded.price,
    override_price = excluded.override_price, updated_at = excluded.updated_at
"""
DELETE_PRICE_SQL = "DELETE FROM product_prices WHERE product_id = :product_id AND currency = :currency"
HISTORY_INSERT_SQL = """
INSERT INTO price_history (id, product_id, currency, field, old_price, new_price, source, reason,
                           changed_by, effective_at)
VALUES (:id, :product_id, :currency, :field, :old_price, :new_price, :source, :reason, :changed_by,
        :effective_at)
"""
# Newest first; the cursor is the (effective_at, id) of the last row of the previous page.
HISTORY_SQL = """
SELECT id, currency, field, old_price, new_price, source, reason, changed_by, effective_at
FROM price_history
WHERE product_id = :id
  AND (:after_at IS NULL OR effective_at < :after_at OR (effective_at = :after_at AND id < :after_id))
ORDER BY effective_at DESC, id DESC LIMIT :limit
"""
SCHEDULE_COLUMNS = ("id, product_id, currency, price, effective_from, created_by, created_at, "
                    "applied_at, cancelled_at")
SCHEDULE_INSERT_SQL = """
INSERT INTO scheduled_prices (id, product_id, currency, price, effective_from, created_by, created_at)
VALUES (:id, :product_id, :currency, :price, :effective_from, :created_by, :now)
"""
SCHEDULES_SQL = f"""
SELECT {SCHEDULE_COLUMNS} FROM scheduled_prices WHERE product_id = :id
ORDER BY effective_from DESC, id DESC LIMIT :limit
"""
# The partial index scheduled_prices_due holds only pending rows, in effective_from order.
DUE_SQL = f"""
SELECT {SCHEDULE_COLUMNS} FROM scheduled_prices
WHERE applied_at IS NULL AND cancelled_at IS NULL AND effective_from <= :now
ORDER BY effective_from, id LIMIT :limit
"""
ANY_DUE_SQL = """
SELECT 1 FROM scheduled_prices
WHERE applied_at IS NULL AND cancelled_at IS NULL AND effective_from <= :now LIMIT 1
"""


def get_prices(conn: sqlite3.Connection, product_id: str) -> dict[str, dict[str, int | None]]:
    """currency -> {price, override_price} for one product."""
    return {r["currency"]: {"price": r["price"], "override_price": r["override_price"]}
            for r in conn.execute(PRICES_SQL, {"id": product_id})}


def put_price_row(conn: sqlite3.Connection, product_id: str, currency: str, price: int | None,
                  override_price: int | None) -> None:
    """Set both prices of one currency; a row left with neither is deleted."""
    params = {"product_id": product_id, "currency": currency}
    if price is None and override_price is None:
        conn.execute(DELETE_PRICE_SQL, params)
        return
    conn.execute(UPSERT_PRICE_SQL, {**params, "price": price, "override_price": override_price,
                                    "now": conn.stamp()})


def add_history(conn: sqlite3.Connection, *, product_id: str, currency: str, field: str,
                old_price: int | None, new_price: int | None, source: str, reason: str,
                changed_by: str | None, effective_at: str) -> None:
    conn.execute(HISTORY_INSERT_SQL, {
        "id": new_id(), "product_id": product_id, "currency": currency, "field": field,
        "old_price": old_price, "new_price": new_price, "source": source, "reason": reason,
        "changed_by": changed_by, "effective_at": effective_at})


def list_history(conn: sqlite3.Connection, product_id: str, *, after: tuple[str, str] | None = None,
                 limit: int = 50) -> list[dict[str, Any]]:
    after_at, after_id = after if after else (None, None)
    rows = conn.execute(HISTORY_SQL, {"id": product_id, "after_at": after_at, "after_id": after_id,
                                      "limit": limit})
    return [dict(r) for r in rows]


def _schedule(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    item = dict(row)
    item["status"] = ("cancelled" if item["cancelled_at"] else "applied" if item["applied_at"]
                      else "pending")
    return item


def add_schedule(conn: sqlite3.Connection, *, product_id: str, currency: str, price: int,
                 effective_from: str, created_by: str | None) -> dict[str, Any]:
    schedule_id = new_id()
    conn.execute(SCHEDULE_INSERT_SQL, {
        "id": schedule_id, "product_id": product_id, "currency": currency, "price": price,
        "effective_from": effective_from, "created_by": created_by, "now": conn.stamp()})
    schedule = get_schedule(conn, schedule_id)
    assert schedule is not None
    return schedule


def get_schedule(conn: sqlite3.Connection, schedule_id: str) -> dict[str, Any] | None:
    return _schedule(conn.execute(f"SELECT {SCHEDULE_COLUMNS} FROM scheduled_prices WHERE id = :id",
                                  {"id": schedule_id}).fetchone())


def list_schedules(conn: sqlite3.Connection, product_id: str, limit: int = 200) -> list[dict[str, Any]]:
    """A product's scheduled changes, latest effective_from first."""
    rows = conn.execute(SCHEDULES_SQL, {"id": product_id, "limit": limit})
    return [s for s in map(_schedule, rows) if s is not None]


def cancel_schedule(conn: sqlite3.Connection, schedule_id: str) -> None:
    conn.execute("UPDATE scheduled_prices SET cancelled_at = :now WHERE id = :id",
                 {"id": schedule_id, "now": conn.stamp()})


def mark_applied(conn: sqlite3.Connection, schedule_id: str, at: str) -> None:
    conn.execute("UPDATE scheduled_prices SET applied_at = :at WHERE id = :id AND applied_at IS NULL",
                 {"id": schedule_id, "at": at})


def due_schedules(conn: sqlite3.Connection, now: str, limit: int = 1000) -> list[dict[str, Any]]:
    """Pending changes whose moment has come, oldest first."""
    rows = conn.execute(DUE_SQL, {"now": now, "limit": limit})
    return [s for s in map(_schedule, rows) if s is not None]


def any_due(conn: sqlite3.Connection, now: str) -> bool:
    return conn.execute(ANY_DUE_SQL, {"now": now}).fetchone() is not None
