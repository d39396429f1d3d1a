"""Serial scanner framing: bytes in, barcodes out (pure; no I/O).

A serial scanner sends each code as one burst of printable ASCII ended by a suffix the store
configured on the scanner: CR, LF or CRLF (some add STX before and ETX after). Between frames a
line may carry noise: bytes outside printable ASCII, the tail of a frame cut by a power cycle,
or a code glued to garbage that never sees its suffix. Reads arrive in arbitrary pieces (a
suffix's CR in one read and its LF in the next), so the decoder keeps state between feeds.
"""

from __future__ import annotations

STX, ETX, CR, LF = 0x02, 0x03, 0x0D, 0x0A
TERMINATORS = frozenset((CR, LF, ETX))
MAX_CODE = 128  # longer than any symbology a till scans (GS1-128 tops out at 48 data characters)
STALE_S = 0.5  # a scanner sends a code in one burst; a partial frame older than this was noise


class FrameDecoder:
    """Feed bytes with their arrival time; get back the complete codes they finished."""

    def __init__(self, *, max_code: int = MAX_CODE, stale_s: float | None = None) -> None:
        self.max_code = max_code
        self.stale_s = stale_s
        self._buf = bytearray()
        self._last: float | None = None
        self._overlong = False
        self.noise = 0  # bytes dropped as noise, for the device's status

    def feed(self, data: bytes, now: float | None = None) -> list[str]:
        stale = STALE_S if self.stale_s is None else self.stale_s
        if now is not None and self._last is not None and self._buf and now - self._last > stale:
            self._drop()
        if now is not None:
            self._last = now
        codes: list[str] = []
        for byte in data:
            if byte in TERMINATORS:
                if self._buf and not self._overlong:
                    codes.append(self._buf.decode("ascii"))
                elif self._overlong:
                    self.noise += len(self._buf)
                self._buf.clear()
                self._overlong = False  # an empty frame (the LF of a CRLF) is no code
            elif byte == STX:
                self._drop()  # a frame starts afresh: what came before it was noise
            elif 0x20 <= byte <= 0x7E:
                if len(self._buf) >= self.max_code:
                    self._overlong = True
                    self.noise += 1
                    continue
                self._buf.append(byte)
            else:
                self.noise += 1
        return codes

    def _drop(self) -> None:
        self.noise += len(self._buf)
        self._buf.clear()
        self._overlong = False

    @property
    def pending(self) -> bytes:
        return bytes(self._buf)
