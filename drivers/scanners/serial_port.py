"""Serial scanners through pyserial: one reader thread per port, addressed by URL.

`serial:///dev/ttyACM0?baudrate=9600` opens /dev/ttyACM0; any pyserial URL (`loop://`,
`socket://`, `rfc2217://`) passes through as it is, so tests use `loop://` and socat pty pairs.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from drivers.scanners.framing import FrameDecoder

READ_TIMEOUT_S = 0.2  # how often the reader looks at its stop flag
REOPEN_BACKOFF_S = (0.5, 1.0, 2.0, 5.0)  # a port that failed is reopened after these waits, then every 5 s
SERIAL_OPTIONS = {"baudrate": int, "bytesize": int, "parity": str, "stopbits": float, "rtscts": bool,
                  "xonxoff": bool}


def port_of(url: str) -> tuple[str, dict[str, Any]]:
    """(pyserial URL or device path, keyword options) for a scanner URL."""
    parts = urlsplit(url)
    options: dict[str, Any] = {}
    for key, values in parse_qs(parts.query).items():
        kind = SERIAL_OPTIONS.get(key)
        if kind is None:
            continue
        raw = values[-1]
        options[key] = raw.lower() in ("1", "true", "yes") if kind is bool else kind(raw)
    if parts.scheme == "serial":
        return parts.path, options
    return url, options


class SerialReader:
    """Reads one serial port in its own thread; `on_code(code)` per scan, `on_status(status, error)`
    when the port opens, fails or is reopened."""

    def __init__(self, url: str, on_code: Callable[[str], None],
                 on_status: Callable[[str, str | None], None] | None = None, *,
                 reopen: bool = True) -> None:
        self.url = url
        self.on_code = on_code
        self.on_status = on_status or (lambda status, error: None)
        self.reopen = reopen
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._port: Any = None
        self.decoder = FrameDecoder()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"serial-scanner {self.url}", daemon=True)
        self._thread.start()

    def _open(self) -> Any:
        import serial

        target, options = port_of(self.url)
        return serial.serial_for_url(target, timeout=READ_TIMEOUT_S, **options)

    def _run(self) -> None:
        import serial

        failures = 0
        while not self._stop.is_set():
            try:
                self._port = self._open()
            except (serial.SerialException, OSError, ValueError) as err:
                self.on_status("error", str(err))
                if not self.reopen:
                    return
                self._stop.wait(REOPEN_BACKOFF_S[min(failures, len(REOPEN_BACKOFF_S) - 1)])
                failures += 1
                continue
            failures = 0
            self.on_status("connected", None)
            try:
                self._read(self._port)
            except (serial.SerialException, OSError) as err:  # unplugged: reopen when it comes back
                if not self._stop.is_set():
                    self.on_status("error", str(err))
            finally:
                try:
                    self._port.close()
                except Exception:  # closing a port that vanished
                    pass
                self._port = None
            if not self.reopen:
                return

    def _read(self, port: Any) -> None:
        while not self._stop.is_set():
            chunk = port.read(max(1, port.in_waiting))
            if not chunk:
                continue
            for code in self.decoder.feed(chunk, time.monotonic()):
                self.on_code(code)

    def write_threadsafe(self, data: bytes) -> None:
        """Write to the open port (for `loop://` tests and scanner set-up commands)."""
        if self._port is None:
            raise RuntimeError("the port is not open")
        self._port.write(data)

    def wait_open(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while self._port is None and time.monotonic() < deadline:
            time.sleep(0.01)
        return self._port is not None

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
