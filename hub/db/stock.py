"""The stock ledger's rows: movements (append-only), kinds, and the per-product level projection.

Only hub.inventory.ledger writes here, so every movement and its level change share one
transaction. Listings for the API and portal are in hub.db.stock_lists.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable, Iterator

MOVEMENT_COLUMNS = ("seq", "id", "kind", "product_id", "quantity", "unit_cost", "source_type", "source_id",
                    "source_line", "user_id", "username", "device_id", "occurred_at", "recorded_at",
                    "event_id", "note")
LEVEL_COLUMNS = ("product_id", "on_hand", "avg_cost", "value", "baseline_id", "baseline_at", "last_seq",
                 "last_recorded_at", "version", "updated_at")

KIND_SQL = "SELECT direction FROM stock_movement_kinds WHERE kind = :kind"
KINDS_SQL = "SELECT kind, direction, description FROM stock_movement_kinds ORDER BY kind"
EVENT_SQL = f"""
SELECT {", ".join(MOVEMENT_COLUMNS)} FROM stock_movements
WHERE event_id = :event_id AND ifnull(source_line, -1) = ifnull(:source_line, -1)
"""
PRODUCT_SQL = "SELECT id, sku, name, stock_tracked FROM products WHERE id = :id"
PRODUCTS_SQL = "SELECT id, sku, name, stock_tracked FROM products WHERE id IN (SELECT value FROM json_each(:ids))"
EVENT_LINES_SQL = f"SELECT {', '.join(MOVEMENT_COLUMNS)} FROM stock_movements WHERE event_id = :event_id"
LEVEL_SQL = f"SELECT {', '.join(LEVEL_COLUMNS)} FROM stock_levels WHERE product_id = :product_id"
LEVELS_SQL = f"""
SELECT {', '.join(LEVEL_COLUMNS)} FROM stock_levels WHERE product_id IN (SELECT value FROM json_each(:ids))
"""
# Non-count movements of a product that occurred strictly after a moment (the index
# stock_movements_product_time answers it).
LATER_SUM_SQL = """
SELECT coalesce(sum(m.quantity), 0) FROM stock_movements m
WHERE m.product_id = :product_id AND m.occurred_at > :after
  AND m.kind NOT IN (SELECT kind FROM stock_movement_kinds WHERE direction = 'level')
"""
INSERT_SQL = f"""
INSERT INTO stock_movements ({", ".join(MOVEMENT_COLUMNS[1:])})
VALUES ({", ".join(":" + c for c in MOVEMENT_COLUMNS[1:])})
"""
SAVE_LEVEL_SQL = """
INSERT INTO stock_levels (product_id, on_hand, avg_cost, value, baseline_id, baseline_at, last_seq,
                          last_recorded_at, version, updated_at)
VALUES (:product_id, :on_hand, :avg_cost, :value, :baseline_id, :baseline_at, :last_seq,
        :last_recorded_at, 1, :now)
ON CONFLICT (product_id) DO UPDATE SET
    on_hand = excluded.on_hand, avg_cost = excluded.avg_cost, value = excluded.value,
    baseline_id = excluded.baseline_id, baseline_at = excluded.baseline_at,
    last_seq = excluded.last_seq, last_recorded_at = excluded.last_recorded_at,
    version = stock_levels.version + 1, updated_at = excluded.updated_at
RETURNING version
"""
# A document's final levels at once, each with the version its caller counted (`save_levels`).
SAVE_LEVELS_SQL = """
INSERT INTO stock_levels (product_id, on_hand, avg_cost, value, baseline_id, baseline_at, last_seq,
                          last_recorded_at, version, updated_at)
VALUES (:product_id, :on_hand, :avg_cost, :value, :baseline_id, :baseline_at, :last_seq,
        :last_recorded_at, :version, :updated_at)
ON CONFLICT (product_id) DO UPDATE SET
    on_hand = excluded.on_hand, avg_cost = excluded.avg_cost, value = excluded.value,
    baseline_id = excluded.baseline_id, baseline_at = excluded.baseline_at,
    last_seq = excluded.last_seq, last_recorded_at = excluded.last_recorded_at,
    version = excluded.version, updated_at = excluded.updated_at
"""
INSERT_ROWS = 500  # movements in one multi-row INSERT (16 values each, well inside SQLite's variable limit)
# Every movement with its kind's direction, product by product in recorded order: a rebuild.
REPLAY_SQL = """
SELECT m.seq, m.id, m.product_id, m.quantity, m.unit_cost, m.occurred_at, m.recorded_at, k.direction
FROM stock_movements m JOIN stock_movement_kinds k ON k.kind = m.kind
WHERE :product_id IS NULL OR m.product_id = :product_id
ORDER BY m.product_id, m.seq
"""
ALL_LEVELS_SQL = f"""
SELECT {', '.join(LEVEL_COLUMNS)} FROM stock_levels
WHERE :product_id IS NULL OR product_id = :product_id ORDER BY product_id
"""
# On hand by the set formula in SQL alone (no replay): the independent check of the projection.
SET_ON_HAND_SQL = """
WITH counts AS (
    SELECT m.product_id, m.quantity, m.occurred_at,
           row_number() OVER (PARTITION BY m.product_id ORDER BY m.occurred_at DESC, m.id DESC) AS rank
    FROM stock_movements m JOIN stock_movement_kinds k ON k.kind = m.kind AND k.direction = 'level'
    WHERE :product_id IS NULL OR m.product_id = :product_id
), latest AS (SELECT product_id, quantity, occurred_at FROM counts WHERE rank = 1)
SELECT m.product_id,
       coalesce(l.quantity, 0) + coalesce(sum(m.quantity) FILTER (
           WHERE k.direction <> 'level' AND (l.occurred_at IS NULL OR m.occurred_at > l.occurred_at)), 0)
           AS on_hand
FROM stock_movements m JOIN stock_movement_kinds k ON k.kind = m.kind
LEFT JOIN latest l ON l.product_id = m.product_id
WHERE :product_id IS NULL OR m.product_id = :product_id
GROUP BY m.product_id
"""
OPENING_SQL = """
SELECT id, quantity, unit_cost, username AS entered_by, occurred_at AS entered_at, note
FROM stock_movements WHERE product_id = :product_id AND kind = 'opening' ORDER BY seq LIMIT 1
"""
MOVED_SQL = "SELECT count(*) FROM stock_movements WHERE product_id = :product_id"


def direction(conn: sqlite3.Connection, kind: str) -> str | None:
    """The kind's direction (in, out, any, level), or None for a kind the ledger does not know.
    Kinds are rows that only migrations add, so each connection reads them once (and again
    when asked for one it did not have)."""
    known: dict[str, str] | None = getattr(conn, "_stock_kinds", None)
    if known is None or kind not in known:
        known = {r[0]: r[1] for r in conn.execute("SELECT kind, direction FROM stock_movement_kinds")}
        try:
            conn._stock_kinds = known  # type: ignore[attr-defined]
        except AttributeError:  # a plain sqlite3.Connection takes no attributes
            pass
    return known.get(kind)


def kinds(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(KINDS_SQL)]


def by_event(conn: sqlite3.Connection, event_id: str, source_line: int | None) -> dict[str, Any] | None:
    row = conn.execute(EVENT_SQL, {"event_id": event_id, "source_line": source_line}).fetchone()
    return dict(row) if row else None


def products(conn: sqlite3.Connection, product_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """`product` for several at once: id -> {id, sku, name, stock_tracked}."""
    rows = conn.execute(PRODUCTS_SQL, {"ids": json.dumps(sorted(set(product_ids)))})
    return {r["id"]: {**dict(r), "stock_tracked": bool(r["stock_tracked"])} for r in rows}


def by_event_lines(conn: sqlite3.Connection, event_id: str) -> dict[int | None, dict[str, Any]]:
    """Every movement recorded under `event_id`, by source line (see `by_event`)."""
    return {r["source_line"]: dict(r) for r in conn.execute(EVENT_LINES_SQL, {"event_id": event_id})}


def product(conn: sqlite3.Connection, product_id: str) -> dict[str, Any] | None:
    """{id, sku, name, stock_tracked} of a product, or None."""
    row = conn.execute(PRODUCT_SQL, {"id": product_id}).fetchone()
    return {**dict(row), "stock_tracked": bool(row["stock_tracked"])} if row else None


def level(conn: sqlite3.Connection, product_id: str) -> dict[str, Any] | None:
    row = conn.execute(LEVEL_SQL, {"product_id": product_id}).fetchone()
    return dict(row) if row else None


def levels(conn: sqlite3.Connection, product_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """`level` for several at once: product_id -> its stored level (absent: none yet)."""
    rows = conn.execute(LEVELS_SQL, {"ids": json.dumps(sorted(set(product_ids)))})
    return {r["product_id"]: dict(r) for r in rows}


def later_sum(conn: sqlite3.Connection, product_id: str, after: str) -> int:
    """The sum of the product's non-count movements that occurred strictly after `after`."""
    return int(conn.execute(LATER_SUM_SQL, {"product_id": product_id, "after": after}).fetchone()[0])


def insert_movement(conn: sqlite3.Connection, row: dict[str, Any]) -> int:
    """Append one movement; returns its seq."""
    cur = conn.execute(INSERT_SQL, {c: row.get(c) for c in MOVEMENT_COLUMNS[1:]})
    return int(cur.lastrowid)


def insert_movements(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Append several movements (in the given order, so their seqs follow it); returns id -> seq."""
    columns = MOVEMENT_COLUMNS[1:]
    marks = "(" + ", ".join("?" * len(columns)) + ")"
    seqs: dict[str, int] = {}
    for start in range(0, len(rows), INSERT_ROWS):
        chunk = rows[start:start + INSERT_ROWS]
        sql = (f"INSERT INTO stock_movements ({', '.join(columns)}) VALUES "
               + ", ".join([marks] * len(chunk)) + " RETURNING id, seq")
        values = [row.get(c) for row in chunk for c in columns]
        seqs.update((r[0], int(r[1])) for r in conn.execute(sql, values).fetchall())
    return seqs


def save_levels(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
    """Insert or replace several products' levels, each at the version given in its row."""
    conn.executemany(SAVE_LEVELS_SQL, [{c: row.get(c) for c in LEVEL_COLUMNS} for row in rows])


def save_level(conn: sqlite3.Connection, row: dict[str, Any]) -> int:
    """Insert or replace the product's level; returns its new version."""
    return int(conn.execute(SAVE_LEVEL_SQL, {c: row.get(c) for c in (*LEVEL_COLUMNS, "now")}).fetchone()[0])


def delete_level(conn: sqlite3.Connection, product_id: str) -> None:
    """Drop a level no movement explains (only `rebuild` does this)."""
    conn.execute("DELETE FROM stock_levels WHERE product_id = :product_id", {"product_id": product_id})


def replay_rows(conn: sqlite3.Connection, product_id: str | None = None) -> Iterator[sqlite3.Row]:
    """Movements with their kind's direction, by product then seq (one product, or all)."""
    yield from conn.execute(REPLAY_SQL, {"product_id": product_id})


def all_levels(conn: sqlite3.Connection, product_id: str | None = None) -> dict[str, dict[str, Any]]:
    return {r["product_id"]: dict(r) for r in conn.execute(ALL_LEVELS_SQL, {"product_id": product_id})}


def set_on_hand(conn: sqlite3.Connection, product_id: str | None = None) -> dict[str, int]:
    """product_id -> on hand by the set formula, for every product with a movement (or one)."""
    return {r[0]: int(r[1]) for r in conn.execute(SET_ON_HAND_SQL, {"product_id": product_id})}


def opening(conn: sqlite3.Connection, product_id: str) -> dict[str, Any] | None:
    """The product's opening movement: {id, quantity, unit_cost, entered_by, entered_at, note}."""
    row = conn.execute(OPENING_SQL, {"product_id": product_id}).fetchone()
    return dict(row) if row else None


def movement_count(conn: sqlite3.Connection, product_id: str) -> int:
    return int(conn.execute(MOVED_SQL, {"product_id": product_id}).fetchone()[0])
