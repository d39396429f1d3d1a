"""Quarantined facts (docs/sync.md, "Quarantine"): what a till uploaded that the hub kept but did
not apply, until a manager accepts it (applied through the same dispatch as an upload, under the
manager's authority) or rejects it with a reason. Each decision is one `db.write` with one audit
entry of its own (an accepted fact's document writes its own entry too, as it would have at
upload), and closes the fact's exception."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hub.catalogue._common import found
from hub.db import audit, devices as device_rows, exceptions as exception_rows, sync as rows, users
from hub.db.audit import Actor
from hub.errors import ConflictError, FieldErrors
from hub.sync.facts import Device, FactContext
from hub.sync.upload import dispatch

MAX_NOTE = 500


class QuarantineStateError(ConflictError):
    code = "quarantine_state"


class FactRefusedError(ConflictError):
    code = "fact_refused"


def shown(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "payload": json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]}


def get(conn: sqlite3.Connection, quarantine_id: str) -> dict[str, Any]:
    return shown(found(rows.get_quarantine(conn, quarantine_id), f"quarantined fact {quarantine_id}"))


def list_facts(conn: sqlite3.Connection, **filters: Any) -> list[dict[str, Any]]:
    return [shown(r) for r in rows.list_quarantine(conn, **filters)]


def _pending(conn: sqlite3.Connection, quarantine_id: str) -> dict[str, Any]:
    row = get(conn, quarantine_id)
    if row["status"] != "pending":
        raise QuarantineStateError(f"this fact was {row['status']} already by {row['decided_by_name'] or 'someone'}",
                                   extra={"status": row["status"]})
    return row


def _close_exception(conn: sqlite3.Connection, row: dict[str, Any], actor: Actor, status: str, note: str) -> None:
    if row["exception_id"]:
        exception_rows.close(conn, row["exception_id"], status=status, user_id=actor.user_id,
                             username=actor.username, at=conn.stamp(), note=note)  # type: ignore[attr-defined]


def accept(conn: sqlite3.Connection, manager: Actor, permissions: frozenset[str], quarantine_id: str,
           note: str = "") -> dict[str, Any]:
    """Apply a quarantined fact now under `manager`'s authority (their permissions stand in for the
    fact's user, who stays its maker when the hub knows them). A refusal changes nothing (409
    fact_refused saying why); the fact stays quarantined."""
    row = _pending(conn, quarantine_id)
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise FieldErrors([("note", f"must be at most {MAX_NOTE} characters")])
    device_row = found(device_rows.get_device(conn, row["device_id"]), f"device {row['device_id']}")
    device = Device(id=device_row["id"], name=device_row["name"], revoked=device_row["revoked_at"] is not None)
    maker = users.get_user(conn, row["user_id"]) if row["user_id"] else None
    if maker is not None and maker["active"]:
        actor = Actor(user_id=maker["id"], username=maker["username"], device_id=device.id,
                      request_id=manager.request_id)
    else:
        actor = Actor(user_id=manager.user_id, username=manager.username, device_id=device.id,
                      request_id=manager.request_id)
    ctx = FactContext(actor=actor, permissions=permissions, event_id=row["event_id"], device_seq=row["device_seq"],
                      device_time=row["device_time"], received_at=row["received_at"], type=row["type"],
                      accepted_by_manager=True)
    event = {**row, "payload": json.dumps(row["payload"])}
    applied, refused = dispatch(conn, device, event, ctx, check_user=False)
    if refused is not None:
        raise FactRefusedError(f"it cannot be applied: {refused[1]}", extra={"reason": refused[0]})
    assert applied is not None
    said = note or "accepted from the sync quarantine"
    rows.decide(conn, quarantine_id, status="accepted", user_id=manager.user_id, username=manager.username,
                at=conn.stamp(), note=note, applied_type=applied.type, applied_id=applied.id)  # type: ignore[attr-defined]
    _close_exception(conn, row, manager, "resolved", said)
    audit.append(conn, manager, "sync.fact_accepted", "sync_quarantine", quarantine_id,
                 before={"status": "pending", "reason": row["reason"]},
                 after={"status": "accepted", "note": note, "applied_type": applied.type, "applied_id": applied.id},
                 detail={"device_id": device.id, "device_seq": row["device_seq"], "event_id": row["event_id"],
                         "type": row["type"]})
    return get(conn, quarantine_id)


def reject(conn: sqlite3.Connection, manager: Actor, quarantine_id: str, note: str) -> dict[str, Any]:
    """Set a quarantined fact aside for good, with the reason why; it stays on record."""
    note = note.strip()
    if not note:
        raise FieldErrors([("note", "say why it is rejected")])
    if len(note) > MAX_NOTE:
        raise FieldErrors([("note", f"must be at most {MAX_NOTE} characters")])
    row = _pending(conn, quarantine_id)
    rows.decide(conn, quarantine_id, status="rejected", user_id=manager.user_id, username=manager.username,
                at=conn.stamp(), note=note)  # type: ignore[attr-defined]
    _close_exception(conn, row, manager, "dismissed", note)
    audit.append(conn, manager, "sync.fact_rejected", "sync_quarantine", quarantine_id,
                 before={"status": "pending", "reason": row["reason"]}, after={"status": "rejected", "note": note},
                 detail={"device_id": row["device_id"], "device_seq": row["device_seq"], "event_id": row["event_id"],
                         "type": row["type"]})
    return get(conn, quarantine_id)
