import pytest

from hub.db.changes import changes_since, latest_seq, record_change
from hub.db.connection import connect, transaction
from hub.db.migrations import migrate


@pytest.fixture
def conn(tmp_path):
    c = connect(tmp_path / "hub.db")
    migrate(c)
    yield c
    c.close()


def test_changes_are_read_back_in_order_after_a_cursor(conn):
    with transaction(conn):
        first = record_change(conn, "product", "p1", 1, "upsert", {"name": "Bread", "price": 150})
        second = record_change(conn, "product", "p1", 2, "delete", None)
    assert second > first == 1
    rows = changes_since(conn, 0)
    assert [(r["seq"], r["version"], r["op"], r["data"]) for r in rows] == [
        (first, 1, "upsert", {"name": "Bread", "price": 150}), (second, 2, "delete", None)]
    assert changes_since(conn, first) == rows[1:]
    assert latest_seq(conn) == second


def test_a_change_rolls_back_with_its_transaction(conn):
    with pytest.raises(RuntimeError), transaction(conn):
        record_change(conn, "product", "p1", 1, "upsert", {})
        raise RuntimeError("the change itself failed")
    assert changes_since(conn, 0) == []


def test_seq_is_never_reused_after_trimming(conn):
    with transaction(conn):
        last = [record_change(conn, "tax", f"t{i}", 1, "upsert", {}) for i in range(3)][-1]
        conn.execute("DELETE FROM changes")
        again = record_change(conn, "tax", "t9", 1, "upsert", {})
    assert again > last


def test_unknown_op_and_bad_version_are_refused(conn):
    with pytest.raises(ValueError):
        record_change(conn, "x", "1", 1, "merge", {})  # type: ignore[arg-type]
    import sqlite3
    with pytest.raises(sqlite3.IntegrityError):
        record_change(conn, "x", "1", 0, "upsert", {})
