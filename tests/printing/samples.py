"""Receipts and labels used by the golden-file tests: fixed data, so their bytes never change
unless the rendering does."""

from __future__ import annotations

from drivers.labels import ShelfLabel
from drivers.receipts import FiscalBlock, Receipt, ReceiptLine, TaxRow

FULL = Receipt(
    store_name="Soko Demo Store", invoice_number="DEMO-T2-17", when="06/11/2026 08:41", till="Front till",
    cashier="Mary", currency="USD",
    header=("Soko Retail (Pvt) Ltd", "12 Samora Machel Ave, Harare", "Tel 0242 700 000", "TIN 2000123456 VAT 220012345"),
    lines=(
        ReceiptLine("MAQ LEMON 400ML", "2", "1.15", "2.30", "A", (("Damaged packaging", "-0.23"),)),
        ReceiptLine("PROTON LOW GI LOAF 700G", "1", "1.40", "1.40", "B"),
        ReceiptLine("RUSSIAN SAUSAGES KG", "1.090 kg", "5.99", "6.53", "A"),
        ReceiptLine("A VERY LONG PRODUCT NAME THAT DOES NOT FIT ON ONE LINE OF PAPER", "3", "0.50", "1.50", "A"),
    ),
    totals=(("Subtotal", "11.73"), ("Discounts", "-0.23")), total="11.50",
    taxes=(TaxRow("A", "15.5%", "8.74", "1.36", "10.10"), TaxRow("B", "0%", "1.40", "0.00", "1.40")),
    tenders=(("Cash ZWG 200.00 @ 26.5", "7.55"), ("Mobile money EcoCash USD", "4.00"), ("  Ref MP240101.1234", "")),
    change=(("Change USD", "0.05"),),
    footer=("Thank you for shopping with us", "Goods exchanged within 7 days with this receipt"),
    code="DEMO-T2-17", copy=True,
)
SMALL = Receipt(
    store_name="Kiosk", invoice_number="KSK-T1-3", when="01/12/2026 17:05", till="T1", cashier="Tafadzwa",
    currency="ZWG", lines=(ReceiptLine("Bread", "1", "38.00", "38.00", "A"),), total="38.00",
    totals=(("Subtotal", "38.00"),), tenders=(("Cash ZWG", "50.00"),), change=(("Change ZWG", "12.00"),),
    fiscal=FiscalBlock(("Fiscal day 12  Receipt 345", "Verification code 1A2B-3C4D"), "https://fdms.zimra.co.zw/x"),
)
LABELS = (
    ShelfLabel(name="MAQ LEMON 400ML", sku="HOU-01206", barcode="6001234567899",
               prices=(("USD", "1.15"), ("ZWG", "30.50"))),
    ShelfLabel(name="RUSSIAN SAUSAGES KG", sku="FRE-00043", barcode="2000430000000",
               prices=(("USD", "5.99"),), unit_price="USD 5.99 / kg"),
)
