"""Barcode scanners: serial (pyserial) and USB HID read from /dev/input directly, with hot-plug.

    ScannerManager(on_scan).add_url("serial:///dev/ttyACM0?baudrate=9600")
    ScannerManager(on_scan).follow(UdevSource())
"""

from drivers.scanners.framing import FrameDecoder
from drivers.scanners.hid import HidReader, KeyDecoder, decode_events
from drivers.scanners.hotplug import Candidate, DeviceSource, UdevSource, candidate_of, looks_like_scanner
from drivers.scanners.manager import ScannerManager
from drivers.scanners.serial_port import SerialReader

__all__ = ["Candidate", "DeviceSource", "FrameDecoder", "HidReader", "KeyDecoder", "ScannerManager",
           "SerialReader", "UdevSource", "candidate_of", "decode_events", "looks_like_scanner"]
