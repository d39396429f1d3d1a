"""SQLite connections: one writer thread that serialises transactions, a pool of readers.

Why a writer *thread* and not aiosqlite's per-statement awaits: a sale is one header and about
fifteen lines, and awaiting each statement costs a thread hop each. Measured on a 2-core CI
machine (300 sales of 16 rows, WAL, synchronous=FULL): 4.4-5.7 ms per sale with one await per
statement against 0.8-1.1 ms when the whole transaction is one function run on the writer thread.
So, as datasette does, a transaction is a plain function of a connection, handed whole to the
one thread that owns the writing connection. Readers are separate connections in their own
threads, so a slow fsync never blocks a price lookup.

Group commit: the writer takes every write already waiting when it starts a transaction (up to
MAX_GROUP) and runs each in its own savepoint of one transaction, then commits once. A write
that raises is rolled back to its savepoint alone; each caller is answered only after the one
commit is durable. A sale's commit is mostly the fsync of its pages (some 130 of them with its
stock movements, levels and indexes), and an SD card's fsync is slow: sharing it among the
sales that arrived meanwhile is what lets thirty tills sell at once (`soko-hub bench sales`).
A lone write is not held back waiting for company.

Checkpoints: copying the WAL's pages back into the database file (SQLite's autocheckpoint, every
1,000 pages, ran inside the committing write: ~6% of the writer's time under a 30-till burst) is
done by a checkpointer thread on its own connection instead. After a commit the writer only
signals it; it runs a PASSIVE checkpoint once the frames not yet copied back pass
CHECKPOINT_BYTES, alongside the writer and the readers (a PASSIVE checkpoint waits for neither).
It judges that from the WAL file's size and what its last checkpoint copied back
(`WalWatch`). SQLite rewinds the log after a complete checkpoint but by default keeps the file at
its largest, so once it had grown past the threshold every commit was copied back at once,
paying a checkpoint and its fsyncs per sale and writing the pages a busy store touches again and
again (stock levels, the product indexes) once per sale instead of once per checkpoint. The
writer therefore sets `journal_size_limit = 0`: when it rewinds the log it truncates the file to
the frames of that commit, so the file's size is always the current log's. (The WAL index in
`-shm` holds the same figures, but the hub must never open SQLite's files itself: closing any
handle of a file drops every POSIX lock this process holds on it, SQLite's included, and another
connection may then rebuild the index under the mapped pages of the others: SIGBUS.)

The writer's own autocheckpoint at WRITER_AUTOCHECKPOINT_PAGES is the backstop should the
checkpointer fall behind, and it also bounds the log under nonstop writing: SQLite rewinds the
log only when a write begins after a checkpoint that caught up, which a checkpoint running beside
the writer never quite does while sales keep coming; the writer's own, run right after its
commit, does (the checkpointer has copied most frames already).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import logging
import sqlite3
import threading
import queue
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from hub.clock import TimeFloor
from hub.db.auth_generation import AuthGeneration

log = logging.getLogger(__name__)
T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000
# The most writes one commit carries: enough to absorb a burst of thirty tills, few enough that
# the first of them does not wait long for the last.
MAX_GROUP = 32
WRITER_CACHE_KIB = 4096
CHECKPOINT_BYTES = 4 * 1024 * 1024  # about SQLite's own 1,000 pages
WRITER_AUTOCHECKPOINT_PAGES = 4_096  # 16 MiB: see the module docstring
WAL_HEADER = 32  # bytes before the first frame (https://www.sqlite.org/fileformat.html#the_write_ahead_log)
WAL_FRAME_HEADER = 24


@dataclass
class WalWatch:
    """How much of the WAL is not yet copied back, from its file's size alone (stat, never open:
    see the module docstring). With the writer's `journal_size_limit = 0` the file holds exactly
    the current log's frames; `copied` is how many of them the last checkpoint copied back. A
    file shorter than that means the log was rewound since, and every frame in it is new."""

    page_size: int
    copied: int = 0

    def frames(self, wal_bytes: int) -> int:
        return max(wal_bytes - WAL_HEADER, 0) // (self.page_size + WAL_FRAME_HEADER)

    def pending_bytes(self, wal_bytes: int) -> int:
        frames = self.frames(wal_bytes)
        fresh = frames if frames < self.copied else frames - self.copied
        return fresh * (self.page_size + WAL_FRAME_HEADER)

    def checkpointed(self, copied_frames: int) -> None:
        self.copied = max(copied_frames, 0)


class DatabaseError(RuntimeError):
    """The database cannot be used (missing, corrupt, locked, wrong schema)."""


class DatabaseCorruptError(DatabaseError):
    """quick_check failed: the hub refuses to start rather than lose or hide data."""


class HubConnection(sqlite3.Connection):
    """A connection that knows the hub's time floor (see hub.clock)."""

    floor: TimeFloor
    # The seq of the first change row the open transaction recorded (hub.db.changes), else None.
    feed_txn: int | None = None
    # The floor this transaction has advanced to and not yet written to `meta` (see `stamp`).
    unsaved_floor: str | None = None

    def stamp(self) -> str:
        """The time to record a fact at; the advanced floor is persisted in the same transaction
        (once, just before it commits: a sale stamps some thirty times) or at once outside one."""
        moment = self.floor.stamp()
        if self.in_transaction:
            self.unsaved_floor = moment
        else:
            self.save_floor(moment)
        return moment

    def save_floor(self, moment: str | None = None) -> None:
        """Write the advanced floor to `meta` (the transaction's, unless `moment` is given)."""
        moment = moment or self.unsaved_floor
        self.unsaved_floor = None
        if moment is not None:
            self.execute("UPDATE meta SET value = :v WHERE key = 'time_floor'", {"v": moment})


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
    hub = isinstance(conn, HubConnection)
    if hub:
        conn.feed_txn = conn.unsaved_floor = None
    try:
        yield conn
        if hub:
            conn.save_floor()
    except BaseException:
        conn.execute("ROLLBACK")
        if hub:
            conn.unsaved_floor = None
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


@dataclass(frozen=True, slots=True)
class _Job:
    """One write waiting for the writer thread."""

    fn: Callable[..., Any]
    args: tuple
    kwargs: dict
    future: Future
    # The caller's context (its request id, say): the write runs in it on the writer thread.
    context: contextvars.Context


class Database:
    """The running hub's database: `await db.write(fn)` and `await db.read(fn)`.

    `fn` is a plain function taking a HubConnection; a write runs inside BEGIN IMMEDIATE/COMMIT
    on the single writer thread, so it returns only once the commit is durable
    (synchronous=FULL).
    """

    def __init__(self, path: Path, *, readers: int = 3) -> None:
        self.path = Path(path)
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._writer_thread: threading.Thread | None = None
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
        # How many writes each of the latest commits carried.
        self.group_sizes: collections.deque[int] = collections.deque(maxlen=256)
        self._committed = threading.Event()  # the writer committed: the WAL may want a checkpoint
        self._checkpointer_thread: threading.Thread | None = None
        self.checkpoints = 0  # checkpoints the checkpointer ran (tests, doctor)

    def open(self) -> None:
        opened: Future[HubConnection] = Future()
        self._writer_thread = threading.Thread(target=self._writer_loop, args=(opened,),
                                               name="soko-db-writer", daemon=True)
        self._writer_thread.start()
        self._writer = opened.result()
        self._checkpointer_thread = threading.Thread(target=self._checkpointer_loop, name="soko-db-checkpointer",
                                                     daemon=True)
        self._checkpointer_thread.start()

    def _open_writer(self) -> HubConnection:
        conn = connect(self.path)
        # Each write's savepoint keeps the original of every page it changes until it is
        # released: ~600 KiB for a 15-line sale, past SQLite's 64 KiB threshold for spilling that
        # sub-journal to a temporary file. In memory it costs no write calls (about an eighth of a
        # sale's CPU here) and no writes to the card; it is emptied at every release.
        conn.execute("PRAGMA temp_store = MEMORY")
        # A commit carries up to MAX_GROUP writes of up to ~150 pages each (a 15-line sale in a
        # grown store); past the cache, the writer spills dirty pages to the WAL mid-transaction
        # and reads evicted ones back. 4 MiB holds a group of a dozen such sales; the cache grows
        # only as far as the writes use it, but then stays resident: 8 MiB cost ~6 MiB of RSS
        # for no throughput the sales bench could tell apart from 2 MiB's (A/B, 2026-11-26).
        conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
        conn.execute(f"PRAGMA wal_autocheckpoint = {WRITER_AUTOCHECKPOINT_PAGES}")  # the checkpointer's job
        conn.execute("PRAGMA journal_size_limit = 0")  # a rewound log truncates the file: its size tells (WalWatch)
        self.auth_generation.install(conn)
        return conn

    @property
    def floor(self) -> TimeFloor:
        assert self._writer is not None
        return self._writer.floor

    def _writer_loop(self, opened: Future) -> None:
        """The writer thread: owns the writing connection and commits the waiting writes in groups
        until it takes the stop mark (None) from the queue."""
        try:
            conn = self._open_writer()
        except BaseException as err:
            opened.set_exception(err)
            return
        opened.set_result(conn)
        stopping = False
        try:
            while not stopping:
                job = self._jobs.get()
                if job is None:
                    break
                group = [job]
                while len(group) < MAX_GROUP:
                    try:
                        more = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        stopping = True
                        break
                    group.append(more)
                # A write whose caller went away before it started (a cancelled request) is not
                # run; once started it can no longer be cancelled, so its answer always lands.
                group = [j for j in group if j.future.set_running_or_notify_cancel()]
                if not group:
                    continue
                try:
                    self._commit_group(conn, group)
                except Exception:  # never let the one writer thread die: every later write would hang
                    log.exception("the database writer failed a group of %d writes", len(group))
                    for j in group:
                        if not j.future.done():
                            j.future.set_exception(DatabaseError("the write failed inside the database writer"))
        finally:
            conn.close()

    def _checkpointer_loop(self) -> None:
        """The checkpointer thread: after commits, a PASSIVE checkpoint once the frames not yet
        copied back pass CHECKPOINT_BYTES; closes its connection when the database closes."""
        wal = Path(f"{self.path}-wal")
        watch: WalWatch | None = None
        conn: sqlite3.Connection | None = None
        try:
            while not self._closed:
                if not self._committed.wait(timeout=1.0):
                    continue
                self._committed.clear()
                try:
                    size = wal.stat().st_size
                    if watch is not None and watch.pending_bytes(size) < CHECKPOINT_BYTES:
                        continue
                    if conn is None:
                        conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
                        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                        # fsync the WAL before copying it back and the file after, whatever the build's default
                        conn.execute("PRAGMA synchronous = FULL")
                        watch = WalWatch(conn.execute("PRAGMA page_size").fetchone()[0])
                        if watch.pending_bytes(size) < CHECKPOINT_BYTES:
                            continue
                    _busy, _log, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    watch.checkpointed(copied)
                    self.checkpoints += 1
                except FileNotFoundError:  # no WAL: nothing to copy back
                    continue
                except (OSError, sqlite3.Error) as err:  # the writer's autocheckpoint still bounds the WAL
                    log.warning("checkpoint skipped: %s", err)
        finally:
            if conn is not None:
                conn.close()

    def _commit_group(self, conn: HubConnection, group: list[_Job]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.feed_txn = conn.unsaved_floor = None
            for job in group:
                outcomes.append(self._run_job(conn, job))
                if not conn.in_transaction:  # an error that ended the whole transaction (disk full, I/O)
                    raise outcomes[-1][1]
            conn.save_floor()
            conn.execute("COMMIT")
        except BaseException as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.unsaved_floor = None
            # Nothing of the group was committed: no caller may be told otherwise.
            outcomes = [(False, err)] * len(group)
        finally:
            self.auth_generation.settle()
        if conn.feed_txn is not None and any(ok for ok, _ in outcomes):
            for listener in list(self.feed_listeners):
                listener()
        self.group_sizes.append(len(group))
        self._committed.set()
        for job, (ok, value) in zip(group, outcomes):
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)

    @staticmethod
    def _run_job(conn: HubConnection, job: _Job) -> tuple[bool, Any]:
        """One write in its own savepoint: when it raises, its writes alone are undone."""
        feed_txn = conn.feed_txn
        conn.execute("SAVEPOINT soko_write")
        try:
            result = job.context.run(job.fn, conn, *job.args, **job.kwargs)
        except BaseException as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK TO soko_write")
                conn.execute("RELEASE soko_write")
                conn.feed_txn = feed_txn  # its change rows went with it
            return False, err
        conn.execute("RELEASE soko_write")
        return True, result

    def _submit(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Future:
        if self._writer is None or self._closed:
            raise DatabaseError("the database is not open")
        future: Future = Future()
        self._jobs.put(_Job(fn, args, kwargs, future, contextvars.copy_context()))
        return future

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
        """Run fn(conn, ...) atomically on the writer thread (a savepoint of a group commit);
        returns once that commit is durable."""
        return await asyncio.wrap_future(self._submit(fn, args, kwargs))

    async def read(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run fn(conn, ...) on a reader connection, inside one read snapshot."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()  # the caller's request id reaches the reader thread
        return await loop.run_in_executor(self._reader_pool, context.run, self._run_read, fn, args, kwargs)

    def read_now(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run fn(conn, ...) right here, on this thread's own reader connection, in one snapshot.

        For point reads on an index that take tens of microseconds (a barcode lookup): on the
        event loop that is cheaper, and far steadier in the tail, than two thread hand-offs to the
        reader pool. A WAL reader never waits for the writer, so the loop is not held up by one;
        anything that scans or may read many pages belongs in `read`."""
        if self._closed:
            raise DatabaseError("the database is not open")
        return self._run_read(fn, args, kwargs)

    def write_sync(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Blocking form of `write`, for threads that are not the event loop."""
        return self._submit(fn, args, kwargs).result()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._reader_pool.shutdown(wait=True)
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        if self._checkpointer_thread is not None:
            self._committed.set()
            self._checkpointer_thread.join()
            self._checkpointer_thread = None
        if self._writer_thread is not None:
            self._jobs.put(None)  # the writer finishes the writes queued before it, then closes
            self._writer_thread.join()
            self._writer_thread = None
        self._writer = None
