import sqlite3

import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.db import audit
from hub.db.connection import connect, transaction


def add_entries(path, n):
    conn = connect(path)
    try:
        for i in range(n):
            with transaction(conn):
                audit.append(conn, audit.Actor(user_id="u1", username="ann"), "thing.changed", "thing",
                             f"t{i}", before={"n": i}, after={"n": i + 1, "pin": "not-a-real-pin-xyzzy"})
    finally:
        conn.close()


def tamper(path, sql, params=()):
    """Change the file the way an attacker with the sqlite3 shell would: triggers dropped first."""
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER audit_log_no_update")
    raw.execute("DROP TRIGGER audit_log_no_delete")
    raw.execute(sql, params)
    raw.commit()
    raw.close()


def verify(path):
    conn = connect(path, readonly=True)
    try:
        return audit.verify_chain(conn)
    finally:
        conn.close()


def test_entries_chain_each_to_the_one_before(demo_store, settings):
    add_entries(settings.db_path, 3)
    report = verify(settings.db_path)
    assert report.ok and report.entries >= 3
    conn = connect(settings.db_path, readonly=True)
    rows = conn.execute("SELECT prev_hash, hash FROM audit_log ORDER BY seq").fetchall()
    conn.close()
    assert rows[0][0] == audit.GENESIS_HASH
    assert all(rows[i][0] == rows[i - 1][1] for i in range(1, len(rows)))


def test_secrets_never_reach_the_summary(demo_store, settings):
    add_entries(settings.db_path, 1)
    conn = connect(settings.db_path, readonly=True)
    summaries = [r[0] for r in conn.execute("SELECT summary FROM audit_log")]
    conn.close()
    assert all("xyzzy" not in s for s in summaries)
    assert any('"pin":"<redacted>"' in s for s in summaries)


@pytest.mark.parametrize("sql", ["UPDATE audit_log SET action = 'x' WHERE seq = 1",
                                 "DELETE FROM audit_log WHERE seq = 1"])
def test_triggers_refuse_update_and_delete(demo_store, settings, sql):
    conn = connect(settings.db_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    finally:
        conn.close()


def test_verify_names_the_first_edited_entry(demo_store, settings):
    add_entries(settings.db_path, 5)
    tamper(settings.db_path, "UPDATE audit_log SET summary = '{}' WHERE entity_id = 't2'")
    report = verify(settings.db_path)
    conn = connect(settings.db_path, readonly=True)
    seq = conn.execute("SELECT seq FROM audit_log WHERE entity_id = 't2'").fetchone()[0]
    conn.close()
    assert not report.ok and report.first_broken_seq == seq
    assert "contents" in report.reason


def test_verify_notices_a_deleted_entry(demo_store, settings):
    add_entries(settings.db_path, 4)
    tamper(settings.db_path, "DELETE FROM audit_log WHERE entity_id = 't1'")
    report = verify(settings.db_path)
    assert not report.ok and "missing" in report.reason


def test_verify_notices_a_rehashed_entry(demo_store, settings):
    """Recomputing the edited entry's own hash still breaks the link from the next entry."""
    add_entries(settings.db_path, 4)
    conn = connect(settings.db_path, readonly=True)
    row = dict(conn.execute("SELECT * FROM audit_log WHERE entity_id = 't1'").fetchone())
    conn.close()
    row["action"] = "nothing.happened"
    new_hash = audit.entry_hash(row)
    tamper(settings.db_path, "UPDATE audit_log SET action = ?, hash = ? WHERE seq = ?",
           (row["action"], new_hash, row["seq"]))
    report = verify(settings.db_path)
    assert not report.ok and report.first_broken_seq == row["seq"] + 1


def test_audit_verify_command_reports_ok_and_broken(demo_store, settings):
    runner = CliRunner()
    ok = runner.invoke(main, ["--data-dir", settings.data_dir, "audit", "verify"])
    assert ok.exit_code == 0 and "audit chain ok" in ok.output
    tamper(settings.db_path, "UPDATE audit_log SET username = 'mallory' WHERE seq = 2")
    broken = runner.invoke(main, ["--data-dir", settings.data_dir, "audit", "verify"])
    assert broken.exit_code == 1
    assert "BROKEN at entry 2" in broken.output
