"""Network printers advertised on loopback show up on app.state.discovered_printers."""

from __future__ import annotations

import time

from tests.discovery.mdns_client import loopback_zeroconf, printer_service
from tests.hubtest import HubServer, make_demo_store, make_settings


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
            with printer_service(zc, "TM-T20III", "_pdl-datastream._tcp.local.", 9100), \
                    printer_service(zc, "TM-T20III LPD", "_printer._tcp.local.", 515):
                printers = _wait(lambda: state.discovered_printers)
                assert len(printers) == 1, printers  # one printer, two services: offered once
                (printer,) = printers
                assert printer["name"] == "TM-T20III" and printer["address"] == "tcp://127.0.0.1:9100"
                assert printer["found_at"].endswith("Z")
            assert _wait(lambda: state.discovered_printers == []), state.discovered_printers
    finally:
        server.stop()


def test_an_lpd_only_printer_is_offered_at_the_raw_print_port(tmp_path):
    settings = make_settings(tmp_path / "var", mdns=True, mdns_interfaces="127.0.0.1")
    make_demo_store(settings)
    server = HubServer(settings).start()
    try:
        with loopback_zeroconf() as zc, \
                printer_service(zc, "Back office", "_printer._tcp.local.", 515, host="lp2.local."):
            printers = _wait(lambda: server.app.state.discovered_printers)
            assert [(p["name"], p["address"]) for p in printers] == [("Back office", "tcp://127.0.0.1:9100")]
    finally:
        server.stop()
