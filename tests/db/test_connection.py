import asyncio
import sqlite3
import threading

import pytest

from hub.db import meta
from hub.db.connection import (Database, DatabaseCorruptError, connect, quick_check,
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
