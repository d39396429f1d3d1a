"""Serial scanner framing: suffixes, noise between frames and partial reads (pure)."""

from __future__ import annotations

import pytest

from drivers.scanners.framing import MAX_CODE, FrameDecoder


@pytest.mark.parametrize("suffix", [b"\r", b"\n", b"\r\n", b"\x03"])
def test_each_suffix_ends_a_code(suffix):
    d = FrameDecoder()
    assert d.feed(b"6001234567890" + suffix + b"42" + suffix) == ["6001234567890", "42"]


def test_crlf_split_across_reads_gives_no_empty_code():
    d = FrameDecoder()
    assert d.feed(b"123\r") == ["123"]
    assert d.feed(b"\n456\r") == ["456"]
    assert d.feed(b"\n") == []


def test_a_code_arriving_in_pieces_is_joined():
    d = FrameDecoder()
    got = []
    for piece in (b"60", b"0123", b"4567", b"890", b"\r", b"\n"):
        got += d.feed(piece, now=0.0)
    assert got == ["6001234567890"]


def test_noise_bytes_between_and_inside_frames_are_dropped_and_counted():
    d = FrameDecoder()
    assert d.feed(b"\x00\xff\x1b12\x8034\r\n\x00\x00") == ["1234"]
    assert d.noise == 6


def test_stx_starts_a_frame_afresh_and_what_came_before_was_noise():
    d = FrameDecoder()
    assert d.feed(b"garbage\x02ABC-123\x03") == ["ABC-123"]
    assert d.noise == len(b"garbage")


def test_a_partial_frame_left_stale_is_noise_not_the_start_of_the_next_code():
    d = FrameDecoder(stale_s=0.5)
    assert d.feed(b"99", now=10.0) == []  # the tail of a frame cut by a power cycle
    assert d.feed(b"5012345678900\r", now=12.0) == ["5012345678900"]
    assert d.noise == 2


def test_an_overlong_frame_is_dropped_whole():
    d = FrameDecoder()
    assert d.feed(b"7" * (MAX_CODE + 10) + b"\r" + b"1\r") == ["1"]
    assert d.noise == MAX_CODE + 10
