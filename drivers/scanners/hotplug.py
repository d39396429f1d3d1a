"""Finding scanners and following hot-plug, behind a small interface (udev on the Pi, fakes in tests).

A source reports candidates: input devices (HID scanners) and tty ports (serial scanners) that
look like barcode scanners. Identity is the device's USB serial number, else its port path
(ID_PATH), so a scanner moved to another port with a serial number keeps its identity, and
rediscovery updates an entry instead of adding one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol

# USB vendor ids of scanner makers a store meets (Honeywell/Metrologic, Zebra/Symbol, Datalogic,
# Newland, Zebex, Opticon, Code, Netum/generic wedge chips seen in cheap scanners).
SCANNER_VENDORS = frozenset({"0c2e", "05e0", "05f9", "1eab", "1f3a", "065a", "0536", "26f1", "2dd6",
                             "1a86", "0483"})
SCANNER_WORDS = ("scan", "barcode", "bar code", "imager")


@dataclass(frozen=True)
class Candidate:
    identity: str
    connector: str  # "usb-hid" or "serial"
    devnode: str  # /dev/input/eventN or /dev/ttyACM0
    name: str = ""

    @property
    def url(self) -> str:
        return f"hid://{self.devnode}" if self.connector == "usb-hid" else f"serial://{self.devnode}"


class DeviceSource(Protocol):
    def candidates(self) -> list[Candidate]: ...

    def watch(self, on_added: Callable[[Candidate], None], on_removed: Callable[[str], None]) -> None: ...

    def close(self) -> None: ...


def looks_like_scanner(props: Mapping[str, str]) -> bool:
    """A USB device a scanner maker made, or one that calls itself a scanner (pure; udev properties)."""
    if props.get("ID_BUS") != "usb":
        return False
    if props.get("ID_VENDOR_ID", "").lower() in SCANNER_VENDORS and (
            props.get("ID_INPUT_KEYBOARD") == "1" or props.get("SUBSYSTEM") == "tty"):
        return True
    text = " ".join(props.get(k, "") for k in ("ID_MODEL", "ID_VENDOR", "ID_MODEL_FROM_DATABASE", "NAME"))
    text = text.replace("_", " ").lower()
    return any(word in text for word in SCANNER_WORDS)


def candidate_of(props: Mapping[str, str]) -> Candidate | None:
    """The scanner behind one udev device's properties, or None when it is not one we read."""
    devnode = props.get("DEVNAME", "")
    subsystem = props.get("SUBSYSTEM")
    if subsystem == "input":
        if not devnode.startswith("/dev/input/event") or props.get("ID_INPUT_KEYBOARD") != "1":
            return None
        connector = "usb-hid"
    elif subsystem == "tty":
        if not devnode.startswith(("/dev/ttyACM", "/dev/ttyUSB")):
            return None
        connector = "serial"
    else:
        return None
    if not looks_like_scanner(props):
        return None
    serial = props.get("ID_SERIAL_SHORT", "").strip()
    identity = f"{connector}:{serial}" if serial else f"{connector}:{props.get('ID_PATH') or devnode}"
    return Candidate(identity, connector, devnode, props.get("ID_MODEL", "").replace("_", " "))


class UdevSource:
    """Candidates from udev (pyudev), and its netlink monitor in pyudev's observer thread."""

    def __init__(self) -> None:
        import pyudev

        self._pyudev = pyudev
        self.context = pyudev.Context()
        self._observer: Any = None
        self._known: dict[str, str] = {}  # devnode -> identity, to name what was removed

    def candidates(self) -> list[Candidate]:
        found = []
        for subsystem in ("input", "tty"):
            for device in self.context.list_devices(subsystem=subsystem):
                c = candidate_of({**dict(device.properties), "SUBSYSTEM": subsystem})
                if c is not None:
                    self._known[c.devnode] = c.identity
                    found.append(c)
        return found

    def watch(self, on_added: Callable[[Candidate], None], on_removed: Callable[[str], None]) -> None:
        monitor = self._pyudev.Monitor.from_netlink(self.context)
        monitor.filter_by("input")
        monitor.filter_by("tty")

        def event(device: Any) -> None:
            action = device.action
            props = {**dict(device.properties), "SUBSYSTEM": device.subsystem or ""}
            if action == "add":
                c = candidate_of(props)
                if c is not None:
                    self._known[c.devnode] = c.identity
                    on_added(c)
            elif action == "remove":
                identity = self._known.pop(props.get("DEVNAME", ""), None)
                if identity is not None:
                    on_removed(identity)

        self._observer = self._pyudev.MonitorObserver(monitor, callback=event, name="udev-scanners")
        self._observer.start()

    def close(self) -> None:
        if self._observer is not None:
            self._observer.send_stop()
            self._observer.join(5)
            self._observer = None
