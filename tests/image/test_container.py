"""The Dockerfile, built and run with podman (no Docker engine and no image registry here): a
minimal Debian root file system (mmdebstrap, cached) imported as the base image, the context
from image/container-context, the container run with no network at all and its HEALTHCHECK
(which asks /api/v1/health inside) run until healthy. In the `containers` suite."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.containers, pytest.mark.timeout(1500)]

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("SOKO_IMAGE_CACHE", "/var/cache/soko-image"))
BASE_PACKAGES = ["python3", "python3-venv", "ca-certificates"]
# ENVIRONMENT.md: no systemd here to manage cgroups, and root cannot raise rlimits.
RUN = ["--runtime=runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


def podman(*args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(["podman", "--cgroup-manager=cgroupfs", *args], capture_output=True, text=True,
                          timeout=timeout)
    if check:
        assert done.returncode == 0, f"podman {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def base_image() -> str:
    if os.geteuid() != 0:
        pytest.skip("podman build and mmdebstrap run as root here")
    for tool in ("podman", "mmdebstrap", "runc"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (tests/system-packages.txt lists it)")
    CACHE.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(" ".join(["bookworm", "amd64", *BASE_PACKAGES]).encode()).hexdigest()[:16]
    tarball = CACHE / f"container-base-bookworm-amd64-{key}.tar"
    if not tarball.exists():
        partial = tarball.with_suffix(".partial")
        subprocess.run(["mmdebstrap", "--variant=minbase", "--format=tar", "--arch=amd64",
                        f"--include={','.join(BASE_PACKAGES)}",
                        "--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/doc/*",
                        "--dpkgopt=path-exclude=/usr/share/locale/*",
                        "bookworm", str(partial), os.environ.get("SOKO_IMAGE_MIRROR", "http://deb.debian.org/debian")],
                       check=True, capture_output=True, timeout=900)
        partial.rename(tarball)
    tag = f"localhost/soko-test-base:{key}"
    if podman("image", "exists", tag, check=False).returncode != 0:
        podman("import", str(tarball), tag)
    return tag


@pytest.fixture(scope="module")
def image(base_image, tmp_path_factory) -> str:
    ctx = tmp_path_factory.mktemp("container-context")
    done = subprocess.run([str(ROOT / "image/container-context"), str(ctx), "amd64"], capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    tag = f"localhost/soko-hub-test:{uuid.uuid4().hex[:8]}"
    dangling_before = set(podman("images", "-q", "--filter", "dangling=true").stdout.split())
    started = time.monotonic()
    podman("build", "--format=docker", "--isolation=chroot", "--pull=never", "--build-arg", f"BASE_IMAGE={base_image}",
           "-t", tag, "-f", str(ctx / "Dockerfile"), str(ctx), timeout=1200)
    print(f"podman build took {time.monotonic() - started:.0f}s")
    yield tag
    podman("rmi", "-f", tag, check=False)
    # The build stage's image is left untagged: remove the ones this build made, nothing else.
    made = set(podman("images", "-q", "--filter", "dangling=true").stdout.split()) - dangling_before
    if made:
        podman("rmi", *sorted(made), check=False)


def test_the_image_is_non_root_with_a_data_volume_and_a_healthcheck(image):
    info = json.loads(podman("image", "inspect", image).stdout)[0]
    config = info["Config"]
    assert config["User"] == "soko-hub"
    assert "/var/lib/soko-hub" in config["Volumes"]
    assert config["Entrypoint"] == ["/opt/soko-hub/venv/bin/soko-hub"] and config["Cmd"] == ["serve"]
    check = info.get("Healthcheck") or info.get("HealthCheck") or config.get("Healthcheck") or {}
    assert "/api/v1/health" in " ".join(check.get("Test", []))  # kept: built in docker format
    size_mb = info["Size"] / 1e6
    print(f"image size {size_mb:.0f} MB")
    assert size_mb < 400  # the base's Python and the venv; no compilers, no pip
    # No build tools in the final stage: no pip, no wheelhouse.
    listing = podman("run", "--rm", *RUN, "--network=none", "--entrypoint", "/bin/sh", image, "-c",
                     "ls /opt/soko-hub/venv/bin; ls / ; id -u").stdout.split()
    assert "pip" not in listing and "wheelhouse" not in listing and listing[-1] == "10001"


def test_the_container_serves_health_with_no_network(image):
    volume = f"soko-hub-test-{uuid.uuid4().hex[:8]}"
    name = f"soko-hub-test-{uuid.uuid4().hex[:8]}"
    podman("volume", "create", volume)
    try:
        podman("run", "--rm", *RUN, "--network=none", "-v", f"{volume}:/var/lib/soko-hub", image,
               "init", "--store-name", "Container Store", "--store-code", "CTR", "--admin-username", "owner",
               "--admin-password", "correct horse battery staple", timeout=300)
        podman("run", "-d", "--name", name, *RUN, "--network=none", "-v", f"{volume}:/var/lib/soko-hub",
               "-e", "SOKO_HUB_MDNS=false", "-e", "SOKO_HUB_SCANNER_AUTODETECT=false", image)
        deadline, healthy = time.monotonic() + 180, None
        while time.monotonic() < deadline:
            healthy = podman("healthcheck", "run", name, check=False, timeout=60)
            if healthy.returncode == 0:
                break
            running = podman("inspect", "-f", "{{.State.Running}}", name).stdout.strip()
            assert running == "true", podman("logs", name, check=False).stdout[-3000:]
            time.sleep(2)
        assert healthy is not None and healthy.returncode == 0, podman("logs", name, check=False).stderr[-3000:]
        health = json.loads(podman("exec", name, "/opt/soko-hub/venv/bin/python", "-c",
                                   "import ssl, urllib.request as u; print(u.urlopen("
                                   "'https://127.0.0.1:8443/api/v1/health', "
                                   "context=ssl._create_unverified_context()).read().decode())").stdout)
        assert health["status"] == "ok" and health["demo"] is False and health["tls"]["enabled"] is True
        assert podman("exec", name, "id", "-un").stdout.strip() == "soko-hub"
        # A clean stop (SIGTERM), and the store is still in the volume for the next container.
        podman("stop", "-t", "30", name)
        listed = podman("run", "--rm", *RUN, "--network=none", "-v", f"{volume}:/var/lib/soko-hub", image,
                        "user", "list").stdout
        assert "owner" in listed
    finally:
        podman("rm", "-f", name, check=False)
        podman("volume", "rm", "-f", volume, check=False)
