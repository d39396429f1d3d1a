"""USB HID ("keyboard wedge") scanners read from their input device directly, not as keystrokes.

The kernel reports each key as `struct input_event` (linux/input.h) on /dev/input/eventN. On a
64-bit kernel (the Pi's arm64 and x86_64) that is `struct timeval` (two longs) then u16 type, u16
code, s32 value: 24 bytes. Key codes are positions on the keyboard, not characters; we map them
with the US table ourselves, so the code read is the same whatever layout the console or desktop
uses (a scanner set to US sends the US positions of its characters). EVIOCGRAB gives this process
the device alone, so scans never land as typing in another program.
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import threading
from typing import Callable, Iterator

EVENT = struct.Struct("@llHHi")  # struct input_event, native 64-bit layout: 24 bytes
EV_KEY = 0x01
KEY_RELEASE, KEY_PRESS, KEY_REPEAT = 0, 1, 2


def _iow(kind: str, number: int, size: int) -> int:
    # _IOW(type, nr, size) from asm-generic/ioctl.h: dir(write=1)<<30 | size<<16 | type<<8 | nr
    return (1 << 30) | (size << 16) | (ord(kind) << 8) | number


EVIOCGRAB = _iow("E", 0x90, struct.calcsize("i"))  # 0x40044590

KEY_ENTER, KEY_KPENTER, KEY_TAB = 28, 96, 15
SHIFTS = frozenset((42, 54))  # KEY_LEFTSHIFT, KEY_RIGHTSHIFT
CAPSLOCK = 58

# linux/input-event-codes.h -> (unshifted, shifted) on a US keyboard.
US_KEYS: dict[int, tuple[str, str]] = {
    2: ("1", "!"), 3: ("2", "@"), 4: ("3", "#"), 5: ("4", "$"), 6: ("5", "%"), 7: ("6", "^"),
    8: ("7", "&"), 9: ("8", "*"), 10: ("9", "("), 11: ("0", ")"), 12: ("-", "_"), 13: ("=", "+"),
    16: ("q", "Q"), 17: ("w", "W"), 18: ("e", "E"), 19: ("r", "R"), 20: ("t", "T"), 21: ("y", "Y"),
    22: ("u", "U"), 23: ("i", "I"), 24: ("o", "O"), 25: ("p", "P"), 26: ("[", "{"), 27: ("]", "}"),
    30: ("a", "A"), 31: ("s", "S"), 32: ("d", "D"), 33: ("f", "F"), 34: ("g", "G"), 35: ("h", "H"),
    36: ("j", "J"), 37: ("k", "K"), 38: ("l", "L"), 39: (";", ":"), 40: ("'", '"'), 41: ("`", "~"),
    43: ("\\", "|"), 44: ("z", "Z"), 45: ("x", "X"), 46: ("c", "C"), 47: ("v", "V"), 48: ("b", "B"),
    49: ("n", "N"), 50: ("m", "M"), 51: (",", "<"), 52: (".", ">"), 53: ("/", "?"), 57: (" ", " "),
    # the keypad (scanners set to "keypad emulation" send digits here)
    71: ("7", "7"), 72: ("8", "8"), 73: ("9", "9"), 74: ("-", "-"), 75: ("4", "4"), 76: ("5", "5"),
    77: ("6", "6"), 78: ("+", "+"), 79: ("1", "1"), 80: ("2", "2"), 81: ("3", "3"), 82: ("0", "0"),
    83: (".", "."), 55: ("*", "*"), 98: ("/", "/"),
}
MAX_CODE = 128


def parse_events(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(type, code, value) of each whole input_event in `data` (a multiple of 24 bytes)."""
    for _sec, _usec, kind, code, value in EVENT.iter_unpack(data):
        yield kind, code, value


class KeyDecoder:
    """Key events in, codes out: characters from the US table with shift, ended by Enter or Tab."""

    def __init__(self) -> None:
        self._shift: set[int] = set()
        self._caps = False
        self._chars: list[str] = []

    def feed(self, kind: int, code: int, value: int) -> str | None:
        if kind != EV_KEY:
            return None
        if code in SHIFTS:
            (self._shift.add if value != KEY_RELEASE else self._shift.discard)(code)
            return None
        if value != KEY_PRESS:  # releases, and auto-repeat a scanner never means
            return None
        if code == CAPSLOCK:
            self._caps = not self._caps
            return None
        if code in (KEY_ENTER, KEY_KPENTER, KEY_TAB):
            done, self._chars = "".join(self._chars), []
            return done or None
        pair = US_KEYS.get(code)
        if pair is None or len(self._chars) >= MAX_CODE:
            return None  # a key with no character (F-keys, arrows): not part of a code
        upper = bool(self._shift)
        if self._caps and pair[0].isalpha():
            upper = not upper
        self._chars.append(pair[1] if upper else pair[0])
        return None


def decode_events(data: bytes) -> list[str]:
    """Every code in a recording of input_event bytes (for tests and tools)."""
    decoder = KeyDecoder()
    return [c for e in parse_events(data) if (c := decoder.feed(*e))]


class HidReader:
    """One thread reading one input device; `on_code(code)` per scan. Stops on stop() or when the
    device goes away (`on_gone(error)`)."""

    READ_SIZE = EVENT.size * 64

    def __init__(self, path: str, on_code: Callable[[str], None],
                 on_gone: Callable[[BaseException | None], None], *, grab: bool = True) -> None:
        self.path = path
        self.on_code = on_code
        self.on_gone = on_gone
        self.grab = grab
        self._wake_r, self._wake_w = os.pipe()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def start(self) -> None:
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        if self.grab:
            try:
                fcntl.ioctl(fd, EVIOCGRAB, 1)
            except OSError:
                os.close(fd)
                raise
        self._thread = threading.Thread(target=self._run, args=(fd,), name=f"hid-scanner {self.path}",
                                        daemon=True)
        self._thread.start()

    def _run(self, fd: int) -> None:
        decoder, pending, error = KeyDecoder(), b"", None
        try:
            while not self._stopping:
                ready, _, _ = select.select([fd, self._wake_r], [], [])
                if self._wake_r in ready:
                    break
                try:
                    chunk = os.read(fd, self.READ_SIZE)
                except BlockingIOError:
                    continue
                if not chunk:  # the writer end of a pipe closed, or the device is gone
                    break
                pending += chunk
                whole = len(pending) - len(pending) % EVENT.size
                for event in parse_events(pending[:whole]):
                    code = decoder.feed(*event)
                    if code:
                        self.on_code(code)
                pending = pending[whole:]
        except OSError as err:  # ENODEV when the scanner is unplugged
            error = err
        finally:
            if self.grab:
                try:
                    fcntl.ioctl(fd, EVIOCGRAB, 0)
                except OSError:
                    pass
            os.close(fd)
        if not self._stopping:
            self.on_gone(error)

    def stop(self) -> None:
        self._stopping = True
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._wake_r = self._wake_w = -1
