"""Printer profiles: what a model can do (paper width, columns, code page, cutter, drawer, QR,
barcodes), independent of how it is connected (drivers.printers.connectors)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Profile:
    key: str
    title: str
    paper_mm: int
    columns: int  # characters per line in font A
    dots: int  # printable dots across the paper (raster images, logos)
    code_page: str = "CP437"  # python-escpos encoding name, selected with ESC t
    cutter: bool = True
    drawer: bool = True
    qr: bool = True  # native GS ( k QR codes; without, a CODE128 barcode stands in
    barcode: bool = True
    status: bool = True  # answers DLE EOT (real-time status)
    paper_sensor: bool = False  # also answers GS r 1 (transmit paper sensor status)
    escpos_profile: str = "default"  # python-escpos capability profile name
    language: str = "escpos"  # "zpl": a label printer speaking ZPL II (labels only)


PROFILES: dict[str, Profile] = {p.key: p for p in (
    Profile("80mm-48", "80 mm, 48 columns (Epson TM-T20/T88 and clones)", 80, 48, 576,
            paper_sensor=True, escpos_profile="TM-T88V"),
    Profile("80mm-42", "80 mm, 42 columns (font B or large-margin printers)", 80, 42, 512),
    Profile("58mm-32", "58 mm, 32 columns (small thermal printers)", 58, 32, 384, cutter=False),
    Profile("58mm-32-nodrawer", "58 mm, 32 columns, no cutter or drawer port, no QR", 58, 32, 384,
            cutter=False, drawer=False, qr=False),
    Profile("zpl-50mm", "Label printer, ZPL II, 50 mm labels at 203 dpi (Zebra and compatibles)", 50, 24, 406,
            cutter=False, drawer=False, qr=False, status=False, language="zpl"),
)}
DEFAULT_PROFILE = "80mm-48"


def profile(key: str) -> Profile:
    """The named profile; KeyError for an unknown one."""
    return PROFILES[key]
