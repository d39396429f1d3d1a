"""The snapshot a till loads (docs/sync.md, "Down"): the whole reference data it may hold, as
gzip-compressed NDJSON, read from ONE read transaction and streamed in chunks.

Rows come from the feed itself: the newest change row of every entity a till receives, when that
row is an upsert (hub.sync.feed keeps it through trims), filtered for the till as the feed is
(`feed.for_till`); users come from the users table (`feed.till_user`), as the feed's user rows
do. So a snapshot at cursor C followed by the feed after C gives what the feed alone would.
The header's cursor is the highest seq ever issued, read in the same transaction.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from pathlib import Path
from typing import Any, Iterator

from hub.sync import feed

CHUNK_ROWS = 2000
# gzip level: 1 compresses a catalogue's JSON about 6:1 at a few times the speed of level 6
# (about 7:1); a till on Wi-Fi gains little from the last bit, the Pi's CPU pays for it.
GZIP_LEVEL = 1
ENTITIES = sorted(feed.TILL_ENTITIES)
LATEST_SQL = """
SELECT c.seq, c.entity, c.entity_id, c.version, c.op, c.data, c.txn
FROM (SELECT max(seq) AS seq FROM changes WHERE entity IN (SELECT value FROM json_each(:entities))
      GROUP BY entity, entity_id) latest
JOIN changes c ON c.seq = latest.seq
WHERE c.op = 'upsert'
"""
USERS_SQL = """
SELECT u.id, u.username, u.display_name, u.role_id, r.name AS role, u.active, u.pin_hash, u.tills,
       u.version
FROM users u JOIN roles r ON r.id = u.role_id ORDER BY u.id
"""
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def line(entity: str, entity_id: str, version: int, data: str) -> str:
    """One row's line; `data` is JSON text already."""
    return f'{{"entity":{_dumps(entity)},"id":{_dumps(entity_id)},"version":{version},"data":{data}}}\n'


def rows(conn: sqlite3.Connection, device_id: str) -> Iterator[list[str]]:
    """The snapshot's lines in chunks: header, rows, end line. Call inside one read transaction."""
    from hub.catalogue._common import now

    epoch = feed.epoch_of(conn)
    cursor = feed.format_cursor(epoch, feed.issued_through(conn))
    header = {"epoch": epoch, "cursor": cursor, "hub_time": now(conn), "entities": ENTITIES}
    yield [json.dumps(header, separators=(",", ":")) + "\n"]
    count = 0
    users = [feed.till_user(dict(r), device_id) for r in conn.execute(USERS_SQL)]
    lines = [line("user", u["id"], u["version"], json.dumps(u, separators=(",", ":"), sort_keys=True))
             for u in users if u is not None]
    count += len(lines)
    yield lines
    entities = json.dumps([e for e in ENTITIES if e != "user"])
    cur = conn.execute(LATEST_SQL, {"entities": entities})
    while True:
        chunk = cur.fetchmany(CHUNK_ROWS)
        if not chunk:
            break
        lines = [line(c.entity, c.id, c.version, c.data or "null") for c in feed.for_till(chunk, device_id, {})]
        count += len(lines)
        yield lines
    yield [json.dumps({"end": True, "count": count}) + "\n"]


class SnapshotStream:
    """A snapshot being sent: its own read-only connection held in one read transaction, read
    and compressed a chunk at a time (`next_chunk`, from a worker thread), closed at the end or
    when the till goes away."""

    def __init__(self, path: Path, device_id: str, floor: Any, level: int = GZIP_LEVEL) -> None:
        from hub.db.connection import connect

        self.conn = connect(path, readonly=True)
        self.conn.floor = floor
        self.conn.execute("BEGIN")
        self.conn.execute("SELECT 1 FROM changes LIMIT 1").fetchone()  # the read snapshot starts here
        self._chunks = rows(self.conn, device_id)
        self._gzip = zlib.compressobj(level, zlib.DEFLATED, 31)
        self._done = False

    def next_chunk(self) -> bytes | None:
        """The next compressed bytes (maybe empty), or None once everything was sent."""
        if self._done:
            return None
        for lines in self._chunks:
            out = self._gzip.compress("".join(lines).encode())
            if out:
                return out
        self._done = True
        return self._gzip.flush()

    def close(self) -> None:
        try:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")
        finally:
            self.conn.close()
