"""The change feed as a till reads it (docs/sync.md, "Down"): cursors, consistent batches, what
each till may see, the wake-up of long polls, and trimming.

The feed is the `changes` table (hub.db.changes): every feature records its reference-data
changes there in the transaction that made them. A till reads it after a cursor
`<epoch>:<seq>`; a batch never ends inside one transaction's rows (`changes.txn`, migration 22).

What a till receives is filtered for it (`for_till`): entities a till has no use for (suppliers,
anything not named in TILL_ENTITIES) never leave the hub, another till's device row and
shifts are left out, and a user becomes the till's view of them: upserted, with the offline PIN
verifier, while active, holding a PIN and allowed on that till; deleted otherwise. A user's row
is always taken from the users table as it is at the read (the verifier is never copied into
the feed): a later change of the same user comes again with the same or a newer view, so a till
converges on the hub's state.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from hub.db import meta

TRIMMED_KEY = "sync_trimmed_through"
SNAPSHOT_PATH = "/api/v1/sync/snapshot"
MAX_LIMIT = 5000
MAX_WAIT_S = 30
# Entities a till receives (docs/sync.md lists them). Anything else recorded on the feed stays
# on the hub: a new entity reaches tills only once it is named here.
TILL_ENTITIES = frozenset({
    "category", "currency", "customer", "device", "exchange_rate", "pricing_tier", "printer",
    "product", "promotion", "role", "setting", "shift", "stock_level", "stock_take", "tax_class",
    "tier_price", "unit", "user",
})
# Entities that belong to one till: a till receives only its own.
OWN_DEVICE_FIELD = {"shift": "device_id", "device": "id"}
DEVICE_FIELDS = ("id", "name", "kind", "platform", "license_id", "paired_at", "revoked_at", "version")
USERS_SQL = """
SELECT u.id, u.username, u.display_name, u.role_id, r.name AS role, u.active, u.pin_hash, u.tills,
       u.version
FROM users u JOIN roles r ON r.id = u.role_id WHERE u.id IN (SELECT value FROM json_each(:ids))
"""
ROWS_SQL = """
SELECT seq, entity, entity_id, version, op, data, txn FROM changes
WHERE seq > :after ORDER BY seq LIMIT :limit
"""
TXN_REST_SQL = "SELECT seq, entity, entity_id, version, op, data, txn FROM changes WHERE txn = :txn AND seq > :after ORDER BY seq"


class CursorError(ValueError):
    """A cursor this hub cannot continue: `reason` is epoch_unknown or cursor_trimmed."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def parse_cursor(text: str) -> tuple[str, int] | None:
    """(epoch, seq) of `<epoch>:<seq>`, or None when it is not a cursor at all."""
    epoch, sep, seq = text.rpartition(":")
    if not sep or not epoch or not seq.isdigit() or len(seq) > 18:
        return None
    return epoch, int(seq)


def format_cursor(epoch: str, seq: int) -> str:
    return f"{epoch}:{seq}"


def epoch_of(conn: sqlite3.Connection) -> str:
    return meta.get(conn, "epoch") or ""


def trimmed_through(conn: sqlite3.Connection) -> int:
    return int(meta.get(conn, TRIMMED_KEY) or 0)


def issued_through(conn: sqlite3.Connection) -> int:
    """The highest seq ever given (AUTOINCREMENT keeps it after the rows are trimmed)."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
    return int(row[0]) if row else 0


def check_cursor(conn: sqlite3.Connection, epoch: str, seq: int) -> None:
    """Raise CursorError unless the feed can continue after (epoch, seq)."""
    if epoch != epoch_of(conn):
        raise CursorError("epoch_unknown", "this cursor is from another database (the hub was restored or "
                          "set up again): load a snapshot")
    if seq > issued_through(conn):
        raise CursorError("epoch_unknown", "this cursor is ahead of the hub's feed (an older copy of its "
                          "database was put back): load a snapshot")
    if seq < trimmed_through(conn):
        raise CursorError("cursor_trimmed", "the changes after this cursor were trimmed: load a snapshot")


# ---- what a till sees ------------------------------------------------------------------------

def till_user(row: dict[str, Any] | None, device_id: str) -> dict[str, Any] | None:
    """The till's view of a user (the users-table row with pin_hash and tills), or None when the
    till must not hold them: deactivated, without a PIN, or not allowed on this till."""
    if row is None or not row["active"] or not row["pin_hash"]:
        return None
    tills = json.loads(row["tills"]) if row["tills"] is not None else None
    if tills is not None and device_id not in tills:
        return None
    return {"id": row["id"], "username": row["username"], "display_name": row["display_name"],
            "role_id": row["role_id"], "role": row["role"], "version": row["version"],
            "pin": {"verifier": row["pin_hash"]}}


def current_users(conn: sqlite3.Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    return {r["id"]: dict(r) for r in conn.execute(USERS_SQL, {"ids": json.dumps(ids)})}


@dataclass(slots=True)
class TillChange:
    """One change as a till receives it; `data` is JSON text (None for a delete)."""

    seq: int
    entity: str
    id: str
    version: int
    op: str
    data: str | None


def for_till(rows: list[sqlite3.Row], device_id: str, users: dict[str, dict[str, Any]]) -> list[TillChange]:
    """The rows a till receives, as it receives them (see the module's docstring)."""
    out: list[TillChange] = []
    for r in rows:
        entity = r["entity"]
        if entity not in TILL_ENTITIES:
            continue
        if entity == "user":
            view = till_user(users.get(r["entity_id"]), device_id)
            if view is None:
                version = users[r["entity_id"]]["version"] if r["entity_id"] in users else r["version"]
                out.append(TillChange(r["seq"], entity, r["entity_id"], version, "delete", None))
            else:
                out.append(TillChange(r["seq"], entity, r["entity_id"], view["version"], "upsert",
                                      json.dumps(view, separators=(",", ":"), sort_keys=True)))
            continue
        data = r["data"]
        own = OWN_DEVICE_FIELD.get(entity)
        if own is not None:
            if data is None:
                if r["entity_id"] != device_id and entity == "device":
                    continue
            else:
                doc = json.loads(data)
                if doc.get(own) != device_id:
                    continue
                if entity == "device":
                    data = json.dumps({k: doc.get(k) for k in DEVICE_FIELDS}, separators=(",", ":"),
                                      sort_keys=True)
        out.append(TillChange(r["seq"], entity, r["entity_id"], r["version"], r["op"], data))
    return out


# ---- batches ---------------------------------------------------------------------------------

@dataclass(slots=True)
class Batch:
    epoch: str
    through: int  # the seq the batch's cursor stands at
    changes: list[TillChange] = field(default_factory=list)
    more: bool = False
    hub_time: str = ""


def read_batch(conn: sqlite3.Connection, device_id: str, epoch: str, after: int, limit: int) -> Batch:
    """Up to `limit` rows after `after` (more when one transaction alone is larger), never ending
    inside a transaction, filtered for the till. Raises CursorError. Run in one read snapshot."""
    from hub.catalogue._common import now

    check_cursor(conn, epoch, after)
    rows = conn.execute(ROWS_SQL, {"after": after, "limit": limit + 1}).fetchall()
    more = len(rows) > limit
    if more:
        nxt, rows = rows[limit], rows[:limit]
        group = rows[-1]["txn"] or rows[-1]["seq"]
        if nxt["txn"] == group:  # the batch would end inside that transaction
            kept = [r for r in rows if (r["txn"] or r["seq"]) != group]
            if kept:
                rows = kept
            else:  # one transaction larger than the batch: carry it whole
                rows += conn.execute(TXN_REST_SQL, {"txn": group, "after": rows[-1]["seq"]}).fetchall()
                more = conn.execute("SELECT 1 FROM changes WHERE seq > ? LIMIT 1",
                                    (rows[-1]["seq"],)).fetchone() is not None
    through = rows[-1]["seq"] if rows else after
    users = current_users(conn, sorted({r["entity_id"] for r in rows if r["entity"] == "user"}))
    return Batch(epoch, through, for_till(rows, device_id, users), more, now(conn))


# ---- waking long polls -----------------------------------------------------------------------

class FeedSignal:
    """Wakes the long polls of one event loop when a write commits change rows.

    The writer thread calls the listener after its commit; the listener hops onto the loop, sets
    the current event and puts a fresh one in its place. A poll takes the event *before* it
    reads the feed, so a commit between its read and its wait still wakes it.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.event = asyncio.Event()

    def from_writer(self) -> None:
        try:
            self.loop.call_soon_threadsafe(self._wake)
        except RuntimeError:  # the loop is closed: nobody is waiting
            pass

    def _wake(self) -> None:
        event, self.event = self.event, asyncio.Event()
        event.set()


def signal_for(state: Any) -> FeedSignal:
    """The app's FeedSignal, attached to its database on first use."""
    found = getattr(state, "sync_feed_signal", None)
    if found is None:
        found = FeedSignal(asyncio.get_running_loop())
        state.sync_feed_signal = found
        state.db.feed_listeners.append(found.from_writer)
    return found


# Another process (a CLI command) writing the feed does not call the listener: a poll looks
# again this often while it waits.
RECHECK_S = 1.0


async def wait_for_batch(state: Any, device_id: str, epoch: str, after: int, limit: int,
                         wait_s: float) -> Batch:
    """`read_batch`, holding up to `wait_s` while nothing new for this till is there."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    signal = signal_for(state) if wait_s > 0 else None
    while True:
        event = signal.event if signal is not None else None
        batch = await state.db.read(read_batch, device_id, epoch, after, limit)
        left = deadline - loop.time()
        if batch.changes or batch.more or event is None or left <= 0:
            return batch
        after = batch.through  # rows this till does not receive are passed over
        try:
            await asyncio.wait_for(event.wait(), min(left, RECHECK_S))
        except asyncio.TimeoutError:
            pass


# ---- trimming --------------------------------------------------------------------------------

TRIM_SQL = """
DELETE FROM changes WHERE seq <= :through AND (
  op = 'delete' OR EXISTS (SELECT 1 FROM changes later WHERE later.entity = changes.entity
                            AND later.entity_id = changes.entity_id AND later.seq > changes.seq))
"""
TRIM_BEFORE_SQL = "SELECT max(seq) FROM changes WHERE recorded_at < :before"


def trim(conn: sqlite3.Connection, *, before: str | None = None, through: int | None = None) -> dict[str, int]:
    """Drop the change rows at or below a seq (`through`, or the last recorded before the moment
    `before`) that a snapshot no longer needs: those a later row of the same entity replaces,
    and deletes. The newest row of every live entity stays (snapshots are read from them).
    Cursors below the mark get 410 cursor_trimmed from then on. Returns {through, removed}."""
    if through is None:
        row = conn.execute(TRIM_BEFORE_SQL, {"before": before}).fetchone()
        through = int(row[0] or 0)
    through = min(through, issued_through(conn))
    done = trimmed_through(conn)
    if through <= done:
        return {"through": done, "removed": 0}
    removed = conn.execute(TRIM_SQL, {"through": through}).rowcount
    meta.put(conn, TRIMMED_KEY, str(through))
    return {"through": through, "removed": removed}

