"""Taking, listing and verifying backups of real database files."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from hub.backup import service
from hub.backup.service import BackupError, create_backup, list_backups, verify_backup
from hub.db import audit, meta
from hub.db.connection import Database, connect, transaction
from hub.db.migrations import head

WAIT_S = 30  # upper bound on waiting for the writer thread; never reached when all is well


def failed(report) -> dict[str, str]:
    return {c.name: c.reason for c in report.failures()}


def audit_count(path: Path) -> int:
    conn = connect(path, readonly=True)
    try:
        return audit.count(conn)
    finally:
        conn.close()


def test_backup_is_named_for_the_store_private_and_described_by_its_manifest(settings, demo_store):
    info = create_backup(settings.db_path, settings.backup_path)

    assert re.fullmatch(r"hub-DEMO-\d{8}T\d{6}Z\.db", info.name)
    manifest_file = info.path.with_suffix(".json")
    for path in (info.path, manifest_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    manifest = json.loads(manifest_file.read_text())
    data = info.path.read_bytes()
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["size"] == len(data)
    assert (manifest["hub_id"], manifest["store_id"], manifest["epoch"]) == \
        (demo_store.hub_id, demo_store.store_id, demo_store.epoch)
    assert manifest["store_code"] == "DEMO"
    assert manifest["schema_version"] == head()
    assert manifest["tables"]["users"] == 4
    assert manifest["audit_entries"] == audit_count(settings.db_path)
    copy = sqlite3.connect(info.path)
    try:
        last = copy.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()[0]
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # no -wal needed
    finally:
        copy.close()
    assert manifest["audit_last_hash"] == last
    assert not list(settings.backup_path.glob("*.tmp")), "temp files left behind"


def test_backup_taken_while_the_writer_inserts_audit_entries_is_consistent(settings, demo_store):
    db = Database(settings.db_path, readers=1)
    db.open()
    stop = threading.Event()
    progress = threading.Condition()
    written = [0]

    def tick(conn):
        audit.append(conn, audit.Actor.system("test"), "test.tick", "test", detail={"n": written[0]})

    def writer() -> None:
        while not stop.is_set():
            db.write_sync(tick)
            with progress:
                written[0] += 1
                progress.notify_all()

    def wait_for(n: int) -> None:
        with progress:
            assert progress.wait_for(lambda: written[0] >= n, WAIT_S), "the writer stalled"

    thread = threading.Thread(target=writer, name="test-audit-writer")
    thread.start()
    infos, windows = [], []
    try:
        for _ in range(3):
            wait_for(written[0] + 10)  # the writer is committing as each backup starts
            before = audit_count(settings.db_path)
            infos.append(create_backup(settings.db_path, settings.backup_path))
            windows.append((before, audit_count(settings.db_path)))
    finally:
        stop.set()
        thread.join(WAIT_S)
        db.close()

    for info, (before, after) in zip(infos, windows):
        # A snapshot from inside the window: nothing committed before it started is missing.
        assert before <= info.manifest.audit_entries <= after
        report = verify_backup(info.path)
        assert report.ok, failed(report)
        copy = sqlite3.connect(info.path)
        try:
            assert copy.execute("SELECT count(*) FROM audit_log").fetchone()[0] == info.manifest.audit_entries
        finally:
            copy.close()
    counts = [i.manifest.audit_entries for i in infos]
    assert counts == sorted(set(counts)), "each backup should hold more entries than the one before"


def test_two_backups_in_one_second_get_distinct_names_and_list_newest_first(settings, demo_store, monkeypatch):
    moments = iter(dt.datetime(2099, 1, 2, 3, 4, 5, us, tzinfo=dt.timezone.utc) for us in (1, 2))
    monkeypatch.setattr(service, "utc_now", lambda: next(moments))

    first = create_backup(settings.db_path, settings.backup_path)
    second = create_backup(settings.db_path, settings.backup_path)

    assert first.name == "hub-DEMO-20990102T030405Z.db"
    assert second.name == "hub-DEMO-20990102T030405Z-2.db"
    assert second.path.with_suffix(".json").exists()
    assert [i.name for i in list_backups(settings.backup_path)] == [second.name, first.name]


def test_a_backup_is_never_dated_before_the_latest_fact_it_holds(settings, demo_store, monkeypatch):
    monkeypatch.setattr(service, "utc_now", lambda: dt.datetime(2001, 1, 1, tzinfo=dt.timezone.utc))
    conn = connect(settings.db_path)
    try:
        floor = meta.get(conn, "time_floor")
    finally:
        conn.close()

    info = create_backup(settings.db_path, settings.backup_path)

    assert info.manifest.created_at == floor
    assert not info.name.startswith("hub-DEMO-2001")


def test_verify_passes_a_good_backup_with_every_check(settings, demo_store):
    info = create_backup(settings.db_path, settings.backup_path)

    report = verify_backup(info.path)

    assert report.ok
    assert [c.name for c in report.checks] == ["manifest", "size", "sha256", "integrity", "audit_chain", "schema",
                                              "facts", "stock_ledger", "audit_match"]


def test_verify_catches_a_flipped_byte(settings, demo_store):
    info = create_backup(settings.db_path, settings.backup_path)
    data = bytearray(info.path.read_bytes())
    data[len(data) - 10] ^= 0x01
    info.path.write_bytes(data)

    report = verify_backup(info.path)

    assert not report.ok
    assert "differs from the manifest" in failed(report)["sha256"]


def test_verify_catches_a_damaged_page(settings, demo_store):
    info = create_backup(settings.db_path, settings.backup_path)
    data = bytearray(info.path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    for i in range(page_size, page_size + 64):  # the header of page 2, a b-tree page
        data[i] ^= 0xFF
    info.path.write_bytes(data)

    report = verify_backup(info.path)

    assert {"sha256", "integrity"} <= set(failed(report))


def test_verify_catches_an_audit_entry_edited_with_the_triggers_dropped(settings, demo_store, tmp_path):
    info = create_backup(settings.db_path, settings.backup_path)
    copy = sqlite3.connect(info.path, isolation_level=None)
    try:
        copy.execute("DROP TRIGGER audit_log_no_update")
        copy.execute("UPDATE audit_log SET username = 'someone-else' WHERE seq = 2")
    finally:
        copy.close()

    report = verify_backup(info.path)

    reasons = failed(report)
    assert reasons["audit_chain"].startswith("broken at entry 2")
    assert "integrity" not in reasons  # the file is sound; only its history was rewritten


def test_verify_refuses_a_backup_without_its_manifest(settings, demo_store):
    info = create_backup(settings.db_path, settings.backup_path)
    info.path.with_suffix(".json").unlink()

    report = verify_backup(info.path)

    assert "no manifest" in failed(report)["manifest"]
    assert not report.ok


def test_no_backup_is_kept_of_a_database_whose_audit_chain_is_broken(settings, demo_store):
    conn = sqlite3.connect(settings.db_path, isolation_level=None)
    try:
        conn.execute("DROP TRIGGER audit_log_no_delete")
        conn.execute("DELETE FROM audit_log WHERE seq = 1")
    finally:
        conn.close()

    with pytest.raises(BackupError, match="audit chain .* is broken"):
        create_backup(settings.db_path, settings.backup_path)

    assert list(settings.backup_path.iterdir()) == []


def test_list_backups_of_a_missing_directory_is_empty(tmp_path):
    assert list_backups(tmp_path / "nowhere") == []


def test_audit_entry_for_a_backup_names_it(settings, demo_store):
    info = create_backup(settings.db_path, settings.backup_path)
    conn = connect(settings.db_path)
    try:
        with transaction(conn):
            service.record_created(conn, audit.Actor.system("cli"), info)
        entry = audit.list_entries(conn, limit=1)[0]
    finally:
        conn.close()
    assert (entry["action"], entry["entity_id"], entry["username"]) == ("backup.created", info.name, "cli")
    assert entry["summary"]["detail"]["sha256"] == info.manifest.sha256


def test_an_unreadable_database_is_refused_with_a_clear_error(settings, tmp_path):
    settings.data_path.mkdir(parents=True)
    settings.db_path.write_bytes(b"not a database at all " * 300)

    with pytest.raises(BackupError, match="could not copy .*no backup was kept"):
        create_backup(settings.db_path, settings.backup_path)

    assert list(settings.backup_path.iterdir()) == []
