"""HQ's reference data into the hub's own tables (docs/cloud-bridge.md, "Down").

Each change of HQ's feed (or row of its snapshot) is applied inside the caller's transaction,
through the same service paths the hub's own API uses, as the actor `system:hq`: so it lands in
the hub's tables, its audit log and **its own** change feed, which the tills read (a price change
at HQ reaches a till with its next pull). HQ-owned fields are refused to local edits once the
hub is enrolled (hub.catalogue.ownership); the feed writes them, so while applying the ownership
rule is lifted inside the same transaction (nobody else sees it: the writer runs one write at a
time).

A row whose `version` is not above the one applied last for that (entity, id) (`bridge_applied`)
is skipped; a row a rule refuses (a category still in use, a product whose barcode another
product holds) is skipped and reported, never stops the feed: the next version comes through.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from typing import Any, Iterator

from hub.db import audit, meta
from hub.db.audit import Actor
from hub.errors import HubError

log = logging.getLogger(__name__)
ACTOR = Actor.system("system:hq")
ENTITIES = ("setting", "category", "exchange_rate", "user", "product", "promotion")
ALL = frozenset({"prices.manage"})


@contextlib.contextmanager
def hq_writes(conn: sqlite3.Connection) -> Iterator[None]:
    """Lift the enrolled hub's ownership rule for HQ's own writes, inside this transaction, and
    mark them HQ's (`bridge_hq_writing`, migration 30): the outbox's product triggers then write
    no `product_local` fact, so HQ's own products never echo back to it."""
    enrolled = meta.get(conn, "hq_enrolled")
    if enrolled is not None:
        conn.execute("DELETE FROM meta WHERE key = 'hq_enrolled'")
    conn.execute("INSERT OR IGNORE INTO bridge_hq_writing (one) VALUES (1)")
    try:
        yield
    finally:
        conn.execute("DELETE FROM bridge_hq_writing")
        if enrolled is not None:
            meta.put(conn, "hq_enrolled", enrolled)


def applied_version(conn: sqlite3.Connection, entity: str, entity_id: str) -> int:
    row = conn.execute("SELECT version FROM bridge_applied WHERE entity = ? AND entity_id = ?",
                       (entity, entity_id)).fetchone()
    return int(row[0]) if row else 0


def _mark(conn: sqlite3.Connection, entity: str, entity_id: str, version: int) -> None:
    conn.execute("INSERT INTO bridge_applied (entity, entity_id, version, applied_at) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (entity, entity_id) DO UPDATE SET version = excluded.version, "
                 "applied_at = excluded.applied_at", (entity, entity_id, version, conn.stamp()))


def _category(conn: sqlite3.Connection, entity_id: str, op: str, data: dict[str, Any] | None) -> None:
    from hub.catalogue.categories import service
    from hub.db import categories

    current = categories.get_category(conn, entity_id)
    if op == "delete" or (data is not None and data.get("active") is False):
        if current is not None and current["active"]:
            service.update_category(conn, ACTOR, entity_id, {"active": False})
        return
    assert data is not None
    fields = {"name": data["name"], "parent_id": data.get("parent_id")}
    if current is None:
        conn.execute(categories.INSERT_SQL, {"id": entity_id, "name": service._name(fields["name"]),
                                             "parent_id": fields["parent_id"], "sort_order": 0,
                                             "now": conn.stamp()})
        created = categories._publish(conn, entity_id)
        audit.append(conn, ACTOR, "category.created", "category", entity_id, after=created)
        return
    if not current["active"]:
        fields["active"] = True
    service.update_category(conn, ACTOR, entity_id, fields)


def _ref_id(conn: sqlite3.Connection, table: str, code: str | None) -> str | None:
    if code is None:
        return None
    row = conn.execute(f"SELECT id FROM {table} WHERE id = ? OR code = ? COLLATE NOCASE "
                       "ORDER BY id = ? DESC LIMIT 1", (code, code, code)).fetchone()
    return row[0] if row else code


def _product(conn: sqlite3.Connection, entity_id: str, op: str, data: dict[str, Any] | None) -> None:
    from hub.catalogue.products import service, validation
    from hub.db import products

    before = products.get_product(conn, entity_id)
    if op == "delete":
        if before is not None and before["active"]:
            service.set_active(conn, ACTOR, entity_id, False)
        return
    assert data is not None
    fields: dict[str, Any] = {
        "sku": data["sku"], "name": data["name"],
        "receipt_name": data.get("short_name") or None,
        "category_id": data.get("category_id"),
        "unit_id": _ref_id(conn, "units", data.get("unit")),
        "tax_class_id": _ref_id(conn, "tax_classes", data.get("tax_class")),
        "hs_code": data.get("hs_code") or "",
        "barcodes": [{"code": b["code"], "pack_quantity": b.get("pack_quantity", 1000)}
                     for b in data.get("barcodes") or []],
        "prices": {c: int(p) for c, p in (data.get("prices") or {}).items() if p is not None},
    }
    active = data.get("active", True)
    if before is None:
        doc = validation.normalise({**validation.DEFAULTS, **fields})
        service._check(conn, doc, None, None, None)
        service.write_new(conn, entity_id, doc, source="hq", reason="HQ", who=ACTOR.username)
        created = products.publish(conn, entity_id)
        audit.append(conn, ACTOR, "product.created", "product", entity_id, after=service.audit_view(created))
    else:
        old = service.editable(before)
        after = service.merged(before, {k: v for k, v in fields.items() if k != "prices"})
        after["prices"] = fields["prices"]
        after = validation.normalise(after)
        changed = service.changed_fields(old, after)
        if changed:
            service._check(conn, after, entity_id, changed, None)
            service.write_changes(conn, entity_id, old, after, changed, source="hq", reason="HQ",
                                  who=ACTOR.username)
            updated = products.publish(conn, entity_id)
            now = service.editable(updated)
            audit.append(conn, ACTOR, "product.updated", "product", entity_id,
                         before={k: old[k] for k in sorted(changed)}, after={k: now[k] for k in sorted(changed)},
                         detail={"source": "hq"})
    current = products.get_product(conn, entity_id)
    if current is not None and current["active"] != bool(active):
        service.set_active(conn, ACTOR, entity_id, bool(active))


def _exchange_rate(conn: sqlite3.Connection, entity_id: str, op: str, data: dict[str, Any] | None) -> None:
    from hub.db import exchange_rates
    from hub.db.changes import record_change

    if op == "delete" or data is None or exchange_rates.exists(conn, entity_id):
        return  # a rate never changes: a newer effective_from replaces it
    conn.execute(exchange_rates.INSERT_SQL, {
        "id": entity_id, "base": data["base"], "quote": data["quote"], "rate": int(data["rate"]),
        "rate_scale": int(data.get("scale") or data.get("rate_scale") or 1_000_000),
        "effective_from": data.get("effective_from") or conn.stamp(), "source": "hq", "set_by": None,
        "note": "HQ", "now": conn.stamp()})
    row = exchange_rates.get_rate(conn, entity_id)
    assert row is not None
    record_change(conn, exchange_rates.ENTITY, entity_id, 1, "upsert",
                  {k: v for k, v in row.items() if k != "set_by_username"})
    audit.append(conn, ACTOR, "exchange_rate.created", "exchange_rate", entity_id, after=row)


def _setting(conn: sqlite3.Connection, entity_id: str, op: str, data: dict[str, Any] | None) -> None:
    from hub.db.settings import get_setting, put_setting

    if op == "delete" or data is None:
        return
    before = get_setting(conn, entity_id)
    if before == data.get("value"):
        return
    put_setting(conn, entity_id, data.get("value"))
    audit.append(conn, ACTOR, "setting.updated", "setting", entity_id, before={"value": before},
                 after={"value": data.get("value")})


def _user(conn: sqlite3.Connection, entity_id: str, op: str, data: dict[str, Any] | None) -> None:
    from hub.db import users
    from hub.db.changes import record_change

    current = users.get_user(conn, entity_id)
    if op == "delete" or (data is not None and data.get("active") is False):
        if current is not None and current["active"]:
            users.update_user(conn, entity_id, active=False)
            audit.append(conn, ACTOR, "user.deactivated", "user", entity_id)
        return
    assert data is not None
    role = conn.execute("SELECT id FROM roles WHERE name = ? COLLATE NOCASE OR id = ?",
                        (data.get("role"), data.get("role"))).fetchone()
    if role is None:
        raise HubError(f"HQ's user {data.get('username')} has the role {data.get('role')!r}, which this hub lacks")
    fields = {"username": data["username"], "display_name": data.get("display_name") or data["username"],
              "role_id": role[0]}
    if current is None:
        now = conn.stamp()
        conn.execute("INSERT INTO users (id, username, display_name, role_id, active, version, created_at, "
                     "updated_at) VALUES (:id, :username, :display_name, :role_id, 1, 1, :now, :now)",
                     {"id": entity_id, **fields, "now": now})
        created = users.get_user(conn, entity_id)
        assert created is not None
        record_change(conn, "user", entity_id, created["version"], "upsert",
                      {k: v for k, v in created.items() if k not in ("has_password", "has_pin")})
        audit.append(conn, ACTOR, "user.created", "user", entity_id, after=created)
        return
    changes = {k: v for k, v in fields.items() if k != "username" and current.get(k) != v}
    if not current["active"]:
        changes["active"] = True
    if changes:
        updated = users.update_user(conn, entity_id, **changes)
        audit.append(conn, ACTOR, "user.updated", "user", entity_id,
                     before={k: current.get(k) for k in changes}, after={k: updated.get(k) for k in changes})


def _promotion(conn: sqlite3.Connection, entity_id: str, op: str, data: dict[str, Any] | None) -> None:
    from hub.catalogue.promotions import rules, service
    from hub.db import promotions as store

    current = store.get_promotion(conn, entity_id)
    if op == "delete" or data is None:
        if current is not None and current["active"]:
            service.end_promotion(conn, ACTOR, entity_id)
        return
    body = {k: v for k, v in data.items() if k not in ("id", "source", "version")}
    promotion = service.normalise(body)
    service.check(conn, promotion)
    if current is None:
        created = store.insert_promotion(
            conn, name=promotion["name"], kind=promotion["kind"], priority=promotion.get("priority", 100),
            stackable=promotion.get("stackable", False), definition=rules.definition(promotion),
            valid_from=promotion.get("valid_from"), valid_until=promotion.get("valid_until"),
            source="hq", promotion_id=entity_id)
        audit.append(conn, ACTOR, "promotion.created", "promotion", entity_id, after=created)
    else:
        service.update_promotion(conn, ACTOR, entity_id, body)


APPLIERS = {"category": _category, "product": _product, "exchange_rate": _exchange_rate,
            "setting": _setting, "user": _user, "promotion": _promotion}


def apply_change(conn: sqlite3.Connection, change: dict[str, Any]) -> str:
    """Apply one row of HQ's feed or snapshot inside the caller's transaction: `applied`,
    `skipped` (not newer than what was applied, or an entity this hub does not take from HQ)
    or `refused` (a rule said no: logged, the feed goes on)."""
    entity, entity_id = change["entity"], str(change["id"])
    version = int(change.get("version") or 0)
    applier = APPLIERS.get(entity)
    if applier is None or version <= applied_version(conn, entity, entity_id):
        return "skipped"
    data = change.get("data")
    if isinstance(data, str):
        data = json.loads(data)
    conn.execute("SAVEPOINT bridge_apply")
    try:
        with hq_writes(conn):
            applier(conn, entity_id, change.get("op") or "upsert", data)
    except (HubError, KeyError, ValueError, TypeError, sqlite3.IntegrityError) as err:
        conn.execute("ROLLBACK TO bridge_apply")
        conn.execute("RELEASE bridge_apply")
        log.warning("HQ's %s %s v%s was not applied: %s", entity, entity_id, version, err)
        _mark(conn, entity, entity_id, version)
        from hub.bridge import state

        state.put(conn, "last_apply_error", f"{entity} {entity_id} v{version}: {err}")
        return "refused"
    conn.execute("RELEASE bridge_apply")
    _mark(conn, entity, entity_id, version)
    return "applied"


def order_for_apply(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Snapshot rows (in no particular order) in an order that applies: settings, categories
    parents first, rates, users, products, promotions."""
    rank = {e: i for i, e in enumerate(ENTITIES)}
    categories = [r for r in rows if r.get("entity") == "category"]
    others = sorted((r for r in rows if r.get("entity") != "category"), key=lambda r: rank.get(r["entity"], 99))
    placed: list[dict[str, Any]] = []
    done: set[str] = set()
    pending = categories
    while pending:
        ready = [r for r in pending if not (r.get("data") or {}).get("parent_id")
                 or (r["data"]["parent_id"] in done)
                 or r["data"]["parent_id"] not in {c["id"] for c in pending}]
        if not ready:  # a cycle HQ should never send: apply as given
            ready = pending
        placed.extend(ready)
        done.update(str(r["id"]) for r in ready)
        pending = [r for r in pending if r not in ready]
    before = [r for r in others if rank.get(r["entity"], 99) < rank["category"]]
    after = [r for r in others if rank.get(r["entity"], 99) > rank["category"]]
    return before + placed + after
