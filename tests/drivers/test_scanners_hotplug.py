"""Scanners found and followed through hot-plug (a fake udev source), and which devices count."""

from __future__ import annotations

import os
import threading
from typing import Callable

from drivers.scanners.hotplug import Candidate, candidate_of, looks_like_scanner
from drivers.scanners.manager import ScannerManager
from tests.drivers.test_scanners_hid import typed

HONEYWELL_HID = {"SUBSYSTEM": "input", "DEVNAME": "/dev/input/event5", "ID_INPUT_KEYBOARD": "1",
                 "ID_BUS": "usb", "ID_VENDOR_ID": "0c2e", "ID_MODEL": "Voyager_1250g",
                 "ID_SERIAL_SHORT": "17011B1234", "ID_PATH": "platform-xhci-hcd.0-usb-0:1.2:1.0"}


def test_a_scanner_makers_keyboard_device_is_a_scanner_and_a_plain_keyboard_is_not():
    assert looks_like_scanner(HONEYWELL_HID)
    keyboard = {**HONEYWELL_HID, "ID_VENDOR_ID": "046d", "ID_MODEL": "USB_Keyboard"}
    assert not looks_like_scanner(keyboard) and candidate_of(keyboard) is None
    generic = {**keyboard, "ID_MODEL": "USB_Barcode_Scanner"}
    assert looks_like_scanner(generic)
    assert not looks_like_scanner({**HONEYWELL_HID, "ID_BUS": "bluetooth"})


def test_identity_is_the_serial_number_else_the_port_path():
    c = candidate_of(HONEYWELL_HID)
    assert c == Candidate("usb-hid:17011B1234", "usb-hid", "/dev/input/event5", "Voyager 1250g")
    no_serial = {k: v for k, v in HONEYWELL_HID.items() if k != "ID_SERIAL_SHORT"}
    assert candidate_of(no_serial).identity == "usb-hid:platform-xhci-hcd.0-usb-0:1.2:1.0"
    tty = {"SUBSYSTEM": "tty", "DEVNAME": "/dev/ttyACM0", "ID_BUS": "usb", "ID_VENDOR_ID": "05e0",
           "ID_SERIAL_SHORT": "S1"}
    assert candidate_of(tty).url == "serial:///dev/ttyACM0" and candidate_of(tty).identity == "serial:S1"
    assert candidate_of({**HONEYWELL_HID, "DEVNAME": "/dev/input/mouse0"}) is None


class FakeSource:
    """A udev stand-in: candidates now, plug and unplug later."""

    def __init__(self, *now: Candidate) -> None:
        self.now = list(now)
        self.added: Callable[[Candidate], None] | None = None
        self.removed: Callable[[str], None] | None = None
        self.closed = False

    def candidates(self) -> list[Candidate]:
        return list(self.now)

    def watch(self, on_added, on_removed) -> None:
        self.added, self.removed = on_added, on_removed

    def close(self) -> None:
        self.closed = True


def _fifo(tmp_path, name: str) -> str:
    path = tmp_path / name
    os.mkfifo(path)
    return str(path)


def test_plugging_in_reads_a_scanner_and_unplugging_and_replugging_updates_one_entry(tmp_path):
    scans, seen = [], threading.Event()

    def on_scan(scan):
        scans.append(scan)
        seen.set()

    first = _fifo(tmp_path, "event5")
    manager = ScannerManager(on_scan, grab=False)
    source = FakeSource()
    manager.follow(source)
    assert manager.devices() == []
    writer = None
    try:
        # a FIFO opens for reading without blocking (O_NONBLOCK); the "device" writes later
        source.added(Candidate("usb-hid:17011B1234", "usb-hid", first, "Voyager"))
        writer = os.open(first, os.O_WRONLY)
        os.write(writer, typed("6001234567890"))
        assert seen.wait(5)
        assert scans[0]["code"] == "6001234567890" and scans[0]["scanner"] == "usb-hid:17011B1234"
        (device,) = manager.devices()
        assert device["status"] == "connected" and device["last_scan_at"] == scans[0]["at"]
        assert set(device) >= {"kind", "connector", "address", "identity", "status", "last_error", "last_scan_at"}

        source.removed("usb-hid:17011B1234")
        assert manager.devices()[0]["status"] == "disconnected"
        os.close(writer)
        writer = None

        second = _fifo(tmp_path, "event9")  # back in another port: same identity, new address
        source.added(Candidate("usb-hid:17011B1234", "usb-hid", second, "Voyager"))
        (device,) = manager.devices()
        assert device["address"] == f"hid://{second}" and device["status"] == "connected"
        assert device["last_scan_at"] == scans[0]["at"]
    finally:
        if writer is not None:
            os.close(writer)
        manager.stop()
    assert source.closed and manager.devices()[0]["status"] == "stopped"


def test_a_configured_scanner_that_cannot_open_shows_its_error(tmp_path):
    manager = ScannerManager(lambda scan: None, grab=False)
    manager.add_url(f"hid://{tmp_path}/nothing")
    try:
        (device,) = manager.devices()
        assert device["status"] == "error" and "nothing" in device["last_error"]
        assert device["connector"] == "usb-hid" and device["identity"] == f"usb-hid:{tmp_path}/nothing"
    finally:
        manager.stop()


def test_the_udev_source_enumerates_and_watches_this_machine_and_stops_cleanly():
    import pytest

    pyudev = pytest.importorskip("pyudev")
    from drivers.scanners.hotplug import UdevSource

    try:
        source = UdevSource()
        found = source.candidates()  # no USB scanner here: most likely empty, never a keyboard
        source.watch(lambda c: None, lambda identity: None)
    except (OSError, pyudev.DeviceNotFoundError) as err:
        pytest.skip(f"udev is not usable here: {err}")
    source.close()
    assert all(c.connector in ("usb-hid", "serial") for c in found)


async def test_the_subsystem_publishes_scans_from_a_hot_plugged_scanner(tmp_path):
    import asyncio
    from types import SimpleNamespace

    from hub.events.bus import bus_for
    from hub.events.subsystem import ScannerSubsystem
    from tests.hubtest import make_settings

    source = FakeSource()
    state = SimpleNamespace(settings=make_settings(tmp_path, scanner_autodetect=True))
    subsystem = ScannerSubsystem(lambda: source, grab=False)
    await subsystem.start(state)
    sub = bus_for(state).subscribe()
    writer = None
    try:
        await subsystem._follow
        path = _fifo(tmp_path, "event3")
        source.added(Candidate("usb-hid:S9", "usb-hid", path))
        writer = os.open(path, os.O_WRONLY)
        os.write(writer, typed("42"))
        event = await asyncio.wait_for(sub.next(), 5)
        assert (event.kind, event.data["code"], event.data["scanner"]) == ("scan", "42", "usb-hid:S9")
        assert state.scanners.devices()[0]["identity"] == "usb-hid:S9"
    finally:
        if writer is not None:
            os.close(writer)
        await subsystem.stop()
    assert source.closed


def test_a_scanner_configured_by_hand_is_not_read_twice_when_udev_finds_it(tmp_path):
    path = _fifo(tmp_path, "event7")
    manager = ScannerManager(lambda scan: None, grab=False)
    manager.add_url(f"hid://{path}")
    source = FakeSource(Candidate("usb-hid:S7", "usb-hid", path, "Voyager"))
    try:
        manager.follow(source)
        (device,) = manager.devices()
        assert device["identity"] == f"usb-hid:{path}" and device["configured"] and device["name"] == "Voyager"
        scanner = manager.get(f"usb-hid:{path}")
        scanner.status = "disconnected"  # its reader saw the device go
        source.added(Candidate("usb-hid:S7", "usb-hid", path, "Voyager"))
        assert manager.devices()[0]["status"] == "connected" and len(manager.devices()) == 1
    finally:
        manager.stop()
