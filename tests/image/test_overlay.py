"""The image's overlay, checked without building anything: shellcheck on every script,
`systemd-analyze verify` on every unit (any output fails), the firewall through `nft -c`, the
hardening the hub's unit promises, and the privileged helper's allow-list (dry run)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMAGE = ROOT / "image"
OVERLAY = IMAGE / "overlay"
UNITS = OVERLAY / "etc/systemd/system"
HELPER = OVERLAY / "usr/lib/soko-hub/helper"


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (tests/system-packages.txt lists it; `./dev test` as root installs it)")
    return path


def shell_scripts() -> list[Path]:
    """Every shell script under image/ (by its #! line), the pi-gen stage's included."""
    found = []
    for path in sorted(IMAGE.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as f:
                head = f.readline()
            if head.startswith(b"#!") and (b"bash" in head or head.rstrip().endswith(b"/sh")):
                found.append(path)
    return found


def unit_files() -> list[Path]:
    return sorted(p for p in UNITS.iterdir()
                  if p.suffix in {".service", ".socket", ".timer", ".path"} and not p.is_symlink())


def unit(name: str) -> dict[str, list[str]]:
    """A unit's settings as section.key -> values (a key may repeat)."""
    values: dict[str, list[str]] = {}
    section = ""
    for line in (UNITS / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        values.setdefault(f"{section}.{key}", []).append(value)
    return values


def test_the_overlay_has_the_scripts_and_units_the_image_needs():
    names = {p.name for p in unit_files()}
    assert {"soko-hub.service", "soko-hub-firstboot.service", "soko-hub-backup.timer",
            "soko-hub-housekeeping.timer", "soko-hub-helper.socket", "soko-hub-helper@.service",
            "soko-hub-hotspot.service"} <= names
    scripts = {p.relative_to(IMAGE).as_posix() for p in shell_scripts()}
    assert {"overlay/usr/lib/soko-hub/firstboot", "overlay/usr/lib/soko-hub/helper",
            "overlay/usr/lib/soko-hub/hotspot"} <= scripts
    for script in shell_scripts():
        assert os.access(script, os.X_OK), f"{script} is not executable"


@pytest.mark.parametrize("script", shell_scripts(), ids=lambda p: p.relative_to(IMAGE).as_posix())
def test_shellcheck_finds_nothing(script):
    shellcheck = _need("shellcheck")
    done = subprocess.run([shellcheck, "--external-sources", str(script)], capture_output=True, text=True,
                          cwd=script.parent)
    assert done.returncode == 0 and not done.stdout, done.stdout


@pytest.fixture(scope="module")
def verify_root(tmp_path_factory) -> Path:
    """A root for `systemd-analyze verify --root`: this machine's systemd units, the overlay,
    and the hub's entry point where the venv puts it (the smoke test verifies in a real root)."""
    _need("systemd-analyze")
    system = Path("/usr/lib/systemd/system")
    if not (system / "multi-user.target").exists():
        pytest.skip("this machine has no systemd unit files (apt install systemd)")
    root = tmp_path_factory.mktemp("verify-root")
    shutil.copytree(Path("/usr/lib/systemd"), root / "usr/lib/systemd", symlinks=True)
    shutil.copytree(OVERLAY, root, symlinks=True, dirs_exist_ok=True)
    entry = root / "opt/soko-hub/current/bin/soko-hub"
    entry.parent.mkdir(parents=True)
    entry.write_text("#!/bin/sh\n")
    entry.chmod(0o755)
    return root


def verify(root: Path, unit_path: str) -> str:
    done = subprocess.run(["systemd-analyze", "verify", f"--root={root}", unit_path],
                          capture_output=True, text=True, env={**os.environ, "SYSTEMD_LOG_COLOR": "0"})
    return (done.stdout + done.stderr).strip() + ("" if done.returncode == 0 else f"\n(exit {done.returncode})")


@pytest.mark.parametrize("unit_file", unit_files(), ids=lambda p: p.name)
def test_systemd_analyze_verify_prints_nothing(verify_root, unit_file):
    assert verify(verify_root, f"/etc/systemd/system/{unit_file.name}") == ""


def test_verify_does_complain_about_a_broken_unit(verify_root):
    """The check above can fail: a bad key and a missing program are reported."""
    bad = verify_root / "etc/systemd/system/soko-broken.service"
    bad.write_text("[Service]\nExecStart=/nowhere/soko\nNoSuchKey=1\n")
    try:
        out = verify(verify_root, "/etc/systemd/system/soko-broken.service")
    finally:
        bad.unlink()
    assert "NoSuchKey" in out and "/nowhere/soko" in out


def test_the_hub_service_is_hardened_and_fed_by_a_watchdog():
    s = unit("soko-hub.service")
    assert s["Service.Type"] == ["notify"] and s["Service.WatchdogSec"][0].isdigit()
    assert s["Service.Restart"] == ["on-failure"]
    assert s["Service.User"] == ["soko-hub"] and s["Service.Group"] == ["soko-hub"]
    assert s["Service.NoNewPrivileges"] == ["yes"]
    assert s["Service.ProtectSystem"] == ["strict"]
    assert "/var/lib/soko-hub" in s["Service.ReadWritePaths"]
    assert s["Service.AmbientCapabilities"] == ["CAP_NET_BIND_SERVICE"]
    assert s["Service.CapabilityBoundingSet"] == ["CAP_NET_BIND_SERVICE"]
    assert s["Service.ExecStart"] == ["/opt/soko-hub/current/bin/soko-hub serve"]


def test_every_hub_side_unit_runs_as_the_hub_user_without_new_privileges():
    for name in ("soko-hub-backup.service", "soko-hub-housekeeping.service"):
        s = unit(name)
        assert s["Service.User"] == ["soko-hub"] and s["Service.NoNewPrivileges"] == ["yes"], name
        assert s["Service.ProtectSystem"] == ["strict"], name
    for name in ("soko-hub-backup.timer", "soko-hub-housekeeping.timer"):
        s = unit(name)
        assert s["Timer.OnCalendar"] and s["Timer.Persistent"] == ["yes"], name


def test_the_helper_socket_is_for_the_hub_group_only():
    s = unit("soko-hub-helper.socket")
    assert s["Socket.SocketGroup"] == ["soko-hub"] and s["Socket.SocketMode"] == ["0660"]
    assert s["Socket.Accept"] == ["yes"]
    assert unit("soko-hub-helper@.service")["Service.ExecStart"] == ["/usr/lib/soko-hub/helper"]


def test_exactly_one_mdns_responder_and_ssh_keys_only():
    for name in ("avahi-daemon.service", "avahi-daemon.socket"):
        assert os.readlink(UNITS / name) == "/dev/null", f"{name} must be masked"
    for listing in (IMAGE / "packages").glob("*.txt"):
        packages = {line.strip() for line in listing.read_text().splitlines() if line and not line.startswith("#")}
        assert not packages & {"avahi-daemon", "systemd-resolved", "libnss-mdns"}, listing
    sshd = (OVERLAY / "etc/ssh/sshd_config.d/soko-hub.conf").read_text()
    assert "PasswordAuthentication no" in sshd and "KbdInteractiveAuthentication no" in sshd


def test_journald_is_bounded():
    conf = (OVERLAY / "etc/systemd/journald.conf.d/soko-hub.conf").read_text()
    for key in ("SystemMaxUse=", "SystemKeepFree=", "RuntimeMaxUse=", "MaxRetentionSec="):
        assert key in conf


def test_network_is_dhcp_with_a_link_local_fallback():
    wired = (OVERLAY / "etc/systemd/network/20-soko-wired.network").read_text()
    assert "DHCP=yes" in wired and "LinkLocalAddressing=yes" in wired


def test_udev_gives_peripherals_to_the_hub_group_with_stable_names():
    rules = [line for line in (OVERLAY / "etc/udev/rules.d/70-soko-hub.rules").read_text().splitlines()
             if line and not line.startswith("#")]
    assert rules and all('GROUP="soko-hub"' in r or "SYMLINK+=" in r for r in rules)
    assert all('SYMLINK+="soko/' in r for r in rules if "SYMLINK" in r)
    kinds = " ".join(rules)
    assert "usbmisc" in kinds and "ttyUSB" in kinds and "ID_INPUT_KEYBOARD" in kinds


def _nft_check(conf: Path) -> subprocess.CompletedProcess:
    return subprocess.run([_need("nft"), "-c", "-f", str(conf)], capture_output=True, text=True)


def test_the_firewall_parses_and_opens_only_the_hubs_ports(tmp_path):
    text = (OVERLAY / "etc/nftables.conf").read_text()
    assert "policy drop" in text
    opened = [line.strip() for line in text.splitlines() if line.strip().endswith("accept")
              and "dport" in line]
    assert opened == ["tcp dport 443 accept", "udp dport 5353 accept", "udp sport 67 udp dport 68 accept",
                      'iifname "wlan*" udp dport 67 accept']
    # With and without the SSH rule first boot adds; a broken include is refused.
    extra = tmp_path / "nftables.d"
    extra.mkdir()
    conf = tmp_path / "nftables.conf"
    conf.write_text(text.replace("/etc/nftables.d", str(extra)))
    done = _nft_check(conf)
    if done.returncode and "Operation not permitted" in done.stderr:
        pytest.skip("nft -c needs CAP_NET_ADMIN here")
    assert done.returncode == 0, done.stderr
    (extra / "ssh.nft").write_text("tcp dport 22 accept\n")
    assert _nft_check(conf).returncode == 0
    (extra / "ssh.nft").write_text("tcp dport 22 acept\n")
    assert _nft_check(conf).returncode != 0


def helper(request: str, root: Path, **env: str) -> tuple[str, str]:
    done = subprocess.run(["bash", str(HELPER)], input=request, capture_output=True, text=True, timeout=30,
                          env={"PATH": os.environ["PATH"], "SOKO_HELPER_DRYRUN": "1",
                               "SOKO_HELPER_ROOT": str(root), **env})
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1], done.stdout


@pytest.mark.parametrize("request_line, answer, runs", [
    ("set-time 2026-11-26T09:30:00Z\n", "ok time set to 2026-11-26T09:30:00Z", "run date -u -s 2026-11-26\\ 09:30:00Z"),
    ("network dhcp\n", "ok network dhcp", "run networkctl reload"),
    ("network static 192.168.1.20/24 192.168.1.1 192.168.1.1\n", "ok network static 192.168.1.20/24 via 192.168.1.1",
     "run networkctl reload"),
    ("network wifi 53686f70 70617373776f7264313233\n", "ok network wifi Shop",
     "run systemctl restart wpa_supplicant@wlan0.service"),
    ("mount-usb sdb1\n", "ok mounted /dev/sdb1 on /media/soko-usb", "run mount -t vfat"),
    ("unmount-usb\n", "ok unmounted /media/soko-usb", "run umount /media/soko-usb"),
])
def test_the_helper_does_each_allowed_action(tmp_path, request_line, answer, runs):
    last, out = helper(request_line, tmp_path, SOKO_HELPER_FSTYPE="vfat")
    assert last == answer and runs in out


def test_the_helper_writes_what_it_was_asked_and_nothing_else(tmp_path):
    helper("network static 10.0.0.5/24 10.0.0.1 10.0.0.2\n", tmp_path)
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["etc/systemd/network/20-soko-wired.network"]
    text = (tmp_path / written[0]).read_text()
    assert "Address=10.0.0.5/24" in text and "Gateway=10.0.0.1" in text and "DNS=10.0.0.2" in text
    helper("network wifi 53686f70 70617373776f7264313233\n", tmp_path)
    wpa = tmp_path / "etc/wpa_supplicant/wpa_supplicant-wlan0.conf"
    assert oct(wpa.stat().st_mode & 0o777) == "0o600"
    assert "ssid=53686f70" in wpa.read_text() and "password123" not in wpa.read_text()
    # PBKDF2 of the passphrase: what `wpa_passphrase Shop password123` gives.
    import hashlib
    assert hashlib.pbkdf2_hmac("sha1", b"password123", b"Shop", 4096, 32).hex() in wpa.read_text()


def test_the_helper_applies_only_a_bundle_the_hub_saved(tmp_path):
    updates = tmp_path / "var/lib/soko-hub/updates"
    updates.mkdir(parents=True)
    (updates / "soko-hub-0.2.0.bundle").write_bytes(b"x")
    (updates / "link").symlink_to(updates / "soko-hub-0.2.0.bundle")
    last, out = helper("apply-update soko-hub-0.2.0.bundle\n", tmp_path)
    assert last == "ok update soko-hub-0.2.0.bundle applied"
    assert "update apply /var/lib/soko-hub/updates/soko-hub-0.2.0.bundle" in out
    assert helper("apply-update link\n", tmp_path)[0].startswith("error ")
    assert helper("apply-update missing.bundle\n", tmp_path)[0].startswith("error ")


def test_the_helper_passes_a_shorter_health_wait_only_as_whole_seconds(tmp_path):
    updates = tmp_path / "var/lib/soko-hub/updates"
    updates.mkdir(parents=True)
    (updates / "soko-hub-0.2.0.bundle").write_bytes(b"x")
    last, out = helper("apply-update soko-hub-0.2.0.bundle\n", tmp_path, SOKO_UPDATE_CONFIRM_TIMEOUT="40")
    assert last.startswith("ok ") and "update confirm --timeout 40" in out
    last, out = helper("apply-update soko-hub-0.2.0.bundle\n", tmp_path, SOKO_UPDATE_CONFIRM_TIMEOUT="1;reboot")
    assert last.startswith("error ") and "run " not in out


@pytest.mark.parametrize("request_line", [
    "", "\n", "reboot\n", "rm -rf /\n", "set-time now\n", "set-time 2026-02-30T10:00:00Z\n",
    "set-time 1999-01-01T00:00:00Z\n", "set-time $(reboot)\n", "set-time 2026-11-26T09:30:00Z extra\n",
    "network\n", "network dhcp extra\n", "network static 10.0.0.300/24 10.0.0.1\n",
    "network static 10.0.0.3/31 10.0.0.1\n", "network static 10.0.0.3/24 gateway\n",
    "network static 10.0.0.3/24 10.0.0.1 dns.example\n", "network wifi 5368 short\n",
    "network wifi 5368 7061737377\n", "network wifi zz 70617373776f7264313233\n",
    "network wifi 5368 0a0a0a0a0a0a0a0a0a\n", "mount-usb /dev/sda1\n", "mount-usb sda\n", "mount-usb mmcblk0p2\n",
    "mount-usb sda1;reboot\n", "unmount-usb now\n", "apply-update ../../etc/shadow\n", "apply-update .hidden\n",
    "network static 10.0.0.3/24 10.0.0.1 `reboot`\n", "set-time 2026-11-26T09:30:00Z\x00reboot\n",
    "a b c d e f\n", "x" * 600 + "\n",
])
def test_the_helper_refuses_anything_else(tmp_path, request_line):
    last, out = helper(request_line, tmp_path, SOKO_HELPER_FSTYPE="vfat")
    assert last.startswith("error "), out
    assert "run " not in out
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_the_helper_refuses_a_drive_it_cannot_mount(tmp_path):
    last, out = helper("mount-usb sda1\n", tmp_path, SOKO_HELPER_FSTYPE="ntfs")
    assert last.startswith("error ") and "run " not in out
