"""Finish made the store but switching the running process to the full hub failed: the browser is
told the store is made and the hub restarts, the process exits non-zero (systemd restarts it), and
the next start serves the full hub on that store. A real `soko-hub serve` process, with the failure
injected by patching one step of the switch (the operations subsystem's start) before it runs."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import httpx

from tests.firstrun.test_setup_mode import GOOD_ADMIN, post, walk_to_summary
from tests.hubtest import free_port

# `soko-hub serve` with one step of the switch to the full hub broken: the subsystems before it
# (database, prices, TLS, printing, scanners, fiscal, HQ bridge) start, this one raises.
FAILING_SERVE = """\
import sys
from hub.ops import subsystem

async def broken_start(self, state):
    raise OSError("injected: the operations subsystem could not start")

subsystem.OpsSubsystem.start = broken_start
from hub.cli import main
main(["serve", "--port", sys.argv[1]])
"""


def serve(env: dict[str, str], port: int, *, failing: bool) -> subprocess.Popen:
    argv = ["-c", FAILING_SERVE, str(port)] if failing else ["-m", "hub", "serve", "--port", str(port)]
    return subprocess.Popen([sys.executable, *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def health(proc: subprocess.Popen, url: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            return httpx.get(f"{url}/api/v1/health", verify=False, timeout=2).json()
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("the hub did not answer")


def stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.terminate()
    out, _ = proc.communicate(timeout=30)
    return out


def test_a_failed_switch_exits_non_zero_and_the_restart_serves_the_store(tmp_path: Path):
    env = {**os.environ, "SOKO_HUB_DATA_DIR": str(tmp_path), "SOKO_HUB_KDF_TIME_COST": "1",
           "SOKO_HUB_KDF_MEMORY_KIB": "8", "SOKO_HUB_MDNS": "false"}
    made = subprocess.run([sys.executable, "-m", "hub", "setup-code"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert made.returncode == 0, made.stderr
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    proc = serve(env, port, failing=True)
    try:
        assert health(proc, url)["status"] == "setup"
        with httpx.Client(base_url=url, verify=False, timeout=60, follow_redirects=False) as c:
            walk_to_summary(SimpleNamespace(code=made.stdout.strip()), c, {"mode": "keep"})
            page = post(c, "/setup/finish", {})
        assert page.status_code == 200, page.text
        assert 'id="setup-restarting"' in page.text and "Store Mbare Fresh is set up" in page.text
        assert "The hub is restarting" in page.text and 'href="/login"' in page.text
        returncode = proc.wait(timeout=60)
    finally:
        out = stop(proc)
    assert returncode == 1, out
    assert "switching this process to the store's hub failed" in out
    assert "injected: the operations subsystem could not start" in out  # the cause, logged
    db = tmp_path / "hub.db"
    assert db.exists()

    # systemd starts it again: the full hub, on the store the wizard made.
    again = serve(env, port, failing=False)
    try:
        assert health(again, url)["status"] == "ok"
        login = httpx.post(f"{url}/api/v1/auth/login", verify=False, timeout=30,
                           json={"username": GOOD_ADMIN["username"], "password": GOOD_ADMIN["password"]})
        assert login.status_code == 201, login.text
        assert httpx.get(f"{url}/setup", verify=False, timeout=30).status_code == 404
    finally:
        stop(again)
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT code FROM currencies WHERE is_base").fetchone()[0] == "ZWG"
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 1
    finally:
        conn.close()
