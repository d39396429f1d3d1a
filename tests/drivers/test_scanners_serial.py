"""Serial scanners through pyserial: loop:// and a socat pty pair (a real tty)."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from drivers.scanners.serial_port import SerialReader, port_of


class Codes:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.statuses: list[tuple[str, str | None]] = []
        self.cond = threading.Condition()

    def add(self, code: str) -> None:
        with self.cond:
            self.items.append(code)
            self.cond.notify_all()

    def status(self, status: str, error: str | None) -> None:
        with self.cond:
            self.statuses.append((status, error))
            self.cond.notify_all()

    def wait(self, n: int, timeout: float = 5.0) -> list[str]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.items) >= n, timeout)
            return list(self.items)


def test_scanner_urls_name_the_port_and_its_options():
    assert port_of("serial:///dev/ttyACM0?baudrate=9600&parity=N&rtscts=1") == (
        "/dev/ttyACM0", {"baudrate": 9600, "parity": "N", "rtscts": True})
    assert port_of("loop://") == ("loop://", {})


def test_codes_written_to_loop_come_back_as_scans():
    codes = Codes()
    reader = SerialReader("loop://", codes.add, codes.status)
    reader.start()
    try:
        assert reader.wait_open()
        reader.write_threadsafe(b"\x00\x00noise\x02")  # noise, then a frame start
        reader.write_threadsafe(b"6001234567890\r\n")
        reader.write_threadsafe(b"77")
        reader.write_threadsafe(b"7\n")
        assert codes.wait(2) == ["6001234567890", "777"]
    finally:
        reader.stop()
    assert codes.statuses[0] == ("connected", None)


@pytest.fixture
def pty_pair(tmp_path: Path) -> Iterator[tuple[str, str]]:
    if shutil.which("socat") is None:
        pytest.skip("socat is not installed (apt-get install socat): no pty pair for a real tty test")
    a, b = tmp_path / "ttyA", tmp_path / "ttyB"
    proc = subprocess.Popen(["socat", f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while not (a.exists() and b.exists()):
            assert time.monotonic() < deadline and proc.poll() is None, "socat made no pty pair"
            time.sleep(0.02)
        yield str(a), str(b)
    finally:
        proc.terminate()
        proc.wait(5)


def test_a_real_tty_carries_codes_with_every_suffix_in_pieces(pty_pair):
    scanner_end, hub_end = pty_pair
    codes = Codes()
    reader = SerialReader(f"serial://{hub_end}?baudrate=9600", codes.add, codes.status)
    reader.start()
    try:
        assert reader.wait_open()
        with serial.Serial(scanner_end, 9600) as scanner:
            for piece in (b"5012", b"345678900\r", b"\n12", b"3\n", b"\xff\xfe", b"ABC-1\r\n"):
                scanner.write(piece)
                scanner.flush()
                time.sleep(0.01)
            assert codes.wait(3) == ["5012345678900", "123", "ABC-1"]
    finally:
        reader.stop()


def test_a_port_that_cannot_open_reports_its_error_and_retries(tmp_path, monkeypatch):
    import drivers.scanners.serial_port as serial_port

    monkeypatch.setattr(serial_port, "REOPEN_BACKOFF_S", (0.05,))
    codes = Codes()
    reader = SerialReader(f"serial://{tmp_path}/ttyGone", codes.add, codes.status)
    reader.start()
    try:
        with codes.cond:
            assert codes.cond.wait_for(lambda: len(codes.statuses) >= 2, 5)
    finally:
        reader.stop()
    assert all(status == "error" and "ttyGone" in (error or "") for status, error in codes.statuses)
