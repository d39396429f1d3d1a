"""0006 stock ledger: append-only stock movements, the on-hand projection per product, and the
opening stock that 0003 kept pending, posted as `opening` movements.

Movement kinds are rows of `stock_movement_kinds`, not a CHECK list, so a later feature adds a
kind with an INSERT instead of rebuilding an append-only table. Quantities are signed integer
thousandths (a `count` holds the counted quantity: a baseline, not a change); costs are integer
minor units of the base currency per unit. docs/inventory.md states the projection rule.

The pending opening stock is posted here with the arithmetic of that rule written out, not by
importing hub.inventory: a shipped migration must do the same thing forever.
"""

from __future__ import annotations

import json

import sqlite_utils

# direction: in (quantity > 0), out (quantity < 0), any (either sign), level (a counted baseline >= 0)
KINDS = (
    ("opening", "in", "Opening balance when a product is first entered"),
    ("sale", "out", "Sold at a till"),
    ("void", "any", "A voided sale or refund, undoing its stock"),
    ("refund", "in", "Goods a customer brought back"),
    ("receipt", "in", "Goods received from a supplier"),
    ("receipt_reversal", "out", "A posted goods receipt reversed"),
    ("adjustment", "any", "Damaged, expired, theft, found or a correction"),
    ("count", "level", "A counted quantity: the product's new baseline at the moment it was counted"),
    ("supplier_return", "out", "Goods sent back to a supplier"),
    ("transfer_out", "out", "Sent to another store of the chain"),
    ("transfer_in", "in", "Received from another store of the chain"),
)

STATEMENTS = (
    """CREATE TABLE stock_movement_kinds (
        kind TEXT PRIMARY KEY,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'any', 'level')),
        description TEXT NOT NULL
    ) WITHOUT ROWID""",
    # seq: the order the hub recorded movements in (a running average follows it); never reused.
    # occurred_at: when it happened (device time corrected by the device's skew, else hub time);
    # recorded_at: the hub's stamp (time floor). (event_id, source_line) is unique, so a fact a
    # device uploads twice moves stock once.
    """CREATE TABLE stock_movements (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL REFERENCES stock_movement_kinds (kind),
        product_id TEXT NOT NULL REFERENCES products (id),
        quantity INTEGER NOT NULL,
        unit_cost INTEGER CHECK (unit_cost >= 0),
        source_type TEXT NOT NULL,
        source_id TEXT,
        source_line INTEGER CHECK (source_line >= 0),
        user_id TEXT,
        username TEXT,
        device_id TEXT,
        occurred_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        event_id TEXT,
        note TEXT NOT NULL DEFAULT '',
        CHECK (quantity <> 0 OR kind = 'count'),
        CHECK (occurred_at <= recorded_at)
    )""",
    # The projection reads "movements of a product after a moment"; the lists page by seq.
    "CREATE INDEX stock_movements_product_time ON stock_movements (product_id, occurred_at)",
    "CREATE INDEX stock_movements_product_seq ON stock_movements (product_id, seq)",
    "CREATE INDEX stock_movements_kind ON stock_movements (kind, seq)",
    "CREATE INDEX stock_movements_source ON stock_movements (source_type, source_id)",
    "CREATE INDEX stock_movements_user ON stock_movements (user_id, seq)",
    "CREATE INDEX stock_movements_device ON stock_movements (device_id, seq) WHERE device_id IS NOT NULL",
    "CREATE INDEX stock_movements_occurred ON stock_movements (occurred_at)",
    """CREATE UNIQUE INDEX stock_movements_event ON stock_movements (event_id, ifnull(source_line, -1))
       WHERE event_id IS NOT NULL""",
    """CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements
       BEGIN SELECT RAISE(ABORT, 'stock_movements is append-only: post a new movement'); END""",
    """CREATE TRIGGER stock_movements_no_delete BEFORE DELETE ON stock_movements
       BEGIN SELECT RAISE(ABORT, 'stock_movements is append-only: post a new movement'); END""",
    # The projection, kept in the transaction of every movement and rebuildable from them.
    # avg_cost NULL: no cost known yet (value NULL too). baseline_*: the latest count, if any.
    """CREATE TABLE stock_levels (
        product_id TEXT PRIMARY KEY REFERENCES products (id),
        on_hand INTEGER NOT NULL,
        avg_cost INTEGER CHECK (avg_cost >= 0),
        value INTEGER,
        baseline_id TEXT,
        baseline_at TEXT,
        last_seq INTEGER NOT NULL,
        last_recorded_at TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
        updated_at TEXT NOT NULL,
        CHECK ((avg_cost IS NULL) = (value IS NULL))
    ) WITHOUT ROWID""",
    "CREATE INDEX stock_levels_negative ON stock_levels (product_id) WHERE on_hand < 0",
)


def _round(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero (denominator > 0)."""
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    return -magnitude if numerator < 0 else magnitude


def _post_pending_opening_stock(db: sqlite_utils.Database) -> None:
    """Each unposted opening stock row becomes an `opening` movement (who entered it, when) and
    the product's first level; then the pending table goes: the ledger holds opening stock now."""
    from hub.db import audit  # only a store that had pending stock needs these
    from hub.ids import new_id

    conn = db.conn
    pending = conn.execute(
        "SELECT o.id, o.product_id, o.quantity, o.unit_cost, o.entered_by, o.entered_at, o.note,"
        " (SELECT id FROM users WHERE username = o.entered_by) AS user_id"
        " FROM opening_stock_pending o WHERE o.posted_at IS NULL ORDER BY o.entered_at, o.id").fetchall()
    if not pending:
        return
    now = conn.stamp()
    posted = []
    for row in pending:
        product_id, quantity, unit_cost = row[1], row[2], row[3]
        occurred_at = min(row[5], now)
        movement_id = new_id()
        cur = conn.execute(
            "INSERT INTO stock_movements (id, kind, product_id, quantity, unit_cost, source_type,"
            " source_id, user_id, username, occurred_at, recorded_at, note)"
            " VALUES (?, 'opening', ?, ?, ?, 'product', ?, ?, ?, ?, ?, ?)",
            (movement_id, product_id, quantity, unit_cost, product_id, row[7], row[4], occurred_at, now,
             row[6]))
        conn.execute(
            "INSERT INTO stock_levels (product_id, on_hand, avg_cost, value, last_seq, last_recorded_at,"
            " version, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
            (product_id, quantity, unit_cost, _round(quantity * unit_cost, 1000), cur.lastrowid, now, now))
        conn.execute(
            "INSERT INTO changes (entity, entity_id, version, op, data, recorded_at)"
            " VALUES ('stock_level', ?, 1, 'upsert', ?, ?)",
            (product_id, json.dumps({"product_id": product_id, "on_hand": quantity}, separators=(",", ":"),
                                    sort_keys=True), now))
        posted.append({"product_id": product_id, "movement_id": movement_id, "quantity": quantity,
                       "unit_cost": unit_cost, "entered_by": row[4], "entered_at": row[5]})
    audit.append(conn, audit.Actor.system("upgrade"), "stock.opening_posted", "stock", None,
                 detail={"products": len(posted), "movements": posted[:100]})


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
    db.conn.executemany("INSERT INTO stock_movement_kinds (kind, direction, description) VALUES (?, ?, ?)",
                        KINDS)
    _post_pending_opening_stock(db)
    db.execute("DROP TABLE opening_stock_pending")
