"""Network printers advertised on loopback show up on app.state.discovered_printers."""

from __future__ import annotations

import time

import os

from tests.discovery.mdns_client import loopback_zeroconf, printer_service
from tests.hubtest import HubServer, make_demo_store, make_settings


# Other tests on this machine may advertise printers on loopback too: each name here is unique.
TAG = f"{os.getpid()}-{time.monotonic_ns() % 100000}"


def mine(printers: list[dict]) -> list[dict]:
    return [p for p in printers if TAG in p["name"]]


def _wait(predicate, timeout: float = 8.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def test_a_raw_printer_appears_once_and_goes_when_it_says_goodbye(tmp_path):
    settings = make_settings(tmp_path / "var", mdns=True, mdns_interfaces="127.0.0.1")
    make_demo_store(settings)
    server = HubServer(settings).start()
    state = server.app.state
    try:
        with loopback_zeroconf() as zc:
            host = f"lp-{TAG}.local."
            with printer_service(zc, f"TM-T20III {TAG}", "_pdl-datastream._tcp.local.", 9100, host), \
                    printer_service(zc, f"TM-T20III LPD {TAG}", "_printer._tcp.local.", 515, host):
                printers = _wait(lambda: mine(state.discovered_printers))
                assert len(printers) == 1, printers  # one printer, two services: offered once
                (printer,) = printers
                assert printer["name"] == f"TM-T20III {TAG}" and printer["address"] == "tcp://127.0.0.1:9100"
                assert printer["found_at"].endswith("Z")
            assert _wait(lambda: mine(state.discovered_printers) == []), state.discovered_printers
    finally:
        server.stop()


def test_an_lpd_only_printer_is_offered_at_the_raw_print_port(tmp_path):
    settings = make_settings(tmp_path / "var", mdns=True, mdns_interfaces="127.0.0.1")
    make_demo_store(settings)
    server = HubServer(settings).start()
    try:
        with loopback_zeroconf() as zc, \
                printer_service(zc, f"Back office {TAG}", "_printer._tcp.local.", 515, host=f"lp2-{TAG}.local."):
            printers = _wait(lambda: mine(server.app.state.discovered_printers))
            assert [(p["name"], p["address"]) for p in printers] == [(f"Back office {TAG}", "tcp://127.0.0.1:9100")]
    finally:
        server.stop()
