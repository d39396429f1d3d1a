"""Whatever a printer or a scanner sends, the drivers decode it or call it noise; they never raise.

Printer status: any bytes (or none) in answer to DLE EOT 1, 2, 4 and GS r 1, from a fake line
and from a real TCP listener. Scanners: any bytes on a serial line, cut into any pieces, and any
key events from a HID scanner.
"""

from __future__ import annotations

import socket
import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.printers import status as st_status
from drivers.printers.connectors import PrinterUnavailableError, TcpConnector, _Base
from drivers.scanners.framing import ETX, LF, MAX_CODE, TERMINATORS, CR, FrameDecoder
from drivers.scanners.hid import EVENT, KeyDecoder, MAX_CODE as HID_MAX, parse_events

STATES = {st_status.READY, st_status.PAPER_LOW, st_status.PAPER_OUT, st_status.COVER_OPEN, st_status.OFFLINE,
          st_status.ERROR, st_status.UNKNOWN}
FUZZ = settings(max_examples=150, deadline=None, database=None)


def sane(found: st_status.PrinterStatus) -> None:
    assert isinstance(found, st_status.PrinterStatus) and found.state in STATES
    assert found.holds == (found.state in st_status.HOLDING)


@FUZZ
@given(st.dictionaries(st.sampled_from(st_status.QUERIES), st.integers(0, 255)), st.integers(0, 255))
def test_any_status_bytes_decode_to_a_known_state(answers, sensor):
    sane(st_status.decode(answers))
    sane(st_status.decode_gs_r(sensor))


@FUZZ
@given(st.dictionaries(st.sampled_from(st_status.QUERIES), st.integers(0, 255), min_size=1))
def test_a_paper_out_or_cover_open_bit_always_holds_the_job(answers):
    found = st_status.decode(answers)
    if answers.get(4, 0) & 0x60 or answers.get(2, 0) & 0x24:
        assert found.holds


class FakeLine(_Base):
    """A connector whose printer answers each read with the next of `reads` (b"": no answer)."""

    def __init__(self, reads: list[bytes], paper_sensor: bool) -> None:
        super().__init__("fake://")
        self.reads = list(reads)
        self.paper_sensor = paper_sensor
        self.sent = b""

    def send(self, data: bytes) -> None:
        self.sent += data

    def read_one(self) -> bytes:
        return self.reads.pop(0) if self.reads else b""


@FUZZ
@given(st.lists(st.binary(max_size=3), max_size=6), st.booleans())
def test_any_answers_on_the_line_give_a_status(reads, paper_sensor):
    line = FakeLine(reads, paper_sensor)
    sane(line._ask(line.send, line.read_one))
    assert line.sent.startswith(b"\x10\x04\x01\x10\x04\x02\x10\x04\x04")


class GarbagePrinter:
    """A TCP listener that answers any request with `answer` and then closes (or not)."""

    def __init__(self, answer: bytes, close: bool) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.answer, self.close_after = answer, close
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            try:
                conn.recv(64)
                conn.sendall(self.answer)
                if not self.close_after:
                    conn.recv(64)  # until the client hangs up
            except OSError:
                pass

    def stop(self) -> None:
        self.listener.close()
        self.thread.join(5)


@settings(max_examples=25, deadline=None, database=None)
@given(st.binary(max_size=40), st.booleans())
def test_a_network_printer_sending_garbage_gives_a_status_or_unavailable(answer, close):
    import drivers.printers.connectors as connectors

    printer = GarbagePrinter(answer, close)
    old = connectors.STATUS_TIMEOUT
    connectors.STATUS_TIMEOUT = 0.05  # a silent printer is waited for this long per read
    try:
        conn = TcpConnector(f"tcp://127.0.0.1:{printer.port}", "127.0.0.1", printer.port)
        conn.paper_sensor = True
        conn.open()
        try:
            sane(conn.status())
        except PrinterUnavailableError:
            pass
        finally:
            conn.close()
    finally:
        connectors.STATUS_TIMEOUT = old
        printer.stop()


@FUZZ
@given(st.binary(max_size=600), st.lists(st.integers(0, 600), max_size=8))
def test_serial_bytes_in_any_pieces_give_the_same_printable_codes(data, cuts):
    whole = FrameDecoder().feed(data)
    pieces, decoder, start = [], FrameDecoder(), 0
    for cut in sorted(cuts) + [len(data)]:
        pieces += decoder.feed(data[start:cut])
        start = max(start, cut)
    assert pieces == whole
    for code in whole:
        assert 0 < len(code) <= MAX_CODE
        assert all(0x20 <= ord(c) <= 0x7E for c in code)
        assert not set(code.encode()) & TERMINATORS


@FUZZ
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=MAX_CODE),
       st.binary(max_size=50).filter(lambda b: not set(b) & (TERMINATORS | {0x02})),
       st.sampled_from([bytes([CR]), bytes([LF]), bytes([CR, LF]), bytes([ETX])]))
def test_a_code_after_noise_and_an_stx_comes_through_whole(code, noise, suffix):
    decoder = FrameDecoder()
    assert decoder.feed(noise + b"\x02" + code.encode() + suffix) == [code]


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(-(2**31), 2**31 - 1)),
                max_size=400))
def test_any_key_events_give_bounded_codes(events):
    decoder = KeyDecoder()
    for kind, code, value in events:
        got = decoder.feed(kind, code, value)
        assert got is None or 0 < len(got) <= HID_MAX


@FUZZ
@given(st.binary(max_size=24 * 20))
def test_raw_event_bytes_cut_to_whole_events_parse(data):
    whole = len(data) - len(data) % EVENT.size
    assert len(list(parse_events(data[:whole]))) == whole // EVENT.size
