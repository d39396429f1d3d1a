"""A small ESC/POS decoder for tests: bytes back to text lines with their style, QR codes,
barcodes, cuts, drawer kicks, images and status queries (the commands our renderers send)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ESC, GS, DLE, LF = 0x1B, 0x1D, 0x10, 0x0A
ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}


class DecodeError(ValueError):
    pass


@dataclass
class Decoded:
    events: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return [e[1] for e in self.events if e[0] == "text"]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        return [e for e in self.events if e[0] == kind]

    @property
    def kinds(self) -> list[str]:
        return [e[0] for e in self.events]


def decode(data: bytes, encoding: str = "cp437") -> Decoded:
    """Every command must be known: an unknown one raises DecodeError (so a stray byte fails a test)."""
    out = Decoded()
    style = {"bold": False, "double_height": False, "double_width": False, "align": "left"}
    line = bytearray()
    qr_data: bytes | None = None
    i, n = 0, len(data)

    def need(count: int) -> bytes:
        if i + count > n:
            raise DecodeError(f"truncated command at {i}")
        return data[i:i + count]

    while i < n:
        b = data[i]
        if b == LF:
            out.events.append(("text", line.decode(encoding), dict(style)))
            line = bytearray()
            i += 1
        elif b == ESC:
            cmd = need(2)[1]
            if cmd == ord("t"):  # ESC t n: code page
                out.events.append(("codepage", need(3)[2]))
                i += 3
            elif cmd == ord("!"):  # ESC ! n: print mode
                mode = need(3)[2]
                style.update(bold=bool(mode & 0x08), double_height=bool(mode & 0x10), double_width=bool(mode & 0x20))
                i += 3
            elif cmd == ord("E"):
                style["bold"] = bool(need(3)[2] & 1)
                i += 3
            elif cmd == ord("a"):
                style["align"] = ALIGN[need(3)[2]]
                i += 3
            elif cmd in (ord("{"), ord("-"), ord("M"), ord("G"), ord("V")):
                i += 3
            elif cmd == ord("d"):  # ESC d n: feed n lines
                out.events.append(("feed", need(3)[2]))
                i += 3
            elif cmd == ord("p"):  # ESC p m t1 t2: drawer kick
                m = need(5)[2]
                out.events.append(("drawer", 2 if m in (0, 48) else 5))
                i += 5
            elif cmd == ord("@"):
                out.events.append(("init",))
                i += 2
            else:
                raise DecodeError(f"unknown ESC {cmd:#x} at {i}")
        elif b == GS:
            cmd = need(2)[1]
            if cmd in (ord("b"), ord("B"), ord("h"), ord("w"), ord("f"), ord("H"), ord("!")):
                if cmd == ord("!"):
                    size = need(3)[2]
                    style.update(double_height=bool(size & 0x0F), double_width=bool(size & 0xF0))
                i += 3
            elif cmd == ord("V"):  # GS V m [n]: cut
                m = need(3)[2]
                if m in (65, 66):
                    out.events.append(("cut", "full" if m == 65 else "partial"))
                    i += 4
                else:
                    out.events.append(("cut", "full" if m in (0, 48) else "partial"))
                    i += 3
            elif cmd == ord("("):  # GS ( k pL pH cn fn ...: 2D codes
                head = need(5)
                if head[2] != ord("k"):
                    raise DecodeError(f"unknown GS ( {head[2]:#x} at {i}")
                size = head[3] + 256 * head[4]
                body = need(5 + size)[5:]
                cn, fn = body[0], body[1]
                if cn == 0x31 and fn == 0x50:  # store QR data
                    qr_data = bytes(body[3:])
                elif cn == 0x31 and fn == 0x51:  # print the stored QR code
                    out.events.append(("qr", (qr_data or b"").decode("ascii")))
                i += 5 + size
            elif cmd == ord("k"):  # GS k m n d1..dn (m >= 65)
                m = need(3)[2]
                if m < 65:
                    raise DecodeError("GS k of the NUL-terminated form is not sent by our renderers")
                length = need(4)[3]
                code = need(4 + length)[4:].decode("ascii")
                kind = {73: "CODE128", 67: "EAN13", 68: "EAN8", 65: "UPC-A", 69: "CODE39"}.get(m, str(m))
                if kind == "CODE128" and code[:2] in ("{A", "{B", "{C"):
                    code = code[2:]
                out.events.append(("barcode", kind, code))
                i += 4 + length
            elif cmd == ord("v"):  # GS v 0 m xL xH yL yH d...: raster image
                head = need(8)
                width, height = head[4] + 256 * head[5], head[6] + 256 * head[7]
                out.events.append(("image", width * 8, height))
                i += 8 + width * height
            elif cmd == ord("r"):
                out.events.append(("status_query", "GS r", need(3)[2]))
                i += 3
            else:
                raise DecodeError(f"unknown GS {cmd:#x} at {i}")
        elif b == DLE:
            head = need(3)
            if head[1] != 0x04:
                raise DecodeError(f"unknown DLE {head[1]:#x} at {i}")
            out.events.append(("status_query", "DLE EOT", head[2]))
            i += 3
        elif b < 0x20:
            raise DecodeError(f"unknown control byte {b:#x} at {i}")
        else:
            line.append(b)
            i += 1
    if line:
        out.events.append(("text", line.decode(encoding), dict(style)))
    return out
