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
from pathlib import Path
from typing import Any, Iterator

from hub.compression import LEVEL as GZIP_LEVEL, gzip_packer
from hub.sync import feed

CHUNK_ROWS = 2000
ENTITIES = sorted(feed.TILL_ENTITIES)
# The newest row of each entity; a line is made by SQLite itself for the entities every till
# holds alike (LINES_SQL), by `feed.for_till` for those that belong to one till (OWN_DEVICE_FIELD).
LATEST = """
FROM (SELECT max(seq) AS seq FROM changes WHERE entity IN (SELECT value FROM json_each(:entities))
      GROUP BY entity, entity_id) latest
JOIN changes c ON c.seq = latest.seq
WHERE c.op = 'upsert'
"""
# The shared rows stream: each change row read in index order is kept when it is its entity's
# newest, so the first lines go out at once instead of after a GROUP BY of the whole feed.
LINES_SQL = """SELECT '{"entity":' || json_quote(c.entity) || ',"id":' || json_quote(c.entity_id)
       || ',"version":' || c.version || ',"data":' || coalesce(c.data, 'null') || '}'
FROM changes c
WHERE c.entity IN (SELECT value FROM json_each(:entities)) AND c.op = 'upsert'
  AND c.seq = (SELECT max(seq) FROM changes m WHERE m.entity = c.entity AND m.entity_id = c.entity_id)
"""
OWN_SQL = "SELECT c.seq, c.entity, c.entity_id, c.version, c.op, c.data, c.txn " + LATEST
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
    own = [e for e in ENTITIES if e in feed.OWN_DEVICE_FIELD]
    mine = feed.for_till(conn.execute(OWN_SQL, {"entities": json.dumps(own)}).fetchall(), device_id, {})
    lines = [line(c.entity, c.id, c.version, c.data or "null") for c in mine]
    count += len(lines)
    yield lines
    shared = json.dumps([e for e in ENTITIES if e != "user" and e not in feed.OWN_DEVICE_FIELD])
    cur = conn.execute(LINES_SQL, {"entities": shared})
    while True:
        chunk = cur.fetchmany(CHUNK_ROWS)
        if not chunk:
            break
        count += len(chunk)
        yield ["\n".join([r[0] for r in chunk]), "\n"]
    yield [json.dumps({"end": True, "count": count}, separators=(",", ":")) + "\n"]


class SnapshotStream:
    """A snapshot being sent: its own read-only connection held in one read transaction.

    A reader thread runs the query and makes the lines while `next_chunk` (called from another
    worker thread) compresses the previous chunk: SQLite and the compressor both let go of the
    GIL, so the two overlap. At most QUEUED chunks wait between them, so memory stays bounded
    however large the catalogue. `close` (at the end, or when the till goes away) stops the reader and closes
    the connection.
    """

    QUEUED = 2

    def __init__(self, path: Path, device_id: str, floor: Any, level: int = GZIP_LEVEL) -> None:
        import queue
        import threading

        from hub.db.connection import connect

        self.conn = connect(path, readonly=True)
        self.conn.floor = floor
        self.conn.execute("BEGIN")
        self.conn.execute("SELECT 1 FROM changes LIMIT 1").fetchone()  # the read snapshot starts here
        self._queue: queue.Queue = queue.Queue(self.QUEUED)
        self._stop = threading.Event()
        self._gzip = gzip_packer(level)
        self._done = False
        self._reader = threading.Thread(target=self._read, args=(device_id,), name="soko-snapshot", daemon=True)
        self._reader.start()

    def _read(self, device_id: str) -> None:
        import queue

        item: Any
        try:
            for lines in rows(self.conn, device_id):
                item = "".join(lines).encode()
                while not self._stop.is_set():
                    try:
                        self._queue.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
            item = None
        except BaseException as err:  # handed to the sender, which fails the download
            item = err
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def next_chunk(self) -> bytes | None:
        """The next compressed bytes (maybe empty), or None once everything was sent."""
        import queue

        if self._done:
            return None
        while True:  # never wait past `close`: its reader stops without a last item
            try:
                item = self._queue.get(timeout=0.2)
                break
            except queue.Empty:
                if self._stop.is_set():
                    self._done = True
                    return None
        if isinstance(item, BaseException):
            self._done = True
            raise item
        if item is None:
            self._done = True
            return self._gzip.flush()
        return self._gzip.compress(item)

    def close(self) -> None:
        self._stop.set()
        self._reader.join(5)
        try:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")
        finally:
            self.conn.close()
