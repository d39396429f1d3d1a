"""Real-time printer status: the bytes of DLE EOT n and GS r n, decoded (pure functions).

ESC/POS DLE EOT n (0x10 0x04 n) answers one byte whose bits 1 and 4 are fixed (0x12):
n=1 printer status (bit 3: offline), n=2 offline cause (bit 2: cover open, bit 3: paper fed by
the button, bit 5: printing stopped by paper end, bit 6: an error), n=4 paper roll sensor
(bits 2-3: near end, bits 5-6: paper end). GS r 1 (0x1D 0x72 1) answers the paper sensor
(bits 0-1: near end, bits 2-3: paper end).
"""

from __future__ import annotations

from dataclasses import dataclass

DLE_EOT = b"\x10\x04"
GS_R = b"\x1dr"
QUERIES = (1, 2, 4)  # what a status read asks, in this order

READY, PAPER_LOW, PAPER_OUT, COVER_OPEN, OFFLINE, ERROR, UNKNOWN = (
    "ready", "paper_low", "paper_out", "cover_open", "offline", "error", "unknown")
# States in which nothing is sent: the job waits for the printer.
HOLDING = frozenset({PAPER_OUT, COVER_OPEN, OFFLINE, ERROR})


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    state: str  # one of READY ... UNKNOWN
    detail: str = ""

    @property
    def holds(self) -> bool:
        return self.state in HOLDING


def query(n: int) -> bytes:
    return DLE_EOT + bytes([n])


def decode(answers: dict[int, int]) -> PrinterStatus:
    """The status from the answers to DLE EOT 1, 2 and 4 (any may be missing)."""
    paper = answers.get(4)
    cause = answers.get(2)
    printer = answers.get(1)
    if paper is not None and paper & 0x60:
        return PrinterStatus(PAPER_OUT, "paper out")
    if cause is not None:
        if cause & 0x04:
            return PrinterStatus(COVER_OPEN, "cover open")
        if cause & 0x20:
            return PrinterStatus(PAPER_OUT, "printing stopped: paper end")
        if cause & 0x40:
            return PrinterStatus(ERROR, "printer error (cutter or overheating)")
    if printer is not None and printer & 0x08:
        return PrinterStatus(OFFLINE, "printer offline")
    if not answers:
        return PrinterStatus(UNKNOWN, "the printer does not report its status")
    if paper is not None and paper & 0x0C:
        return PrinterStatus(PAPER_LOW, "paper low")
    return PrinterStatus(READY)


def decode_gs_r(byte: int) -> PrinterStatus:
    """GS r 1's paper sensor byte."""
    if byte & 0x0C:
        return PrinterStatus(PAPER_OUT, "paper out")
    if byte & 0x03:
        return PrinterStatus(PAPER_LOW, "paper low")
    return PrinterStatus(READY)


def answer_byte(state: str) -> dict[int, int]:
    """What a printer in `state` answers to DLE EOT 1, 2 and 4 (for fake printers in tests and the bench)."""
    fixed = 0x12
    return {
        1: fixed | (0x08 if state in (PAPER_OUT, COVER_OPEN, OFFLINE, ERROR) else 0),
        2: fixed | {COVER_OPEN: 0x04, PAPER_OUT: 0x20, ERROR: 0x40}.get(state, 0),
        4: fixed | {PAPER_OUT: 0x60, PAPER_LOW: 0x0C}.get(state, 0),
    }
