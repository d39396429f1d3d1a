"""Connectors: how bytes reach a printer, chosen by its address URL.

    tcp://10.0.0.5:9100                 a network printer's raw port (9100 when not given)
    serial:///dev/ttyUSB0?baudrate=9600 a serial printer (any pyserial URL after serial://, such as loop://)
    file:///dev/usb/lp0                 a device file (the kernel's usblp driver); a plain path works too
    usb://04b8:0202                     a USB printer through python-escpos and pyusb
    dummy://name                        memory: what was sent is kept in DummyConnector.sent[name]

A connector is opened for one job, asked its real-time status where the device reports it (DLE
EOT over TCP and serial), sent the whole job in one write, and closed. Library errors become
PrinterUnavailableError here, at the boundary.
"""

from __future__ import annotations

import socket
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from drivers.printers.status import (GS_R, PAPER_LOW, QUERIES, READY, UNKNOWN, PrinterStatus, answer_byte, decode,
                                     decode_gs_r, query)

CONNECT_TIMEOUT = 3.0  # seconds to reach a network printer
STATUS_TIMEOUT = 0.5  # seconds a printer has to answer one DLE EOT
WRITE_TIMEOUT = 10.0  # seconds for the whole job to be taken


class PrinterError(Exception):
    """A printer problem the job can be retried after."""


class PrinterUnavailableError(PrinterError):
    """The printer could not be reached, or the connection broke."""


class AddressError(ValueError):
    """An address URL no connector understands."""


class Connector(Protocol):
    url: str
    reports_status: bool

    def open(self) -> None: ...

    def status(self) -> PrinterStatus: ...

    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class _Base:
    reports_status = False
    paper_sensor = False  # also ask GS r 1 (the profile says the model answers it)

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> "_Base":
        self.open()  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()  # type: ignore[attr-defined]

    def status(self) -> PrinterStatus:
        return PrinterStatus(UNKNOWN, "this connection does not report the printer's status")

    def _ask(self, send: Any, read_one: Any) -> PrinterStatus:
        """DLE EOT 1, 2 and 4 in one write (a printer answers each in real time, in order), then
        their answers; a printer that answers none within STATUS_TIMEOUT reports no status."""
        send(b"".join(query(n) for n in QUERIES))
        answers: dict[int, int] = {}
        for n in QUERIES:
            got = read_one()
            if not got:
                break
            answers[n] = got[0]
        found = decode(answers)
        if self.paper_sensor and answers and not found.holds:
            # GS r 1 (transmit paper sensor status): models whose DLE EOT 4 does not see the roll's end.
            send(GS_R + b"\x01")
            got = read_one()
            if got:
                sensor = decode_gs_r(got[0])
                if sensor.holds or (sensor.state == PAPER_LOW and found.state == READY):
                    return sensor
        return found


class TcpConnector(_Base):
    reports_status = True

    def __init__(self, url: str, host: str, port: int) -> None:
        super().__init__(url)
        self.host, self.port = host, port
        self.sock: socket.socket | None = None

    def open(self) -> None:
        try:
            self.sock = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as err:
            raise PrinterUnavailableError(f"cannot reach {self.host}:{self.port}: {err}") from err

    def _read_one(self) -> bytes:
        assert self.sock is not None
        self.sock.settimeout(STATUS_TIMEOUT)
        try:
            return self.sock.recv(1)
        except TimeoutError:
            return b""
        except OSError as err:
            raise PrinterUnavailableError(f"{self.host}:{self.port} broke the connection: {err}") from err

    def status(self) -> PrinterStatus:
        assert self.sock is not None
        try:
            return self._ask(self.sock.sendall, self._read_one)
        except OSError as err:
            raise PrinterUnavailableError(f"{self.host}:{self.port} broke the connection: {err}") from err

    def write(self, data: bytes) -> None:
        assert self.sock is not None
        try:
            self.sock.settimeout(WRITE_TIMEOUT)
            self.sock.sendall(data)
        except OSError as err:
            raise PrinterUnavailableError(f"{self.host}:{self.port} did not take the job: {err}") from err

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
            self.sock = None


class SerialConnector(_Base):
    reports_status = True

    def __init__(self, url: str, port: str, options: dict[str, Any]) -> None:
        super().__init__(url)
        self.port, self.options = port, options
        self.serial: Any = None

    def open(self) -> None:
        import serial  # pyserial, imported when a serial printer is used

        try:
            self.serial = serial.serial_for_url(self.port, timeout=STATUS_TIMEOUT, write_timeout=WRITE_TIMEOUT,
                                                **self.options)
        except (serial.SerialException, ValueError) as err:
            raise PrinterUnavailableError(f"cannot open {self.port}: {err}") from err

    def status(self) -> PrinterStatus:
        import serial

        try:
            return self._ask(self.serial.write, lambda: self.serial.read(1))
        except serial.SerialException as err:
            raise PrinterUnavailableError(f"{self.port}: {err}") from err

    def write(self, data: bytes) -> None:
        import serial

        try:
            self.serial.write(data)
            self.serial.flush()
        except serial.SerialException as err:
            raise PrinterUnavailableError(f"{self.port} did not take the job: {err}") from err

    def close(self) -> None:
        if self.serial is not None:
            self.serial.close()
            self.serial = None


class FileConnector(_Base):
    """A device file such as /dev/usb/lp0: written in one call; its status is not read."""

    def __init__(self, url: str, path: str) -> None:
        super().__init__(url)
        self.path = path
        self.file: Any = None

    def open(self) -> None:
        try:
            self.file = open(self.path, "ab", buffering=0)  # noqa: SIM115 - closed in close()
        except OSError as err:
            raise PrinterUnavailableError(f"cannot open {self.path}: {err}") from err

    def write(self, data: bytes) -> None:
        try:
            self.file.write(data)
        except OSError as err:
            raise PrinterUnavailableError(f"{self.path} did not take the job: {err}") from err

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


class UsbConnector(_Base):
    """A USB printer through python-escpos (pyusb and libusb); its paper sensor through escpos's own query."""

    reports_status = True

    def __init__(self, url: str, vendor: int, product: int) -> None:
        super().__init__(url)
        self.vendor, self.product = vendor, product
        self.printer: Any = None

    def open(self) -> None:
        try:
            from escpos.printer import Usb

            self.printer = Usb(self.vendor, self.product)
            self.printer.open()
        except Exception as err:  # pyusb raises its own errors and escpos wraps some
            raise PrinterUnavailableError(f"cannot open USB printer {self.vendor:04x}:{self.product:04x}: "
                                          f"{err}") from err

    def status(self) -> PrinterStatus:
        try:
            answer = self.printer.query_status(query(4))
        except Exception as err:
            raise PrinterUnavailableError(f"USB printer: {err}") from err
        return decode({4: answer[0]} if answer else {})

    def write(self, data: bytes) -> None:
        try:
            self.printer._raw(data)
        except Exception as err:
            raise PrinterUnavailableError(f"USB printer did not take the job: {err}") from err

    def close(self) -> None:
        if self.printer is not None:
            try:
                self.printer.close()
            finally:
                self.printer = None


class DummyConnector(_Base):
    """Memory: `sent[name]` collects each job; `states[name]` is the status it reports."""

    reports_status = True
    sent: dict[str, list[bytes]] = {}
    states: dict[str, str] = {}

    def __init__(self, url: str, name: str) -> None:
        super().__init__(url)
        self.name = name

    def open(self) -> None:
        if self.states.get(self.name) == "unreachable":
            raise PrinterUnavailableError(f"dummy printer {self.name} is unreachable")

    def status(self) -> PrinterStatus:
        return decode(answer_byte(self.states.get(self.name, "ready")))

    def write(self, data: bytes) -> None:
        self.sent.setdefault(self.name, []).append(data)

    def close(self) -> None:
        pass


def parse(url: str) -> dict[str, Any]:
    """What an address URL names: {"kind": "tcp", "host": ..., "port": ...} and so on; AddressError
    for anything else (a pure function: the API validates addresses with it)."""
    url = url.strip()
    if url.startswith("/"):
        return {"kind": "file", "path": url}
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise AddressError(f"{url!r} is not an address: use tcp://host:9100, serial:///dev/ttyUSB0, "
                           "file:///dev/usb/lp0, usb://vendor:product or dummy://name")
    scheme = scheme.lower()
    if scheme == "tcp":
        parts = urlsplit(url)
        try:
            port = parts.port or 9100
        except ValueError as err:
            raise AddressError(f"{url!r}: the port is not a number from 1 to 65535") from err
        if not parts.hostname:
            raise AddressError(f"{url!r} names no host")
        return {"kind": "tcp", "host": parts.hostname, "port": port}
    if scheme == "serial":
        target, _, query_text = rest.partition("?")
        if not target:
            raise AddressError(f"{url!r} names no serial port")
        options: dict[str, Any] = {}
        for key, values in parse_qs(query_text).items():
            if key not in ("baudrate", "bytesize", "parity", "stopbits", "rtscts", "xonxoff"):
                raise AddressError(f"{url!r}: unknown serial option {key!r}")
            value = values[-1]
            options[key] = int(value) if value.isdigit() else value
        return {"kind": "serial", "port": target, "options": options}
    if scheme == "file":
        if not rest.startswith("/"):
            raise AddressError(f"{url!r}: a device file is an absolute path (file:///dev/usb/lp0)")
        return {"kind": "file", "path": rest}
    if scheme == "usb":
        vendor, colon, product = rest.partition(":")
        try:
            if not colon:
                raise ValueError
            return {"kind": "usb", "vendor": int(vendor, 16), "product": int(product.strip("/"), 16)}
        except ValueError as err:
            raise AddressError(f"{url!r}: a USB address is usb://vendor:product in hex (usb://04b8:0202)") from err
    if scheme == "dummy":
        if not rest:
            raise AddressError(f"{url!r} names no dummy printer")
        return {"kind": "dummy", "name": rest}
    raise AddressError(f"{url!r}: unknown connector {scheme!r}")


def connector(url: str) -> Connector:
    """The connector for an address URL (not yet opened)."""
    found = parse(url)
    kind = found["kind"]
    if kind == "tcp":
        return TcpConnector(url, found["host"], found["port"])
    if kind == "serial":
        return SerialConnector(url, found["port"], found["options"])
    if kind == "file":
        return FileConnector(url, found["path"])
    if kind == "usb":
        return UsbConnector(url, found["vendor"], found["product"])
    return DummyConnector(url, found["name"])


def send(url: str, data: bytes, *, check_status: bool = True, paper_sensor: bool = False) -> PrinterStatus:
    """Open, read the status (where reported; with `paper_sensor`, GS r 1 too), write the whole job
    in one write unless the printer holds it (paper out, cover open, offline), close. Returns the
    status read; PrinterUnavailableError when the printer cannot be reached."""
    conn = connector(url)
    conn.paper_sensor = paper_sensor  # type: ignore[attr-defined]
    conn.open()
    try:
        found = conn.status() if check_status and conn.reports_status else PrinterStatus(UNKNOWN)
        if not found.holds and data:
            conn.write(data)
        return found
    finally:
        conn.close()
