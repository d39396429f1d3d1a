"""The hub advertises itself over mDNS on loopback once HTTP listens, and withdraws on shutdown."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from zeroconf import ServiceStateChange

from discovery.advertise import HubAdvertiser
from discovery.matchers import HUB_TYPE, HubAdvert
from tests.discovery.mdns_client import find_hubs, loopback_zeroconf, txt
from tests.hubtest import HubServer, make_demo_store, make_settings

LOOPBACK_MDNS = {"mdns": True, "mdns_interfaces": "127.0.0.1"}


def test_a_started_hub_is_found_on_loopback_with_its_txt_and_answers_at_once(tmp_path):
    settings = make_settings(tmp_path / "var", tls=True, **LOOPBACK_MDNS)
    make_demo_store(settings)
    server = HubServer(settings).start()
    try:
        state = server.app.state
        with loopback_zeroconf() as zc:
            (info,) = find_hubs(zc, state.identity["hub_id"]).values()
            fields = txt(info)
            address = info.parsed_addresses()[0]
            r = httpx.get(f"https://{address}:{info.port}/api/v1/health", verify=False, timeout=5)
    finally:
        server.stop()
    assert r.status_code == 200  # advertised only once HTTP listens
    assert info.port == server.port and address == "127.0.0.1"
    assert fields == {"id": state.identity["hub_id"], "store": state.identity["store_id"], "v": "1",
                      "api": "/api/v1", "pin": state.tls_pin}
    assert fields["pin"] == r.json()["tls"]["key_pin"]


def test_stopping_the_hub_withdraws_the_advert(tmp_path):
    settings = make_settings(tmp_path / "var", **LOOPBACK_MDNS)
    make_demo_store(settings)
    server = HubServer(settings).start()
    stopped = False
    try:
        with loopback_zeroconf() as zc:
            removed = []

            def handler(zeroconf, service_type, name, state_change):
                if state_change is ServiceStateChange.Removed and hub_id in name:
                    removed.append(name)

            from zeroconf import ServiceBrowser

            hub_id = server.app.state.identity["hub_id"]
            assert find_hubs(zc, hub_id)
            browser = ServiceBrowser(zc, HUB_TYPE, handlers=[handler])
            try:
                server.stop()
                stopped = True
                deadline = time.monotonic() + 5
                while not removed and time.monotonic() < deadline:
                    time.sleep(0.05)
            finally:
                browser.cancel()
    finally:
        if not stopped:
            server.stop()
    assert removed, "no goodbye: tills would keep a stopped hub for the record's TTL"


def test_with_mdns_off_nothing_is_advertised(tmp_path):
    settings = make_settings(tmp_path / "var", mdns=False, mdns_interfaces="127.0.0.1")
    make_demo_store(settings)
    server = HubServer(settings).start()
    try:
        assert getattr(server.app.state, "mdns", None) is None
        assert server.app.state.discovered_printers == []
        with loopback_zeroconf() as zc:
            assert find_hubs(zc, server.app.state.identity["hub_id"], timeout=1.5) == {}
    finally:
        server.stop()


async def test_an_address_change_re_announces_on_the_new_addresses(monkeypatch):
    import discovery.advertise as advertise

    monkeypatch.setattr(advertise, "ADDRESS_POLL_S", 0.1)
    addresses = [["127.0.0.1"]]
    advert = HubAdvert(hub_id="01TESTHUB0000000000000000", store="S1", port=8443, pin="PIN=")
    advertiser = HubAdvertiser(advert, "lan", addresses=lambda choice: list(addresses[0]))
    await advertiser.start()
    try:
        assert advertiser.announcements == 1 and advertiser.current == ["127.0.0.1"]
        addresses[0] = ["127.0.0.2"]  # a new lease
        for _ in range(100):
            if advertiser.announcements == 2:
                break
            await asyncio.sleep(0.05)
        assert advertiser.announcements == 2 and advertiser.current == ["127.0.0.2"]
        assert [a for a in advertiser.info.parsed_addresses()] == ["127.0.0.2"]
        addresses[0] = []  # the cable is pulled: nothing advertised, still watching
        for _ in range(100):
            if advertiser.azc is None:
                break
            await asyncio.sleep(0.05)
        assert advertiser.azc is None and advertiser._poll is not None
    finally:
        await advertiser.stop()


def test_interfaces_setting_lists_addresses_or_means_every_lan_address():
    from discovery.addresses import interfaces_for, lan_ipv4

    assert interfaces_for("127.0.0.1, 10.0.0.5") == ["127.0.0.1", "10.0.0.5"]
    assert interfaces_for("lan") == lan_ipv4()
    assert "127.0.0.1" not in lan_ipv4()
    with pytest.raises(ValueError):
        interfaces_for("eth0x")
