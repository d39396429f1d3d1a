"""0024 bridge: the outbox of facts for HQ and the bridge's state (docs/cloud-bridge.md).

- `bridge_outbox`: one row per fact HQ must hold, in the order the hub recorded them. The rows
  are written by triggers on the fact tables, so every path that records a fact (the API, till
  uploads, the CLI, the history generator) writes its outbox row in the same transaction and
  none can forget. `ref` names the fact's row; the push builds its `data` from the fact itself
  when it sends (hub.bridge.outbox). `event_id` is stable across a restore from backup (the
  fact's own id, or its natural key for ledger entries), so HQ can deduplicate a resent fact.
  `INSERT OR IGNORE`: a fact whose event is held already (a shift closed twice) is one event.
- `bridge_state`: key/value of the worker (cursor, acked_through, last push and pull, last
  error, the enrolment's hq_url, store and fence). Never the token: that lives in
  `<data_dir>/hq/credentials.json`.
- `bridge_applied`: the last HQ version applied per (entity, id), so a row HQ sends again or
  out of order is skipped.

The facts recorded before this migration are backfilled, so a hub enrolled later still sends
its whole history. Training sales never leave the hub.
"""

from __future__ import annotations

import sqlite_utils

# (table, kind, event_id, ref, occurred_at, recorded_at, when) for AFTER INSERT triggers.
FACTS = (
    ("sales", "sale", "NEW.id", "NEW.id", "NEW.occurred_at", "NEW.recorded_at", "NEW.training = 0"),
    ("sale_voids", "void", "NEW.id", "NEW.id", "NEW.occurred_at", "NEW.recorded_at", None),
    ("sale_refunds", "refund", "NEW.id", "NEW.id", "NEW.occurred_at", "NEW.recorded_at", None),
    ("sale_corrections", "correction", "NEW.id", "NEW.id", "NEW.occurred_at", "NEW.recorded_at", None),
    ("stock_movements", "stock_movement", "NEW.id", "NEW.id", "NEW.occurred_at", "NEW.recorded_at", None),
    ("shifts", "shift", "NEW.id || ':' || NEW.status", "NEW.id", "NEW.opened_at", "NEW.updated_at", None),
    ("cash_movements", "cash_movement", "NEW.id", "NEW.id", "NEW.at", "NEW.at", None),
    ("credit_ledger", "credit_payment",
     "'credit:' || NEW.source_type || ':' || NEW.source_id || ':' || NEW.customer_id || ':' || NEW.currency"
     " || ':' || NEW.kind", "NEW.seq", "NEW.occurred_at", "NEW.recorded_at", None),
    ("voucher_ledger", "voucher_entry",
     "'voucher:' || NEW.voucher_id || ':' || NEW.source_type || ':' || NEW.source_id || ':' || NEW.kind",
     "NEW.seq", "NEW.recorded_at", "NEW.recorded_at", None),
)

INSERT = ("INSERT OR IGNORE INTO bridge_outbox (event_id, kind, ref, occurred_at, recorded_at) "
          "VALUES ({event_id}, '{kind}', {ref}, {occurred}, {recorded})")

STATEMENTS = (
    """CREATE TABLE bridge_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        ref TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    )""",
    """CREATE TABLE bridge_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE bridge_applied (
        entity TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        applied_at TEXT NOT NULL,
        PRIMARY KEY (entity, entity_id)
    ) WITHOUT ROWID""",
)


def triggers() -> list[str]:
    out = []
    for table, kind, event_id, ref, occurred, recorded, when in FACTS:
        body = INSERT.format(event_id=event_id, kind=kind, ref=ref, occurred=occurred, recorded=recorded)
        out.append(f"CREATE TRIGGER bridge_outbox_{table} AFTER INSERT ON {table}"
                   f"{' WHEN ' + when if when else ''} BEGIN {body}; END")
    # A shift's close is a fact of its own (its totals, expected and counted cash).
    body = INSERT.format(event_id="NEW.id || ':' || NEW.status", kind="shift", ref="NEW.id",
                         occurred="coalesce(NEW.closed_at, NEW.updated_at)", recorded="NEW.updated_at")
    out.append("CREATE TRIGGER bridge_outbox_shifts_status AFTER UPDATE OF status ON shifts "
               f"WHEN NEW.status <> OLD.status BEGIN {body}; END")
    return out


def backfill() -> str:
    """Every fact held already, in the order they were recorded."""
    parts = []
    for table, kind, event_id, ref, occurred, recorded, when in FACTS:
        def old(expr: str) -> str:
            return expr.replace("NEW.", "")
        where = f" WHERE {old(when)}" if when else ""
        if table == "shifts":  # every shift's open, then the closes; a closed row says `closed` now
            parts.append("SELECT id || ':open', 'shift', id, opened_at, opened_at FROM shifts")
            parts.append("SELECT id || ':closed', 'shift', id, coalesce(closed_at, updated_at), updated_at "
                         "FROM shifts WHERE status = 'closed'")
            continue
        parts.append(f"SELECT {old(event_id)} AS event_id, '{kind}' AS kind, CAST({old(ref)} AS TEXT) AS ref, "
                     f"{old(occurred)} AS occurred_at, {old(recorded)} AS recorded_at FROM {table}{where}")
    union = " UNION ALL ".join(parts)
    return ("INSERT OR IGNORE INTO bridge_outbox (event_id, kind, ref, occurred_at, recorded_at) "
            f"SELECT event_id, kind, ref, occurred_at, recorded_at FROM ({union}) "
            "ORDER BY recorded_at, occurred_at, event_id")


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)
    db.execute(backfill())
    for statement in triggers():
        db.execute(statement)
