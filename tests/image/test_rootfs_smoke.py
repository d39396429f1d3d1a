"""The amd64 smoke test of the image: a root file system built exactly as the image builds its
own (image/build-rootfs: cached mmdebstrap base, the overlay, the hub from a wheel and a
wheelhouse with --no-index), booted with `systemd-nspawn -b --private-network`. A smoke unit
checks the hub came up as the image runs it and answers health, then powers off.

Slow (the first run builds the base: minutes; later runs reuse the cache in
/var/cache/soko-image or SOKO_IMAGE_CACHE), so it is in the `containers` suite."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from tests.image.test_overlay import unit_files

pytestmark = [pytest.mark.containers, pytest.mark.timeout(1500)]

ROOT = Path(__file__).resolve().parents[2]
IMAGE = ROOT / "image"
SETUP = """\
store_name = "Smoke Test Store"
store_code = "SMK"
timezone = "Africa/Harare"
base_currency = "ZWG"
admin_username = "owner"
admin_password = "correct horse battery staple"
hotspot_passphrase = "smoke-test-passphrase"
"""


class UpdateKeys:
    """An update-signing key pair made for the test; the root trusts its public half."""

    def __init__(self, folder: Path) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        def pair() -> tuple[bytes, str]:
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return pem, base64.b64encode(raw).decode()

        self.pem, public = pair()
        self.stranger_pem, _ = pair()  # a key the root does not trust
        self.public_file = folder / "update-smoke.pub"
        self.public_file.write_text(public + "\n")


def hub_wheel(wheelhouse: Path) -> Path:
    return next(wheelhouse.glob("soko_hub-*.whl"))


def rewheel(wheel: Path, out: Path, version: str, edits: dict[str, tuple[str, str]] | None = None,
            add: dict[str, str] | None = None) -> Path:
    """The hub's wheel as version `version`, with `edits` (file: (old, new), each found once) and
    `add`ed files, its RECORD rewritten."""
    old_version = wheel.name.split("-")[1]
    old_info, new_info = f"soko_hub-{old_version}.dist-info", f"soko_hub-{version}.dist-info"
    edits = {"hub/__init__.py": (f'__version__ = "{old_version}"', f'__version__ = "{version}"'), **(edits or {})}
    target = out / f"soko_hub-{version}-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        files = {n: src.read(n) for n in src.namelist() if not n.endswith(".dist-info/RECORD")}
        files.update({n: t.encode() for n, t in (add or {}).items()})
        for name, data in files.items():
            if name in edits:
                before, after = edits.pop(name)
                text = data.decode()
                assert text.count(before) == 1, (name, before)
                data = text.replace(before, after).encode()
            if name == f"{old_info}/METADATA":
                data = data.replace(f"\nVersion: {old_version}\n".encode(), f"\nVersion: {version}\n".encode(), 1)
            name = name.replace(old_info, new_info)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(data)}")
            dst.writestr(name, data)
        assert not edits, edits
        dst.writestr(f"{new_info}/RECORD", "\n".join([*record, f"{new_info}/RECORD,,"]) + "\n")
    return target


def retar(source: Path, target: Path, replace: dict[str, bytes]) -> Path:
    """A copy of a bundle with some members' bytes replaced (after signing)."""
    with tarfile.open(source) as src, tarfile.open(target, "w") as dst:
        for member in src.getmembers():
            data = replace.get(member.name) or src.extractfile(member).read()
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    return target


def _need_root_and_tools() -> None:
    if os.geteuid() != 0:
        pytest.skip("building and booting a root file system needs root")
    for tool in ("mmdebstrap", "systemd-nspawn", "systemd-analyze"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (tests/system-packages.txt lists it)")


@pytest.fixture(scope="module")
def update_keys(tmp_path_factory) -> UpdateKeys:
    return UpdateKeys(tmp_path_factory.mktemp("update-keys"))


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> Path:
    """The hub's wheel (from HEAD, as the image takes it) and its dependencies: the root is built
    from it and the update bundles are made of it."""
    _need_root_and_tools()
    out = tmp_path_factory.mktemp("wheelhouse")
    done = subprocess.run([str(IMAGE / "make-wheelhouse"), "--arch", "amd64", "--out", str(out)],
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-4000:]
    return out


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory, wheelhouse, update_keys) -> Path:
    _need_root_and_tools()
    out = tmp_path_factory.mktemp("image") / "rootfs"
    key = out.parent / "smoke-test.pub"
    key.write_text("dGVzdCBrZXksIG5vdCBhIHJlYWwgb25lIDAxMjM0NTY3ODk=\n")
    started = time.monotonic()
    done = subprocess.run([str(IMAGE / "build-rootfs"), "--out", str(out), "--update-key", str(key),
                           "--update-key", str(update_keys.public_file), "--wheel", str(hub_wheel(wheelhouse))],
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-4000:]
    print(f"build-rootfs took {time.monotonic() - started:.0f}s")
    yield out
    shutil.rmtree(out, ignore_errors=True)


def test_every_unit_verifies_in_the_real_root(rootfs):
    for unit in unit_files():
        done = subprocess.run(["systemd-analyze", "verify", f"--root={rootfs}", f"/etc/systemd/system/{unit.name}"],
                              capture_output=True, text=True, env={**os.environ, "SYSTEMD_LOG_COLOR": "0"})
        assert (done.stdout + done.stderr).strip() == "" and done.returncode == 0, unit.name


def test_the_root_is_built_as_the_image_ships(rootfs):
    # /opt/soko-hub/current -> versions/<version>, the layout updates switch (docs/operations.md).
    current = os.readlink(rootfs / "opt/soko-hub/current")
    assert current.startswith("versions/") and (rootfs / "opt/soko-hub" / current / "bin/soko-hub").exists()
    assert (rootfs / "etc/machine-id").read_text() == ""  # each card makes its own
    assert (rootfs / "etc/soko-hub/update-keys/smoke-test.pub").read_text().startswith("dGVzdCBrZXks")
    assert (rootfs / "etc/soko-hub/update-keys/update-smoke.pub").is_file()
    assert not list((rootfs / "etc/ssh").glob("ssh_host_*"))
    assert not (rootfs / "usr/sbin/avahi-daemon").exists()
    wants = rootfs / "etc/systemd/system/multi-user.target.wants"
    assert (wants / "soko-hub.service").is_symlink() and not (wants / "ssh.service").is_symlink()
    passwd = (rootfs / "etc/passwd").read_text()
    assert any(line.startswith("soko-hub:") and line.endswith("/usr/sbin/nologin") for line in passwd.splitlines())


def test_the_booted_root_serves_health_from_the_hardened_unit(rootfs):
    shutil.copy(IMAGE / "smoke/soko-hub-smoke", rootfs / "usr/local/sbin/soko-hub-smoke")
    shutil.copy(IMAGE / "smoke/soko-hub-smoke.service", rootfs / "etc/systemd/system/soko-hub-smoke.service")
    (rootfs / "etc/systemd/system/multi-user.target.wants/soko-hub-smoke.service").symlink_to(
        "/etc/systemd/system/soko-hub-smoke.service")
    boot = rootfs / "boot/firmware"
    boot.mkdir(parents=True, exist_ok=True)
    (boot / "soko-hub-setup.toml").write_text(SETUP)
    started = time.monotonic()
    done = subprocess.run(["systemd-nspawn", "-q", "-b", "--private-network", "--register=no", "--keep-unit",
                           "-D", str(rootfs)], capture_output=True, text=True, timeout=900,
                          stdin=subprocess.DEVNULL)
    took = time.monotonic() - started
    result_file = rootfs / "var/lib/soko-smoke/result.json"
    assert result_file.exists(), f"no smoke result after {took:.0f}s:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
    result = json.loads(result_file.read_text())
    print(f"boot to power-off took {took:.0f}s")

    assert result["state"] == "active", result
    assert result["health_status"] == 200 and result["health"]["status"] == "ok", result
    health = result["health"]
    assert health["demo"] is False and health["tls"]["enabled"] is True
    # soko-hub-XXXX from the hub id.
    assert result["hostname"] == "soko-hub-" + health["hub_id"].replace("-", "").lower()[-4:]
    assert result["failed"] == "", result["failed"]
    assert result["firstboot"] == "active"
    # The hub's process: its own user, no new privileges, only CAP_NET_BIND_SERVICE (bit 10).
    proc = result["process"]
    assert proc["user"] == "soko-hub" and proc["NoNewPrivs"] == "1"
    assert int(proc["CapAmb"], 16) == 1 << 10 and int(proc["CapEff"], 16) == 1 << 10
    assert result["watchdog"] == "30s"
    assert result["enabled"] == "enabled,enabled,enabled,enabled"
    # The privileged helper answers the hub's group (and refuses what it does not allow)...
    assert result["helper_hub"].startswith("error set-time wants"), result["helper_hub"]
    # ... and no one else.
    assert "Permission denied" in result["helper_nobody"], result["helper_nobody"]
    assert result["backup_timer"] == "active"
    assert result["ssh"] != "active" and result["avahi"] in ("masked", "masked-runtime")
    assert "table inet soko_hub" in result["firewall"]
    # The set-up file lost its password; the technician's report is on the boot partition.
    assert "correct horse" not in result["soko-hub-setup.toml"]
    report = result["soko-hub-first-boot.txt"]
    assert result["hostname"] in report and health["tls"]["key_pin"] in report
    assert "smoke-test-passphrase" in report


def _boot(rootfs: Path, unit: str, result: str) -> dict:
    """Boot the root with only `unit` of the smoke units enabled; the JSON it wrote."""
    wants = rootfs / "etc/systemd/system/multi-user.target.wants"
    for other in wants.glob("soko-hub-*smoke.service"):
        other.unlink()
    shutil.copy(IMAGE / "smoke" / unit.removesuffix(".service"), rootfs / "usr/local/sbin" / unit.removesuffix(".service"))
    shutil.copy(IMAGE / "smoke" / unit, rootfs / "etc/systemd/system" / unit)
    (wants / unit).symlink_to(f"/etc/systemd/system/{unit}")
    if not (rootfs / "var/lib/soko-hub/hub.db").exists():  # not booted yet (this test alone): set up a store
        (rootfs / "boot/firmware").mkdir(parents=True, exist_ok=True)
        (rootfs / "boot/firmware/soko-hub-setup.toml").write_text(SETUP)
    result_file = rootfs / "var/lib/soko-smoke" / result
    result_file.unlink(missing_ok=True)
    started = time.monotonic()
    done = subprocess.run(["systemd-nspawn", "-q", "-b", "--private-network", "--register=no", "--keep-unit",
                           "-D", str(rootfs)], capture_output=True, text=True, timeout=1300, stdin=subprocess.DEVNULL)
    took = time.monotonic() - started
    assert result_file.exists(), f"no {result} after {took:.0f}s:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
    print(f"{unit}: boot to power-off took {took:.0f}s")
    return json.loads(result_file.read_text())


def test_updates_in_the_booted_root_refuse_bad_bundles_roll_back_a_broken_one_and_keep_a_good_one(
        rootfs, wheelhouse, update_keys, tmp_path):
    """The real unit, /opt/soko-hub layout and helper: the hub's `apply-update` request for bundles
    signed by a stranger, tampered after signing and with a forged signature (refused, nothing under
    /opt/soko-hub changes), one whose hub migrates the schema and then never answers healthy (rolled
    back: the old version and database run again, healthy, the failure recorded) and a good one
    (kept, healthy on the new version)."""
    from hub.ops.updates import build_bundle

    base = hub_wheel(wheelhouse)
    running = base.name.split("-")[1]
    deps = [w for w in wheelhouse.glob("*.whl") if w != base]
    good_version, broken_version = f"{running}.post1", f"{running}.post2"
    (tmp_path / "good").mkdir()
    (tmp_path / "broken").mkdir()
    good_wheel = rewheel(base, tmp_path / "good", good_version)
    broken_wheel = rewheel(base, tmp_path / "broken", broken_version, edits={
        # Migrates past what the running version knows, then reports itself degraded forever.
        "hub/db/migrations/__init__.py": ("),\n)\n", '),\n    Migration(9999, "update_smoke", _module("m9999_update_smoke")),\n)\n'),
        "hub/health/api.py": ('status="ok" if db_health.ok else "degraded"', 'status="degraded"'),
    }, add={"hub/db/migrations/m9999_update_smoke.py":
            "def apply(db):\n    db.execute('CREATE TABLE update_smoke (broken INTEGER)')\n"})
    updates_dir = rootfs / "var/lib/soko-hub/updates"
    updates_dir.mkdir(parents=True, exist_ok=True)
    good = build_bundle(updates_dir / f"soko-hub-{good_version}.update", good_version, [good_wheel, *deps],
                        update_keys.pem)
    build_bundle(updates_dir / f"soko-hub-{broken_version}.update", broken_version, [broken_wheel, *deps],
                 update_keys.pem)
    build_bundle(updates_dir / "soko-hub-stranger.update", good_version, [good_wheel, *deps], update_keys.stranger_pem)
    retar(good, updates_dir / "soko-hub-tampered.update",
          {f"wheels/{good_wheel.name}": broken_wheel.read_bytes()})
    forged = base64.b64encode(bytes(64)).decode().encode()
    retar(good, updates_dir / "soko-hub-forged.update", {"manifest.sig": forged})
    plan = {"username": "owner", "password": "correct horse battery staple",
            "bundles": ["soko-hub-stranger.update", "soko-hub-tampered.update", "soko-hub-forged.update",
                        f"soko-hub-{broken_version}.update", f"soko-hub-{good_version}.update"]}
    (rootfs / "var/lib/soko-smoke").mkdir(parents=True, exist_ok=True)
    (rootfs / "var/lib/soko-smoke/update-plan.json").write_text(json.dumps(plan))
    dropin = rootfs / "etc/systemd/system/soko-hub-helper@.service.d"
    dropin.mkdir(exist_ok=True)
    # The broken bundle's health wait: 45 s here instead of the card's 120 s.
    (dropin / "update-smoke.conf").write_text("[Service]\nEnvironment=SOKO_UPDATE_CONFIRM_TIMEOUT=45\n")

    result = _boot(rootfs, "soko-hub-update-smoke.service", "update.json")

    assert "error" not in result, result
    assert result["before"]["status"] == 200 and result["before"]["body"]["version"] == running, result["before"]
    assert result["hours"] == 200, result["hours"]
    steps = {s["bundle"]: s for s in result["steps"]}
    print(json.dumps({k: [s["took_s"], s["answer"]] for k, s in steps.items()}, indent=1))
    refused = [steps["soko-hub-stranger.update"], steps["soko-hub-tampered.update"], steps["soko-hub-forged.update"]]
    schema = refused[0]["schema"]
    for step, why in zip(refused, ("signature is not from a trusted key", "does not match its signed checksum",
                                   "signature is not from a trusted key")):
        assert step["rc"] == 1 and step["answer"].startswith(f"error apply-update {step['bundle']}: "), step
        assert why in step["answer"] and "nothing was installed" in step["answer"], step["answer"]
        assert step["opt_changed"] == [], step["opt_changed"]  # nothing under /opt/soko-hub changed
        assert step["current"] == f"versions/{running}" and step["updates"] == [], step
        assert step["health"]["status"] == 200 and step["health"]["body"]["version"] == running

    broken = steps[f"soko-hub-{broken_version}.update"]
    assert broken["rc"] == 1 and "rolled_back" in broken["answer"] and "not healthy" in broken["answer"], broken
    # The old version runs again, healthy, on the database as it was before the update.
    assert broken["health"]["status"] == 200 and broken["health"]["body"]["status"] == "ok", broken["health"]
    assert broken["health"]["body"]["version"] == running and broken["current"] == f"versions/{running}"
    assert broken["schema"] == schema and "update_smoke" not in broken["tables"]
    assert broken["db_owner"][:2] == result["hub_user"], (broken["db_owner"], result["hub_user"])
    assert broken["backup_owner"] == result["hub_user"], broken["backup_owner"]  # the hub can restore it again
    # ... and the failure is on record: the update history, the audit and `soko-hub update status`.
    last = broken["updates"][-1]
    assert (last["version"], last["from_version"], last["status"]) == (broken_version, running, "rolled_back")
    assert "not healthy" in last["detail"] and "update.rolled_back" in broken["audit"]
    assert '"status": "rolled_back"' in broken["status_cli"], broken["status_cli"]
    assert broken["doctor"][0]["severity"] == "warning", broken["doctor"]
    assert broken["doctor"][0]["detail"].startswith(f"{broken_version} was rolled back to {running}")

    kept = steps[f"soko-hub-{good_version}.update"]
    assert kept["rc"] == 0 and kept["answer"] == f"ok update soko-hub-{good_version}.update applied: " \
        f"{good_version}: healthy", kept
    assert kept["health"]["status"] == 200 and kept["health"]["body"]["version"] == good_version
    assert kept["current"] == f"versions/{good_version}" and kept["previous"] == f"versions/{running}"
    assert kept["updates"][-1]["status"] == "healthy" and kept["audit"][-2:] == ["update.installed", "update.healthy"]
    assert kept["doctor"] == []  # a healthy update leaves nothing to fix
    assert result["backup_after"]["rc"] == 0, result["backup_after"]
    assert result["failed"] == "", result["failed_logs"]
