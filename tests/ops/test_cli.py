"""`soko-hub backup run|run-scheduled|schedule|encrypt|open|restore --with-identity`, `doctor`,
`support-bundle` on real files."""

from __future__ import annotations

import datetime as dt
import json
import re
import tarfile

from hub.clock import format_ts, utc_now
from hub.db import meta, tokens, users
from hub.db.connection import connect, transaction
from tests.cli.runner import soko_hub


def recovery_key(output: str) -> str:
    return re.search(r"\b[A-Z2-7]{4}(?:-[A-Z2-7]{4}){7}\b", output).group(0)


def test_encrypt_run_open_and_restore_with_identity(settings, demo_store, tmp_path):
    data = settings.data_path
    (data / "tls").mkdir()
    (data / "tls" / "hub-key.pem").write_text("the hub's TLS key")
    usb = tmp_path / "usb"
    usb.mkdir()

    made = soko_hub(data, "backup", "encrypt", "--kit", str(tmp_path / "kit.html"))
    assert made.exit_code == 0, made.output
    key = recovery_key(made.output)
    assert key in (tmp_path / "kit.html").read_text()
    assert soko_hub(data, "backup", "schedule", "--usb-path", str(usb), "--keep-daily", "3").exit_code == 0

    ran = soko_hub(data, "backup", "run")

    assert ran.exit_code == 0, ran.output
    assert "verified" in ran.output and "USB: copied" in ran.output and "HQ: queued" in ran.output
    (bundle,) = (usb / "soko-hub-backups").glob("*.sokobak")
    (data / "tls" / "hub-key.pem").write_text("a new key the tills do not know")
    for path in settings.backup_path.iterdir():
        path.unlink()  # the old hub's disk is gone: only the USB copy is left

    opened = soko_hub(data, "backup", "open", str(bundle), input=key + "\n")
    assert opened.exit_code == 0, opened.output
    name = re.search(r"unsealed (hub-\S+\.db)", opened.output).group(1)
    restored = soko_hub(data, "backup", "restore", name, "--with-identity", "--yes")

    assert restored.exit_code == 0, restored.output
    assert (data / "tls" / "hub-key.pem").read_text() == "the hub's TLS key"


def test_open_refuses_a_wrong_recovery_key(settings, demo_store, tmp_path):
    data = settings.data_path
    soko_hub(data, "backup", "encrypt")
    assert soko_hub(data, "backup", "run", "--no-progress").exit_code == 0
    (bundle,) = settings.backup_path.glob("*.sokobak")

    result = soko_hub(data, "backup", "open", str(bundle), input="AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA\n")

    assert result.exit_code == 1 and "not to the one given" in result.output


def test_run_scheduled_runs_once_per_due_time(settings, demo_store):
    first = soko_hub(settings.data_path, "backup", "run-scheduled")
    second = soko_hub(settings.data_path, "backup", "run-scheduled")

    assert first.exit_code == 0 and "runs now" in first.output
    assert second.exit_code == 0 and "no scheduled backup is due" in second.output
    assert len(list(settings.backup_path.glob("hub-*.db"))) == 1


def test_schedule_refuses_a_bad_time(settings, demo_store):
    result = soko_hub(settings.data_path, "backup", "schedule", "--at", "25:00")

    assert result.exit_code == 1 and "backup_times" in result.output


def test_doctor_prints_findings_and_fails_when_the_clock_is_behind_the_floor(settings, demo_store):
    ok = soko_hub(settings.data_path, "doctor", "--json")
    report = json.loads(ok.output)
    assert {f["key"] for f in report["findings"]} >= {"database", "disk", "clock", "tls", "printers", "mdns", "hq",
                                                     "fiscal", "backups", "shutdowns", "power", "sd_card"}
    assert all(f["severity"] in ("ok", "info", "warning", "critical") for f in report["findings"])
    assert ok.exit_code == (1 if report["status"] == "critical" else 0)
    conn = connect(settings.db_path)
    with transaction(conn):
        meta.put(conn, "time_floor", format_ts(utc_now() + dt.timedelta(days=3)))
    conn.close()

    bad = soko_hub(settings.data_path, "doctor")

    assert bad.exit_code == 1
    assert "CRIT  Clock behind recorded time" in bad.output and "fix: " in bad.output


def test_the_support_bundle_holds_no_secret(settings, demo_store, tmp_path):
    data = settings.data_path
    (data / "tls").mkdir()
    (data / "tls" / "hub-key.pem").write_text("-----BEGIN PRIVATE KEY-----\nTLSKEYMATERIAL\n-----END PRIVATE KEY-----\n")
    (data / "hq").mkdir()
    (data / "hq" / "credentials.json").write_text('{"token": "hq-secret-token-123"}')
    key = recovery_key(soko_hub(data, "backup", "encrypt").output)
    conn = connect(settings.db_path)
    with transaction(conn):
        user = users.get_user_by_username(conn, "admin")
        token, _row = tokens.issue(conn, user_id=user["id"], kind="access",
                                   expires_at=format_ts(utc_now() + dt.timedelta(hours=1)))
        hashes = [r[0] for r in conn.execute("SELECT password_hash FROM users WHERE password_hash IS NOT NULL")]
        hashes += [r[0] for r in conn.execute("SELECT pin_hash FROM users WHERE pin_hash IS NOT NULL")]
        token_hashes = [r[0] for r in conn.execute("SELECT token_hash FROM tokens")]
    conn.close()
    (data / "logs").mkdir()
    (data / "logs" / "hub.log").write_text(
        f"2026-11-26 09:00:00 INFO hub.access [01abc] GET /api/v1/me Authorization: Bearer {token}\n"
        f"2026-11-26 09:00:01 INFO hub.users [01abd] password={demo_store.credentials[0][2]} set\n"
        f"2026-11-26 09:00:02 DEBUG hub.db [01abe] row {hashes[0]}\n"
        f"2026-11-26 09:00:03 INFO hub.ops [01abf] recovery key {key}\n")

    result = soko_hub(data, "support-bundle", "-o", str(tmp_path / "bundle.tar.gz"))

    assert result.exit_code == 0, result.output
    with tarfile.open(tmp_path / "bundle.tar.gz") as tar:
        names = tar.getnames()
        text = "".join(tar.extractfile(m).read().decode() for m in tar.getmembers() if m.isfile())
    assert {n.split("/")[-1] for n in names} >= {"versions.json", "settings.json", "doctor.json", "logs.txt",
                                                 "audit.json", "backups.json"}
    assert "[01abc]" in text and "hub.access" in text  # the logs and their request ids are there
    secrets = [token, key, "TLSKEYMATERIAL", "hq-secret-token-123", *hashes, *token_hashes,
               *(pw for _u, _r, pw, _pin in demo_store.credentials)]
    leaked = [s for s in secrets if s and s in text]
    assert leaked == []
    assert "$argon2" not in text
