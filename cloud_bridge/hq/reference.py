"""HQ's reference data (the HQ-owned fields of docs/cloud-bridge.md's ownership table): checked
per entity, versioned, and every write recorded on the change feed in its transaction."""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

from cloud_bridge.hq.db import FEED_LOCK
from cloud_bridge.hq.errors import HQError, InvalidError, NotFoundError

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]
Text = Annotated[str, msgspec.Meta(max_length=200)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Money = Annotated[int, msgspec.Meta(ge=0, le=10**15)]
Currency = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class Category(msgspec.Struct, forbid_unknown_fields=True):
    id: Id
    name: Name
    parent_id: Id | None = None


class Barcode(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    pack_quantity: Annotated[int, msgspec.Meta(ge=1, le=10**9)] = 1000


class Product(msgspec.Struct, forbid_unknown_fields=True):
    id: Id
    sku: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    name: Name
    short_name: Text = ""
    category_id: Id | None = None
    unit: Annotated[str, msgspec.Meta(max_length=16)] = "each"
    tax_class: Annotated[str, msgspec.Meta(max_length=32)] = ""
    hs_code: Annotated[str, msgspec.Meta(max_length=16)] = ""
    barcodes: Annotated[list[Barcode], msgspec.Meta(max_length=50)] = []
    prices: dict[Currency, Money] = {}
    active: bool = True


class ExchangeRate(msgspec.Struct, forbid_unknown_fields=True):
    id: Id
    base: Currency
    quote: Currency
    rate: Annotated[int, msgspec.Meta(ge=1, le=10**15)]
    scale: Annotated[int, msgspec.Meta(ge=1, le=10**12)]
    effective_from: Annotated[str, msgspec.Meta(min_length=10, max_length=40)]


class User(msgspec.Struct, forbid_unknown_fields=True):
    id: Id
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    display_name: Text = ""
    role: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] = "cashier"
    active: bool = True


class Setting(msgspec.Struct, forbid_unknown_fields=True):
    key: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    value: Any


class Promotion(msgspec.Struct):  # the body of the hub's POST /api/v1/promotions; the hub checks the rest
    id: Id
    name: Name
    kind: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


SCHEMAS: dict[str, type] = {"category": Category, "product": Product, "exchange_rate": ExchangeRate,
                            "promotion": Promotion, "user": User, "setting": Setting}
MAX_BODY = 256 * 1024


def decode_body(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BODY:
        raise HQError("A reference row is at most 256 KiB.", code="payload_too_large", status=413)
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError as err:
        raise HQError(f"The body is not JSON: {err}", code="invalid_request") from err
    if not isinstance(body, dict):
        raise InvalidError({"body": "an object"})
    return body


def check(entity: str, row_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The row's `data` as the feed carries it (its id from the path); 422 naming fields."""
    schema = SCHEMAS.get(entity)
    if schema is None:
        raise NotFoundError(f"No reference entity {entity!r} (one of {', '.join(SCHEMAS)}).", code="entity_unknown")
    if not _ID.match(row_id):
        raise InvalidError({"id": "1 to 100 letters, digits, dot, dash, colon or underscore"})
    body = {**body, ("key" if entity == "setting" else "id"): row_id}
    try:
        checked = msgspec.convert(body, type=schema)
    except msgspec.ValidationError as err:
        text = str(err)
        m = re.search(r"at `\$\.([^`]+)`", text)
        field = m[1] if m else (re.search(r"field `([^`]+)`", text) or [None, "data"])[1]
        raise InvalidError({field: text}) from err
    if entity == "promotion":
        return body  # kept whole: the hub's promotion API checks it when it applies the row
    return msgspec.to_builtins(checked)


async def _feed_write(conn: Any) -> None:
    """Serialise feed writers (seq order = commit order) and wake every HQ process's long polls
    when this transaction commits."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s), pg_notify('hq_feed', '')", (FEED_LOCK,))


async def _store_id(conn: Any, store_code: Any) -> str | None:
    if store_code is None:
        return None
    row = await (await conn.execute("SELECT id FROM stores WHERE code = %s", (str(store_code),))).fetchone()
    if row is None:
        raise InvalidError({"store_code": "no such store"})
    return row["id"]


CHANGE_SQL = "INSERT INTO changes (store_id, entity, id, version, op, data) VALUES (%s, %s, %s, %s, %s, %s)"
OLD_SQL = "SELECT version, data, deleted, store_id FROM reference WHERE entity = %s AND id = %s FOR UPDATE"
UPSERT_SQL = """INSERT INTO reference (entity, id, store_id, version, data, deleted, updated_at, updated_by)
    VALUES (%s, %s, %s, %s, %s, false, now(), %s) ON CONFLICT (entity, id) DO UPDATE SET store_id = excluded.store_id,
    version = excluded.version, data = excluded.data, deleted = false, updated_at = now(), updated_by = excluded.updated_by"""


async def upsert(conn: Any, entity: str, row_id: str, body: dict[str, Any], actor: str) -> dict[str, Any]:
    """Create or replace one row (in the caller's transaction); unchanged data records nothing."""
    from psycopg.types.json import Jsonb

    body = dict(body)
    store_id = await _store_id(conn, body.pop("store_code", None))
    data = check(entity, row_id, body)
    await _feed_write(conn)
    old = await (await conn.execute(OLD_SQL, (entity, row_id))).fetchone()
    if old is not None and not old["deleted"] and old["data"] == data and old["store_id"] == store_id:
        return {"entity": entity, "id": row_id, "version": old["version"], "result": "unchanged"}
    version = old["version"] + 1 if old else 1
    if old is not None and not old["deleted"] and old["store_id"] != store_id and old["store_id"] is not None:
        # it leaves that store's feed
        await conn.execute(CHANGE_SQL, (old["store_id"], entity, row_id, version, "delete", None))
        version += 1
    await conn.execute(UPSERT_SQL, (entity, row_id, store_id, version, Jsonb(data), actor))
    await conn.execute(CHANGE_SQL, (store_id, entity, row_id, version, "upsert", Jsonb(data)))
    return {"entity": entity, "id": row_id, "version": version,
            "result": "created" if old is None or old["deleted"] else "updated", "data": data}


async def remove(conn: Any, entity: str, row_id: str, actor: str) -> dict[str, Any]:
    if entity not in SCHEMAS:
        raise NotFoundError(f"No reference entity {entity!r}.", code="entity_unknown")
    await _feed_write(conn)
    old = await (await conn.execute(OLD_SQL, (entity, row_id))).fetchone()
    if old is None or old["deleted"]:
        raise NotFoundError(f"No {entity} {row_id}.")
    version = old["version"] + 1
    await conn.execute("UPDATE reference SET deleted = true, version = %s, updated_at = now(), updated_by = %s"
                       " WHERE entity = %s AND id = %s", (version, actor, entity, row_id))
    await conn.execute(CHANGE_SQL, (old["store_id"], entity, row_id, version, "delete", None))
    return {"entity": entity, "id": row_id, "version": version, "result": "deleted"}


async def get_row(conn: Any, entity: str, row_id: str) -> dict[str, Any] | None:
    row = await (await conn.execute("SELECT data FROM reference WHERE entity = %s AND id = %s AND NOT deleted",
                                    (entity, row_id))).fetchone()
    return row["data"] if row else None


async def list_rows(conn: Any, entity: str, limit: int = 5000) -> list[dict[str, Any]]:
    if entity not in SCHEMAS:
        raise NotFoundError(f"No reference entity {entity!r}.", code="entity_unknown")
    rows = await (await conn.execute(
        "SELECT r.id, r.version, r.data, s.code AS store_code FROM reference r LEFT JOIN stores s ON s.id = r.store_id"
        " WHERE r.entity = %s AND NOT r.deleted ORDER BY r.id LIMIT %s", (entity, limit))).fetchall()
    return [dict(r) for r in rows]


def after_commit(state: Any) -> None:
    from cloud_bridge.hq.feed import notify

    notify(state)


async def import_csv(conn: Any, entity: str, raw: bytes, actor: str) -> dict[str, Any]:
    from cloud_bridge.hq.csv_import import import_rows

    return await import_rows(conn, entity, raw, actor)
