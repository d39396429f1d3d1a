"""Migration 0014 on a store with adjustments made under 0009: every adjustment and line is kept
as it was; a draft's lines may now be deleted (replaced) and a draft discarded, while a posted
adjustment's lines and a discarded one stay as they are."""

from __future__ import annotations

import sqlite3

import pytest

from hub.catalogue.seed import seed_reference_data
from hub.db.audit import Actor
from hub.db.connection import connect, transaction
from hub.db.migrations import migrate
from tests.db.test_migration_stock_ledger import ENTERED, _product


def _adjustment(conn, adjustment_id, number, status):
    conn.execute("INSERT INTO adjustments (id, number, status, reason_code, note, value, created_by, created_at)"
                 " VALUES (?, ?, ?, 'damaged', 'shelf', 150, 'grace', ?)", (adjustment_id, number, status, ENTERED))
    conn.execute("INSERT INTO adjustment_lines (adjustment_id, line, product_id, quantity, cost, reason_code)"
                 " VALUES (?, 0, 'p-bread', -1000, 150, 'damaged')", (adjustment_id,))


def test_adjustments_survive_and_only_a_drafts_lines_may_be_replaced(tmp_path):
    conn = connect(tmp_path / "hub.db")
    try:
        migrate(conn, target=13)
        with transaction(conn):
            seed_reference_data(conn, Actor.system("test"))
            _product(conn, "p-bread", "BREAD")
            _adjustment(conn, "a-draft", 1, "draft")
            _adjustment(conn, "a-posted", 2, "posted")
            _adjustment(conn, "a-other", 3, "draft")
        before = [tuple(r) for r in conn.execute("SELECT * FROM adjustments ORDER BY number")]
        lines = [tuple(r) for r in conn.execute("SELECT * FROM adjustment_lines ORDER BY adjustment_id")]
        migrate(conn)
        assert [tuple(r) for r in conn.execute("SELECT * FROM adjustments ORDER BY number")] == before
        assert [tuple(r) for r in conn.execute("SELECT * FROM adjustment_lines ORDER BY adjustment_id")] == lines
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert not conn.execute("SELECT name FROM sqlite_master WHERE name LIKE '%_0009'").fetchall()

        with transaction(conn):
            conn.execute("DELETE FROM adjustment_lines WHERE adjustment_id = 'a-draft'")
            conn.execute("UPDATE adjustments SET status = 'discarded' WHERE id = 'a-other'")
        with pytest.raises(sqlite3.IntegrityError, match="never deleted once it is not a draft"):
            conn.execute("DELETE FROM adjustment_lines WHERE adjustment_id = 'a-posted'")
        with pytest.raises(sqlite3.IntegrityError, match="never edited"):
            conn.execute("UPDATE adjustments SET status = 'draft' WHERE id = 'a-other'")
        with pytest.raises(sqlite3.IntegrityError, match="never edited"):
            conn.execute("UPDATE adjustment_lines SET quantity = 5 WHERE adjustment_id = 'a-other'")
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            conn.execute("UPDATE adjustments SET status = 'lost' WHERE id = 'a-draft'")
    finally:
        conn.close()
