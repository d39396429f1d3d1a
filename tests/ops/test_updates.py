"""Signed update bundles: verification, guards, install beside, atomic switch, health check, rollback."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import hub
from hub.db import audit, ops as rows
from hub.db.connection import connect, transaction
from hub.db.migrations import current_version
from hub.ops import updates

NIGHT = dt.datetime(2026, 11, 26, 23, 30, tzinfo=dt.timezone.utc)  # 01:30 in Harare: closed
NOON = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.timezone.utc)


class Keys:
    def __init__(self) -> None:
        self.private = Ed25519PrivateKey.generate()
        self.pem = self.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())
        self.public = base64.b64encode(self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


@pytest.fixture
def keys() -> Keys:
    return Keys()


@pytest.fixture
def root(tmp_path) -> Path:
    root = tmp_path / "opt"
    (root / "versions" / hub.__version__ / "bin").mkdir(parents=True)
    updates.switch(root, hub.__version__)
    return root


def wheel(tmp_path: Path, version: str) -> Path:
    path = tmp_path / f"soko_hub-{version}-py3-none-any.whl"
    path.write_bytes(f"a wheel of {version}".encode())
    return path


def bundle(tmp_path: Path, keys: Keys, version: str = "9.0.0") -> Path:
    return updates.build_bundle(tmp_path / f"soko-hub-{version}.update", version, [wheel(tmp_path, version)], keys.pem)


def fake_installer(b: updates.Bundle, target: Path) -> None:
    (target / "bin").mkdir(parents=True)
    (target / "bin" / "soko-hub").write_text(f"version {b.version}")


class Control:
    def __init__(self) -> None:
        self.verbs: list[str] = []

    def __call__(self, verb: str) -> None:
        self.verbs.append(verb)


def update_rows(settings) -> list[dict]:
    conn = connect(settings.db_path, readonly=True)
    try:
        return rows.updates(conn)
    finally:
        conn.close()


def apply(settings, root, keys, source, **kw):
    kw.setdefault("now", NIGHT)
    return updates.apply(source, settings, root=root, installer=fake_installer, control=kw.pop("control", Control()),
                         keys=[keys.public], **kw)


def test_a_signed_bundle_installs_beside_and_switches_current_atomically(settings, demo_store, root, keys, tmp_path):
    control = Control()

    state = apply(settings, root, keys, bundle(tmp_path, keys), control=control)

    assert state["status"] == "installed" and state["previous"] == hub.__version__
    assert os.readlink(root / "current") == "versions/9.0.0"
    assert os.readlink(root / "previous") == f"versions/{hub.__version__}"
    assert (root / "versions" / hub.__version__).is_dir()  # the running version is untouched
    assert (root / "current" / "bin" / "soko-hub").read_text() == "version 9.0.0"
    assert control.verbs == ["restart"]
    assert [(r["version"], r["status"]) for r in update_rows(settings)] == [("9.0.0", "installed")]
    assert (settings.backup_path / state["backup"]).is_file()


def test_a_bundle_with_a_bad_signature_is_refused_and_nothing_changes(settings, demo_store, root, keys, tmp_path):
    other = Keys()
    source = bundle(tmp_path, other)

    with pytest.raises(updates.UpdateRefusedError, match="signature"):
        apply(settings, root, keys, source)
    assert os.readlink(root / "current") == f"versions/{hub.__version__}"
    assert not (root / "versions" / "9.0.0").exists()


def test_a_wheel_swapped_after_signing_is_refused(settings, demo_store, root, keys, tmp_path):
    source = bundle(tmp_path, keys)
    unpacked = tmp_path / "unpacked"
    with tarfile.open(source) as tar:
        tar.extractall(unpacked, filter="data")
    next((unpacked / "wheels").iterdir()).write_bytes(b"something else")

    with pytest.raises(updates.UpdateRefusedError, match="checksum"):
        apply(settings, root, keys, unpacked)


def test_only_an_installed_key_is_trusted_and_none_installed_refuses_with_why(tmp_path, keys):
    source = bundle(tmp_path, keys)

    with pytest.raises(updates.UpdateRefusedError, match="no update signing key is installed"):
        updates.open_bundle(source, tmp_path / "x", updates.trusted_keys(tmp_path / "no-extra-keys"))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "someone-else.pub").write_text(Keys().public)
    with pytest.raises(updates.UpdateRefusedError, match="signature"):
        updates.open_bundle(source, tmp_path / "z", updates.trusted_keys(tmp_path / "other"))
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "smoke-test.pub").write_text(keys.public)
    assert updates.open_bundle(source, tmp_path / "y", updates.trusted_keys(tmp_path / "keys")).version == "9.0.0"


def test_trading_hours_refuse_an_update_unless_forced(settings, demo_store, root, keys, tmp_path):
    with pytest.raises(updates.UpdateRefusedError, match="trading hours"):
        apply(settings, root, keys, bundle(tmp_path, keys), now=NOON)
    assert os.readlink(root / "current") == f"versions/{hub.__version__}"
    assert update_rows(settings)[0]["status"] == "refused"

    state = apply(settings, root, keys, bundle(tmp_path, keys), now=NOON, force=True)

    assert state["status"] == "installed" and update_rows(settings)[0]["forced"] == 1


def test_unsent_sales_at_a_till_refuse_an_update(ops_hub, root, keys, tmp_path):
    from tests.sync.up_recipes import STATUS, SyncTill

    till = SyncTill(ops_hub)
    assert till.http.post(STATUS, json={"queue_depth": 4}).status_code == 200

    with pytest.raises(updates.UpdateRefusedError, match="unsent sales"):
        apply(ops_hub.server.settings, root, keys, bundle(tmp_path, keys))


def test_a_healthy_restart_confirms_the_update(settings, demo_store, root, keys, tmp_path):
    apply(settings, root, keys, bundle(tmp_path, keys))
    answers = iter([None, {"status": "ok", "version": "9.0.0"}])

    state = updates.confirm(settings, root=root, probe=lambda: next(answers), control=Control(), sleep=lambda s: None)

    assert state["status"] == "healthy"
    assert os.readlink(root / "current") == "versions/9.0.0"
    assert update_rows(settings)[0]["status"] == "healthy"
    assert updates.confirm(settings, root=root, probe=pytest.fail)["status"] == "healthy"  # nothing pending


def test_a_broken_update_rolls_back_and_restores_a_migrated_database(settings, demo_store, root, keys, tmp_path):
    apply(settings, root, keys, bundle(tmp_path, keys))
    conn = connect(settings.db_path)
    schema = current_version(conn)
    with transaction(conn):  # the new version migrated the schema before failing
        conn.execute("INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, 'from_9', 'x')",
                     (schema + 1,))
    conn.close()
    control = Control()

    state = updates.confirm(settings, root=root, probe=lambda: {"status": "degraded", "version": "9.0.0"},
                            control=control, timeout_s=0, sleep=lambda s: None)

    assert state["status"] == "rolled_back" and "not healthy" in state["reason"]
    assert os.readlink(root / "current") == f"versions/{hub.__version__}"
    assert control.verbs == ["stop", "start"]
    conn = connect(settings.db_path, readonly=True)
    try:
        assert current_version(conn) == schema
        assert audit.list_entries(conn, action="update.rolled_back")
        # The restored database predates the update's row: the history still shows how it ended.
        assert [(r["version"], r["from_version"], r["status"]) for r in rows.updates(conn)][:1] == [
            ("9.0.0", hub.__version__, "rolled_back")]
    finally:
        conn.close()


def write_wheel(path: Path, files: dict[str, str]) -> Path:
    """A wheel with `files` and the RECORD pip checks."""
    import hashlib
    import zipfile

    dist_info = next(name.split("/")[0] for name in files if name.endswith(".dist-info/METADATA"))
    lines = []
    with zipfile.ZipFile(path, "w") as whl:
        for name, text in files.items():
            data = text.encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            lines.append(f"{name},sha256={digest},{len(data)}")
            whl.writestr(name, data)
        whl.writestr(f"{dist_info}/RECORD", "\n".join([*lines, f"{dist_info}/RECORD,,"]) + "\n")
    return path


def test_the_real_installer_makes_a_version_that_runs_where_it_was_switched_to(settings, demo_store, root, keys,
                                                                               tmp_path):
    # A virtual environment is not relocatable: one installed elsewhere and renamed into versions/
    # had scripts naming an interpreter that no longer existed, and the hub could not start.
    dist = tmp_path / "dist"
    dist.mkdir()
    hello = write_wheel(dist / "smoke_hello-9.0.0-py3-none-any.whl", {
        "smoke_hello/__init__.py": "def main():\n    print('hello from 9.0.0')\n",
        "smoke_hello-9.0.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: smoke-hello\nVersion: 9.0.0\n",
        "smoke_hello-9.0.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                             "Tag: py3-none-any\n",
        "smoke_hello-9.0.0.dist-info/entry_points.txt": "[console_scripts]\nsmoke-hello = smoke_hello:main\n",
    })
    source = updates.build_bundle(tmp_path / "soko-hub-9.0.0.update", "9.0.0", [hello], keys.pem)

    updates.apply(source, settings, root=root, control=Control(), keys=[keys.public], now=NIGHT)

    assert not [p.name for p in (root / "versions").iterdir() if p.name.startswith(".")]  # nothing left aside
    done = subprocess.run([str(root / "current" / "bin" / "smoke-hello")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "hello from 9.0.0", done.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_a_rollback_run_as_root_leaves_the_restored_database_to_the_hubs_user(settings, demo_store, root, keys,
                                                                             tmp_path):
    # The image's helper runs `update confirm` as root; a database restored by root was root's own
    # (mode 0600) and the old version, started again as the hub's user, could not open it.
    apply(settings, root, keys, bundle(tmp_path, keys))
    conn = connect(settings.db_path)
    with transaction(conn):  # the new version migrated the schema before failing
        conn.execute("INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, 'from_9', 'x')",
                     (current_version(conn) + 1,))
    conn.close()
    os.chown(settings.db_path, 4242, 4343)
    os.chmod(settings.db_path, 0o640)

    state = updates.confirm(settings, root=root, probe=lambda: None, control=Control(), timeout_s=0,
                            sleep=lambda s: None)

    assert state["status"] == "rolled_back" and state["backup"] in state["reason"]
    st = settings.db_path.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (4242, 4343, 0o640)


def test_the_doctor_shows_a_rolled_back_update_until_one_ends_healthy(settings, demo_store, root, keys, tmp_path):
    from hub.ops import doctor

    def update_findings() -> list[dict]:
        return [f for f in doctor.run_offline(settings)["findings"] if f["key"] == "update"]

    assert update_findings() == []
    apply(settings, root, keys, bundle(tmp_path, keys))
    assert "health check has not finished" in update_findings()[0]["detail"]
    updates.confirm(settings, root=root, probe=lambda: None, control=Control(), timeout_s=0, sleep=lambda s: None)

    [finding] = update_findings()
    assert finding["severity"] == "warning" and finding["detail"].startswith(f"9.0.0 was rolled back to {hub.__version__}")
    assert "not healthy" in finding["detail"] and "support bundle" in finding["fix"]

    apply(settings, root, keys, bundle(tmp_path, keys, "9.0.1"))
    updates.confirm(settings, root=root, probe=lambda: {"status": "ok", "version": "9.0.1"}, control=Control())
    assert update_findings() == []


@pytest.mark.parametrize("filters", [True, False], ids=["extraction-filters", "python-3.11.2"])
def test_a_bundle_opens_on_the_cards_python_and_one_reaching_outside_is_refused(tmp_path, keys, monkeypatch,
                                                                               filters):
    # Debian bookworm's Python 3.11.2 has no tarfile extraction filters: `filter="data"` was a
    # TypeError there, so every bundle failed on a card.
    if not filters:
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
        real = tarfile.TarFile.extractall
        monkeypatch.setattr(tarfile.TarFile, "extractall",
                            lambda self, path=".", members=None, *, numeric_owner=False: real(self, path, members))
    assert updates.open_bundle(bundle(tmp_path, keys), tmp_path / "good", [keys.public]).version == "9.0.0"
    evil = tmp_path / "evil.update"
    with tarfile.open(evil, "w") as tar:
        link = tarfile.TarInfo("manifest.json")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    with pytest.raises(updates.UpdateRefusedError, match="not an update bundle"):
        updates.open_bundle(evil, tmp_path / "evil", [keys.public])
    assert not (tmp_path / "evil" / "manifest.json").is_symlink()


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_the_pre_update_backup_made_as_root_belongs_to_the_hubs_user(settings, demo_store, root, keys, tmp_path):
    # Made by the helper as root, it was root's alone (0600): the hub could not list its manifest,
    # copy it to USB or HQ, or restore it; and on a hub with no backup yet the folder itself was
    # made root's, so every later backup failed with "Permission denied".
    os.chown(settings.db_path, 4242, 4343)
    shutil.rmtree(settings.backup_path, ignore_errors=True)

    state = apply(settings, root, keys, bundle(tmp_path, keys))

    for path in (settings.backup_path, settings.backup_path / state["backup"],
                 (settings.backup_path / state["backup"]).with_suffix(".json")):
        assert (path.stat().st_uid, path.stat().st_gid) == (4242, 4343), path.name
