"""Storing a hub's batch of facts: checks, dedupe by (store, event id), acked_through per
(hub, epoch), projections, all in one transaction (docs/cloud-bridge.md, "Up: facts")."""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from datetime import date, datetime, timezone
from typing import Annotated, Any

import msgspec

from cloud_bridge.hq import clock, projections
from cloud_bridge.hq.bulk import insert_many, jsonb
from cloud_bridge.hq.errors import ConflictError, ForbiddenError, HQError, InvalidError, TooLargeError
from cloud_bridge.hq.hubs import HubIdentity
from cloud_bridge.hq.settings import MAX_BATCH_BYTES, MAX_FACTS

Seq = Annotated[int, msgspec.Meta(ge=1, le=2**62)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class FactIn(msgspec.Struct, forbid_unknown_fields=True):
    seq: Seq
    event_id: Text
    kind: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    occurred_at: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    hash: Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
    data: dict[str, Any]


class Batch(msgspec.Struct, forbid_unknown_fields=True):
    hub_id: Text
    epoch: str | int
    facts: list[FactIn]


def canonical_hash(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_body(raw: bytes, encoding: str | None, limit: int = MAX_BATCH_BYTES) -> bytes:
    """The body, gunzipped when sent gzip-compressed; 413 past `limit` bytes uncompressed."""
    if (encoding or "").strip().lower() == "gzip":
        d = zlib.decompressobj(wbits=31)
        try:
            out = d.decompress(raw, limit + 1)
        except zlib.error as err:
            raise HQError(f"The gzip body could not be read: {err}", code="invalid_encoding") from err
        if len(out) > limit or d.unconsumed_tail:
            raise TooLargeError(f"A batch is at most {limit} bytes uncompressed.", code="batch_too_large")
        return out
    if len(raw) > limit:
        raise TooLargeError(f"A batch is at most {limit} bytes uncompressed.", code="batch_too_large")
    return raw


def parse_batch(body: bytes) -> Batch:
    try:
        batch = msgspec.json.decode(body, type=Batch)
    except msgspec.ValidationError as err:
        raise InvalidError({"facts": str(err)}, detail=f"The batch is not valid: {err}") from err
    except msgspec.DecodeError as err:
        raise HQError(f"The body is not JSON: {err}", code="invalid_request") from err
    if len(batch.facts) > MAX_FACTS:
        raise TooLargeError(f"A batch holds at most {MAX_FACTS} facts.", code="batch_too_large")
    if not batch.facts:
        raise InvalidError({"facts": "a batch holds at least one fact"})
    for prev, fact in zip(batch.facts, batch.facts[1:]):
        if fact.seq != prev.seq + 1:
            raise HQError(f"seq {fact.seq} follows {prev.seq}: a batch is contiguous and ascending.",
                          code="batch_not_contiguous", status=422)
    return batch


class Checked(msgspec.Struct):
    fact: FactIn
    occurred_at: datetime
    occurred_on: date


def check_facts(batch: Batch) -> list[Checked]:
    out = []
    for fact in batch.facts:
        if canonical_hash(fact.data) != fact.hash:
            raise HQError(f"The hash of event {fact.event_id} (seq {fact.seq}) does not match its data.",
                          code="payload_hash_mismatch", status=422,
                          extra={"event_id": fact.event_id, "seq": fact.seq})
        try:
            moment = clock.parse(fact.occurred_at)
        except ValueError:
            raise InvalidError({f"facts[{fact.seq}].occurred_at": "not an RFC 3339 time"}) from None
        moment = moment.astimezone(timezone.utc)
        out.append(Checked(fact, moment, moment.date()))
    return out


EPOCH_SQL = "SELECT acked_through FROM hub_epochs WHERE store_id = %s AND hub_id = %s AND epoch = %s FOR UPDATE"

DEDUPE_SQL = """INSERT INTO fact_ids (store_id, event_id, hash)
    SELECT %s, e, h FROM unnest(%s::text[], %s::text[]) AS t(e, h)
    ON CONFLICT (store_id, event_id) DO NOTHING RETURNING event_id"""

FACT_COLUMNS = [("store_id", "text"), ("occurred_on", "date"), ("event_id", "text"), ("kind", "text"),
                ("hub_id", "text"), ("epoch", "text"), ("seq", "bigint"), ("occurred_at", "timestamptz"),
                ("hash", "text"), ("data", "jsonb")]


async def store_batch(conn: Any, hub: HubIdentity, batch: Batch, checked: list[Checked]) -> dict[str, Any]:
    """Store the batch in the caller's transaction; the answer for the hub."""
    if batch.hub_id != hub.hub_id:
        raise ForbiddenError("The batch names another hub than the token's.", code="hub_mismatch")
    epoch = str(batch.epoch)
    first, last = batch.facts[0].seq, batch.facts[-1].seq
    row = await (await conn.execute(EPOCH_SQL, (hub.store_id, hub.hub_id, epoch))).fetchone()
    if row is None:
        # The first batch of a new epoch may start at any seq (a restored hub resends its outbox).
        await conn.execute("INSERT INTO hub_epochs (store_id, hub_id, epoch, acked_through) VALUES (%s, %s, %s, %s)"
                           " ON CONFLICT DO NOTHING", (hub.store_id, hub.hub_id, epoch, first - 1))
        row = await (await conn.execute(EPOCH_SQL, (hub.store_id, hub.hub_id, epoch))).fetchone()
    acked = row["acked_through"]
    if first > acked + 1:
        raise ConflictError(f"HQ holds this epoch's facts through seq {acked}; the batch starts at {first}.",
                            code="sequence_gap", extra={"resend_from": acked + 1, "acked_through": acked})
    new_ids = {r["event_id"] for r in await (await conn.execute(
        DEDUPE_SQL, (hub.store_id, [c.fact.event_id for c in checked], [c.fact.hash for c in checked]))).fetchall()}
    fresh = []
    seen: set[str] = set()
    for c in checked:  # one event id twice in one batch: stored once
        if c.fact.event_id in new_ids and c.fact.event_id not in seen:
            seen.add(c.fact.event_id)
            fresh.append(c)
    if fresh:
        async with conn.cursor() as cur:
            await insert_many(cur, "facts", FACT_COLUMNS, [
                (hub.store_id, c.occurred_on, c.fact.event_id, c.fact.kind, hub.hub_id, epoch, c.fact.seq,
                 c.occurred_at, c.fact.hash, jsonb(c.fact.data)) for c in fresh])
        await projections.apply(conn, hub, [(c.fact.kind, c.fact.event_id, c.occurred_at, c.fact.data) for c in fresh])
    acked_through = max(acked, last)
    await conn.execute("UPDATE hub_epochs SET acked_through = %s, updated_at = now()"
                       " WHERE store_id = %s AND hub_id = %s AND epoch = %s",
                       (acked_through, hub.store_id, hub.hub_id, epoch))
    return {"acked_through": acked_through, "stored": len(fresh), "duplicates": len(checked) - len(fresh),
            "hq_time": clock.iso_now()}


def gzip_json(payload: Any) -> bytes:
    return gzip.compress(json.dumps(payload).encode("utf-8"))
