"""A till's upload of facts: one batch, one transaction (docs/sync.md, "Up: facts").

`upload` runs inside one `db.write`: it checks the batch (contiguous seqs, each payload's hash),
refuses a batch that starts past the next seq expected (409 sequence_gap), then takes each event
in seq order. An event under a seq already used is a duplicate (the same event id and hash:
nothing changes) or a conflict (quarantined and alarmed). A new event is applied through its
type's handler (hub.sync.facts) in a savepoint, or quarantined with a reason when the till is
revoked, the type is unknown, its user is unknown or lacks the permission, or the handler
refuses it. Every event is recorded in `sync_events` in the same transaction as its effects,
so a retried or duplicated upload changes nothing, and nothing a till sent is dropped.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any

import msgspec

from hub.db import sync as rows, users
from hub.db.audit import Actor
from hub.errors import ConflictError, FieldErrors, HubError, InvalidInputError
from hub.exceptions.service import raise_exception
from hub.ids import new_id
from hub.sync import facts
from hub.sync.facts import Applied, Device, FactContext
from hub.sync.schemas import EventBatch, EventIn
from hub.sync.status import record_skew

SAVEPOINT = "sync_fact"


class SequenceGapError(ConflictError):
    code = "sequence_gap"


class PayloadHashError(InvalidInputError):
    code = "payload_hash_mismatch"


class BatchOrderError(InvalidInputError):
    code = "batch_not_contiguous"


def payload_hash(payload: Any) -> str:
    """SHA-256 (hex) of the payload as canonical JSON: keys sorted, no spaces, UTF-8."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def check(batch: EventBatch, hub_time: str = "") -> None:
    """Refuse a batch that is not contiguous and ascending, or whose payload hashes do not match."""
    first = batch.events[0].device_seq
    for i, event in enumerate(batch.events):
        if event.device_seq != first + i:
            raise BatchOrderError(f"events[{i}] has device_seq {event.device_seq}, not {first + i}: a batch is "
                                  "contiguous and ascending", extra={"field": f"events[{i}].device_seq",
                                                                       "hub_time": hub_time})
    for i, event in enumerate(batch.events):
        if payload_hash(event.payload) != event.payload_hash.lower():
            raise PayloadHashError(
                f"event {event.event_id} (device_seq {event.device_seq}): the payload's SHA-256 is not its "
                "payload_hash (canonical JSON: keys sorted, no spaces, UTF-8); resend it",
                extra={"event_id": event.event_id, "device_seq": event.device_seq,
                       "field": f"events[{i}].payload_hash", "hub_time": hub_time})


def _shift_of(event: EventIn) -> str | None:
    payload = event.payload
    shift = payload.get("id") if event.type == "shift.open" else payload.get("shift_id")
    return shift if isinstance(shift, str) and len(shift) <= 64 else None


def _new_exceptions(conn: sqlite3.Connection, mark: int) -> list[dict[str, Any]]:
    return [{"id": r[0], "kind": r[1]} for r in conn.execute(
        "SELECT id, kind FROM exceptions WHERE rowid > ? ORDER BY rowid", (mark,))]


def _exception_mark(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(rowid), 0) FROM exceptions").fetchone()[0]


def _refusal(err: HubError) -> tuple[str, str]:
    """(quarantine reason, readable detail) of a handler's refusal."""
    if isinstance(err, FieldErrors):
        fields = "; ".join(f"{e['field']}: {e['message']}" for e in err.errors[:5])
        return "malformed", f"{err.code}: {fields}"[:500]
    return ("malformed" if isinstance(err, InvalidInputError) else "refused"), f"{err.code}: {err.detail}"[:500]


def quarantine(conn: sqlite3.Connection, device: Device, event: dict[str, Any], reason: str, detail: str,
               received_at: str) -> dict[str, Any]:
    """Keep `event` (a sync_events-shaped dict) in quarantine with one exception; the row (the one
    kept before when this very fact was quarantined already)."""
    held = rows.find_quarantine(conn, device.id, event["device_seq"], event["event_id"], event["payload_hash"])
    if held is not None:
        return {**held, "new": False}
    row = {"id": new_id(), "device_id": device.id, "device_seq": event["device_seq"], "event_id": event["event_id"],
           "type": event["type"], "user_id": event["user_id"], "device_time": event["device_time"],
           "payload_hash": event["payload_hash"], "payload": event["payload"], "reason": reason, "detail": detail,
           "exception_id": None, "received_at": received_at}
    kind = "sync_conflict" if reason == "seq_conflict" else "fact_quarantined"
    mark = _exception_mark(conn)
    raise_exception(conn, kind, "sync_quarantine", row["id"], device_id=device.id, detail={
        "reason": reason, "detail": detail, "type": event["type"], "event_id": event["event_id"],
        "device_seq": event["device_seq"], "device_name": device.name})
    raised = _new_exceptions(conn, mark)
    row["exception_id"] = raised[0]["id"] if raised else None
    rows.insert_quarantine(conn, row)
    return {**row, "new": True}


def context_for(conn: sqlite3.Connection, device: Device, event: dict[str, Any], received_at: str,
                request_id: str | None) -> tuple[FactContext, dict[str, Any] | None]:
    """The fact's context as its user at the till, and that user's row (None: unknown or inactive)."""
    user = users.get_user(conn, event["user_id"]) if event["user_id"] else None
    if user is not None and not user["active"]:
        user = None
    permissions = users.permissions_of(conn, user["id"]) if user else frozenset()
    actor = Actor(user_id=event["user_id"], username=user["username"] if user else None, device_id=device.id,
                  request_id=request_id)
    return FactContext(actor=actor, permissions=permissions, event_id=event["event_id"],
                       device_seq=event["device_seq"], device_time=event["device_time"], received_at=received_at,
                       type=event["type"]), user


def dispatch(conn: sqlite3.Connection, device: Device, event: dict[str, Any], ctx: FactContext, *,
             check_user: dict[str, Any] | None | bool) -> tuple[Applied | None, tuple[str, str] | None]:
    """Apply one fact through its type's handler in a savepoint: (what it made, None) or (None,
    (quarantine reason, detail)) with the handler's writes undone. `check_user`: the fact's user
    row to check the type's permission against, or False when a manager's authority stands in."""
    found = facts.fact_type(event["type"])
    if found is None:
        return None, ("unknown_type", f"no feature of this hub handles facts of type {event['type']!r}")
    if found.permission is not None and check_user is not False:
        if check_user is None:
            return None, ("user_unknown", f"{event['user_id'] or 'no user'} is no active user of this hub")
        if found.permission not in ctx.permissions:
            return None, ("permission_missing", f"{check_user['username']} lacks the permission {found.permission}")
    payload = json.loads(event["payload"])
    conn.execute(f"SAVEPOINT {SAVEPOINT}")
    try:
        applied = found.handler(conn, device, payload, ctx)
    except HubError as err:
        conn.execute(f"ROLLBACK TO {SAVEPOINT}")
        conn.execute(f"RELEASE {SAVEPOINT}")
        return None, _refusal(err)
    conn.execute(f"RELEASE {SAVEPOINT}")
    return applied or Applied(event["type"], event["event_id"]), None


def _result(event: dict[str, Any], status: str, **extra: Any) -> dict[str, Any]:
    return {"event_id": event["event_id"], "device_seq": event["device_seq"], "status": status, "reason": None,
            "quarantine_id": None, "applied": None, "exceptions": [], **extra}


def upload(conn: sqlite3.Connection, device: Device, batch: EventBatch, *,
           request_id: str | None = None) -> dict[str, Any]:
    """Take one batch from `device` (revoked or not); the answer, with `alerts` to publish after commit."""
    received = conn.stamp()  # type: ignore[attr-defined]
    check(batch, received)
    state = rows.device_state(conn, device.id)
    acked = state["acked_through"]
    first = batch.events[0].device_seq
    if first > acked + 1:
        raise SequenceGapError(f"the hub holds this till's facts through {acked}; this batch starts at {first}: "
                               f"resend from {acked + 1}", extra={"resend_from": acked + 1, "acked_through": acked,
                                      "hub_time": received})
    skew, alert = record_skew(conn, device.id, batch.device_time, received)
    alerts = [alert] if alert else []
    used = rows.slots(conn, device.id, first, acked)
    results, counts = [], {"applied": 0, "duplicate": 0, "quarantined": 0}
    for given in batch.events:
        event = {"device_id": device.id, "device_seq": given.device_seq, "event_id": given.event_id.lower(),
                 "type": given.type, "user_id": given.user_id, "device_time": given.device_time.isoformat(),
                 "payload_hash": given.payload_hash.lower(),
                 "payload": json.dumps(given.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
                 "shift_id": _shift_of(given), "received_at": received}
        if given.device_seq <= acked:
            slot = used.get(given.device_seq)
            if slot and slot["event_id"] == event["event_id"] and slot["payload_hash"] == event["payload_hash"]:
                results.append(_result(event, "duplicate", quarantine_id=slot["quarantine_id"]))
                counts["duplicate"] += 1
                continue
            said = (f"seq {given.device_seq} already holds event {slot['event_id']}" if slot
                    else f"seq {given.device_seq} was used before")
            kept = quarantine(conn, device, event, "seq_conflict", said + "; this different event came under it",
                              received)
            if kept["new"]:
                alerts.append({"kind": "seq_conflict", "device_id": device.id, "device_name": device.name,
                               "device_seq": given.device_seq, "event_id": event["event_id"],
                               "quarantine_id": kept["id"]})
                counts["quarantined"] += 1
            results.append(_result(event, "quarantined", reason="seq_conflict", quarantine_id=kept["id"],
                                   exceptions=[{"id": kept["exception_id"], "kind": "sync_conflict"}]
                                   if kept["exception_id"] else []))
            continue
        result = _take(conn, device, event, received, request_id)
        counts[result["status"]] += 1
        results.append(result)
        acked = given.device_seq
    rows.acked(conn, device.id, acked, counts, received)
    return {"acked_through": acked, "hub_time": received, "skew_ms": skew, "results": results, "alerts": alerts}


def _take(conn: sqlite3.Connection, device: Device, event: dict[str, Any], received: str,
          request_id: str | None) -> dict[str, Any]:
    """Record a new event under its seq: applied, a duplicate of a fact held under another seq, or
    quarantined."""
    held = rows.held_event(conn, event["event_id"])
    if held is not None and held["device_id"] == device.id and held["payload_hash"] == event["payload_hash"]:
        rows.insert_event(conn, {**event, "status": "duplicate", "applied_type": held["applied_type"],
                                 "applied_id": held["applied_id"], "quarantine_id": None})
        return _result(event, "duplicate")
    reason: tuple[str, str] | None
    applied: Applied | None = None
    mark = _exception_mark(conn)
    if held is not None:
        reason = ("seq_conflict", f"event {event['event_id']} is held already under seq {held['device_seq']} of "
                                  f"{'this' if held['device_id'] == device.id else 'another'} till, with another body")
    elif device.revoked:
        reason = ("device_revoked", f"{device.name} was revoked: a manager accepts or rejects what it sent")
    else:
        ctx, user = context_for(conn, device, event, received, request_id)
        applied, reason = dispatch(conn, device, event, ctx, check_user=user)
    raised = _new_exceptions(conn, mark)
    if reason is not None:
        kept = quarantine(conn, device, event, reason[0], reason[1], received)
        rows.insert_event(conn, {**event, "status": "quarantined", "applied_type": None, "applied_id": None,
                                 "quarantine_id": kept["id"]})
        return _result(event, "quarantined", reason=reason[0], quarantine_id=kept["id"],
                       exceptions=[{"id": kept["exception_id"], "kind": "sync_conflict" if reason[0] == "seq_conflict"
                                    else "fact_quarantined"}] if kept["exception_id"] else [])
    assert applied is not None
    rows.insert_event(conn, {**event, "status": "applied", "applied_type": applied.type, "applied_id": applied.id,
                             "quarantine_id": None, "exceptions": raised})
    return _result(event, "applied", applied={"type": applied.type, "id": applied.id}, exceptions=raised)


def as_struct(answer: dict[str, Any]) -> Any:
    from hub.sync.schemas import UploadAnswer

    return msgspec.convert({k: v for k, v in answer.items() if k != "alerts"}, UploadAnswer)
