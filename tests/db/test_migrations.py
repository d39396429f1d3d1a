import sqlite3

import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.db.connection import connect
from hub.db.migrations import MIGRATIONS, MigrationError, applied, current_version, head, migrate


def schema(conn: sqlite3.Connection) -> list[tuple]:
    rows = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
    ).fetchall()
    return [tuple(" ".join((r[3] or "").split()) if i == 3 else r[i] for i in range(4)) for r in rows]


def fresh_schema(tmp_path) -> list[tuple]:
    conn = connect(tmp_path / "fresh.db")
    try:
        migrate(conn)
        return schema(conn)
    finally:
        conn.close()


def test_migrations_are_numbered_without_gaps_and_uniquely_named():
    assert [m.number for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert len({m.name for m in MIGRATIONS}) == len(MIGRATIONS)


def test_migrate_from_empty_reaches_head(tmp_path):
    conn = connect(tmp_path / "hub.db")
    try:
        done = migrate(conn)
        assert [m.number for m in done] == [m.number for m in MIGRATIONS]
        assert current_version(conn) == head()
        assert migrate(conn) == []  # idempotent
    finally:
        conn.close()


@pytest.mark.parametrize("start", range(0, len(MIGRATIONS) + 1))
def test_migrate_from_every_earlier_schema_gives_the_same_schema(tmp_path, start):
    conn = connect(tmp_path / "hub.db")
    try:
        migrate(conn, target=start)
        assert current_version(conn) == start
        migrate(conn)
        assert schema(conn) == fresh_schema(tmp_path)
    finally:
        conn.close()


def test_a_database_from_a_newer_hub_is_refused(tmp_path):
    conn = connect(tmp_path / "hub.db")
    try:
        migrate(conn)
        conn.execute("INSERT INTO schema_migrations VALUES (9999, 'from_the_future', 'x')")
        with pytest.raises(MigrationError, match="newer soko-hub"):
            migrate(conn)
    finally:
        conn.close()


def test_a_renamed_migration_is_refused(tmp_path):
    conn = connect(tmp_path / "hub.db")
    try:
        migrate(conn)
        conn.execute("UPDATE schema_migrations SET name = 'renamed' WHERE number = 1")
        with pytest.raises(MigrationError, match="named"):
            migrate(conn)
    finally:
        conn.close()


def test_a_failing_migration_leaves_the_schema_untouched(tmp_path, monkeypatch):
    import hub.db.migrations as migrations

    def broken(db):
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(migrations, "MIGRATIONS",
                        (*MIGRATIONS, migrations.Migration(len(MIGRATIONS) + 1, "broken", broken)))
    conn = connect(tmp_path / "hub.db")
    try:
        with pytest.raises(RuntimeError):
            migrate(conn)
        assert current_version(conn) == len(MIGRATIONS)
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0] == 0
    finally:
        conn.close()


def test_migrate_list_shows_applied_and_pending(tmp_path, demo_store, settings):
    result = CliRunner().invoke(main, ["--data-dir", settings.data_dir, "migrate", "--list"])
    assert result.exit_code == 0, result.output
    for m in MIGRATIONS:
        assert f"{m.number:04d}  {m.name}" in result.output
    assert "pending" not in result.output
    conn = connect(settings.db_path)
    try:
        assert set(applied(conn)) == {m.number for m in MIGRATIONS}
    finally:
        conn.close()
