"""The audit log: append-only, hash-chained, written in the same transaction as the change.

Each entry's hash is SHA-256 over the canonical JSON of its fields and the previous entry's
hash, so editing, deleting or reordering any entry breaks the chain from that entry on. SQLite
triggers (migration 0001) refuse UPDATE and DELETE; `verify_chain` catches a file that was
changed with the triggers dropped.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Iterable

from hub.ids import new_id

GENESIS_HASH = "0" * 64
# Fields that never enter a before/after summary, whatever the caller passes.
SECRET_FIELDS = frozenset({"password", "password_hash", "pin", "pin_hash", "token", "token_hash", "secret"})

LAST_SQL = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
INSERT_SQL = """
INSERT INTO audit_log (seq, id, at, user_id, username, device_id, action, entity, entity_id,
                       summary, request_id, prev_hash, hash)
VALUES (:seq, :id, :at, :user_id, :username, :device_id, :action, :entity, :entity_id,
        :summary, :request_id, :prev_hash, :hash)
"""
HASHED_FIELDS = (
    "seq", "id", "at", "user_id", "username", "device_id", "action", "entity", "entity_id",
    "summary", "request_id", "prev_hash",
)
LIST_SQL = """
SELECT seq, id, at, user_id, username, device_id, action, entity, entity_id, summary, request_id
FROM audit_log
WHERE (:before IS NULL OR seq < :before)
  AND (:entity IS NULL OR entity = :entity)
  AND (:entity_id IS NULL OR entity_id = :entity_id)
  AND (:user_id IS NULL OR user_id = :user_id)
  AND (:action IS NULL OR action = :action)
  AND (:since IS NULL OR at >= :since)
  AND (:until IS NULL OR at < :until)
ORDER BY seq DESC LIMIT :limit
"""
# Distinct actions among the latest entries, for a filter's choices (bounded: no full scan).
RECENT_ACTIONS_SQL = """
SELECT DISTINCT action FROM (SELECT action FROM audit_log ORDER BY seq DESC LIMIT :window)
ORDER BY action
"""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it: a user, a device (till), or the system (CLI, scheduler)."""

    user_id: str | None = None
    username: str | None = None
    device_id: str | None = None
    request_id: str | None = None

    @classmethod
    def system(cls, name: str = "system") -> "Actor":
        return cls(username=name)


def redact(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """Drop secrets from a before/after snapshot; keep that a secret changed."""
    if record is None:
        return None
    return {k: ("<redacted>" if k in SECRET_FIELDS else v) for k, v in record.items()}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(fields: dict[str, Any]) -> str:
    payload = _canonical({k: fields[k] for k in HASHED_FIELDS})
    return hashlib.sha256(payload.encode()).hexdigest()


def append(
    conn: sqlite3.Connection,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Append one entry; call inside the transaction that made the change."""
    last = conn.execute(LAST_SQL).fetchone()
    summary: dict[str, Any] = {}
    if before is not None:
        summary["before"] = redact(before)
    if after is not None:
        summary["after"] = redact(after)
    if detail:
        summary["detail"] = redact(detail)
    fields = {
        "seq": (last[0] + 1) if last else 1,
        "id": new_id(),
        "at": conn.stamp(),
        "user_id": actor.user_id,
        "username": actor.username,
        "device_id": actor.device_id,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "summary": _canonical(summary),
        "request_id": actor.request_id,
        "prev_hash": last[1] if last else GENESIS_HASH,
    }
    fields["hash"] = entry_hash(fields)
    conn.execute(INSERT_SQL, fields)
    return fields


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int
    ok: bool
    first_broken_seq: int | None = None
    reason: str | None = None


def verify_rows(rows: Iterable[sqlite3.Row | dict[str, Any]]) -> ChainReport:
    prev_hash = GENESIS_HASH
    expected_seq: int | None = None
    count = 0
    for row in rows:
        fields = dict(row)
        seq = fields["seq"]
        count += 1
        if expected_seq is not None and seq != expected_seq:
            return ChainReport(count, False, seq, f"entry {expected_seq} is missing (next is {seq})")
        if fields["prev_hash"] != prev_hash:
            return ChainReport(count, False, seq, "prev_hash does not match the entry before it")
        if entry_hash(fields) != fields["hash"]:
            return ChainReport(count, False, seq, "hash does not match the entry's contents")
        prev_hash = fields["hash"]
        expected_seq = seq + 1
    return ChainReport(count, True)


def verify_chain(conn: sqlite3.Connection) -> ChainReport:
    """Recompute the whole chain; name the first entry that does not match."""
    rows = conn.execute("SELECT * FROM audit_log ORDER BY seq")
    first = conn.execute("SELECT min(seq) FROM audit_log").fetchone()[0]
    if first not in (None, 1):
        return ChainReport(0, False, first, "entries before this one are missing")
    return verify_rows(rows)


def list_entries(
    conn: sqlite3.Connection,
    *,
    before: int | None = None,
    limit: int = 50,
    entity: str | None = None,
    entity_id: str | None = None,
    user_id: str | None = None,
    action: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> list[dict[str, Any]]:
    """Entries newest first; `since` (inclusive) and `until` (exclusive) are UTC stamps."""
    rows = conn.execute(
        LIST_SQL,
        {"before": before, "limit": limit, "entity": entity, "entity_id": entity_id,
         "user_id": user_id, "action": action, "since": since, "until": until},
    ).fetchall()
    return [{**dict(r), "summary": json.loads(r["summary"])} for r in rows]


def recent_actions(conn: sqlite3.Connection, window: int = 5000) -> list[str]:
    """The distinct actions of the latest `window` entries, sorted."""
    return [r[0] for r in conn.execute(RECENT_ACTIONS_SQL, {"window": window})]


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM audit_log").fetchone()[0])
