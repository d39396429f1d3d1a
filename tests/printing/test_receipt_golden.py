"""Receipts and labels against golden files: the exact bytes, and the bytes decoded back (text,
styles, QR content, barcodes, cuts, drawer kicks). `SOKO_UPDATE_GOLDEN=1` rewrites the files
(then read the .txt and .hex diffs before committing them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from drivers import labels as label_render
from drivers import receipts
from drivers.printers.profiles import PROFILES, profile
from tests.printing.escpos_decode import DecodeError, decode
from tests.printing.samples import FULL, LABELS, SMALL

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SOKO_UPDATE_GOLDEN") == "1"


def hex_dump(data: bytes) -> str:
    return "\n".join(f"{i:06x}  {data[i:i + 16].hex(' ')}" for i in range(0, len(data), 16)) + "\n"


def check(name: str, data: bytes) -> None:
    """`data` equals golden/<name>.bin (its readable twin <name>.hex is kept beside it)."""
    path = GOLDEN / f"{name}.bin"
    if UPDATE:
        path.write_bytes(data)
        (GOLDEN / f"{name}.hex").write_text(hex_dump(data))
    assert path.exists(), f"no golden file {path.name}: run with SOKO_UPDATE_GOLDEN=1 and review it"
    want = path.read_bytes()
    assert hex_dump(data) == hex_dump(want)


def check_text(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if UPDATE:
        path.write_text(text)
    assert text == path.read_text()


CASES = {"receipt_80mm": (FULL, "80mm-48"), "receipt_58mm": (SMALL, "58mm-32"),
         "receipt_58mm_noqr": (SMALL, "58mm-32-nodrawer")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_receipt_bytes_match_the_golden_file(name):
    receipt, key = CASES[name]
    check(name, receipts.render_escpos(receipt, profile(key)))
    check_text(name, receipts.render_text(receipt, profile(key).columns))


@pytest.mark.parametrize("name", sorted(CASES))
def test_receipt_bytes_decode_back_to_its_text(name):
    """The paper says what the plain text says: same lines, the code as a QR (or barcode), one cut at the end."""
    receipt, key = CASES[name]
    prof = profile(key)
    got = decode(receipts.render_escpos(receipt, prof))
    text = receipts.render_text(receipt, prof.columns).splitlines()
    # The text shows the code as "[QR: ...]" where the paper has the code itself.
    assert [ln.strip() for ln in got.lines if ln.strip()] == [ln.strip() for ln in text
                                                               if ln.strip() and not ln.strip().startswith("[")]
    assert all(len(ln) <= prof.columns for ln in got.lines)
    codes = [e[-1] for e in got.events if e[0] in ("qr", "barcode")]
    assert codes[-1] == receipt.invoice_number
    assert got.of("qr" if prof.qr else "barcode")
    if not prof.qr:
        assert not got.of("qr")
    if prof.cutter:
        assert got.of("cut") == [("cut", "partial")] and got.kinds[-1] == "cut"
    else:
        assert not got.of("cut")
    assert not got.of("drawer")


def test_the_full_receipt_holds_every_part():
    got = decode(receipts.render_escpos(FULL, profile("80mm-48")))
    lines = got.lines
    assert lines[0] == "Soko Demo Store" and got.events[1][2]["double_height"] and got.events[1][2]["align"] == "center"
    assert "TIN 2000123456 VAT 220012345" in lines
    assert lines.count(receipts.COPY_MARK) == 2  # at the top and at the bottom of a reprint
    assert any(ln.startswith("Invoice") and ln.endswith("DEMO-T2-17") for ln in lines)
    assert any(ln.startswith("  2 x 1.15") and ln.endswith("2.30 A") for ln in lines)
    assert any(ln.startswith("  Discount: Damaged packaging") and ln.rstrip().endswith("-0.23") for ln in lines)
    total = next(e for e in got.events if e[0] == "text" and e[1].startswith("TOTAL USD"))
    assert total[1].endswith("11.50") and total[2]["bold"] and total[2]["double_height"]
    assert any(ln.startswith("A") and "15.5%" in ln and ln.endswith("10.10") for ln in lines)
    assert any(ln.startswith("Cash ZWG 200.00 @ 26.5") and ln.endswith("7.55") for ln in lines)
    assert any(ln.startswith("Change USD") and ln.endswith("0.05") for ln in lines)
    assert "Thank you for shopping with us" in [ln.strip() for ln in lines]
    assert " ".join(ln.strip() for ln in lines).count("Fiscal details print here") == 1
    assert got.of("qr") == [("qr", "DEMO-T2-17")]


def test_the_fiscal_block_prints_its_lines_and_code_in_place_of_the_placeholder():
    got = decode(receipts.render_escpos(SMALL, profile("58mm-32")))
    assert "Verification code 1A2B-3C4D" in [ln.strip() for ln in got.lines]
    assert "Fiscal details" not in got.text
    assert [e[1] for e in got.of("qr")] == ["https://fdms.zimra.co.zw/x", "KSK-T1-3"]


def test_a_drawer_kick_goes_first_in_the_same_job():
    got = decode(receipts.render_escpos(FULL, profile("80mm-48"), kick_drawer=True))
    assert got.of("drawer") == [("drawer", 2)] and got.kinds.index("drawer") < got.kinds.index("text")
    no_drawer = decode(receipts.render_escpos(FULL, profile("58mm-32-nodrawer"), kick_drawer=True))
    assert not no_drawer.of("drawer")


@pytest.mark.parametrize("key", sorted(PROFILES))
def test_every_profile_keeps_lines_within_its_columns(key):
    prof = profile(key)
    got = decode(receipts.render_escpos(FULL, prof))
    assert max(len(ln) for ln in got.lines) <= prof.columns


def test_the_decoder_refuses_an_unknown_command():
    with pytest.raises(DecodeError):
        decode(b"abc\x1b\x99")


def test_labels_match_their_golden_files_and_decode_back():
    data = label_render.render_escpos(LABELS, profile("80mm-48"))
    check("labels_80mm", data)
    got = decode(data)
    assert got.of("barcode") == [("barcode", "EAN13", "6001234567899"), ("barcode", "CODE128", "2000430000000")]
    assert got.of("cut") == [("cut", "partial")] * 2
    assert [ln for ln in got.lines if ln.startswith(("USD", "ZWG"))] == ["USD 1.15", "ZWG 30.50", "USD 5.99",
                                                                          "USD 5.99 / kg"]
    zpl = label_render.render_zpl(LABELS)
    check("labels", zpl)
    text = zpl.decode()
    assert text.count("^XA") == 2 and text.count("^XZ") == 2
    assert "^BEN,60,Y,N^FD6001234567899^FS" in text and "^BCN,60,Y,N,N^FD2000430000000^FS" in text
    stickers = decode(label_render.render_escpos(LABELS[:1], profile("58mm-32"), kind="sticker", copies=3))
    assert len(stickers.of("barcode")) == 3 and "ZWG 30.50" not in stickers.text


def test_zpl_escapes_its_command_characters():
    label = LABELS[0].__class__(name="50^ OFF ~ now_", sku="X", barcode="", prices=(("USD", "1.00"),))
    text = label_render.render_zpl([label]).decode()
    assert "^FD50_5E OFF _7E now_5F^FS" in text


def test_ean13_check_digit():
    assert label_render.ean13_ok("6001234567899")
    assert not label_render.ean13_ok("6001234567890")
    assert not label_render.ean13_ok("600123456789")


def test_a_logo_prints_as_a_raster_image_above_the_store_name():
    import dataclasses
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (64, 16), 0).save(buffer, "PNG")
    got = decode(receipts.render_escpos(dataclasses.replace(FULL, logo_png=buffer.getvalue()), profile("80mm-48")))
    images = got.of("image")
    assert images == [("image", 64, 16)]
    assert got.kinds.index("image") < got.kinds.index("text") and got.lines[0] == "Soko Demo Store"
    assert "[LOGO]" in receipts.render_text(dataclasses.replace(FULL, logo_png=buffer.getvalue()))
