"""Restoring a backup over hub.db: refusals that change nothing, a new epoch, nothing lost."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import httpx
import pytest

from hub.backup import RestoreRefusedError, create_backup, restore_backup
from hub.db import audit, meta, users
from hub.db.connection import connect, transaction
from hub.db.lock import InstanceLock
from tests.hubtest import HubServer, fast_hasher


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read(path: Path, fn):
    conn = connect(path, readonly=True)
    try:
        return fn(conn)
    finally:
        conn.close()


def add_user(conn, username: str) -> None:
    role = conn.execute("SELECT id FROM roles WHERE name = 'cashier'").fetchone()[0]
    with transaction(conn):
        users.create_user(conn, username=username, display_name=username, role_id=role,
                          pin_hash=fast_hasher().hash("2468"))


def data_dir_files(settings) -> set[str]:
    return {p.name for p in settings.data_path.iterdir()} - {settings.lock_path.name}


def test_restore_gives_a_new_epoch_and_records_it_in_the_audit_log(settings, demo_store):
    backup = create_backup(settings.db_path, settings.backup_path)

    result = restore_backup(backup.path, settings.db_path, settings.lock_path)

    assert result.new_epoch not in (demo_store.epoch, None)
    assert (result.old_epoch, result.backup_epoch) == (demo_store.epoch, demo_store.epoch)
    assert read(settings.db_path, lambda c: meta.get(c, "epoch")) == result.new_epoch
    entry = read(settings.db_path, lambda c: audit.list_entries(c, limit=1)[0])
    assert (entry["action"], entry["username"]) == ("backup.restored", "cli")
    assert entry["summary"]["detail"] == {"backup": backup.name, "old_epoch": demo_store.epoch,
                                          "backup_epoch": demo_store.epoch, "new_epoch": result.new_epoch}
    assert read(settings.db_path, audit.verify_chain).ok
    assert read(settings.db_path, lambda c: c.execute("PRAGMA integrity_check").fetchone()[0]) == "ok"


def test_restore_puts_the_backup_back_and_keeps_the_replaced_database_whole(settings, demo_store):
    backup = create_backup(settings.db_path, settings.backup_path)
    # Written after the backup and left in hub.db-wal by a connection that stays open, so only
    # checkpointing before keeping the old file saves it.
    late = connect(settings.db_path)
    try:
        add_user(late, "late-cashier")
        assert Path(str(settings.db_path) + "-wal").stat().st_size > 0

        result = restore_backup(backup.path, settings.db_path, settings.lock_path)
    finally:
        late.close()

    assert read(settings.db_path, lambda c: users.get_user_by_username(c, "late-cashier")) is None
    assert result.kept is not None and result.kept.name.startswith("hub.db.before-restore-")
    assert not Path(str(result.kept) + "-wal").exists()  # checkpointed: the kept file alone is whole
    kept = sqlite3.connect(f"file:{result.kept}?mode=ro", uri=True)
    try:
        assert kept.execute("SELECT count(*) FROM users WHERE username = 'late-cashier'").fetchone()[0] == 1
    finally:
        kept.close()
    assert not {n for n in data_dir_files(settings) if n.endswith(".tmp")}


def test_restore_refuses_while_the_hub_holds_the_lock(settings, demo_store):
    backup = create_backup(settings.db_path, settings.backup_path)
    before = digest(settings.db_path)
    files = data_dir_files(settings)

    with InstanceLock(settings.lock_path).acquire("serve"):
        with pytest.raises(RestoreRefusedError, match="stop the running hub"):
            restore_backup(backup.path, settings.db_path, settings.lock_path)

    assert digest(settings.db_path) == before
    assert data_dir_files(settings) == files


def test_restore_refuses_a_tampered_backup_and_leaves_the_database_untouched(settings, demo_store):
    backup = create_backup(settings.db_path, settings.backup_path)
    copy = sqlite3.connect(backup.path, isolation_level=None)
    try:
        copy.execute("DROP TRIGGER audit_log_no_update")
        copy.execute("UPDATE audit_log SET action = 'nothing.happened' WHERE seq = 1")
    finally:
        copy.close()
    before = digest(settings.db_path)
    files = data_dir_files(settings)

    with pytest.raises(RestoreRefusedError, match="failed verification .*audit_chain.*nothing was changed"):
        restore_backup(backup.path, settings.db_path, settings.lock_path)

    assert digest(settings.db_path) == before
    assert data_dir_files(settings) == files
    assert read(settings.db_path, lambda c: meta.get(c, "epoch")) == demo_store.epoch


def test_restore_carries_the_later_time_floor_of_the_replaced_database(settings, demo_store):
    backup = create_backup(settings.db_path, settings.backup_path)
    future = "2099-06-01T12:00:00.000000Z"
    conn = connect(settings.db_path)
    try:
        with transaction(conn):
            meta.put(conn, "time_floor", future)
    finally:
        conn.close()

    result = restore_backup(backup.path, settings.db_path, settings.lock_path)

    assert read(settings.db_path, lambda c: meta.get(c, "time_floor")) >= future
    assert result.time_floor >= future
    entry = read(settings.db_path, lambda c: audit.list_entries(c, limit=1)[0])
    assert entry["at"] >= future  # the restore itself is not recorded before the floor


def test_restore_replaces_an_unreadable_database_and_keeps_its_bytes(settings, demo_store):
    backup = create_backup(settings.db_path, settings.backup_path)
    garbage = b"this is not a database " * 400
    settings.db_path.write_bytes(garbage)
    for suffix in ("-wal", "-shm"):
        Path(str(settings.db_path) + suffix).unlink(missing_ok=True)

    result = restore_backup(backup.path, settings.db_path, settings.lock_path)

    assert result.kept.read_bytes() == garbage
    assert result.old_epoch is None
    assert read(settings.db_path, lambda c: meta.get(c, "epoch")) == result.new_epoch


def test_restore_onto_a_data_directory_without_a_database(settings, demo_store, tmp_path):
    backup = create_backup(settings.db_path, tmp_path / "usb")
    fresh = tmp_path / "fresh-pi"

    result = restore_backup(backup.path, fresh / "hub.db", fresh / "hub.lock")

    assert result.kept is None
    assert read(fresh / "hub.db", lambda c: meta.get(c, "hub_id")) == demo_store.hub_id


def test_the_hub_serves_the_restored_database_under_its_new_epoch(settings, demo_store):
    backup = create_backup(settings.db_path, settings.backup_path)
    result = restore_backup(backup.path, settings.db_path, settings.lock_path)

    server = HubServer(settings).start()
    try:
        health = httpx.get(f"{server.url}/api/v1/health", timeout=10).json()
    finally:
        server.stop()

    assert (health["epoch"], health["hub_id"]) == (result.new_epoch, demo_store.hub_id)
