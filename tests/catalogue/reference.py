"""Helpers for the reference-data API tests: what a call wrote (changes rows, audit entries) and
enrolling the hub with HQ the way the cloud bridge will (a meta row)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from tests.hubtest import Hub
from tests.people import audit_entries, query


@dataclass
class Mark:
    """How far the audit log and the change feed had got; what came after it."""

    audit_seq: int
    change_seq: int


def mark(hub: Hub) -> Mark:
    audit_seq = query(hub, "SELECT coalesce(max(seq), 0) FROM audit_log")[0][0]
    change_seq = query(hub, "SELECT coalesce(max(seq), 0) FROM changes")[0][0]
    return Mark(audit_seq, change_seq)


def audit_since(hub: Hub, since: Mark) -> list[dict[str, Any]]:
    entries = audit_entries(hub, since.audit_seq)
    return [{**e, "summary": json.loads(e["summary"])} for e in entries]


def changes_since(hub: Hub, since: Mark) -> list[dict[str, Any]]:
    rows = query(hub, "SELECT entity, entity_id, version, op, data FROM changes WHERE seq > ? ORDER BY seq",
                 since.change_seq)
    return [{"entity": r[0], "entity_id": r[1], "version": r[2], "op": r[3],
             "data": json.loads(r[4]) if r[4] else None} for r in rows]


def wrote_nothing(hub: Hub, since: Mark) -> bool:
    return audit_since(hub, since) == [] and changes_since(hub, since) == []


def one_audit(hub: Hub, since: Mark, action: str, request_id: str) -> dict[str, Any]:
    """The single audit entry written since `since`; fails unless it is `action` of that request."""
    entries = audit_since(hub, since)
    assert [e["action"] for e in entries] == [action], entries
    assert entries[0]["request_id"] == request_id
    return entries[0]


def enrol(hub: Hub) -> None:
    """Mark the hub enrolled with HQ, as the cloud bridge does; HQ-owned fields become read-only."""
    conn = sqlite3.connect(hub.db_path)
    try:
        with conn:
            conn.execute("INSERT INTO meta (key, value) VALUES ('hq_enrolled', '1')"
                         " ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    finally:
        conn.close()


def errors_of(response: Any) -> dict[str, str]:
    """field -> message of a problem document's `errors`."""
    return {e["field"]: e["message"] for e in response.json().get("errors", [])}
