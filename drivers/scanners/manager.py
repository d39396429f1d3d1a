"""Every scanner the hub reads: configured by URL, or found and followed through hot-plug.

One entry per identity (serial number or port path): a scanner unplugged shows as
"disconnected" and one plugged back in updates its entry. Readers are threads; `on_scan(scan)`
is called from them, so the owner hands it to its event loop (hub.events.subsystem).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

from drivers.scanners.hid import HidReader
from drivers.scanners.hotplug import Candidate, DeviceSource
from drivers.scanners.serial_port import SerialReader

log = logging.getLogger(__name__)

SERIAL_SCHEMES = ("serial", "loop", "socket", "rfc2217", "spy", "alt", "hwgrep")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Scanner:
    identity: str
    connector: str  # "serial" or "usb-hid"
    address: str  # the URL it is read through
    configured: bool
    name: str = ""
    status: str = "starting"  # starting, connected, error, disconnected
    last_error: str | None = None
    last_scan_at: str | None = None
    reader: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": "scanner", "connector": self.connector, "address": self.address,
                "identity": self.identity, "name": self.name, "status": self.status,
                "last_error": self.last_error, "last_scan_at": self.last_scan_at,
                "configured": self.configured}


def connector_of(url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme == "hid":
        return "usb-hid"
    if scheme in SERIAL_SCHEMES:
        return "serial"
    raise ValueError(f"{url!r}: a scanner URL is serial:///dev/ttyX?baudrate=9600, hid:///dev/input/eventN "
                     "or a pyserial URL such as loop://")


class ScannerManager:
    """Starts, stops and lists scanners; `on_scan(dict)` gets code, scanner identity and address."""

    def __init__(self, on_scan: Callable[[dict[str, Any]], None], *, grab: bool = True) -> None:
        self.on_scan = on_scan
        self.grab = grab
        self._lock = threading.Lock()
        self._scanners: dict[str, Scanner] = {}
        self._source: DeviceSource | None = None

    # -- what the portal shows -------------------------------------------------------------
    def devices(self) -> list[dict[str, Any]]:
        with self._lock:
            return [s.as_dict() for s in sorted(self._scanners.values(), key=lambda s: s.identity)]

    def get(self, identity: str) -> Scanner | None:
        with self._lock:
            return self._scanners.get(identity)

    # -- configured scanners ---------------------------------------------------------------
    def add_url(self, url: str) -> Scanner:
        connector = connector_of(url)
        parts = urlsplit(url)
        identity = f"{connector}:{parts.path or url}" if parts.scheme in ("serial", "hid") else f"{connector}:{url}"
        return self._attach(Scanner(identity, connector, url, configured=True))

    # -- hot-plug --------------------------------------------------------------------------
    def follow(self, source: DeviceSource) -> None:
        """Attach what `source` finds now, then what it reports as plugged in or out."""
        self._source = source
        for candidate in source.candidates():
            self.plugged(candidate)
        source.watch(self.plugged, self.unplugged)

    def plugged(self, candidate: Candidate) -> None:
        with self._lock:
            known = self._scanners.get(candidate.identity)
            same_port = [s for s in self._scanners.values()
                         if s.configured and s.address == candidate.url and s.identity != candidate.identity]
        if same_port:  # configured by hand at this very port: one reader, under the configured entry
            scanner = same_port[0]
            scanner.name = scanner.name or candidate.name
            if scanner.status != "connected":  # plugged back in: read it again
                self._stop_reader(scanner)
                self._attach(scanner)
            return
        if known is not None and known.reader is not None and known.address == candidate.url:
            return  # already reading it
        if known is not None:
            self._stop_reader(known)
        log.info("scanner %s plugged in at %s", candidate.identity, candidate.devnode)
        self._attach(Scanner(candidate.identity, candidate.connector, candidate.url,
                             configured=known.configured if known else False, name=candidate.name,
                             last_scan_at=known.last_scan_at if known else None))

    def unplugged(self, identity: str) -> None:
        scanner = self.get(identity)
        if scanner is None:
            return
        log.info("scanner %s unplugged", identity)
        self._stop_reader(scanner)
        scanner.status = "disconnected"

    # -- readers ---------------------------------------------------------------------------
    def _attach(self, scanner: Scanner) -> Scanner:
        with self._lock:
            self._scanners[scanner.identity] = scanner

        def on_code(code: str) -> None:
            scanner.last_scan_at = _now()
            self.on_scan({"code": code, "scanner": scanner.identity, "connector": scanner.connector,
                          "address": scanner.address, "at": scanner.last_scan_at})

        def on_status(status: str, error: str | None) -> None:
            scanner.status = status
            if error is not None:
                scanner.last_error = error

        try:
            if scanner.connector == "usb-hid":
                def on_gone(err: BaseException | None) -> None:
                    on_status("disconnected" if err is None else "error", None if err is None else str(err))

                reader = HidReader(urlsplit(scanner.address).path, on_code, on_gone, grab=self.grab)
                reader.start()
                on_status("connected", None)
            else:
                reader = SerialReader(scanner.address, on_code, on_status)
                reader.start()
            scanner.reader = reader
        except OSError as err:
            on_status("error", str(err))
            log.warning("scanner %s at %s cannot be read: %s", scanner.identity, scanner.address, err)
        return scanner

    def _stop_reader(self, scanner: Scanner) -> None:
        reader, scanner.reader = scanner.reader, None
        if reader is not None:
            reader.stop()

    def stop(self) -> None:
        if self._source is not None:
            self._source.close()
            self._source = None
        with self._lock:
            scanners = list(self._scanners.values())
        for scanner in scanners:
            self._stop_reader(scanner)
            scanner.status = "stopped"
