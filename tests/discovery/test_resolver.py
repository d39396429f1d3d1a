"""The till-side resolver against real hubs: mDNS, last known, configured; the key pin decides."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from discovery.resolver import HubNotFoundError, HubResolver, PinMismatchError, key_pin_at, verify_pin
from tests.hubtest import HubServer, free_port, make_demo_store, make_settings

LOOPBACK = ["127.0.0.1"]


def _hub(tmp_path, name: str, **overrides) -> HubServer:
    settings = make_settings(tmp_path / name, tls=True, **overrides)
    make_demo_store(settings)
    return HubServer(settings).start()


@pytest.fixture
def advertised(tmp_path) -> Iterator[HubServer]:
    server = _hub(tmp_path, "advertised", mdns=True, mdns_interfaces="127.0.0.1")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def quiet(tmp_path) -> Iterator[HubServer]:
    """A hub that does not advertise (multicast blocked by the access point, say)."""
    server = _hub(tmp_path, "quiet", mdns=False)
    try:
        yield server
    finally:
        server.stop()


def test_the_pin_comes_from_a_real_tls_handshake(quiet):
    assert key_pin_at("127.0.0.1", quiet.port) == quiet.app.state.tls_pin
    with pytest.raises(PinMismatchError):
        verify_pin("127.0.0.1", quiet.port, "AAAA" + quiet.app.state.tls_pin[4:])


def test_mdns_finds_the_paired_hub_and_the_address_is_remembered(advertised, tmp_path):
    state = advertised.app.state
    remembered = tmp_path / "last-hub.json"
    hub = HubResolver(pin=state.tls_pin, hub_id=state.identity["hub_id"], interfaces=LOOPBACK,
                      state_file=remembered).resolve()
    assert (hub.source, hub.host, hub.port) == ("mdns", "127.0.0.1", advertised.port)
    assert hub.url == f"https://127.0.0.1:{advertised.port}" and hub.hub_id == state.identity["hub_id"]
    assert json.loads(remembered.read_text())["url"] == hub.url


def test_an_advert_with_another_pin_is_not_this_tills_hub(advertised):
    resolver = HubResolver(pin="bm90LXRoaXMtaHViLXBpbg==", interfaces=LOOPBACK)
    with pytest.raises(HubNotFoundError):
        resolver.resolve(mdns_timeout=1.5)
    assert any("another hub" in why for why in resolver.refused)


def test_without_mdns_the_last_known_address_is_tried_then_the_configured_one(quiet, tmp_path):
    pin = quiet.app.state.tls_pin
    dead = f"https://127.0.0.1:{free_port()}"
    remembered = tmp_path / "last-hub.json"
    remembered.write_text(json.dumps({"url": f"https://127.0.0.1:{quiet.port}"}))
    hub = HubResolver(pin=pin, interfaces=LOOPBACK, state_file=remembered, configured=dead).resolve(mdns_timeout=0.5)
    assert hub.source == "last_known" and hub.port == quiet.port

    remembered.write_text(json.dumps({"url": dead}))  # the hub moved
    resolver = HubResolver(pin=pin, interfaces=LOOPBACK, state_file=remembered,
                           configured=f"127.0.0.1:{quiet.port}")
    hub = resolver.resolve(mdns_timeout=0.5)
    assert hub.source == "configured" and hub.port == quiet.port
    assert any(dead.removeprefix("https://") in why for why in resolver.refused)
    assert json.loads(remembered.read_text())["url"] == hub.url  # remembered for next time


def test_a_server_with_another_key_at_a_known_address_is_refused(quiet, tmp_path):
    other = _hub(tmp_path, "impostor", mdns=False)
    try:
        resolver = HubResolver(pin=quiet.app.state.tls_pin, mdns=False,
                               last_known=f"https://127.0.0.1:{other.port}")
        with pytest.raises(HubNotFoundError, match="not the pinned"):
            resolver.resolve()
    finally:
        other.stop()


def test_a_resolver_needs_a_pin():
    with pytest.raises(ValueError):
        HubResolver(pin="")
