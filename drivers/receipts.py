"""Receipt rendering: a pure function of a Receipt (what the hub read from a sale and the store's
profile, with money already formatted) and a printer profile, to ESC/POS bytes or plain text.

One layout (a list of operations) feeds both outputs, so the text a till shows and the paper
match line for line. python-escpos (its Dummy printer) does the byte encoding; it is imported
when bytes are first rendered, not at start-up. The whole job is one bytes value, sent in one write.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from typing import Any

from drivers.printers.profiles import Profile

COPY_MARK = "*** COPY ***"
QR_SIZE = {80: 5, 58: 4}  # module size in dots (GS ( k function 167)
FISCAL_PLACEHOLDER = "Fiscal details print here once the fiscal device has signed this sale"
CUT_FEED = 5  # lines fed before a partial cut (or instead of one on printers without a cutter)


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    name: str
    quantity: str  # "2", "1.090 kg"
    unit_price: str  # "1.15"
    amount: str  # "2.30"
    tax_code: str = ""
    discounts: tuple[tuple[str, str], ...] = ()  # (why, "-0.23")


@dataclass(frozen=True, slots=True)
class TaxRow:
    code: str
    rate: str  # "15.5%"
    net: str
    tax: str
    gross: str


@dataclass(frozen=True, slots=True)
class FiscalBlock:
    """What the fiscal device adds (filled by the fiscal feature): a title (printed large), label and
    value rows, centred lines (verification code, URL) and the QR data."""

    lines: tuple[str, ...] = ()
    qr: str = ""
    title: str = ""  # FISCAL TAX INVOICE, CREDIT NOTE ... or FISCAL RECEIPT PENDING
    rows: tuple[tuple[str, str], ...] = ()  # ("TIN", "2000123456"), ("Invoice No", "3/17") ...


@dataclass(frozen=True, slots=True)
class Receipt:
    store_name: str
    invoice_number: str
    when: str  # in the store's time zone, as printed
    till: str
    cashier: str
    currency: str
    lines: tuple[ReceiptLine, ...]
    total: str
    header: tuple[str, ...] = ()  # legal name, address, phone, TIN and VAT, the store's header text
    totals: tuple[tuple[str, str], ...] = ()  # subtotal, discounts, rounding ... before the total
    taxes: tuple[TaxRow, ...] = ()
    tenders: tuple[tuple[str, str], ...] = ()  # ("Cash USD", "33.00"), ("Card ZWG 100.00 @ 26.5", "3.77")
    change: tuple[tuple[str, str], ...] = ()  # ("Change USD", "0.85") per currency
    footer: tuple[str, ...] = ()
    code: str = ""  # what the QR code (or barcode) at the bottom holds: the invoice number by default
    copy: bool = False  # a reprint: COPY at the top and the bottom
    notices: tuple[str, ...] = ()  # "TRAINING - NOT A SALE", "VOIDED ..."
    fiscal: FiscalBlock | None = None  # None: the fiscal feature has not filled it; a dashed placeholder keeps its room
    logo_png: bytes | None = field(default=None, repr=False)
    extra: tuple[tuple[str, str], ...] = ()  # more (label, value) facts after the cashier (customer ...)

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["has_logo"] = found.pop("logo_png") is not None
        return found


# Layout operations: ("text", line, style), ("qr", data), ("barcode", data), ("image", png), ("cut",)
Op = tuple[Any, ...]
BIG = "big"  # bold, double height
BOLD = "bold"


def _pair(left: str, right: str, width: int) -> str:
    """`left` and `right` on one line of `width`; a long left part wraps above."""
    room = width - len(right) - 1
    if len(left) <= room:
        return left + " " * (width - len(left) - len(right)) + right
    return left[:width] + "\n" + right.rjust(width)


def _wrap(text: str, width: int) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines or [""]


def layout(receipt: Receipt, columns: int, *, qr: bool = True) -> list[Op]:
    """The receipt as operations, `columns` characters wide."""
    rule = "-" * columns
    ops: list[Op] = []

    def text(line: str, style: str = "", align: str = "left") -> None:
        for part in line.split("\n"):
            ops.append(("text", part, style, align))

    if receipt.logo_png:
        ops.append(("image", receipt.logo_png))
    for line in _wrap(receipt.store_name, columns):
        text(line, BIG, "center")
    for header in receipt.header:
        for line in _wrap(header, columns):
            text(line, "", "center")
    if receipt.copy:
        text(COPY_MARK, BIG, "center")
    for notice in receipt.notices:
        for line in _wrap(notice, columns):
            text(line, BOLD, "center")
    text(rule)
    text(_pair("Invoice", receipt.invoice_number, columns), BOLD)
    text(_pair("Date", receipt.when, columns))
    text(_pair("Till", receipt.till, columns))
    text(_pair("Cashier", receipt.cashier, columns))
    for label, value in receipt.extra:
        text(_pair(label, value, columns))
    text(rule)
    for ln in receipt.lines:
        for part in _wrap(ln.name, columns):
            text(part)
        suffix = f" {ln.tax_code}" if ln.tax_code else ""
        text(_pair(f"  {ln.quantity} x {ln.unit_price}", ln.amount + suffix, columns))
        for why, amount in ln.discounts:
            text(_pair(f"  Discount: {why}" if why else "  Discount", amount + " " * len(suffix), columns))
    text(rule)
    for label, amount in receipt.totals:
        text(_pair(label, amount, columns))
    text(_pair(f"TOTAL {receipt.currency}", receipt.total, columns), BIG)
    if receipt.taxes:
        text(rule)
        cell = (columns - 10) // 3
        text("Tax".ljust(4) + "Rate".rjust(6) + "Net".rjust(cell) + "Tax".rjust(cell) + "Total".rjust(cell))
        for row in receipt.taxes:
            text(row.code[:4].ljust(4) + row.rate.rjust(6) + row.net.rjust(cell) + row.tax.rjust(cell)
                 + row.gross.rjust(cell))
    if receipt.tenders or receipt.change:
        text(rule)
        for label, amount in receipt.tenders:
            text(_pair(label, amount, columns))
        for label, amount in receipt.change:
            text(_pair(label, amount, columns), BOLD)
    text(rule)
    if receipt.fiscal is None:
        for line in _wrap(FISCAL_PLACEHOLDER, columns):
            text(line, "", "center")
    else:
        for line in _wrap(receipt.fiscal.title, columns) if receipt.fiscal.title else ():
            text(line, BIG, "center")
        for label, value in receipt.fiscal.rows:
            text(_pair(label, value, columns) if label else value[:columns])
        for line in receipt.fiscal.lines:
            for part in _wrap(line, columns):
                text(part, "", "center")
        if receipt.fiscal.qr:
            ops.append(("qr", receipt.fiscal.qr) if qr else ("barcode", receipt.fiscal.qr))
    text(rule)
    for footer in receipt.footer:
        for line in _wrap(footer, columns):
            text(line, "", "center")
    code = receipt.code or receipt.invoice_number
    ops.append(("qr", code) if qr else ("barcode", code))
    text(receipt.invoice_number, "", "center")
    if receipt.copy:
        text(COPY_MARK, BIG, "center")
    ops.append(("cut",))
    return ops


def render_text(receipt: Receipt, columns: int = 48) -> str:
    """The receipt as plain text (a QR code or barcode shows as `[QR: data]`)."""
    out = []
    for op in layout(receipt, columns):
        if op[0] == "text":
            _, line, _style, align = op
            out.append(line.center(columns).rstrip() if align == "center" else line.rstrip())
        elif op[0] in ("qr", "barcode"):
            out.append(f"[{op[0].upper()}: {op[1]}]".center(columns).rstrip())
        elif op[0] == "image":
            out.append("[LOGO]".center(columns).rstrip())
    return "\n".join(out) + "\n"


def new_printer(profile: Profile) -> Any:
    """A python-escpos Dummy for `profile`, its text encoded in the profile's code page."""
    from escpos.printer import Dummy

    printer = Dummy(profile=profile.escpos_profile)
    printer.magic.force_encoding(profile.code_page)
    return printer


def emit(printer: Any, ops: list[Op], profile: Profile) -> None:
    """Send layout operations to a python-escpos printer."""
    style: tuple[str, str] | None = None
    for op in ops:
        kind = op[0]
        if kind == "text":
            _, line, weight, align = op
            if style != (weight, align):
                printer.set_with_default(align=align, bold=weight in (BIG, BOLD), double_height=weight == BIG)
                style = (weight, align)
            printer.text(line + "\n")
        elif kind == "qr":
            printer.set_with_default(align="center")
            style = None
            printer.qr(op[1], native=True, size=QR_SIZE.get(profile.paper_mm, 4), center=False)
        elif kind == "barcode":
            printer.set_with_default(align="center")
            style = None
            # CODE128 code set B ("{B"): every printable ASCII character (ESC/POS GS k m=73).
            printer._hw_barcode("{B" + op[1], "CODE128", 64, 2, "BELOW", "A", True, "B", False)
        elif kind == "image":
            from PIL import Image

            printer.set_with_default(align="center")
            style = None
            printer.image(Image.open(io.BytesIO(op[1])), center=False)
        elif kind == "cut":
            printer.set_with_default()
            style = None
            if profile.cutter:
                printer.cut(mode="PART", feed=True)
            else:
                printer.ln(CUT_FEED)


def drawer_kick(pin: int = 2) -> bytes:
    """ESC p m t1 t2: a pulse on drawer pin 2 (m=0) or 5 (m=1), as python-escpos sends it."""
    from escpos.printer import Dummy

    printer = Dummy()
    printer.cashdraw(pin)
    return printer.output


def render_escpos(receipt: Receipt, profile: Profile, *, kick_drawer: bool = False) -> bytes:
    """The whole receipt as ESC/POS bytes, for one write; with `kick_drawer`, the drawer opens first."""
    printer = new_printer(profile)
    if kick_drawer and profile.drawer:
        printer.cashdraw(2)
    emit(printer, layout(receipt, profile.columns, qr=profile.qr), profile)
    return printer.output


def render_slip(title: str, lines: list[tuple[str, str]], qr_data: str, profile: Profile,
                notes: tuple[str, ...] = ()) -> bytes:
    """A short slip (boot status, test page): a title, label/value lines, notes and a QR code."""
    columns = profile.columns
    ops: list[Op] = [("text", part, BIG, "center") for part in _wrap(title, columns)]
    ops.append(("text", "-" * columns, "", "left"))
    for label, value in lines:
        for part in _pair(label, value, columns).split("\n"):
            ops.append(("text", part, "", "left"))
    for note in notes:
        ops.extend(("text", part, "", "left") for part in _wrap(note, columns))
    if qr_data:
        ops.append(("qr", qr_data) if profile.qr else ("barcode", qr_data))
        ops.append(("text", qr_data[:columns], "", "center"))
    ops.append(("cut",))
    printer = new_printer(profile)
    emit(printer, ops, profile)
    return printer.output


def slip_text(title: str, lines: list[tuple[str, str]], qr_data: str, columns: int = 48) -> str:
    out = [title.center(columns).rstrip(), "-" * columns]
    out += [_pair(label, value, columns) for label, value in lines]
    if qr_data:
        out += [f"[QR: {qr_data}]".center(columns).rstrip()]
    return "\n".join(out) + "\n"
