"""WebSocket /api/v1/events against a real hub: scans reach subscribers; strangers are refused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from hub.auth.identity import SESSION_COOKIE
from tests.hubtest import Hub, HubServer, make_demo_store, make_settings

LOOP = "loop://"


@pytest.fixture
def scanning_hub(tmp_path) -> Iterator[Hub]:
    """A demo hub reading one scanner through pyserial's loop:// (what is written comes back)."""
    settings = make_settings(tmp_path / "var", scanners=LOOP)
    store = make_demo_store(settings)
    server = HubServer(settings).start()
    running = Hub(server, store)
    try:
        yield running
    finally:
        running.close()
        server.stop()


def ws_url(hub: Hub, query: str = "") -> str:
    return hub.url.replace("http", "ws", 1) + "/api/v1/events" + query


def scan_on(hub: Hub, data: bytes) -> None:
    scanner = hub.server.app.state.scanners.get("serial:loop://")
    assert scanner is not None and scanner.reader.wait_open()
    scanner.reader.write_threadsafe(data)


def frames(ws, until: str, limit: int = 20) -> list[dict]:
    got = []
    for _ in range(limit):
        frame = json.loads(ws.recv(timeout=5))
        got.append(frame)
        if frame["kind"] == until:
            return got
    raise AssertionError(f"no {until!r} frame in {got}")


def test_a_scan_reaches_a_till_subscribed_with_its_bearer_token(scanning_hub):
    token = scanning_hub.login("cashier")["access_token"]
    with connect(ws_url(scanning_hub), additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        hello = json.loads(ws.recv(timeout=5))
        assert hello["kind"] == "hello" and "scan" in hello["data"]["kinds"]
        scan_on(scanning_hub, b"6001234567890\r\n")
        scan = frames(ws, "scan")[-1]
    assert scan["data"]["code"] == "6001234567890"
    assert scan["data"]["scanner"] == "serial:loop://" and scan["seq"] > 0
    devices = scanning_hub.server.app.state.scanners.devices()
    assert devices[0]["last_scan_at"] == scan["data"]["at"] and devices[0]["status"] == "connected"


def test_every_subscriber_gets_the_scan_and_a_kinds_filter_is_kept(scanning_hub):
    token = scanning_hub.login("manager")["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    with connect(ws_url(scanning_hub), additional_headers=headers) as a, \
            connect(ws_url(scanning_hub, "?kinds=print_job"), additional_headers=headers) as other:
        assert json.loads(other.recv(timeout=5))["data"]["kinds"] == ["print_job"]
        a.recv(timeout=5)
        scan_on(scanning_hub, b"111\r")
        assert frames(a, "scan")[-1]["data"]["code"] == "111"
        with pytest.raises(TimeoutError):
            other.recv(timeout=0.5)


def test_without_a_token_the_handshake_is_refused_with_401(scanning_hub):
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(scanning_hub)).close()
    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body)["code"] == "unauthenticated"


def test_a_revoked_token_is_refused(scanning_hub):
    token = scanning_hub.login("cashier")["access_token"]
    r = scanning_hub.client(token).post("/api/v1/auth/logout")
    assert r.status_code in (200, 204), r.text
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(scanning_hub), additional_headers={"Authorization": f"Bearer {token}"}).close()
    assert refused.value.response.status_code == 401


def test_the_portal_session_cookie_opens_the_stream_only_from_the_hubs_own_origin(scanning_hub):
    token = scanning_hub.login("manager")["access_token"]
    cookie = {"Cookie": f"{SESSION_COOKIE}={token}"}
    own = scanning_hub.url
    with connect(ws_url(scanning_hub), additional_headers=cookie, origin=own) as ws:
        assert json.loads(ws.recv(timeout=5))["kind"] == "hello"
        scan_on(scanning_hub, b"42\n")
        assert frames(ws, "scan")[-1]["data"]["code"] == "42"
    for origin in ("http://evil.example", own.replace("127.0.0.1", "localhost"), None):
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url(scanning_hub), additional_headers=cookie, origin=origin).close()
        assert refused.value.response.status_code == 401, origin


def test_the_cookie_still_opens_no_plain_api_call(scanning_hub):
    token = scanning_hub.login("manager")["access_token"]
    r = httpx.get(scanning_hub.url + "/api/v1/auth/me", cookies={SESSION_COOKIE: token},
                  headers={"Origin": scanning_hub.url})
    assert r.status_code == 401


def test_a_plain_get_is_told_to_upgrade(scanning_hub):
    anonymous = httpx.get(scanning_hub.url + "/api/v1/events")
    assert anonymous.status_code == 401
    token = scanning_hub.login("cashier")["access_token"]
    r = httpx.get(scanning_hub.url + "/api/v1/events", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 426 and r.json()["code"] == "upgrade_required"
    assert r.headers["upgrade"] == "websocket"


def test_a_closed_client_leaves_no_subscriber_behind(scanning_hub):
    token = scanning_hub.login("cashier")["access_token"]
    with connect(ws_url(scanning_hub), additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        ws.recv(timeout=5)
        assert scanning_hub.server.app.state.events.subscribers == 1
    deadline = time.monotonic() + 5
    while scanning_hub.server.app.state.events.subscribers and time.monotonic() < deadline:
        time.sleep(0.02)
    assert scanning_hub.server.app.state.events.subscribers == 0


def test_a_token_revoked_while_streaming_closes_the_stream(scanning_hub, monkeypatch):
    import hub.events.api as events_api
    from websockets.exceptions import ConnectionClosed

    monkeypatch.setattr(events_api, "REVALIDATE_S", 0.2)
    token = scanning_hub.login("cashier")["access_token"]
    with connect(ws_url(scanning_hub), additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        ws.recv(timeout=5)
        r = scanning_hub.client(token).post("/api/v1/auth/logout")
        assert r.status_code in (200, 204), r.text
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd.code == 4401
