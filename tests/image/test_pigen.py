"""The pi-gen stage for shops that build on Raspberry Pi OS. Its archive is not reachable here,
so it cannot be built: this checks its structure (pi-gen's conventions) and that it shares the
Debian image's overlay; tests/image/test_overlay.py shellchecks its scripts."""

from __future__ import annotations

import os
import re
from pathlib import Path

IMAGE = Path(__file__).resolve().parents[2] / "image"
STAGE = IMAGE / "pi-gen" / "stage-sokohub"


def test_the_stage_follows_pi_gens_layout():
    assert os.access(STAGE / "prerun.sh", os.X_OK)
    assert "copy_previous" in (STAGE / "prerun.sh").read_text()
    assert "IMG_SUFFIX=" in (STAGE / "EXPORT_IMAGE").read_text()
    steps = sorted(p for p in STAGE.iterdir() if p.is_dir())
    assert steps and all(re.fullmatch(r"\d\d-[a-z0-9-]+", p.name) for p in steps)
    for step in steps:
        scripts = sorted(p.name for p in step.iterdir() if p.suffix == ".sh")
        assert all(re.fullmatch(r"\d\d-run(-chroot)?\.sh", s) for s in scripts), scripts
        for script in scripts:
            path = step / script
            assert os.access(path, os.X_OK) and path.read_text().startswith("#!/bin/bash -e\n"), script


def test_the_stage_installs_the_shared_overlay_and_the_hub_like_the_image():
    step = STAGE / "00-sokohub"
    assert (step / "files").is_symlink() and (step / "files").resolve() == (IMAGE / "overlay").resolve()
    run = (step / "00-run.sh").read_text()
    assert "ROOTFS_DIR" in run and "SOKO_WHEELHOUSE" in run and "files/." in run
    chroot = (step / "01-run-chroot.sh").read_text()
    assert "/usr/lib/soko-hub/install-wheels /var/tmp/soko-wheelhouse" in chroot
    assert "systemctl mask avahi-daemon.service" in chroot  # one mDNS responder: the hub's
    for unit in ("soko-hub.service", "soko-hub-firstboot.service", "soko-hub-helper.socket"):
        assert unit in chroot


def test_its_packages_are_the_images_own():
    listed = (STAGE / "00-sokohub" / "00-packages").read_text().split()
    common = {line.strip() for line in (IMAGE / "packages/common.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    assert listed and set(listed) <= common
    assert "avahi-daemon" not in listed
