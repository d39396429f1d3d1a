"""Setup mode through a real hub on 127.0.0.1: only the wizard, health and static files; the
one-time code with the login's brute-force limit; the store made as `soko-hub init` makes it; the
network applied by the (real, dry-run) privileged helper; no second store, ever."""

from __future__ import annotations

import concurrent.futures
import re
import sqlite3
import stat

import httpx
import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.firstrun.code import code_path
from hub.ops import helper
from tests.firstrun.conftest import SetupHub

GOOD_STORE = {"name": "Mbare Fresh", "code": "MBF1", "timezone": "Africa/Harare", "currency": "ZWG"}
GOOD_ADMIN = {"username": "tendai", "password": "long enough pass", "password_confirm": "long enough pass"}


def csrf(client: httpx.Client) -> str:
    if "soko_csrf" not in client.cookies:
        client.get("/setup")
    return client.cookies["soko_csrf"]


def post(client: httpx.Client, path: str, fields: dict[str, str]) -> httpx.Response:
    return client.post(path, data={"_csrf_token": csrf(client), **fields})


def enter_code(hub: SetupHub, client: httpx.Client) -> None:
    r = post(client, "/setup", {"code": hub.code.upper().replace("-", " ")})  # as typed on a phone
    assert r.status_code == 303 and r.headers["location"] == "/setup/store", r.text


def walk_to_summary(hub: SetupHub, client: httpx.Client, network: dict[str, str]) -> None:
    enter_code(hub, client)
    assert post(client, "/setup/store", GOOD_STORE).headers["location"] == "/setup/admin"
    assert post(client, "/setup/admin", GOOD_ADMIN).headers["location"] == "/setup/network"
    r = post(client, "/setup/network", network)
    assert r.status_code == 303 and r.headers["location"] == "/setup/summary", r.text


def test_setup_mode_serves_only_the_wizard(setup_hub):
    c = setup_hub.client()
    health = c.get("/api/v1/health")
    assert health.status_code == 200 and health.json()["status"] == "setup"
    for method, path in (("GET", "/api/v1/products"), ("POST", "/api/v1/auth/login"), ("GET", "/api"),
                         ("DELETE", "/api/v1/users/x"), ("GET", "/api/docs")):
        r = c.request(method, path, json={"username": "admin", "password": "x"})
        assert r.status_code == 503, (method, path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "setup_required"
    for path in ("/", "/login", "/setup/store", "/setup/admin", "/setup/network", "/setup/summary"):
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/setup", path
    assert c.get("/static/portal.css").status_code == 200
    assert c.get("/products").status_code == 404
    page = c.get("/setup")
    assert page.status_code == 200 and "setup code" in page.text.lower()
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text and "style=" not in page.text
    # Nothing written by looking around.
    assert not setup_hub.settings.db_path.exists()


def test_a_post_without_the_csrf_token_is_refused(setup_hub):
    c = setup_hub.client()
    c.get("/setup")
    r = c.post("/setup", data={"code": setup_hub.code})
    assert r.status_code == 403


def test_wrong_codes_are_limited_like_logins(setup_hub):
    c = setup_hub.client()
    for _ in range(5):
        r = post(c, "/setup", {"code": "aaaa-bbbb-cccc"})
        assert r.status_code == 401 and "not this hub" in r.text
        assert 'aria-invalid="true"' in r.text
    r = post(c, "/setup", {"code": setup_hub.code})  # even the right code waits now
    assert r.status_code == 429 and "Try again in" in r.text
    assert post(c, "/setup", {"code": ""}).status_code == 422


def test_bad_input_is_shown_beside_each_field_and_nothing_is_made(setup_hub):
    c = setup_hub.client()
    enter_code(setup_hub, c)
    r = post(c, "/setup/store", {"name": "Mbare Fresh", "code": "toolongcode1", "timezone": "Mars/Olympus",
                                 "currency": "XXX"})
    assert r.status_code == 422
    assert 'value="Mbare Fresh"' in r.text  # kept
    for field in ("code", "timezone", "currency"):
        assert f'id="e-{field}"' in r.text, field
    assert 'id="e-name"' not in r.text
    assert post(c, "/setup/store", GOOD_STORE).status_code == 303
    r = post(c, "/setup/admin", {"username": "tendai", "password": "short", "password_confirm": "short"})
    assert r.status_code == 422 and 'id="e-password"' in r.text and 'value="tendai"' in r.text
    assert 'value="short"' not in r.text  # a password is never sent back
    r = post(c, "/setup/admin", {**GOOD_ADMIN, "password_confirm": "something else"})
    assert r.status_code == 422 and 'id="e-password_confirm"' in r.text
    assert post(c, "/setup/admin", GOOD_ADMIN).status_code == 303
    r = post(c, "/setup/network", {"mode": "static", "address": "192.168.1.300/24", "gateway": "10.0.0.300",
                                   "dns": "dns.example"})
    assert r.status_code == 422
    for field in ("address", "gateway", "dns"):
        assert f'id="e-{field}"' in r.text, field
    assert 'value="192.168.1.300/24"' in r.text
    r = post(c, "/setup/network", {"mode": "wifi", "ssid": "", "passphrase": "short"})
    assert r.status_code == 422 and 'id="e-ssid"' in r.text and 'id="e-passphrase"' in r.text
    assert post(c, "/setup/network", {"mode": "bogus"}).status_code == 422
    assert not setup_hub.settings.db_path.exists()
    assert setup_hub.helper.requests == []


def test_finish_makes_the_store_joins_wifi_and_becomes_the_hub(setup_hub):
    c = setup_hub.client()
    walk_to_summary(setup_hub, c, {"mode": "wifi", "ssid": "Mbare Shop", "passphrase": "wifi pass 123"})
    summary = c.get("/setup/summary")
    assert summary.status_code == 200
    assert "Mbare Fresh" in summary.text and "tendai" in summary.text and "Mbare Shop" in summary.text
    assert 'id="hostname"' in summary.text and 'id="key-pin"' in summary.text
    assert setup_hub.helper.requests == []  # nothing applied before Finish
    r = post(c, "/setup/finish", {})
    assert r.status_code == 303 and r.headers["location"] == "/login", r.text

    # The store, as `soko-hub init` makes it, with the chosen base currency.
    conn = sqlite3.connect(setup_hub.settings.db_path)
    settings = dict(conn.execute("SELECT key, value FROM settings WHERE key LIKE 'store.%'").fetchall())
    assert settings["store.name"].strip('"') == "Mbare Fresh"
    assert conn.execute("SELECT code FROM currencies WHERE is_base").fetchone()[0] == "ZWG"
    assert conn.execute("SELECT value FROM meta WHERE key = 'demo'").fetchone()[0] == "0"
    actions = [a for (a,) in conn.execute("SELECT action FROM audit_log ORDER BY seq")]
    assert "store.created" in actions and "user.created" in actions
    conn.close()
    assert not code_path(setup_hub.settings).exists()

    # The helper was asked once, validated it and wrote the supplicant's file (no passphrase in it).
    assert setup_hub.helper.requests == [
        f"network wifi {'Mbare Shop'.encode().hex()} {'wifi pass 123'.encode().hex()}"]
    assert setup_hub.helper.answers[0].startswith("ok")
    wpa = (setup_hub.helper.root / "etc/wpa_supplicant/wpa_supplicant-wlan0.conf").read_text()
    assert "psk=" in wpa and "wifi pass 123" not in wpa

    # Now the same server is the hub: the admin signs in, the wizard is gone, no second store.
    login = c.post("/api/v1/auth/login", json={"username": "tendai", "password": "long enough pass"})
    assert login.status_code == 201, login.text
    assert c.get("/api/v1/health").json()["status"] == "ok"
    for path in ("/setup", "/setup/store", "/setup/summary"):
        assert c.get(path).status_code == 404, path
    again = post(c, "/setup/finish", {})
    assert again.status_code in (404, 405, 409)
    assert c.get("/login").status_code == 200


def test_static_address_through_the_helper(setup_hub):
    c = setup_hub.client()
    walk_to_summary(setup_hub, c, {"mode": "static", "address": "192.168.1.20/24", "gateway": "192.168.1.1",
                                   "dns": "192.168.1.1"})
    assert post(c, "/setup/finish", {}).status_code == 303
    assert setup_hub.helper.requests == ["network static 192.168.1.20/24 192.168.1.1 192.168.1.1"]
    wired = (setup_hub.helper.root / "etc/systemd/network/20-soko-wired.network").read_text()
    assert "Address=192.168.1.20/24" in wired and "Gateway=192.168.1.1" in wired


def test_a_helper_that_cannot_be_reached_leaves_the_network_and_says_so(setup_hub):
    c = setup_hub.client()
    walk_to_summary(setup_hub, c, {"mode": "static", "address": "192.168.1.20/24", "gateway": "192.168.1.1"})
    setup_hub.helper.close()  # the socket file stays, no one listens
    r = post(c, "/setup/finish", {})
    assert r.status_code == 303 and r.headers["location"] == "/login", r.text
    page = c.get("/login")
    assert page.status_code == 200
    assert "The network was NOT changed (the system helper cannot be reached" in page.text
    assert "Connection refused" in page.text
    assert setup_hub.settings.db_path.exists() and setup_hub.helper.requests == []


def test_keep_dhcp_asks_the_helper_nothing(setup_hub):
    c = setup_hub.client()
    walk_to_summary(setup_hub, c, {"mode": "keep"})
    assert post(c, "/setup/finish", {}).status_code == 303
    assert setup_hub.helper.requests == []
    assert setup_hub.settings.db_path.exists()


def test_the_helper_checks_again_whatever_it_is_sent(fake_helper):
    with pytest.raises(helper.HelperRefused, match="IPv4/8-30"):
        helper.ask("network", "static", "192.168.1.20/33", "192.168.1.1", path=fake_helper.path)
    with pytest.raises(helper.HelperRefused, match="hex-encoded"):
        helper.ask("network", "wifi", "zz", "00", path=fake_helper.path)
    with pytest.raises(helper.HelperUnavailable, match="cannot be reached"):
        helper.ask("network", "dhcp", path=fake_helper.path + ".missing")
    assert helper.ask("network", "dhcp", path=fake_helper.path) == "network dhcp"


def test_two_finishes_at_once_make_one_store(setup_hub):
    c = setup_hub.client()
    walk_to_summary(setup_hub, c, {"mode": "keep"})
    token = csrf(c)

    def finish() -> int:
        with httpx.Client(base_url=setup_hub.url, cookies=c.cookies, timeout=30) as other:
            return other.post("/setup/finish", data={"_csrf_token": token}).status_code

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(lambda _: finish(), range(2)))
    assert statuses[0] == 303 and statuses[1] in (404, 409), statuses
    assert statuses.count(303) == 1, statuses
    conn = sqlite3.connect(setup_hub.settings.db_path)
    assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 1
    conn.close()


@pytest.mark.parametrize("path", ["/setup", "/setup/store", "/setup/admin", "/setup/network", "/setup/finish"])
def test_garbage_never_makes_a_5xx(setup_hub, path):
    c = setup_hub.client()
    enter_code(setup_hub, c)
    token = csrf(c)
    for body in ({"name": "x" * 5000, "code": "\x00", "timezone": "../../etc", "currency": "€"},
                 {"mode": "static", "address": "1.2.3.4/999999999999", "gateway": "::1", "dns": "a" * 999},
                 {"mode": "wifi", "ssid": "ü" * 40, "passphrase": "\n" * 70},
                 {"username": "\u202e", "password": "x" * 5000, "password_confirm": ""}):
        r = c.post(path, data={"_csrf_token": token, **body})
        assert r.status_code < 500, (path, body, r.text)
    r = c.post(path, content=b"\xff\xfe" * 100, headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code < 500


def test_setup_code_command(tmp_path):
    data = tmp_path / "data"
    runner = CliRunner()
    env = {"SOKO_HUB_DATA_DIR": str(data), "SOKO_HUB_KDF_TIME_COST": "1", "SOKO_HUB_KDF_MEMORY_KIB": "8"}
    result = runner.invoke(main, ["setup-code"], env=env)
    assert result.exit_code == 0, result.output
    code = result.output.strip()
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", code)
    stored = code_path_for(data)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert code.replace("-", "") not in stored.read_text()
    (data / "hub.db").write_bytes(b"")
    refused = runner.invoke(main, ["setup-code"], env=env)
    assert refused.exit_code != 0 and "already has a store" in refused.output


def code_path_for(data):
    return data / "setup-code"


def test_serve_without_a_store_but_with_a_setup_code_serves_the_wizard(tmp_path):
    import subprocess
    import sys
    import time

    from tests.hubtest import free_port

    env = {**__import__("os").environ, "SOKO_HUB_DATA_DIR": str(tmp_path), "SOKO_HUB_KDF_TIME_COST": "1",
           "SOKO_HUB_KDF_MEMORY_KIB": "8", "SOKO_HUB_MDNS": "false"}
    made = subprocess.run([sys.executable, "-m", "hub", "setup-code"], env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "hub", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, health = time.monotonic() + 30, None
        while time.monotonic() < deadline and health is None:
            assert proc.poll() is None, proc.stdout.read()
            try:
                health = httpx.get(f"https://127.0.0.1:{port}/api/v1/health", verify=False, timeout=1).json()
            except httpx.TransportError:
                time.sleep(0.05)
        assert health is not None and health["status"] == "setup" and health["tls_key_pin"]
        assert httpx.get(f"https://127.0.0.1:{port}/api/v1/users", verify=False).status_code == 503
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert "/setup" in out
    assert not (tmp_path / "hub.db").exists()
