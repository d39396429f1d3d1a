"""SQLite connections: one writer thread that serialises transactions, a pool of readers.

Why a writer *thread* and not aiosqlite's per-statement awaits: a sale is one header and about
fifteen lines, and awaiting each statement costs a thread hop each. Measured on a 2-core CI
machine (300 sales of 16 rows, WAL, synchronous=FULL): 4.4-5.7 ms per sale with one await per
statement against 0.8-1.1 ms when the whole transaction is one function run on the writer thread.
So, as datasette does, a transaction is a plain function of a connection, handed whole to the
one thread that owns the writing connection. Readers are separate connections in their own
threads, so a slow fsync never blocks a price lookup.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from hub.clock import TimeFloor
from hub.db.auth_generation import AuthGeneration

log = logging.getLogger(__name__)
T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000


class DatabaseError(RuntimeError):
    """The database cannot be used (missing, corrupt, locked, wrong schema)."""


class DatabaseCorruptError(DatabaseError):
    """quick_check failed: the hub refuses to start rather than lose or hide data."""


class HubConnection(sqlite3.Connection):
    """A connection that knows the hub's time floor (see hub.clock)."""

    floor: TimeFloor
    # The seq of the first change row the open transaction recorded (hub.db.changes), else None.
    feed_txn: int | None = None

    def stamp(self) -> str:
        """The time to record a fact at; persists the advanced floor in this transaction."""
        moment = self.floor.stamp()
        self.execute("UPDATE meta SET value = :v WHERE key = 'time_floor'", {"v": moment})
        return moment


def connect(path: Path | str, *, readonly: bool = False) -> HubConnection:
    """Open a connection with the hub's pragmas. Autocommit mode: callers use `transaction`."""
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, factory=HubConnection
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
    else:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise DatabaseError(f"{path}: could not switch to WAL (journal mode is {mode})")
    conn.floor = TimeFloor(_read_floor(conn))
    return conn


def _read_floor(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'time_floor'").fetchone()
    except sqlite3.OperationalError:  # before the first migration
        return None
    return row[0] if row and row[0] else None


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK if the body raises."""
    conn.execute("BEGIN IMMEDIATE")
    if isinstance(conn, HubConnection):
        conn.feed_txn = None
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def quick_check(path: Path) -> None:
    """Raise DatabaseCorruptError unless `PRAGMA quick_check` says ok."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        raise DatabaseCorruptError(
            f"{path} is not a readable SQLite database ({err}). The hub will not start on it "
            "and will not replace it: restore a backup with `soko-hub backup restore`."
        ) from err
    if rows != ["ok"]:
        raise DatabaseCorruptError(
            f"{path} failed quick_check: {'; '.join(rows[:5])}. The hub will not start on it "
            "and will not replace it: restore a backup with `soko-hub backup restore`."
        )


class Database:
    """The running hub's database: `await db.write(fn)` and `await db.read(fn)`.

    `fn` is a plain function taking a HubConnection; a write runs inside BEGIN IMMEDIATE/COMMIT
    on the single writer thread, so it returns only once the commit is durable
    (synchronous=FULL).
    """

    def __init__(self, path: Path, *, readers: int = 3) -> None:
        self.path = Path(path)
        self._writer_pool = ThreadPoolExecutor(1, thread_name_prefix="soko-db-writer")
        self._reader_pool = ThreadPoolExecutor(readers, thread_name_prefix="soko-db-reader")
        self._local = threading.local()
        self._readers: list[HubConnection] = []
        self._readers_lock = threading.Lock()
        self._writer: HubConnection | None = None
        self._closed = False
        # Moves on after every write that changed a token, user, role or till (hub.auth.cache).
        self.auth_generation = AuthGeneration()
        # Called on the writer thread after each commit that recorded change rows (hub.sync.feed
        # wakes the tills waiting on the feed with it).
        self.feed_listeners: list[Callable[[], None]] = []

    def open(self) -> None:
        self._writer = self._writer_pool.submit(self._open_writer).result()

    def _open_writer(self) -> HubConnection:
        conn = connect(self.path)
        self.auth_generation.install(conn)
        return conn

    @property
    def floor(self) -> TimeFloor:
        assert self._writer is not None
        return self._writer.floor

    def _run_write(self, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        assert self._writer is not None, "database is not open"
        try:
            with transaction(self._writer) as conn:
                result = fn(conn, *args, **kwargs)
        finally:
            self.auth_generation.settle()
        if self._writer.feed_txn is not None:
            for listener in list(self.feed_listeners):
                listener()
        return result

    def _reader(self) -> HubConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, readonly=True)
            # Readers share the writer's floor so a read of "now" agrees with what was written.
            conn.floor = self.floor
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _run_read(self, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        conn = self._reader()
        conn.execute("BEGIN")  # one snapshot for the whole function
        try:
            return fn(conn, *args, **kwargs)
        finally:
            conn.execute("COMMIT")

    async def write(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run fn(conn, ...) as one transaction on the writer thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer_pool, self._run_write, fn, args, kwargs)

    async def read(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run fn(conn, ...) on a reader connection, inside one read snapshot."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reader_pool, self._run_read, fn, args, kwargs)

    def write_sync(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Blocking form of `write`, for threads that are not the event loop."""
        return self._writer_pool.submit(self._run_write, fn, args, kwargs).result()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._reader_pool.shutdown(wait=True)
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        if self._writer is not None:
            writer = self._writer
            self._writer_pool.submit(writer.close).result()
            self._writer = None
        self._writer_pool.shutdown(wait=True)
