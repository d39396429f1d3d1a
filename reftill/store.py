"""The till's own SQLite database: what it knows of the hub, its reference data and its outbox.

- `meta`: key/value (hub URL, key pin, device id and token, feed cursor, next device_seq, ...).
- `reference` + `codes`: the rows of the change feed by entity and id, and a barcode/SKU index of
  the products; replaced as a whole by a snapshot (load into new tables, swap in one transaction).
- `outbox`: every fact the till made, with its gap-free `device_seq`. A fact leaves the queue only
  when the hub's `acked_through` covers it, and is kept a while after that (`acked_at` set) so a
  hub restored from an older backup can be given it again.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reference (entity TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (entity, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS codes (code TEXT PRIMARY KEY, product_id TEXT NOT NULL,
    pack_quantity INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
    device_seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    device_time TEXT NOT NULL,
    user_id TEXT,
    payload TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    shift_id TEXT,
    acked_at TEXT,
    status TEXT
);
CREATE INDEX IF NOT EXISTS outbox_unacked ON outbox (device_seq) WHERE acked_at IS NULL;
"""
REFERENCE_TABLES_SQL = """
CREATE TABLE {reference} (entity TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (entity, id)) WITHOUT ROWID;
CREATE TABLE {codes} (code TEXT PRIMARY KEY, product_id TEXT NOT NULL,
    pack_quantity INTEGER NOT NULL) WITHOUT ROWID;
"""
UPSERT_SQL = """
INSERT INTO {reference} (entity, id, version, data) VALUES (:entity, :id, :version, :data)
ON CONFLICT (entity, id) DO UPDATE SET version = excluded.version, data = excluded.data
"""
APPEND_SQL = """
INSERT INTO outbox (device_seq, event_id, type, device_time, user_id, payload, payload_hash, shift_id)
VALUES (:device_seq, :event_id, :type, :device_time, :user_id, :payload, :payload_hash, :shift_id)
"""
PENDING_SQL = """
SELECT device_seq, event_id, type, device_time, user_id, payload, payload_hash, shift_id FROM outbox
WHERE device_seq >= :start ORDER BY device_seq LIMIT :limit
"""


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


class LocalStore:
    """One till's database; safe to share between the till's threads (one lock, short calls)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")  # a fact is durable before the till says "sold"
        self._lock = threading.RLock()
        self._conn.executescript(SCHEMA_SQL)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # ---- meta ------------------------------------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set(self, key: str, value: Any, conn: sqlite3.Connection | None = None) -> None:
        sql, params = "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, dumps(value))
        if conn is not None:
            conn.execute(sql, params)
        else:
            with self._lock:
                self._conn.execute(sql, params)

    # ---- reference data ----------------------------------------------------------------------

    def row(self, entity: str, row_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._conn.execute("SELECT data FROM reference WHERE entity = ? AND id = ?",
                                       (entity, row_id)).fetchone()
        return json.loads(found[0]) if found else None

    def rows(self, entity: str) -> list[dict[str, Any]]:
        with self._lock:
            found = self._conn.execute("SELECT data FROM reference WHERE entity = ? ORDER BY id",
                                       (entity,)).fetchall()
        return [json.loads(r[0]) for r in found]

    def count(self, entity: str) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM reference WHERE entity = ?",
                                          (entity,)).fetchone()[0])

    def product_for_code(self, code: str) -> tuple[dict[str, Any], int] | None:
        """The product a barcode or SKU sells and the pack's quantity in thousandths."""
        with self._lock:
            found = self._conn.execute("SELECT product_id, pack_quantity FROM codes WHERE code = ?",
                                       (code.strip(),)).fetchone()
        if found is None:
            return None
        product = self.row("product", found[0])
        return (product, found[1]) if product is not None else None

    def apply_changes(self, changes: Iterable[dict[str, Any]], meta: dict[str, Any]) -> int:
        """One feed batch and the new cursor (in `meta`), in one transaction: all or nothing."""
        n = 0
        with self.transaction() as conn:
            for change in changes:
                _apply(conn, "reference", "codes", change["entity"], str(change["id"]),
                       change.get("version") or 0, change.get("op", "upsert"), change.get("data"))
                n += 1
            for key, value in meta.items():
                self.set(key, value, conn)
        return n

    def replace_reference(self, rows: Iterable[dict[str, Any]], meta: dict[str, Any]) -> int:
        """Load a snapshot into fresh tables, then swap them in with `meta` in one transaction.

        The load itself runs outside the swap so the till keeps selling from the old tables (its
        reads take the lock only briefly); a snapshot cut off half-way raises before the swap and
        leaves everything as it was."""
        with self._lock:
            self._conn.executescript("DROP TABLE IF EXISTS reference_new; DROP TABLE IF EXISTS codes_new;"
                                     + REFERENCE_TABLES_SQL.format(reference="reference_new", codes="codes_new"))
        n = 0
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            with self.transaction() as conn:
                for r in batch:
                    _apply(conn, "reference_new", "codes_new", r["entity"], str(r["id"]), r.get("version") or 0,
                           "upsert", r.get("data"))
            batch.clear()

        for r in rows:
            batch.append(r)
            n += 1
            if len(batch) >= 2000:
                flush()
        flush()
        with self.transaction() as conn:
            conn.execute("DROP TABLE reference")
            conn.execute("DROP TABLE codes")
            conn.execute("ALTER TABLE reference_new RENAME TO reference")
            conn.execute("ALTER TABLE codes_new RENAME TO codes")
            for key, value in meta.items():
                self.set(key, value, conn)
        return n

    # ---- outbox -----------------------------------------------------------------------------

    def append(self, fact: dict[str, Any], conn: sqlite3.Connection) -> None:
        conn.execute(APPEND_SQL, {**fact, "payload": dumps(fact["payload"])})

    def last_seq(self, conn: sqlite3.Connection | None = None) -> int:
        c = conn or self._conn
        with self._lock:
            return int(c.execute("SELECT coalesce(max(device_seq), 0) FROM outbox").fetchone()[0])

    def facts_from(self, start: int, limit: int) -> list[dict[str, Any]]:
        """Facts from `device_seq` `start` on, contiguous (the outbox never has a gap)."""
        with self._lock:
            found = self._conn.execute(PENDING_SQL, {"start": start, "limit": limit}).fetchall()
        return [{**dict(r), "payload": json.loads(r["payload"])} for r in found]

    def fact(self, event_id: str) -> dict[str, Any] | None:
        with self._lock:
            r = self._conn.execute("SELECT * FROM outbox WHERE event_id = ?", (event_id,)).fetchone()
        return {**dict(r), "payload": json.loads(r["payload"])} if r else None

    def mark_acked(self, through: int, at: str, statuses: dict[int, str]) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE outbox SET acked_at = ? WHERE device_seq <= ? AND acked_at IS NULL", (at, through))
            for seq, status in statuses.items():
                conn.execute("UPDATE outbox SET status = ? WHERE device_seq = ?", (status, seq))

    def unacked(self) -> tuple[int, int | None]:
        """How many facts wait for the hub, and the device_seq of the oldest."""
        with self._lock:
            r = self._conn.execute("SELECT count(*), min(device_seq) FROM outbox WHERE acked_at IS NULL").fetchone()
        return int(r[0]), r[1]

    def oldest_unacked_time(self) -> str | None:
        with self._lock:
            r = self._conn.execute("SELECT device_time FROM outbox WHERE acked_at IS NULL ORDER BY device_seq"
                                   " LIMIT 1").fetchone()
        return r[0] if r else None

    def reopen_from(self, seq: int) -> int:
        """Treat every fact from `seq` on as not acknowledged (the hub lost them); how many."""
        with self.transaction() as conn:
            return conn.execute("UPDATE outbox SET acked_at = NULL WHERE device_seq >= ?", (seq,)).rowcount

    def first_seq(self) -> int | None:
        with self._lock:
            return self._conn.execute("SELECT min(device_seq) FROM outbox").fetchone()[0]

    def facts_of_shift(self, shift_id: str) -> list[dict[str, Any]]:
        with self._lock:
            found = self._conn.execute("SELECT * FROM outbox WHERE shift_id = ? ORDER BY device_seq",
                                       (shift_id,)).fetchall()
        return [{**dict(r), "payload": json.loads(r["payload"])} for r in found]

    def facts(self, type_: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            found = self._conn.execute("SELECT * FROM outbox WHERE ? IS NULL OR type = ? ORDER BY device_seq",
                                       (type_, type_)).fetchall()
        return [{**dict(r), "payload": json.loads(r["payload"])} for r in found]

    def prune(self, acked_before: str, keep_shift: str | None = None) -> int:
        """Forget facts the hub acknowledged before `acked_before` (an ISO stamp), but none of the
        shift `keep_shift` (still open: its close counts them)."""
        with self.transaction() as conn:
            return conn.execute("DELETE FROM outbox WHERE acked_at IS NOT NULL AND acked_at < :before"
                                " AND (:keep IS NULL OR shift_id IS NOT :keep)",
                                {"before": acked_before, "keep": keep_shift}).rowcount


def _apply(conn: sqlite3.Connection, reference: str, codes: str, entity: str, row_id: str, version: int,
           op: str, data: dict[str, Any] | None) -> None:
    if entity == "product":
        conn.execute(f"DELETE FROM {codes} WHERE product_id = ?", (row_id,))
    if op == "delete" or data is None:
        conn.execute(f"DELETE FROM {reference} WHERE entity = ? AND id = ?", (entity, row_id))
        return
    conn.execute(UPSERT_SQL.format(reference=reference),
                 {"entity": entity, "id": row_id, "version": version, "data": dumps(data)})
    if entity == "product" and data.get("active", True) and not data.get("archived_at"):
        for code in [c for c in (data.get("sku"), data.get("plu")) if c]:
            conn.execute(f"INSERT OR REPLACE INTO {codes} (code, product_id, pack_quantity) VALUES (?, ?, 1000)",
                         (str(code), row_id))
        for barcode in data.get("barcodes") or []:
            conn.execute(f"INSERT OR REPLACE INTO {codes} (code, product_id, pack_quantity) VALUES (?, ?, ?)",
                         (barcode["code"], row_id, barcode.get("pack_quantity") or 1000))
