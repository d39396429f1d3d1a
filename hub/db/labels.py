"""The shelf-label queue: products whose shelf label shows an old price, until one is printed.

One row per product (the latest reason wins); printing the labels clears the rows, so this is a
work list, not history (price_history is the history).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable

QUEUE_SQL = """
INSERT INTO label_queue (product_id, reason, queued_at) VALUES (:product_id, :reason, :now)
ON CONFLICT (product_id) DO UPDATE SET reason = excluded.reason, queued_at = excluded.queued_at
"""
# Oldest first, so a printer works through the queue in the order prices changed.
LIST_SQL = """
SELECT q.product_id, q.reason, q.queued_at, p.sku, p.name, p.receipt_name,
       (SELECT json_group_object(currency, coalesce(override_price, price))
        FROM product_prices pp WHERE pp.product_id = q.product_id) AS prices
FROM label_queue q JOIN products p ON p.id = q.product_id
WHERE (:after_at IS NULL OR q.queued_at > :after_at OR (q.queued_at = :after_at AND q.product_id > :after_id))
ORDER BY q.queued_at, q.product_id LIMIT :limit
"""
CLEAR_SQL = """
DELETE FROM label_queue
WHERE product_id IN (SELECT value FROM json_each(:ids)) AND (:as_of IS NULL OR queued_at <= :as_of)
"""


def queue(conn: sqlite3.Connection, product_id: str, reason: str) -> None:
    conn.execute(QUEUE_SQL, {"product_id": product_id, "reason": reason, "now": conn.stamp()})


def list_queue(conn: sqlite3.Connection, *, after: tuple[str, str] | None = None,
               limit: int = 100) -> list[dict[str, Any]]:
    after_at, after_id = after if after else (None, None)
    rows = conn.execute(LIST_SQL, {"after_at": after_at, "after_id": after_id, "limit": limit})
    return [{**dict(r), "prices": json.loads(r["prices"])} for r in rows]


def queued_at(conn: sqlite3.Connection, product_id: str) -> str | None:
    row = conn.execute("SELECT queued_at FROM label_queue WHERE product_id = :id", {"id": product_id}).fetchone()
    return row[0] if row else None


def clear(conn: sqlite3.Connection, product_ids: Iterable[str], as_of: str | None = None) -> int:
    """Take printed products off the queue; with `as_of`, only entries queued by then (a price
    that changed again after the label was printed stays queued). Returns how many came off."""
    cur = conn.execute(CLEAR_SQL, {"ids": json.dumps(sorted(set(product_ids))), "as_of": as_of})
    return cur.rowcount
