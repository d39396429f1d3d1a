"""`soko-hub serve` as a technician meets it: a real process, real port, real files."""

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.db.lock import InstanceLock
from tests.hubtest import FAST_KDF, free_port

START_TIMEOUT_S = 30


def serve(data_dir, *args, port, env=None):
    env = {**os.environ, "SOKO_HUB_KDF_TIME_COST": str(FAST_KDF["kdf_time_cost"]),
           "SOKO_HUB_KDF_MEMORY_KIB": str(FAST_KDF["kdf_memory_kib"]), **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "hub", "--data-dir", str(data_dir), "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def wait_healthy(port, proc, scheme="https"):
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited early: {proc.stdout.read()}")
        try:
            # The hub's certificate is its own: a till trusts it by pinning the key, not by a CA.
            r = httpx.get(f"{scheme}://127.0.0.1:{port}/api/v1/health", timeout=1, verify=False)
            if r.status_code == 200:
                return r.json()
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("no healthy hub in time")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    return out


def test_demo_serve_prints_users_once_then_reuses_the_store(tmp_path):
    port = free_port()
    proc = serve(tmp_path, "--demo", port=port)
    try:
        health = wait_healthy(port, proc)
    finally:
        first = stop(proc)
    assert health["demo"] is True and health["tls"]["enabled"] is True
    assert "shown only now" in first and "password" in first
    assert f"https://127.0.0.1:{port}/" in first
    assert health["tls"]["key_pin"] in first  # the technician sees the pin tills will hold
    proc = serve(tmp_path, "--demo", port=port)
    try:
        assert wait_healthy(port, proc)["hub_id"] == health["hub_id"]
    finally:
        second = stop(proc)
    assert "shown only now" not in second


def test_serve_without_a_database_explains_what_to_do(tmp_path):
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "serve"])
    assert result.exit_code == 1
    assert "soko-hub init" in result.output and "--demo" in result.output
    assert not (tmp_path / "hub.db").exists()


def test_serve_refuses_a_corrupt_database_and_leaves_it(tmp_path):
    garbage = b"SQLite format 3\x00" + b"\x42" * 8192
    (tmp_path / "hub.db").write_bytes(garbage)
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "serve", "--demo"])
    assert result.exit_code == 1
    assert "backup restore" in result.output
    assert (tmp_path / "hub.db").read_bytes() == garbage


def test_a_second_hub_on_the_same_data_directory_is_refused(tmp_path):
    with InstanceLock(tmp_path / "hub.lock").acquire("serve"):
        result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "serve", "--demo"])
    assert result.exit_code == 1 and "in use" in result.output
    assert not (tmp_path / "hub.db").exists()


@pytest.mark.parametrize("argv", [["--help"], ["serve", "--help"], ["--version"]])
def test_help_and_version(argv):
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0 and result.output.strip()


def test_https_by_default_with_the_published_pin(tmp_path):
    """A till's view: the certificate's key matches the pin the hub publishes in health."""
    import ssl

    from cryptography import x509

    from hub.identity.tls import spki_pin

    port = free_port()
    proc = serve(tmp_path, "--demo", port=port)
    try:
        health = wait_healthy(port, proc)
        der = ssl.get_server_certificate(("127.0.0.1", port))
    finally:
        stop(proc)
    cert = x509.load_pem_x509_certificate(der.encode())
    assert spki_pin(cert.public_key()) == health["tls"]["key_pin"]


def test_plain_http_mode_says_so_loudly(tmp_path):
    port = free_port()
    proc = serve(tmp_path, "--demo", port=port, env={"SOKO_HUB_TLS": "false"})
    try:
        health = wait_healthy(port, proc, scheme="http")
    finally:
        out = stop(proc)
    assert health["tls"]["enabled"] is False
    assert "PLAIN HTTP DEVELOPMENT MODE" in out and f"http://127.0.0.1:{port}/" in out
