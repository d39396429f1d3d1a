"""A UPS's low-battery signal -> a clean shutdown; the board's power and throttling flags.

Two sources, chosen by the `ups` operations setting: NUT (`nut:<ups>@<host>`: `upsc` prints
`key: value` lines; `ups.status` holding "LB", or "OB" with `battery.charge` at or below
LOW_CHARGE, means low) or a GPIO line (`gpio:<value file>`, e.g. a sysfs or gpiod-exported value
file, reading the `ups_gpio_low` value means low). The operations subsystem polls every POLL_S;
LOW_READINGS low readings in a row call its shutdown callback once (a clean stop of the hub, then
the image's helper powers off).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Callable

POLL_S = 10.0
LOW_READINGS = 2
LOW_CHARGE = 20
THROTTLED_FILE = Path("/sys/devices/platform/soc/soc:firmware/get_throttled")
# get_throttled bits (Raspberry Pi firmware): now (0-3) and since boot (16-19).
THROTTLE_BITS = {0: "under-voltage now", 1: "ARM frequency capped now", 2: "throttled now",
                 3: "soft temperature limit now", 16: "under-voltage since boot",
                 17: "ARM frequency capped since boot", 18: "throttled since boot",
                 19: "soft temperature limit since boot"}


def parse_upsc(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            values[key.strip()] = value.strip()
    return values


def nut_low(values: dict[str, str]) -> bool:
    flags = values.get("ups.status", "").split()
    if "LB" in flags:
        return True
    try:
        charge = int(float(values.get("battery.charge", "")))
    except ValueError:
        return False
    return "OB" in flags and charge <= LOW_CHARGE


def read_nut(target: str, run: Callable[[list[str]], str] | None = None) -> dict[str, str]:
    def upsc(argv: list[str]) -> str:
        exe = shutil.which("upsc")
        if exe is None:
            raise OSError("upsc is not installed (apt install nut-client)")
        return subprocess.run([exe, *argv[1:]], capture_output=True, text=True, timeout=5, check=True).stdout

    return parse_upsc((run or upsc)(["upsc", target]))


class UpsWatch:
    """Polls the configured source; calls `on_low` once after LOW_READINGS low readings in a row."""

    def __init__(self, source: str, low_value: str, on_low: Callable[[str], None],
                 run: Callable[[list[str]], str] | None = None) -> None:
        self.source, self.low_value, self.on_low, self.run = source, low_value, on_low, run
        self.low_count = 0
        self.fired = False
        self.last: str = ""

    def read_low(self) -> bool:
        kind, _, where = self.source.partition(":")
        if kind == "nut":
            values = read_nut(where, self.run)
            self.last = f"{values.get('ups.status', '?')} {values.get('battery.charge', '?')}%"
            return nut_low(values)
        if kind == "gpio":
            value = Path(where).read_text().strip()
            self.last = f"GPIO {value}"
            return value == self.low_value
        raise ValueError(f"unknown UPS source {self.source!r}")

    def check(self) -> bool:
        """One poll; True when it fired the shutdown."""
        try:
            low = self.read_low()
        except (OSError, subprocess.SubprocessError, ValueError) as err:
            self.last = f"cannot read: {err}"
            return False
        self.low_count = self.low_count + 1 if low else 0
        if self.low_count >= LOW_READINGS and not self.fired:
            self.fired = True
            self.on_low(f"UPS battery low ({self.last})")
            return True
        return False


def throttled(path: Path | None = None, run: Callable[[list[str]], str] | None = None) -> int | None:
    """The firmware's get_throttled bits (sysfs, else `vcgencmd get_throttled`), None where absent."""
    path = path or THROTTLED_FILE
    try:
        return int(path.read_text().strip(), 16)
    except (OSError, ValueError):
        pass
    try:
        if run is not None:
            out = run(["vcgencmd", "get_throttled"])
        else:
            exe = shutil.which("vcgencmd")
            if exe is None:
                return None
            out = subprocess.run([exe, "get_throttled"], capture_output=True, text=True, timeout=3, check=True).stdout
        return int(out.strip().partition("=")[2], 16)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def throttle_flags(bits: int) -> list[str]:
    return [text for bit, text in THROTTLE_BITS.items() if bits & (1 << bit)]
