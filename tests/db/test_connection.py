import asyncio
import sqlite3
import threading

import pytest

from hub.db import meta
from hub.db.connection import (Database, DatabaseCorruptError, DatabaseError, WalWatch, connect, quick_check,
                               transaction)
from hub.db.migrations import migrate


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "hub.db"
    conn = connect(path)
    migrate(conn)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    conn.close()
    return path


def test_connection_uses_wal_full_sync_and_foreign_keys(db_path):
    conn = connect(db_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    finally:
        conn.close()


def test_reader_connection_refuses_writes(db_path):
    conn = connect(db_path, readonly=True)
    try:
        with pytest.raises(sqlite3.OperationalError):
            conn.execute("INSERT INTO t (n) VALUES (1)")
    finally:
        conn.close()


def test_transaction_rolls_back_when_the_body_raises(db_path):
    conn = connect(db_path)
    try:
        with pytest.raises(RuntimeError), transaction(conn):
            conn.execute("INSERT INTO t (n) VALUES (1)")
            raise RuntimeError("boom")
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    finally:
        conn.close()


async def test_concurrent_writes_are_serialised_and_all_land(db_path):
    db = Database(db_path, readers=2)
    db.open()
    try:
        def bump(conn, i):
            # read-modify-write: lost updates would show if two ran at once
            n = conn.execute("SELECT count(*) FROM t").fetchone()[0]
            conn.execute("INSERT INTO t (id, n) VALUES (?, ?)", (i, n))

        await asyncio.gather(*(db.write(bump, i) for i in range(1, 101)))
        rows = await db.read(lambda c: [r[0] for r in c.execute("SELECT n FROM t ORDER BY id")])
        assert sorted(rows) == list(range(100))
    finally:
        db.close()


async def test_a_read_is_not_blocked_by_an_open_write_transaction(db_path):
    db = Database(db_path, readers=2)
    db.open()
    inside, release = threading.Event(), threading.Event()
    try:
        def slow_write(conn):
            conn.execute("INSERT INTO t (n) VALUES (42)")
            inside.set()
            assert release.wait(10)

        writing = asyncio.ensure_future(db.write(slow_write))
        await asyncio.get_running_loop().run_in_executor(None, inside.wait, 10)
        # The reader sees the last committed state while the writer holds its transaction.
        count = await asyncio.wait_for(db.read(lambda c: c.execute("SELECT count(*) FROM t").fetchone()[0]), 5)
        assert count == 0
        release.set()
        await writing
        assert await db.read(lambda c: c.execute("SELECT count(*) FROM t").fetchone()[0]) == 1
    finally:
        release.set()
        db.close()


async def test_a_read_on_the_loop_sees_the_last_commit_and_never_waits_for_the_writer(db_path):
    db = Database(db_path, readers=1)
    db.open()
    inside, release = threading.Event(), threading.Event()
    try:
        def count(conn):
            return conn.execute("SELECT count(*) FROM t").fetchone()[0]

        await db.write(lambda c: c.execute("INSERT INTO t (n) VALUES (1)"))
        assert db.read_now(count) == 1

        def slow_write(conn):
            conn.execute("INSERT INTO t (n) VALUES (2)")
            inside.set()
            assert release.wait(10)

        writing = asyncio.ensure_future(db.write(slow_write))
        await asyncio.get_running_loop().run_in_executor(None, inside.wait, 10)
        assert db.read_now(count) == 1  # the writer's open transaction is not seen, nor waited on
        release.set()
        await writing
        assert db.read_now(count) == 2
    finally:
        release.set()
        db.close()
    with pytest.raises(DatabaseError, match="not open"):
        db.read_now(count)


async def test_failed_write_changes_nothing(db_path):
    db = Database(db_path)
    db.open()
    try:
        def half(conn):
            conn.execute("INSERT INTO t (n) VALUES (1)")
            conn.execute("INSERT INTO t (n) VALUES (NULL)")  # NOT NULL fails

        with pytest.raises(sqlite3.IntegrityError):
            await db.write(half)
        assert await db.read(lambda c: c.execute("SELECT count(*) FROM t").fetchone()[0]) == 0
    finally:
        db.close()


async def _held_group(db, jobs):
    """Hold the writer in a first write, queue `jobs` behind it, then let it go: the queued ones
    commit together. Returns their outcomes (a result or the exception) in order."""
    inside, release = threading.Event(), threading.Event()

    def hold(conn):
        inside.set()
        assert release.wait(10)

    first = asyncio.ensure_future(db.write(hold))
    await asyncio.get_running_loop().run_in_executor(None, inside.wait, 10)
    waiting = [asyncio.ensure_future(db.write(job)) for job in jobs]
    await asyncio.sleep(0.05)  # every write is queued before the writer is free
    release.set()
    await first
    return await asyncio.gather(*waiting, return_exceptions=True)


async def test_writes_waiting_together_commit_together_and_a_failing_one_alone_is_undone(db_path):
    db = Database(db_path)
    db.open()
    try:
        def add(n):
            def job(conn):
                conn.execute("INSERT INTO t (n) VALUES (?)", (n,))
                return n
            return job

        def bad(conn):
            conn.execute("INSERT INTO t (n) VALUES (99)")
            raise ValueError("refused")

        got = await _held_group(db, [add(1), add(2), bad, add(3)])
        assert got[:2] == [1, 2] and isinstance(got[2], ValueError) and got[3] == 3
        assert db.group_sizes[-1] == 4  # one commit carried all four
        rows = await db.read(lambda c: [r[0] for r in c.execute("SELECT n FROM t ORDER BY id")])
        assert rows == [1, 2, 3]  # the failing write's row went with it, nobody else's
    finally:
        db.close()


async def test_an_error_that_ends_the_transaction_fails_every_write_of_its_group(db_path):
    db = Database(db_path)
    db.open()
    try:
        def fine(conn):
            conn.execute("INSERT INTO t (n) VALUES (1)")

        def ends_it(conn):
            conn.execute("ROLLBACK")  # as SQLite does itself on a full disk or an I/O error
            raise sqlite3.OperationalError("disk I/O error")

        got = await _held_group(db, [fine, ends_it, fine])
        # nothing of the group was committed, so no caller is told it was
        assert all(isinstance(g, sqlite3.OperationalError) for g in got)
        assert await db.read(lambda c: c.execute("SELECT count(*) FROM t").fetchone()[0]) == 0
        await db.write(fine)  # the writer goes on with the next group
        assert await db.read(lambda c: c.execute("SELECT count(*) FROM t").fetchone()[0]) == 1
    finally:
        db.close()


async def test_the_time_floor_is_written_once_per_transaction_at_its_latest(db_path):
    db = Database(db_path)
    db.open()
    statements = []
    try:
        def stamps(conn):
            conn.set_trace_callback(statements.append)
            try:
                return [conn.stamp() for _ in range(5)]
            finally:
                conn.set_trace_callback(None)

        got = await db.write(stamps)
        assert got == sorted(got)
        floor = await db.read(lambda c: c.execute("SELECT value FROM meta WHERE key = 'time_floor'").fetchone()[0])
        assert floor == got[-1]
        assert not [s for s in statements if "time_floor" in s]  # not once per stamp: at the commit
    finally:
        db.close()


async def test_close_finishes_the_writes_already_queued(db_path):
    db = Database(db_path)
    db.open()
    futures = [db._submit(lambda conn, i=i: conn.execute("INSERT INTO t (n) VALUES (?)", (i,)), (), {})
               for i in range(20)]
    db.close()
    assert all(f.done() and f.exception() is None for f in futures)
    conn = connect(db_path, readonly=True)
    try:
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 20
    finally:
        conn.close()
    with pytest.raises(Exception, match="not open"):
        await db.write(lambda conn: None)


def test_quick_check_accepts_a_sound_file(db_path):
    quick_check(db_path)


def test_quick_check_refuses_a_file_that_is_not_sqlite(tmp_path):
    path = tmp_path / "hub.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DatabaseCorruptError, match="not a readable SQLite database"):
        quick_check(path)


def test_quick_check_refuses_a_damaged_page(tmp_path):
    path = tmp_path / "hub.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("CREATE INDEX big_body ON big (body)")
    conn.executemany("INSERT INTO big (body) VALUES (?)", [(f"row {i} " * 20,) for i in range(2000)])
    conn.commit()
    conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 3, page * 3 + 200):  # scribble over a b-tree page
        data[offset] = 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseCorruptError):
        quick_check(path)


def test_meta_epoch_changes_on_new_epoch(db_path):
    conn = connect(db_path)
    try:
        with transaction(conn):
            first = meta.new_epoch(conn)
        with transaction(conn):
            second = meta.new_epoch(conn)
        assert first != second and meta.get(conn, "epoch") == second
    finally:
        conn.close()


async def test_a_write_and_a_read_run_in_their_callers_context(db_path):
    import contextvars

    request = contextvars.ContextVar("request", default=None)
    db = Database(db_path)
    db.open()
    try:
        request.set("req-1")
        assert await db.write(lambda conn: request.get()) == "req-1"
        assert await db.read(lambda conn: request.get()) == "req-1"
    finally:
        db.close()


async def test_a_write_whose_caller_went_away_before_it_ran_is_skipped_and_the_writer_goes_on(db_path):
    db = Database(db_path)
    db.open()
    inside, release = threading.Event(), threading.Event()
    try:
        def hold(conn):
            inside.set()
            assert release.wait(10)

        first = asyncio.ensure_future(db.write(hold))
        await asyncio.get_running_loop().run_in_executor(None, inside.wait, 10)
        gone = asyncio.ensure_future(db.write(lambda conn: conn.execute("INSERT INTO t (n) VALUES (1)")))
        await asyncio.sleep(0.01)
        gone.cancel()  # the request was cancelled (its client hung up) while the write waited
        kept = asyncio.ensure_future(db.write(lambda conn: conn.execute("INSERT INTO t (n) VALUES (2)")))
        await asyncio.sleep(0.01)
        release.set()
        await first
        await kept
        assert await db.read(lambda c: [r[0] for r in c.execute("SELECT n FROM t")]) == [2]
        assert await db.write(lambda conn: "still writing") == "still writing"
    finally:
        release.set()
        db.close()


async def test_the_checkpointer_thread_copies_the_wal_back_not_the_committing_writer(db_path, monkeypatch):
    from hub.db import connection

    monkeypatch.setattr(connection, "CHECKPOINT_BYTES", 64 * 1024)
    db = Database(db_path)
    db.open()
    try:
        assert db._writer.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == connection.WRITER_AUTOCHECKPOINT_PAGES
        for i in range(40):  # a page or more of WAL each: past the lowered threshold
            await db.write(lambda conn, i=i: conn.execute("INSERT INTO t (n) VALUES (?)", (i,)))
        for _ in range(200):  # bounded: the checkpointer runs within moments of the last commit
            if db.checkpoints:
                break
            await asyncio.sleep(0.05)
        assert db.checkpoints >= 1
        assert db._checkpointer_thread.is_alive()
    finally:
        db.close()
    assert db._checkpointer_thread is None
    conn = connect(db_path, readonly=True)
    try:
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 40
    finally:
        conn.close()


def test_the_wal_watch_counts_frames_not_yet_copied_back_from_the_files_size():
    frame = 4096 + 24
    watch = WalWatch(4096)
    assert watch.pending_bytes(0) == 0 and watch.pending_bytes(32 + 10 * frame) == 10 * frame
    watch.checkpointed(10)
    assert watch.pending_bytes(32 + 10 * frame) == 0  # all copied back
    assert watch.pending_bytes(32 + 14 * frame) == 4 * frame  # four more since
    assert watch.pending_bytes(32 + 3 * frame) == 3 * frame  # shorter: the log was rewound, all new


async def test_a_rewound_log_truncates_the_wal_file_so_its_size_is_the_logs(db_path):
    db = Database(db_path)
    db.open()
    try:
        assert db._writer.execute("PRAGMA journal_size_limit").fetchone()[0] == 0
        await db.write(lambda conn: conn.executemany("INSERT INTO t (n) VALUES (?)", [(n,) for n in range(30_000)]))
        wal = db_path.parent / "hub.db-wal"
        grown = wal.stat().st_size
        other = sqlite3.connect(db_path, isolation_level=None)
        try:
            _busy, frames, copied = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            other.close()
        assert frames == copied > 50
        await db.write(lambda conn: conn.execute("INSERT INTO t (n) VALUES (1)"))  # rewinds the log
        assert wal.stat().st_size <= 32 + 4 * (4096 + 24) < grown
    finally:
        db.close()


async def test_the_checkpointer_waits_for_new_frames_not_for_the_wal_files_size(db_path, monkeypatch):
    """Once the WAL file has grown past the threshold it keeps that size; checkpointing whenever
    it is that big copied every commit back on its own (a checkpoint and its fsyncs per sale)."""
    from hub.db import connection

    monkeypatch.setattr(connection, "CHECKPOINT_BYTES", 1024 * 1024)
    db = Database(db_path)
    db.open()
    try:
        await db.write(lambda conn: conn.executemany("INSERT INTO t (n) VALUES (?)",
                                                     [(n,) for n in range(200_000)]))  # > 1 MiB of WAL
        for _ in range(200):  # bounded: the checkpointer runs within moments of the commit
            if db.checkpoints:
                break
            await asyncio.sleep(0.05)
        assert db.checkpoints >= 1
        assert (db_path.parent / "hub.db-wal").stat().st_size > connection.CHECKPOINT_BYTES
        before = db.checkpoints
        for i in range(30):  # a few pages each: some 0.4 MiB in all, well under the threshold
            await db.write(lambda conn, i=i: conn.execute("INSERT INTO t (n) VALUES (?)", (i,)))
            await asyncio.sleep(0.01)  # the checkpointer sees each commit
        assert db.checkpoints - before <= 1
    finally:
        db.close()
