"""Operations' backups: stepped online copy, scratch-restore verification, identity, sealing,
USB and HQ copies, retention, staged restores."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import tarfile
import zoneinfo
from pathlib import Path

import pytest

from hub.backup import service
from hub.backup.restore import restore_backup
from hub.backup.service import verify_backup
from hub.db import audit, meta, ops as rows
from hub.db.connection import connect, transaction
from hub.ops import backups, config, crypto, schedule

ZONE = zoneinfo.ZoneInfo("Africa/Harare")


def with_conn(path: Path, fn, *args):
    conn = connect(path)
    try:
        with transaction(conn):
            return fn(conn, *args)
    finally:
        conn.close()


def set_identity(settings) -> None:
    settings.tls_path.mkdir(parents=True, exist_ok=True)
    (settings.tls_path / "hub-key.pem").write_text("-----BEGIN PRIVATE KEY-----\nTLSKEY\n")
    (settings.tls_path / "hub-cert.pem").write_text("-----BEGIN CERTIFICATE-----\nCERT\n")
    (settings.data_path / "fiscal").mkdir(parents=True, exist_ok=True)
    (settings.data_path / "fiscal" / "device-7.key").write_text("FISCALKEY-7")


def make_key(settings) -> str:
    return with_conn(settings.db_path, backups.set_up_key, audit.Actor.system("test"))


def cfg(settings, **changes):
    conn = connect(settings.db_path, readonly=True)
    try:
        return {**config.load(conn), **changes}
    finally:
        conn.close()


def test_a_run_is_verified_sealed_copied_to_usb_and_queued_for_hq(settings, demo_store, tmp_path):
    set_identity(settings)
    key = make_key(settings)
    usb = tmp_path / "usb"
    usb.mkdir()

    run = backups.run_backup(settings, cfg(settings, usb_path=str(usb)), ZONE, trigger="manual")

    assert (run.status, run.verified, run.error) == ("ok", True, "")
    assert run.usb_status == "copied" and run.hq_status == "queued"  # the bridge sends it (tests/bridge)
    assert run.hq_detail == "queued for HQ"
    copy = usb / backups.USB_FOLDER / run.bundle
    assert copy.read_bytes() == (settings.backup_path / run.bundle).read_bytes()
    assert b"SQLite format 3" not in copy.read_bytes() and b"TLSKEY" not in copy.read_bytes()
    opened = backups.open_bundle(copy, key, tmp_path / "opened")
    assert opened.name == run.name and verify_backup(opened).ok
    identity = opened.with_name(opened.name.removesuffix(".db") + backups.IDENTITY_SUFFIX)
    with tarfile.open(identity) as tar:
        assert sorted(tar.getnames()) == ["fiscal/device-7.key", "tls/hub-cert.pem", "tls/hub-key.pem"]
        assert tar.extractfile("fiscal/device-7.key").read() == b"FISCALKEY-7"


def test_record_run_writes_its_row_and_one_audit_entry(settings, demo_store):
    run = backups.run_backup(settings, cfg(settings, hq_copies=False), ZONE)

    entry = with_conn(settings.db_path, backups.record_run, audit.Actor.system("scheduler"), run)

    conn = connect(settings.db_path, readonly=True)
    try:
        row = rows.backup(conn, run.name)
        entries = audit.list_entries(conn, action="backup.created")
    finally:
        conn.close()
    assert row["status"] == "ok" and row["verified"] == 1 and row["trigger"] == "scheduled"
    assert row["usb_status"] == "off" and row["hq_status"] == "off"
    assert [e["seq"] for e in entries] == [entry["seq"]]


def test_without_a_recovery_key_nothing_leaves_the_hub(settings, demo_store, tmp_path):
    usb = tmp_path / "usb"
    usb.mkdir()

    run = backups.run_backup(settings, cfg(settings, usb_path=str(usb)), ZONE)

    assert run.status == "ok" and run.bundle == ""
    assert run.usb_status == "failed" and "recovery key" in run.usb_detail
    assert run.hq_status == "failed"
    assert not any(usb.rglob("*.db")) and not any(usb.rglob("*" + backups.BUNDLE_SUFFIX))


def test_a_missing_usb_drive_is_a_failed_copy_not_a_failed_backup(settings, demo_store, tmp_path):
    make_key(settings)

    run = backups.run_backup(settings, cfg(settings, usb_path=str(tmp_path / "absent")), ZONE)

    assert run.status == "ok" and run.usb_status == "failed" and "no USB drive" in run.usb_detail


def test_the_copy_is_one_snapshot_and_never_blocks_a_writer(settings, demo_store, monkeypatch):
    monkeypatch.setattr(service, "STEP_PAGES", 8)
    monkeypatch.setattr(service, "STEP_SLEEP_S", 0)
    writer = sqlite3.connect(settings.db_path, isolation_level=None, timeout=0)  # no waiting: locked raises
    writer.execute("CREATE TABLE IF NOT EXISTS probe_writes (n INTEGER)")
    committed = []

    def between_steps(done: int, total: int) -> None:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO probe_writes VALUES (?)", (done,))
        writer.execute("COMMIT")
        committed.append(done)

    try:
        info = service.create_backup(settings.db_path, settings.backup_path, progress=between_steps)
    finally:
        writer.close()

    assert len(committed) > 3  # every step let a write commit at once
    assert info.manifest.tables["probe_writes"] == 0  # the copy is the snapshot from before them
    assert verify_backup(info.path).ok


def test_verification_restores_into_a_scratch_file_and_compares_facts(settings, demo_store):
    info = service.create_backup(settings.db_path, settings.backup_path)
    manifest = json.loads(info.path.with_suffix(".json").read_text())
    assert {"sales", "stock_movements", "stock_levels", "audit_log"} <= set(manifest["digests"])
    assert manifest["stock_ledger_ok"] is True

    manifest["digests"]["stock_levels"] = "0" * 64  # the source held other levels at that point
    manifest["audit_last_hash"] = "f" * 64
    info.path.with_suffix(".json").write_text(json.dumps(manifest))
    report = verify_backup(info.path)

    failed = {c.name: c.reason for c in report.failures()}
    assert set(failed) == {"facts", "audit_match"}
    assert "stock_levels" in failed["facts"]



@pytest.fixture
def replacement(tmp_path):
    from tests.hubtest import make_settings

    return make_settings(tmp_path / "replacement")


def test_a_replacement_hub_keeps_its_identity_and_facts(settings, demo_store, tmp_path, replacement):
    set_identity(settings)
    key = make_key(settings)
    run = backups.run_backup(settings, cfg(settings), ZONE)
    conn = connect(settings.db_path, readonly=True)
    hub_id = meta.get(conn, "hub_id")
    sales = conn.execute("SELECT count(*) FROM sales").fetchone()[0]
    conn.close()

    opened = backups.open_bundle(settings.backup_path / run.bundle, key, replacement.backup_path)
    result = restore_backup(opened, replacement.db_path, replacement.lock_path)
    identity = opened.with_name(opened.name.removesuffix(".db") + backups.IDENTITY_SUFFIX)
    restored = backups.restore_identity(identity, replacement)

    assert sorted(restored) == ["fiscal/device-7.key", "tls/hub-cert.pem", "tls/hub-key.pem"]
    assert (replacement.tls_path / "hub-key.pem").read_text() == (settings.tls_path / "hub-key.pem").read_text()
    assert (replacement.data_path / "fiscal" / "device-7.key").stat().st_mode & 0o077 == 0
    conn = connect(replacement.db_path, readonly=True)
    try:
        assert meta.get(conn, "hub_id") == hub_id and result.new_epoch != result.backup_epoch
        assert conn.execute("SELECT count(*) FROM sales").fetchone()[0] == sales
    finally:
        conn.close()


def test_a_wrong_recovery_key_opens_nothing(settings, demo_store, tmp_path):
    make_key(settings)
    run = backups.run_backup(settings, cfg(settings), ZONE)

    with pytest.raises(crypto.RecoveryKeyError):
        backups.open_bundle(settings.backup_path / run.bundle, crypto.new_recovery_key(), tmp_path / "x")
    assert not any((tmp_path / "x").glob("*.db"))


def test_a_tampered_bundle_is_refused(settings, demo_store, tmp_path):
    key = make_key(settings)
    run = backups.run_backup(settings, cfg(settings), ZONE)
    bundle = settings.backup_path / run.bundle
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 1
    bundle.write_bytes(bytes(data))

    with pytest.raises(crypto.RecoveryKeyError):
        backups.open_bundle(bundle, key, tmp_path / "x")


def test_a_staged_restore_is_applied_before_the_next_start(settings, demo_store):
    set_identity(settings)
    run = backups.run_backup(settings, cfg(settings, hq_copies=False), ZONE)
    (settings.tls_path / "hub-key.pem").write_text("a key made after the backup")
    with_conn(settings.db_path, backups.stage_restore, audit.Actor(username="manager"), settings.data_path,
              settings.backup_path, run.name)
    assert backups.pending_restore(settings.data_path)["name"] == run.name

    done = backups.apply_pending(settings)

    assert run.name in done and backups.pending_restore(settings.data_path) is None
    assert (settings.tls_path / "hub-key.pem").read_text().endswith("TLSKEY\n")
    assert backups.apply_pending(settings) is None
    conn = connect(settings.db_path, readonly=True)
    try:
        actions = [e["action"] for e in audit.list_entries(conn)][:3]
    finally:
        conn.close()
    assert "backup.restored" in actions


def test_retention_prunes_the_oldest_and_their_usb_copies(settings, demo_store, tmp_path, monkeypatch):
    make_key(settings)
    usb = tmp_path / "usb"
    usb.mkdir()
    moments = iter([dt.datetime(2026, 11, d, 10, tzinfo=dt.timezone.utc) for d in (20, 21, 22, 23)])
    monkeypatch.setattr(service, "_moment", lambda _floor: next(moments))
    runs = [backups.run_backup(settings, cfg(settings, usb_path=str(usb), keep_daily=2, keep_weekly=0), ZONE)
            for _ in range(4)]

    assert runs[-1].pruned and set(runs[-1].pruned) | set(runs[-2].pruned) == {runs[0].name, runs[1].name}
    left = sorted(p.name for p in settings.backup_path.glob("hub-*.db"))
    assert left == sorted(r.name for r in runs[2:])
    assert sorted(p.name for p in (usb / backups.USB_FOLDER).iterdir()) == sorted(r.bundle for r in runs[2:])


def test_keep_takes_the_newest_of_each_day_and_each_week():
    at = lambda d, h: dt.datetime(2026, 11, d, h, tzinfo=ZONE)  # noqa: E731
    stamps = [("a", at(2, 9)), ("b", at(9, 9)), ("c", at(16, 9)), ("d", at(23, 9)), ("e", at(24, 9)),
              ("f", at(24, 20)), ("g", at(25, 9))]

    assert schedule.keep(stamps, daily=2, weekly=0) == {"g", "f"}
    assert schedule.keep(stamps, daily=2, weekly=3) == {"g", "f", "c", "b"}
    assert schedule.keep(stamps, daily=1, weekly=10) == {"g", "c", "b", "a"}
    assert schedule.keep(stamps, daily=1, weekly=0, since=at(24, 12)) == {"g", "f"}  # the last day's: all


def test_a_backup_on_demand_never_prunes_the_same_days_earlier_one(settings, demo_store):
    first = backups.run_backup(settings, cfg(settings, keep_daily=1, keep_weekly=0), ZONE)
    second = backups.run_backup(settings, cfg(settings, keep_daily=1, keep_weekly=0), ZONE)

    assert second.pruned == [] and (settings.backup_path / first.name).is_file()


def test_a_backup_is_due_at_each_time_until_one_ran():
    at = lambda h, m=0, d=26: dt.datetime(2026, 11, d, h, m, tzinfo=ZONE)  # noqa: E731

    assert schedule.latest_due(at(12, 59), ["13:00", "22:00"], 0, at(22, 5, d=25)) is None
    assert schedule.latest_due(at(13, 1), ["13:00", "22:00"], 0, at(22, 5, d=25)) == at(13)
    assert schedule.latest_due(at(13, 1), ["13:00", "22:00"], 0, at(13, 0, d=26)) is None
    assert schedule.latest_due(at(9), ["13:00", "22:00"], 0, at(13, 0, d=25)) == at(22, d=25)
    assert schedule.latest_due(at(9), [], 4, at(4, 59)) == at(8, 59)
    assert schedule.latest_due(at(9), [], 4, at(5, 1)) is None
    assert schedule.latest_due(at(9), [], 0, None) is None
