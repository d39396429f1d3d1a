"""Promotions: a few columns the hub filters on, and the kind's fields as `definition` JSON in the
shape of docs/pricing.md. Never deleted: ending a promotion sets `valid_until`.

A promotion is published on the change feed (entity `promotion`) in the API's flat shape, which
is the pricing document's shape plus `id`, `source` and `version`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hub.db.changes import record_change
from hub.ids import new_id

PROMOTION_SQL = """
SELECT id, name, kind, priority, stackable, definition, valid_from, valid_until, active, source,
       version, created_at, updated_at
FROM promotions
"""
# status at :now: scheduled (not started), running, ended (valid_until passed).
LIST_SQL = PROMOTION_SQL + """
WHERE active = 1
  AND (:after IS NULL OR id < :after)
  AND (:kind IS NULL OR kind = :kind)
  AND (:source IS NULL OR source = :source)
  AND (:q IS NULL OR instr(lower(name), lower(:q)) > 0)
  AND (:status IS NULL
       OR (:status = 'ended' AND valid_until IS NOT NULL AND valid_until <= :now)
       OR (:status = 'scheduled' AND valid_from IS NOT NULL AND valid_from > :now
           AND (valid_until IS NULL OR valid_until > :now))
       OR (:status = 'running' AND (valid_from IS NULL OR valid_from <= :now)
           AND (valid_until IS NULL OR valid_until > :now)))
ORDER BY id DESC LIMIT :limit
"""
INSERT_SQL = """
INSERT INTO promotions (id, name, kind, priority, stackable, definition, valid_from, valid_until,
                        active, source, version, created_at, updated_at)
VALUES (:id, :name, :kind, :priority, :stackable, :definition, :valid_from, :valid_until,
        1, :source, 1, :now, :now)
"""
UPDATABLE = frozenset({"name", "kind", "priority", "stackable", "definition", "valid_from",
                       "valid_until"})


def status(row: dict[str, Any], now: str) -> str:
    """`scheduled`, `running` or `ended` at `now` (stamps compare as text: fixed width UTC)."""
    if row.get("valid_until") is not None and row["valid_until"] <= now:
        return "ended"
    if row.get("valid_from") is not None and row["valid_from"] > now:
        return "scheduled"
    return "running"


def from_row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    """A stored row in the API's flat shape (the pricing document's, plus id, source, version...)."""
    if row is None:
        return None
    raw = dict(row)
    flat = {k: raw[k] for k in ("id", "name", "kind", "priority", "source", "version",
                                "created_at", "updated_at")}
    flat["stackable"] = bool(raw["stackable"])
    flat["active"] = bool(raw["active"])
    for key in ("valid_from", "valid_until"):
        if raw[key] is not None:
            flat[key] = raw[key]
    flat.update(json.loads(raw["definition"]))
    return flat


def engine_shape(promotion: dict[str, Any]) -> dict[str, Any]:
    """The promotion as the pricing engine reads it (docs/pricing.md), from `from_row`'s shape."""
    return {k: v for k, v in promotion.items()
            if k not in ("id", "source", "version", "created_at", "updated_at", "active")}


def get_promotion(conn: sqlite3.Connection, promotion_id: str) -> dict[str, Any] | None:
    return from_row(conn.execute(PROMOTION_SQL + " WHERE id = :id", {"id": promotion_id}).fetchone())


def list_promotions(conn: sqlite3.Connection, *, now: str, after: str | None = None,
                    limit: int = 50, kind: str | None = None, status: str | None = None,
                    source: str | None = None, q: str | None = None) -> list[dict[str, Any]]:
    """Newest first."""
    rows = conn.execute(LIST_SQL, {"now": now, "after": after, "limit": limit, "kind": kind,
                                   "status": status, "source": source, "q": q}).fetchall()
    return [p for p in map(from_row, rows) if p is not None]


def _publish(conn: sqlite3.Connection, promotion: dict[str, Any]) -> None:
    record_change(conn, "promotion", promotion["id"], promotion["version"], "upsert", promotion)


def insert_promotion(conn: sqlite3.Connection, *, name: str, kind: str, priority: int,
                     stackable: bool, definition: dict[str, Any], valid_from: str | None = None,
                     valid_until: str | None = None, source: str = "store",
                     promotion_id: str | None = None) -> dict[str, Any]:
    """Insert and publish; `promotion_id` only for rows born elsewhere (HQ, demo, fixtures)."""
    promotion_id = promotion_id or new_id()
    conn.execute(INSERT_SQL, {
        "id": promotion_id, "name": name, "kind": kind, "priority": priority,
        "stackable": int(stackable), "definition": json.dumps(definition, sort_keys=True),
        "valid_from": valid_from, "valid_until": valid_until, "source": source,
        "now": conn.stamp()})
    promotion = get_promotion(conn, promotion_id)
    assert promotion is not None
    _publish(conn, promotion)
    return promotion


def update_promotion(conn: sqlite3.Connection, promotion_id: str, **fields: Any) -> dict[str, Any]:
    """Set the given columns, bump the version, publish the change; returns the new row."""
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)}")
    if "definition" in fields:
        fields["definition"] = json.dumps(fields["definition"], sort_keys=True)
    if "stackable" in fields:
        fields["stackable"] = int(bool(fields["stackable"]))
    sets = "".join(f"{k} = :{k}, " for k in fields)
    conn.execute(f"UPDATE promotions SET {sets}version = version + 1, updated_at = :now"
                 " WHERE id = :id", {**fields, "id": promotion_id, "now": conn.stamp()})
    promotion = get_promotion(conn, promotion_id)
    if promotion is None:
        raise KeyError(promotion_id)
    _publish(conn, promotion)
    return promotion
