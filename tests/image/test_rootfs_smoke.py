"""The amd64 smoke test of the image: a root file system built exactly as the image builds its
own (image/build-rootfs: cached mmdebstrap base, the overlay, the hub from a wheel and a
wheelhouse with --no-index), booted with `systemd-nspawn -b --private-network`. A smoke unit
checks the hub came up as the image runs it and answers health, then powers off.

Slow (the first run builds the base: minutes; later runs reuse the cache in
/var/cache/soko-image or SOKO_IMAGE_CACHE), so it is in the `containers` suite."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
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
admin_username = "owner"
admin_password = "correct horse battery staple"
hotspot_passphrase = "smoke-test-passphrase"
"""


def _need_root_and_tools() -> None:
    if os.geteuid() != 0:
        pytest.skip("building and booting a root file system needs root")
    for tool in ("mmdebstrap", "systemd-nspawn", "systemd-analyze"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (tests/system-packages.txt lists it)")


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory) -> Path:
    _need_root_and_tools()
    out = tmp_path_factory.mktemp("image") / "rootfs"
    key = out.parent / "smoke-test.pub"
    key.write_text("dGVzdCBrZXksIG5vdCBhIHJlYWwgb25lIDAxMjM0NTY3ODk=\n")
    started = time.monotonic()
    done = subprocess.run([str(IMAGE / "build-rootfs"), "--out", str(out), "--update-key", str(key)],
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
