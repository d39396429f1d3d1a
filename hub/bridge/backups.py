"""Backup copies to HQ (docs/operations.md, docs/cloud-bridge.md "Status, health and requests").

The operations work seals each verified backup for the recovery key and, when HQ copies are on,
marks its row in `ops_backups` `queued` (hub.ops.backups calls `queue_backup`). The bridge's
worker sends the queued bundles, oldest first, one a round, with `PUT /api/hq/v1/backups/{name}`
streamed from disk, and marks each `sent` with the size and SHA-256 HQ stored; HQ keeping a copy
under the same name replaces it, so a copy cut off on the way is simply sent again. Only sealed
bundles leave the hub: HQ holds copies it cannot open.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

QUEUED_SQL = ("SELECT name, bundle FROM ops_backups WHERE hq_status = 'queued' AND bundle != ''"
              " ORDER BY started_at, name LIMIT 1")


def queue_backup(bundle: Path) -> None:
    """Accept a sealed bundle for HQ: the worker sends what `ops_backups` marks queued."""
    if not Path(bundle).is_file():
        raise FileNotFoundError(f"{bundle} is not there to send")


def next_queued(conn: sqlite3.Connection) -> tuple[str, str] | None:
    row = conn.execute(QUEUED_SQL).fetchone()
    return (row[0], row[1]) if row else None


def mark(conn: sqlite3.Connection, backup: str, status: str, detail: str) -> None:
    conn.execute("UPDATE ops_backups SET hq_status = ?, hq_detail = ? WHERE name = ?", (status, detail, backup))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def send_one(store: Any, link: Any, backup_dir: Path, at: str) -> bool:
    """Send the oldest queued bundle; True when one was handled (sent or found gone). HQ being
    unreachable or refusing for now raises (the worker backs off); the row stays queued."""
    from cloud_bridge.link import HQError

    queued = store.read(next_queued)
    if queued is None:
        return False
    row_id, bundle = queued
    path = Path(backup_dir) / bundle
    if not path.is_file():
        store.write(lambda c: mark(c, row_id, "failed", "the sealed copy was pruned before HQ could be reached"))
        return True
    try:
        answer = link.put_backup(bundle, path)
    except HQError as err:
        if err.status in (400, 404, 409, 413, 422):  # HQ will never take this one: say why, go on
            store.write(lambda c: mark(c, row_id, "failed", f"HQ refused the copy: {err}"))
            return True
        raise
    ours = sha256_of(path)
    if answer.get("sha256") != ours:
        store.write(lambda c: mark(c, row_id, "failed", f"HQ's copy does not match ours (HQ {answer.get('sha256')},"
                                                         f" ours {ours}): take another backup"))
        return True
    store.write(lambda c: mark(c, row_id, "sent", f"held by HQ since {at} ({answer.get('size')} bytes)"))
    return True
