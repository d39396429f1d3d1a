"""`soko-hub backup create|list|verify|restore` on real files."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from hub.db import audit, meta
from hub.db.connection import connect
from hub.db.lock import InstanceLock
from tests.cli.runner import soko_hub


def read(path, fn):
    conn = connect(path, readonly=True)
    try:
        return fn(conn)
    finally:
        conn.close()


def only_backup(settings):
    (path,) = settings.backup_path.glob("hub-*.db")
    return path


def test_create_writes_a_backup_and_one_audit_entry(settings, demo_store):
    entries = read(settings.db_path, audit.count)

    result = soko_hub(settings.data_path, "backup", "create")

    assert result.exit_code == 0, result.output
    path = only_backup(settings)
    assert str(path) in result.stdout
    assert read(settings.db_path, audit.count) == entries + 1
    last = read(settings.db_path, lambda c: audit.list_entries(c, limit=1)[0])
    assert (last["action"], last["username"], last["entity_id"]) == ("backup.created", "cli", path.name)


def test_create_without_a_database_fails_with_one_line(settings):
    result = soko_hub(settings.data_path, "backup", "create")

    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: no database at {settings.db_path}"


def test_list_shows_backups_newest_first(settings, demo_store):
    assert "no backups" in soko_hub(settings.data_path, "backup", "list").stdout
    created = [soko_hub(settings.data_path, "backup", "create").stdout.split()[1] for _ in range(2)]

    result = soko_hub(settings.data_path, "backup", "list")

    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == [Path(p).name for p in reversed(created)]


def test_verify_passes_a_good_backup_given_by_name(settings, demo_store):
    soko_hub(settings.data_path, "backup", "create")
    name = only_backup(settings).name

    result = soko_hub(settings.data_path, "backup", "verify", name)

    assert result.exit_code == 0, result.output
    assert f"{name} is good" in result.stdout


def test_verify_fails_a_tampered_backup(settings, demo_store):
    soko_hub(settings.data_path, "backup", "create")
    path = only_backup(settings)
    copy = sqlite3.connect(path, isolation_level=None)
    try:
        copy.execute("DROP TRIGGER audit_log_no_update")
        copy.execute("UPDATE audit_log SET summary = '{}' WHERE seq = 1")
    finally:
        copy.close()

    result = soko_hub(settings.data_path, "backup", "verify", str(path))

    assert result.exit_code == 1
    assert "BAD  audit_chain" in result.stdout
    assert "failed verification (sha256, audit_chain)" in result.stderr


def test_restore_asks_first_and_a_no_changes_nothing(settings, demo_store):
    soko_hub(settings.data_path, "backup", "create")
    path = only_backup(settings)
    before = hashlib.sha256(settings.db_path.read_bytes()).hexdigest()

    result = soko_hub(settings.data_path, "backup", "restore", str(path), input="n\n")

    assert result.exit_code == 1
    assert "Replace" in result.output and "Aborted" in result.output
    assert hashlib.sha256(settings.db_path.read_bytes()).hexdigest() == before


def test_restore_with_yes_gives_a_new_epoch(settings, demo_store):
    soko_hub(settings.data_path, "backup", "create")

    result = soko_hub(settings.data_path, "backup", "restore", only_backup(settings).name, "--yes")

    assert result.exit_code == 0, result.output
    epoch = read(settings.db_path, lambda c: meta.get(c, "epoch"))
    assert epoch != demo_store.epoch
    assert f"new epoch {epoch}" in result.stdout
    assert "before-restore-" in result.stdout


def test_restore_refuses_while_the_hub_runs(settings, demo_store):
    soko_hub(settings.data_path, "backup", "create")

    with InstanceLock(settings.lock_path).acquire("serve"):
        result = soko_hub(settings.data_path, "backup", "restore", only_backup(settings).name, "--yes")

    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot restore while the hub runs" in result.stderr
    assert read(settings.db_path, lambda c: meta.get(c, "epoch")) == demo_store.epoch


def test_restore_of_a_missing_file_says_so(settings, demo_store):
    result = soko_hub(settings.data_path, "backup", "restore", "hub-DEMO-nothing.db", "--yes")

    assert result.exit_code == 1
    assert "no backup at hub-DEMO-nothing.db" in result.stderr
