"""GET and POST /api/v1/backups against a real hub on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json

from hub.backup import verify_backup
from hub.clock import format_ts, utc_now
from hub.db import audit, tokens, users
from hub.db.connection import connect, transaction


def token_for(hub, username: str) -> str:
    """An access token made directly in the database, so these tests need no login route."""
    conn = connect(hub.db_path)
    try:
        with transaction(conn):
            user = users.get_user_by_username(conn, username)
            secret, _row = tokens.issue(conn, user_id=user["id"], kind="access",
                                        expires_at=format_ts(utc_now() + dt.timedelta(hours=1)))
        return secret
    finally:
        conn.close()


def backup_audit_entries(hub) -> list[dict]:
    conn = connect(hub.db_path, readonly=True)
    try:
        return audit.list_entries(conn, action="backup.created")
    finally:
        conn.close()


def test_post_takes_a_verified_backup_and_audits_it_once_as_the_caller(hub):
    client = hub.client(token_for(hub, "admin"))

    r = client.post("/api/v1/backups")

    assert r.status_code == 201, r.text
    body = r.json()
    path = hub.server.settings.backup_path / body["name"]
    report = verify_backup(path)
    assert report.ok, [c for c in report.checks if not c.ok]
    assert body["sha256"] == json.loads(path.with_suffix(".json").read_text())["sha256"]
    assert body["store_code"] == "DEMO" and body["has_manifest"] is True
    entries = backup_audit_entries(hub)
    assert len(entries) == 1
    assert (entries[0]["username"], entries[0]["entity_id"]) == ("admin", body["name"])
    assert entries[0]["request_id"] == r.headers["x-request-id"]


def test_get_lists_backups_newest_first(hub):
    client = hub.client(token_for(hub, "manager"))
    names = [client.post("/api/v1/backups").json()["name"] for _ in range(3)]

    r = client.get("/api/v1/backups")

    assert r.status_code == 200, r.text
    assert [b["name"] for b in r.json()["items"]] == names[::-1]


def test_backups_need_the_backups_manage_permission(hub):
    cashier = hub.client(token_for(hub, "cashier"))
    anonymous = hub.client()

    assert cashier.post("/api/v1/backups").status_code == 403
    assert cashier.get("/api/v1/backups").status_code == 403
    assert anonymous.post("/api/v1/backups").status_code == 401
    assert not hub.server.settings.backup_path.exists()
    assert backup_audit_entries(hub) == []
