"""The bridge's state (`bridge_state`, migration 24), its credentials file, and `bridge_status`.

`bridge_state` keys: `hq_url`, `store_id`, `store_code`, `store_name`, `fence`, `enrolled_at`
(the enrolment, never the token); `acked_through` and `acked_epoch` (HQ holds every fact of this
epoch through that outbox seq); `cursor` (HQ's change feed); `last_push_at`, `last_pull_at`,
`last_contact_at`, `last_error`, `last_error_at`; `reachable` ("1"/"0"); `replaced` (the time
HQ answered `hub_replaced`: the worker stops).

The token lives in `<data_dir>/hq/credentials.json` (0600 in a 0700 directory): never in hub.db,
a log or a support bundle.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from hub.db import meta

CREDENTIALS = "credentials.json"
ENROLMENT_KEYS = ("hq_url", "store_id", "store_code", "store_name", "fence", "enrolled_at")


def get(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    row = conn.execute("SELECT value FROM bridge_state WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def put(conn: sqlite3.Connection, key: str, value: Any) -> None:
    if value is None:
        conn.execute("DELETE FROM bridge_state WHERE key = ?", (key,))
        return
    conn.execute("INSERT INTO bridge_state (key, value) VALUES (?, ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, str(value)))


def values(conn: sqlite3.Connection) -> dict[str, str]:
    return {r[0]: r[1] for r in conn.execute("SELECT key, value FROM bridge_state")}


def acked_through(conn: sqlite3.Connection) -> int:
    """The outbox seq HQ holds everything through, for this database's epoch: a database restored
    from a backup (a new epoch) starts again from 0 and pushes its whole outbox."""
    if get(conn, "acked_epoch") != meta.get(conn, "epoch"):
        return 0
    return int(get(conn, "acked_through") or 0)


def set_acked(conn: sqlite3.Connection, through: int) -> None:
    epoch = meta.get(conn, "epoch") or ""
    if get(conn, "acked_epoch") != epoch:
        put(conn, "acked_epoch", epoch)
        put(conn, "acked_through", through)
    else:
        put(conn, "acked_through", max(through, int(get(conn, "acked_through") or 0)))


def credentials_dir(data_dir: Path | str) -> Path:
    return Path(data_dir) / "hq"


def write_credentials(data_dir: Path | str, creds: dict[str, Any]) -> Path:
    """Write the token file readable by the hub's user only (written aside, then renamed)."""
    folder = credentials_dir(data_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / CREDENTIALS
    tmp = folder / (CREDENTIALS + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, json.dumps(creds, indent=1, sort_keys=True).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return path


def read_credentials(data_dir: Path | str) -> dict[str, Any] | None:
    path = credentials_dir(data_dir) / CREDENTIALS
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None


BACKLOG_SQL = "SELECT count(*), min(recorded_at), max(seq) FROM bridge_outbox WHERE seq > ?"


def backlog(conn: sqlite3.Connection) -> dict[str, Any]:
    acked = acked_through(conn)
    count, oldest, last = conn.execute(BACKLOG_SQL, (acked,)).fetchone()
    return {"backlog": int(count or 0), "oldest_unsent_at": oldest, "acked_through": acked,
            "outbox_last": int(last or acked)}


def bridge_status(conn: sqlite3.Connection) -> dict[str, Any]:
    """The link to HQ as the portal, doctor and the health page show it: whether the hub is
    enrolled (and with which store), the backlog (facts HQ does not hold yet) and its age, last
    push, pull and error, HQ's cursor, and whether HQ said another hub replaced this one."""
    state = values(conn)
    enrolled = "hq_url" in state
    out: dict[str, Any] = {
        "enrolled": enrolled,
        "hq_url": state.get("hq_url"),
        "store": ({"id": state.get("store_id"), "code": state.get("store_code"),
                   "name": state.get("store_name")} if enrolled else None),
        "fence": int(state["fence"]) if state.get("fence") else None,
        "enrolled_at": state.get("enrolled_at"),
        "replaced": state.get("replaced") is not None,
        "replaced_at": state.get("replaced"),
        "reachable": None if "reachable" not in state else state["reachable"] == "1",
        "last_push_at": state.get("last_push_at"),
        "last_pull_at": state.get("last_pull_at"),
        "last_contact_at": state.get("last_contact_at"),
        "last_error": state.get("last_error"),
        "last_error_at": state.get("last_error_at"),
        "cursor": state.get("cursor"),
        "last_apply_error": state.get("last_apply_error"),
        "epoch": meta.get(conn, "epoch"),
    }
    out.update(backlog(conn))
    if not enrolled:
        out["state"] = "not_enrolled"
    elif out["replaced"]:
        out["state"] = "replaced"
    elif out["reachable"] is False:
        out["state"] = "unreachable"
    elif out["backlog"]:
        out["state"] = "behind"
    else:
        out["state"] = "current"
    return out
