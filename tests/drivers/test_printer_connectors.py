"""One contract over every connector a store meets: the whole job arrives in one piece, DLE EOT
is asked before it where the connection reports status, a printer out of paper gets nothing,
and an unreachable one raises PrinterUnavailableError. Network: a TCP listener on 127.0.0.1;
serial: a pty pair with a scripted printer on the far side; a device file: a plain file; dummy:
memory. Plus the address URLs and the status bytes, decoded."""

from __future__ import annotations

import os
import pty
import select
import threading
import tty
from pathlib import Path

import pytest

from drivers.printers import connectors
from drivers.printers.connectors import AddressError, DummyConnector, PrinterUnavailableError, parse, send
from drivers.printers.status import (COVER_OPEN, OFFLINE, PAPER_LOW, PAPER_OUT, READY, UNKNOWN, answer_byte, decode,
                                     decode_gs_r)
from tests.printing.fakeprinter import FakePrinter

JOB = b"\x1bt\x00Hello\n" + bytes(range(0x20, 0x7f)) * 40 + b"\x1dV\x01"


class PtyPrinter:
    """A serial printer on the far side of a pty: answers DLE EOT like a printer in `state`."""

    def __init__(self, state: str = READY) -> None:
        self.state = state
        self.master, slave = pty.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        self._slave = slave
        self.received = bytearray()
        self.queries: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="pty-printer", daemon=True)

    def __enter__(self) -> "PtyPrinter":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        os.close(self.master)
        os.close(self._slave)

    def _serve(self) -> None:
        pending = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                pending += os.read(self.master, 65536)
            except OSError:
                return
            while (at := pending.find(b"\x10\x04")) != -1 and at + 2 < len(pending):
                self.received += pending[:at]
                n = pending[at + 2]
                self.queries.append(n)
                os.write(self.master, bytes([answer_byte(self.state)[n]]))
                pending = pending[at + 3:]
            if b"\x10" not in pending[-2:]:
                self.received += pending
                pending = b""

    def wait_for(self, size: int, timeout: float = 5.0) -> bytes:
        import time

        deadline = time.monotonic() + timeout
        while len(self.received) < size and time.monotonic() < deadline:
            time.sleep(0.01)
        return bytes(self.received)


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch):
    monkeypatch.setattr(connectors, "STATUS_TIMEOUT", 0.2)
    monkeypatch.setattr(connectors, "CONNECT_TIMEOUT", 0.5)


@pytest.mark.parametrize("state", [READY, PAPER_LOW])
def test_tcp_sends_the_whole_job_after_reading_the_status(state):
    with FakePrinter(state) as printer:
        got = send(printer.url, JOB)
        assert printer.wait_for_jobs(1) == [JOB]
    assert got.state == state and printer.queries == [1, 2, 4]


@pytest.mark.parametrize("state", [PAPER_OUT, COVER_OPEN])
def test_tcp_sends_nothing_to_a_printer_that_holds_jobs(state):
    with FakePrinter(state) as printer:
        got = send(printer.url, JOB)
        assert got.state == state and got.holds
        printer.close()
    assert printer.jobs == []


def test_tcp_to_a_printer_that_reports_no_status_prints_anyway():
    with FakePrinter(answers=False) as printer:
        got = send(printer.url, JOB)
        assert printer.wait_for_jobs(1) == [JOB]
    assert got.state == UNKNOWN


def test_tcp_to_nobody_is_unavailable():
    with FakePrinter() as gone:
        url = gone.url
    with pytest.raises(PrinterUnavailableError):
        send(url, JOB)


@pytest.mark.parametrize("state", [READY, PAPER_OUT])
def test_serial_reads_the_status_and_sends_the_job_over_a_pty(state):
    with PtyPrinter(state) as printer:
        got = send(f"serial://{printer.path}?baudrate=9600", JOB)
        received = printer.wait_for(len(JOB)) if state == READY else printer.wait_for(0, 0.3)
    assert got.state == state and printer.queries == [1, 2, 4]
    assert received == (JOB if state == READY else b"")


def test_serial_to_a_missing_port_is_unavailable(tmp_path):
    with pytest.raises(PrinterUnavailableError):
        send(f"serial://{tmp_path}/ttyUSB9", JOB)


def test_a_device_file_gets_the_job_in_one_write_and_reports_no_status(tmp_path):
    path = tmp_path / "lp0"
    path.write_bytes(b"")
    got = send(f"file://{path}", JOB)
    assert got.state == UNKNOWN and path.read_bytes() == JOB
    assert send(str(path), b"more").state == UNKNOWN and path.read_bytes() == JOB + b"more"
    with pytest.raises(PrinterUnavailableError):
        send(f"file://{tmp_path}/missing/lp0", JOB)


def test_the_dummy_keeps_what_it_was_sent_and_reports_its_scripted_state():
    DummyConnector.sent.pop("contract", None)
    assert send("dummy://contract", JOB).state == READY
    DummyConnector.states["contract"] = PAPER_OUT
    try:
        assert send("dummy://contract", JOB).state == PAPER_OUT
        DummyConnector.states["contract"] = "unreachable"
        with pytest.raises(PrinterUnavailableError):
            send("dummy://contract", JOB)
    finally:
        DummyConnector.states.pop("contract")
    assert DummyConnector.sent.pop("contract") == [JOB]


@pytest.mark.parametrize("url, want", [
    ("tcp://10.0.0.5:9100", {"kind": "tcp", "host": "10.0.0.5", "port": 9100}),
    ("tcp://printer.local", {"kind": "tcp", "host": "printer.local", "port": 9100}),
    ("serial:///dev/ttyUSB0?baudrate=9600", {"kind": "serial", "port": "/dev/ttyUSB0", "options": {"baudrate": 9600}}),
    ("serial://loop://", {"kind": "serial", "port": "loop://", "options": {}}),
    ("file:///dev/usb/lp0", {"kind": "file", "path": "/dev/usb/lp0"}),
    ("/dev/usb/lp0", {"kind": "file", "path": "/dev/usb/lp0"}),
    ("usb://04b8:0202", {"kind": "usb", "vendor": 0x04B8, "product": 0x0202}),
    ("dummy://front", {"kind": "dummy", "name": "front"}),
])
def test_addresses_name_their_connector(url, want):
    assert parse(url) == want


@pytest.mark.parametrize("url", ["", "lpt1", "ftp://x", "tcp://:9100", "tcp://h:99999", "usb://04b8",
                                 "usb://zz:01", "serial://", "serial:///dev/ttyS0?speed=9", "file://rel/path",
                                 "dummy://"])
def test_addresses_no_connector_understands_are_refused(url):
    with pytest.raises(AddressError):
        parse(url)


def test_status_bytes_decode_to_what_the_printer_says():
    for state in (READY, PAPER_LOW, PAPER_OUT, COVER_OPEN):
        assert decode(answer_byte(state)).state == state
    assert decode({1: 0x12 | 0x08, 2: 0x12, 4: 0x12}).state == OFFLINE
    assert decode({2: 0x12 | 0x40}).state == "error"
    assert decode({}).state == UNKNOWN
    assert decode({1: 0x12}).state == READY  # answered only the first question
    assert decode_gs_r(0x0C).state == PAPER_OUT and decode_gs_r(0x03).state == PAPER_LOW
    assert decode_gs_r(0x00).state == READY


def test_python_escpos_is_not_imported_when_the_app_starts(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from hub.app import create_app; from hub.settings import Settings;"
            f"create_app(Settings(data_dir={str(tmp_path)!r}, tls=False), subsystems=[]);"
            "import hub.printing.api, hub.printing.portal, hub.sales.api;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('escpos', 'PIL', 'serial', 'usb')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[2],
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_gs_r_catches_a_roll_end_that_dle_eot_does_not_see_where_the_profile_supports_it():
    with FakePrinter(READY, sensor=PAPER_OUT) as printer:
        got = send(printer.url, JOB, paper_sensor=True)
        assert got.state == PAPER_OUT and printer.queries == [1, 2, 4, ("GS r", 1)]
        assert send(printer.url, JOB).state == READY  # a profile without the sensor is not asked
        assert printer.wait_for_jobs(1) == [JOB]
    with FakePrinter(READY, sensor=PAPER_LOW) as printer:
        assert send(printer.url, JOB, paper_sensor=True).state == PAPER_LOW
        assert printer.wait_for_jobs(1) == [JOB]
