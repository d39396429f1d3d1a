"""Shelf labels and barcode stickers: pure rendering to ESC/POS (receipt printers, one label per
cut) or ZPL II (label printers such as Zebra). A barcode of 13 digits with a valid check digit
prints as EAN-13; anything else as CODE128."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.printers.profiles import Profile
from drivers.receipts import BIG, BOLD, Op, _wrap, emit, new_printer

ZPL_DPI = 203
ZPL_WIDTH = 406  # dots: a 2 inch (50 mm) label at 203 dpi
KINDS = ("shelf", "sticker")


@dataclass(frozen=True, slots=True)
class ShelfLabel:
    name: str
    sku: str
    barcode: str  # "" when the product has none: its SKU is printed as CODE128 instead
    prices: tuple[tuple[str, str], ...]  # (currency, amount) in the order to print, the base currency first
    unit_price: str = ""  # "USD 5.99 / kg" for goods sold by weight or volume


def ean13_ok(code: str) -> bool:
    """13 digits whose last is the EAN-13 check digit."""
    if len(code) != 13 or not code.isdigit():
        return False
    digits = [int(c) for c in code]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    return (10 - total % 10) % 10 == digits[12]


def _code(label: ShelfLabel) -> tuple[str, str]:
    code = label.barcode or label.sku
    return ("EAN13", code) if ean13_ok(code) else ("CODE128", code)


def layout(label: ShelfLabel, columns: int, kind: str = "shelf") -> list[Op]:
    ops: list[Op] = []
    for part in _wrap(label.name, columns):
        ops.append(("text", part, BOLD, "center"))
    prices = label.prices if kind == "shelf" else label.prices[:1]
    for i, (currency, amount) in enumerate(prices):
        ops.append(("text", f"{currency} {amount}", BIG if i == 0 else BOLD, "center"))
    if kind == "shelf" and label.unit_price:
        ops.append(("text", label.unit_price, "", "center"))
    symbology, code = _code(label)
    ops.append(("ean13" if symbology == "EAN13" else "barcode", code))
    if kind == "shelf":
        ops.append(("text", label.sku, "", "center"))
    ops.append(("cut",))
    return ops


def render_escpos(labels: list[ShelfLabel] | tuple[ShelfLabel, ...], profile: Profile, kind: str = "shelf",
                  copies: int = 1) -> bytes:
    """Every label (`copies` of each), cut apart, as one job."""
    printer = new_printer(profile)
    for label in labels:
        for _ in range(copies):
            ops = layout(label, profile.columns, kind)
            for op in ops:
                if op[0] == "ean13":
                    printer.set_with_default(align="center")
                    printer._hw_barcode(op[1], "EAN13", 64, 2, "BELOW", "A", True, "B", False)
                else:
                    emit(printer, [op], profile)
    return printer.output


def _zpl_text(text: str) -> str:
    """ZPL field data: ^ and ~ are commands, so they become their hex escapes (^FH with _)."""
    return text.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E")


def render_zpl(labels: list[ShelfLabel] | tuple[ShelfLabel, ...], kind: str = "shelf", copies: int = 1,
               width: int = ZPL_WIDTH) -> bytes:
    """ZPL II, one ^XA...^XZ format per label, UTF-8 text (^CI28), `copies` through ^PQ."""
    out = []
    for label in labels:
        lines = ["^XA", "^CI28", f"^PW{width}", "^LH0,0"]
        y = 10
        for part in _wrap(label.name, 24)[:2]:
            lines.append(f"^FO10,{y}^A0N,26,26^FB{width - 20},1,0,C^FH^FD{_zpl_text(part)}^FS")
            y += 30
        prices = label.prices if kind == "shelf" else label.prices[:1]
        for i, (currency, amount) in enumerate(prices):
            size = 50 if i == 0 else 30
            lines.append(f"^FO10,{y}^A0N,{size},{size}^FB{width - 20},1,0,C^FH^FD{_zpl_text(f'{currency} {amount}')}^FS")
            y += size + 6
        if kind == "shelf" and label.unit_price:
            lines.append(f"^FO10,{y}^A0N,22,22^FB{width - 20},1,0,C^FH^FD{_zpl_text(label.unit_price)}^FS")
            y += 28
        symbology, code = _code(label)
        command = "^BEN,60,Y,N" if symbology == "EAN13" else "^BCN,60,Y,N,N"
        lines.append(f"^FO40,{y}^BY2{command}^FD{_zpl_text(code)}^FS")
        if copies > 1:
            lines.append(f"^PQ{copies}")
        lines.append("^XZ")
        out.append("\n".join(lines))
    return ("\n".join(out) + "\n").encode("utf-8")


def render_text(labels: list[ShelfLabel] | tuple[ShelfLabel, ...], columns: int = 32, kind: str = "shelf") -> str:
    out = []
    for label in labels:
        for op in layout(label, columns, kind):
            if op[0] == "text":
                out.append(op[1].center(columns).rstrip())
            elif op[0] in ("ean13", "barcode"):
                out.append(f"[{'EAN13' if op[0] == 'ean13' else 'CODE128'}: {op[1]}]".center(columns).rstrip())
            elif op[0] == "cut":
                out.append("-" * columns)
    return "\n".join(out) + "\n"
