"""Exchange rates: an append-only history per currency pair (a correction is a new row).

1 unit of `base` = rate / rate_scale units of `quote`. Which row is in force is decided by
hub.catalogue.in_force; the SQL here only narrows the candidates to the latest start.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable

from hub.db.changes import record_change
from hub.ids import new_id

ENTITY = "exchange_rate"
COLUMNS = ("r.id, r.base, r.quote, r.rate, r.rate_scale, r.effective_from, r.source, r.set_by,"
           " u.username AS set_by_username, r.note, r.created_at")
SELECT_SQL = f"SELECT {COLUMNS} FROM exchange_rates r LEFT JOIN users u ON u.id = r.set_by"
INSERT_SQL = """
INSERT INTO exchange_rates (id, base, quote, rate, rate_scale, effective_from, source, set_by,
                            note, created_at)
VALUES (:id, :base, :quote, :rate, :rate_scale, :effective_from, :source, :set_by, :note, :now)
"""
# Newest start first; rows that start together, newest recorded first. `after` is a row id.
LIST_SQL = SELECT_SQL + """
WHERE (:base IS NULL OR r.base = :base) AND (:quote IS NULL OR r.quote = :quote)
  AND (:only IS NULL OR r.effective_from > :now
       OR r.id IN (SELECT value FROM json_each(:only)))
  AND (:after IS NULL OR (r.effective_from, r.created_at, r.id) <
       (SELECT effective_from, created_at, id FROM exchange_rates WHERE id = :after))
ORDER BY r.effective_from DESC, r.created_at DESC, r.id DESC LIMIT :limit
"""
# Per pair, every row that starts at the latest start not after :at (corrections tie there).
LATEST_STARTS_SQL = SELECT_SQL + """
JOIN (SELECT base, quote, max(effective_from) AS latest FROM exchange_rates
      WHERE effective_from <= :at AND (:base IS NULL OR base = :base)
        AND (:quote IS NULL OR quote = :quote)
      GROUP BY base, quote) m
  ON m.base = r.base AND m.quote = r.quote AND m.latest = r.effective_from
"""


def get_rate(conn: sqlite3.Connection, rate_id: str) -> dict[str, Any] | None:
    row = conn.execute(SELECT_SQL + " WHERE r.id = :id", {"id": rate_id}).fetchone()
    return dict(row) if row else None


def exists(conn: sqlite3.Connection, rate_id: str) -> bool:
    return conn.execute("SELECT 1 FROM exchange_rates WHERE id = :id", {"id": rate_id}).fetchone() is not None


def latest_starts(conn: sqlite3.Connection, at: str, *, base: str | None = None,
                  quote: str | None = None) -> list[dict[str, Any]]:
    """The candidates for the rate in force at `at`: each pair's rows at its latest start <= at."""
    return [dict(r) for r in conn.execute(LATEST_STARTS_SQL, {"at": at, "base": base, "quote": quote})]


def list_rates(conn: sqlite3.Connection, *, base: str | None = None, quote: str | None = None,
               only: Iterable[str] | None = None, now: str | None = None, after: str | None = None,
               limit: int = 50) -> list[dict[str, Any]]:
    """Rows newest first; with `only`, just those ids and the rows starting after `now`."""
    rows = conn.execute(LIST_SQL, {
        "base": base, "quote": quote, "only": None if only is None else json.dumps(list(only)),
        "now": now, "after": after, "limit": limit})
    return [dict(r) for r in rows]


def create_rate(conn: sqlite3.Connection, *, base: str, quote: str, rate: int, rate_scale: int,
                effective_from: str, source: str, set_by: str | None, note: str = "") -> dict[str, Any]:
    """Append one rate and publish it (a rate never changes, so its version is always 1)."""
    rate_id = new_id()
    conn.execute(INSERT_SQL, {
        "id": rate_id, "base": base, "quote": quote, "rate": rate, "rate_scale": rate_scale,
        "effective_from": effective_from, "source": source, "set_by": set_by, "note": note,
        "now": conn.stamp()})
    row = get_rate(conn, rate_id)
    assert row is not None
    record_change(conn, ENTITY, rate_id, 1, "upsert",
                  {k: v for k, v in row.items() if k != "set_by_username"})
    return row
