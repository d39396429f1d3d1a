"""USB HID scanners: input_event bytes decoded to codes with the US table, read through a pipe."""

from __future__ import annotations

import os
import struct
import threading

import pytest

from drivers.scanners.hid import (EVENT, EVIOCGRAB, EV_KEY, HidReader, KeyDecoder, decode_events,
                                  parse_events)

EV_SYN, EV_MSC = 0x00, 0x04
LSHIFT, ENTER = 42, 28
# US positions of the characters a scanner types (linux/input-event-codes.h)
CODES = {**{str(d): 1 + d for d in range(1, 10)}, "0": 11, "-": 12, "A": 30, "B": 48, "C": 46,
         "a": 30, "/": 53, "%": 6}


def event(kind: int, code: int, value: int, t: float = 0.0) -> bytes:
    return EVENT.pack(int(t), int((t % 1) * 1e6), kind, code, value)


def typed(text: str, *, enter: bool = True) -> bytes:
    """What a real HID scanner reports for `text`: MSC_SCAN, key down, SYN, key up, SYN per key;
    shift held around capitals and shifted symbols."""
    out = b""
    for ch in text:
        shifted = ch.isupper() or ch in "%"
        code = CODES[ch]
        if shifted:
            out += event(EV_KEY, LSHIFT, 1) + event(EV_SYN, 0, 0)
        out += event(EV_MSC, 4, 0x70000 + code) + event(EV_KEY, code, 1) + event(EV_SYN, 0, 0)
        out += event(EV_KEY, code, 0) + event(EV_SYN, 0, 0)
        if shifted:
            out += event(EV_KEY, LSHIFT, 0) + event(EV_SYN, 0, 0)
    if enter:
        out += event(EV_KEY, ENTER, 1) + event(EV_KEY, ENTER, 0) + event(EV_SYN, 0, 0)
    return out


def test_input_event_is_the_24_byte_64_bit_layout():
    assert EVENT.size == 24
    raw = struct.pack("<qqHHi", 1700000000, 123456, EV_KEY, 30, 1)
    assert list(parse_events(raw)) == [(EV_KEY, 30, 1)]


def test_the_grab_ioctl_number_is_the_kernels():
    assert EVIOCGRAB == 0x40044590  # _IOW('E', 0x90, int)


def test_a_recorded_scan_decodes_with_shift_and_ends_at_enter():
    assert decode_events(typed("6001234567890") + typed("ABC-1/a") + typed("%C0")) == [
        "6001234567890", "ABC-1/a", "%C0"]


def test_releases_repeats_and_keys_without_characters_are_not_part_of_a_code():
    data = (event(EV_KEY, CODES["1"], 1) + event(EV_KEY, CODES["1"], 2) + event(EV_KEY, 59, 1)
            + event(EV_KEY, CODES["2"], 1) + event(EV_KEY, ENTER, 1))
    assert decode_events(data) == ["12"]


def test_caps_lock_flips_letters_only():
    d = KeyDecoder()
    out = [d.feed(EV_KEY, 58, 1), d.feed(EV_KEY, 30, 1), d.feed(EV_KEY, 2, 1), d.feed(EV_KEY, ENTER, 1)]
    assert out[-1] == "A1"


def test_the_reader_decodes_events_split_across_reads_from_a_pipe():
    read_fd, write_fd = os.pipe()
    got, gone = [], threading.Event()
    reader = HidReader(f"/proc/self/fd/{read_fd}", got.append, lambda err: gone.set(), grab=False)
    reader.start()
    os.close(read_fd)  # the reader holds its own descriptor
    data = typed("6009876543210") + typed("42")
    for i in range(0, len(data), 7):  # pieces that cut input_event structs in half
        os.write(write_fd, data[i:i + 7])
    os.close(write_fd)  # the device goes away
    assert gone.wait(5)
    reader.stop()
    assert got == ["6009876543210", "42"]


def test_grabbing_something_that_is_not_an_input_device_fails_at_start(tmp_path):
    path = tmp_path / "recording"
    path.write_bytes(typed("1"))
    reader = HidReader(str(path), lambda c: None, lambda e: None, grab=True)
    with pytest.raises(OSError):
        reader.start()
    reader.stop()
