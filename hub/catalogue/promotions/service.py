"""Rules for keeping promotions. Each public function runs as one `db.write` transaction: it
checks, changes, publishes on the change feed and appends exactly one audit entry, or raises and
changes nothing.

Once the hub is enrolled with HQ, HQ owns every field of the promotions it sent (`source` =
'hq'; hub/catalogue/ownership.toml `[promotions] all = "hq"`): editing or ending one here is
refused with 409 `hq_owned`. The store keeps adding, editing and ending its own.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.catalogue import ownership
from hub.catalogue.promotions import rules
from hub.clock import format_ts, utc_now
from hub.db import audit, catalogue_refs
from hub.db import promotions as store
from hub.db.audit import Actor
from hub.errors import ConflictError, FieldErrors, NotFoundError

ENTITY = "promotion"
_NOUNS = {"products": "product", "categories": "category", "pricing_tiers": "pricing tier",
          "currencies": "currency"}


def now_stamp(conn: sqlite3.Connection) -> str:
    """The hub's "now" for reading: the clock, but never before the time floor."""
    now = format_ts(utc_now())
    floor = getattr(getattr(conn, "floor", None), "value", None)
    return max(now, floor) if floor else now


def with_status(promotion: dict[str, Any], now: str) -> dict[str, Any]:
    return {**promotion, "status": store.status(promotion, now)}


def normalise(fields: dict[str, Any]) -> dict[str, Any]:
    """Absent optional fields left out, instants as the hub's fixed-width UTC stamps."""
    promotion = {k: v for k, v in fields.items() if v is not None}
    if isinstance(promotion.get("name"), str):
        promotion["name"] = promotion["name"].strip()
    for key in ("valid_from", "valid_until"):
        moment = rules.parse_instant(promotion[key]) if key in promotion else None
        if moment is not None:
            promotion[key] = format_ts(moment)
    for key in ("target", "buy_target", "get_target"):
        if isinstance(promotion.get(key), dict):
            promotion[key] = {k: v for k, v in promotion[key].items() if v is not None}
    return promotion


def check(conn: sqlite3.Connection, promotion: dict[str, Any]) -> None:
    """Raise FieldErrors naming every wrong field, the ids that name nothing included."""
    found = rules.problems(promotion)
    wrong = {field for field, _ in found}
    wanted: dict[str, list[tuple[str, str]]] = {}
    for table, field, value in rules.references(promotion):
        wanted.setdefault(table, []).append((field, value))
    for table, named in wanted.items():
        known = catalogue_refs.existing(conn, table, (value for _, value in named))
        found += [(field, f"there is no {_NOUNS[table]} {value!r}") for field, value in named
                  if value not in known and field not in wrong]
    if found:
        raise FieldErrors(sorted(found, key=lambda problem: rules.field_order(problem[0])))


def _promotion(conn: sqlite3.Connection, promotion_id: str) -> dict[str, Any]:
    promotion = store.get_promotion(conn, promotion_id)
    if promotion is None or not promotion["active"]:
        raise NotFoundError(f"there is no promotion {promotion_id}")
    return promotion


def create_promotion(conn: sqlite3.Connection, actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
    """A store promotion (HQ's arrive through the bridge with source 'hq')."""
    promotion = normalise(fields)
    check(conn, promotion)
    created = store.insert_promotion(
        conn, name=promotion["name"], kind=promotion["kind"],
        priority=promotion.get("priority", 100), stackable=promotion.get("stackable", False),
        definition=rules.definition(promotion), valid_from=promotion.get("valid_from"),
        valid_until=promotion.get("valid_until"))
    audit.append(conn, actor, "promotion.created", ENTITY, created["id"], after=created)
    return created


def update_promotion(conn: sqlite3.Connection, actor: Actor, promotion_id: str,
                     changes: dict[str, Any]) -> dict[str, Any]:
    """Apply `changes` (None removes an optional field); the result is checked whole."""
    current = _promotion(conn, promotion_id)
    before = store.engine_shape(current)
    merged = normalise({**before, **changes})
    changed = {k for k in set(before) | set(merged) if before.get(k) != merged.get(k)}
    if not changed:
        return current
    ownership.require_store_owned(conn, "promotions", changed, row_from_hq=current["source"] == "hq")
    check(conn, merged)
    columns = {k: merged.get(k) for k in rules.COLUMNS if k in changed}
    if changed - set(rules.COLUMNS):
        columns["definition"] = rules.definition(merged)
    updated = store.update_promotion(conn, promotion_id, **columns)
    audit.append(conn, actor, "promotion.updated", ENTITY, promotion_id, before=current, after=updated)
    return updated


def end_promotion(conn: sqlite3.Connection, actor: Actor, promotion_id: str) -> dict[str, Any]:
    """Stop it now: `valid_until` becomes the present moment. Nothing is deleted."""
    current = _promotion(conn, promotion_id)
    ownership.require_store_owned(conn, "promotions", ["valid_until"],
                                  row_from_hq=current["source"] == "hq")
    now = conn.stamp()
    if store.status(current, now) == "ended":
        raise ConflictError(f"the promotion {current['name']!r} ended at {current['valid_until']}",
                            code="already_ended")
    updated = store.update_promotion(conn, promotion_id, valid_until=now)
    audit.append(conn, actor, "promotion.ended", ENTITY, promotion_id,
                 before={"valid_until": current.get("valid_until")},
                 after={"valid_until": updated["valid_until"]})
    return updated
