"""`soko-hub sync trim`: the feed keeps recent changes and the newest row of every entity."""

from __future__ import annotations

from hub.db import audit
from hub.db.changes import record_change
from hub.db.connection import connect, transaction
from hub.sync import feed
from tests.cli.runner import soko_hub


def _rows(settings, sql, *params):
    conn = connect(settings.db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _old_changes(settings):
    conn = connect(settings.db_path)
    try:
        with transaction(conn):
            for version in (1, 2, 3):
                record_change(conn, "unit", "u-old", version, "upsert", {"v": version})
            record_change(conn, "role", "r-gone", 2, "delete", None)
            conn.execute("UPDATE changes SET recorded_at = '2020-01-01T00:00:00.000000Z' "
                         "WHERE entity_id IN ('u-old', 'r-gone')")
        with transaction(conn):
            record_change(conn, "unit", "u-old", 4, "upsert", {"v": 4})  # recent: kept
    finally:
        conn.close()


def test_trim_drops_old_replaced_rows_and_deletes_and_marks_the_cursor_floor(settings, demo_store):
    _old_changes(settings)
    before = {r[0] for r in _rows(settings, "SELECT entity || '/' || entity_id FROM changes WHERE op = 'upsert'")}
    result = soko_hub(settings.data_dir, "sync", "trim", "--days", "30")
    assert result.exit_code == 0, result.output
    assert "rows removed" in result.output
    left = _rows(settings, "SELECT version FROM changes WHERE entity_id = 'u-old' ORDER BY seq")
    assert [r[0] for r in left] == [4]
    assert _rows(settings, "SELECT count(*) FROM changes WHERE entity_id = 'r-gone'")[0][0] == 0
    # Every live entity keeps its newest row: a snapshot still has them all.
    after = {r[0] for r in _rows(settings, "SELECT entity || '/' || entity_id FROM changes WHERE op = 'upsert'")}
    assert after == before
    through = _rows(settings, "SELECT value FROM meta WHERE key = ?", feed.TRIMMED_KEY)[0][0]
    newest_old = _rows(settings, "SELECT max(seq) FROM changes WHERE recorded_at < '2021-01-01'")[0][0]
    assert int(through) >= 3 and (newest_old is None or newest_old <= int(through))
    actions = _rows(settings, "SELECT action FROM audit_log ORDER BY seq DESC LIMIT 1")
    assert actions[0][0] == "sync.feed_trimmed"
    again = soko_hub(settings.data_dir, "sync", "trim", "--days", "30")
    assert again.exit_code == 0 and "0 rows removed" in again.output
    conn = connect(settings.db_path)
    try:
        assert audit.verify_chain(conn).ok
    finally:
        conn.close()
