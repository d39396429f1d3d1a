"""The Raspberry Pi card. Its layout is checked here quickly; the full arm64 build (about 20+
minutes under emulation) and its boot under `qemu-system-aarch64 -M raspi3b` run only when asked:
SOKO_IMAGE_ARM64=1 (not in CI)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

IMAGE = Path(__file__).resolve().parents[2] / "image"


def _size(text: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([KMG]?)", text).groups()
    return int(number) * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[unit]


def test_the_card_layout_is_a_power_of_two_with_the_labels_the_system_mounts():
    cfg = (IMAGE / "genimage.cfg").read_text()
    card = re.search(r"image sdcard\.img \{.*?\n\tsize = (\w+)", cfg, re.S).group(1)
    total = _size(card)
    assert total & (total - 1) == 0, "qemu's SD card model needs a power-of-two image"
    parts = re.findall(r"partition (\w+) \{(.*?)\n\t\}", cfg, re.S)
    sizes = {name: _size(re.search(r"size = (\w+)", body).group(1)) for name, body in parts}
    offset = _size(re.search(r"offset = (\w+)", dict(parts)["boot"]).group(1))
    assert offset + sizes["boot"] + sizes["root"] == total
    assert 'label = "RASPIFIRM"' in cfg and 'label = "RASPIROOT"' in cfg
    build = (IMAGE / "build-image").read_text()
    assert "LABEL=RASPIROOT  /  " in build and "LABEL=RASPIFIRM  /boot/firmware" in build
    assert "ROOTPART=LABEL=RASPIROOT" in build
    raspi = (IMAGE / "packages/raspi.txt").read_text().split()
    assert {"raspi-firmware", "linux-image-arm64", "firmware-brcm80211"} <= set(raspi)


@pytest.mark.containers
@pytest.mark.timeout(4000)
@pytest.mark.skipif(os.environ.get("SOKO_IMAGE_ARM64") != "1",
                    reason="the arm64 card build takes 20+ minutes: SOKO_IMAGE_ARM64=1 runs it")
def test_the_card_boots_under_qemu_and_the_hub_answers_health(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("building the card needs root")
    for tool in ("mmdebstrap", "genimage", "qemu-system-aarch64", "systemd-nspawn"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (image/README.md lists what the card build needs)")
    done = subprocess.run([str(IMAGE / "build-image"), "--out", str(tmp_path), "--smoke"], capture_output=True,
                          text=True, timeout=3900)
    assert done.returncode == 0, done.stderr[-5000:]
    console = (tmp_path / "console.log").read_text(errors="replace")
    line = next(line for line in console.splitlines() if "SOKO-SMOKE " in line)
    result = json.loads(line.split("SOKO-SMOKE ", 1)[1])
    assert result["health_status"] == 200 and result["health"]["status"] == "ok"
    assert result["process"]["user"] == "soko-hub" and result["failed"] == ""
