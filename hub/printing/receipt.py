"""A sale and the store's profile, read from the database, as a drivers.receipts.Receipt: money
formatted in each currency's decimals, times in the store's time zone, the tax table per rate,
tenders converted at the rates the till recorded. Reads only."""

from __future__ import annotations

import sqlite3
import zoneinfo
from decimal import Decimal
from typing import Any

from drivers.receipts import FiscalBlock, Receipt, ReceiptLine, TaxRow
from hub.clock import parse_ts
from hub.db.pricing import DEFAULT_TIMEZONE
from hub.db.settings import get_setting
from hub.inventory._format import amount_text
from hub.sales import _portal_reads as reads
from hub.sales import service
from hub.store import service as store

METHODS = {"cash": "Cash", "card": "Card", "mobile_money": "Mobile money", "bank_transfer": "Bank transfer",
           "credit_account": "Account", "voucher": "Voucher", "store_credit": "Store credit"}
WHEN_FORMAT = "%d/%m/%Y %H:%M"


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _percent(basis_points: int) -> str:
    return f"{(Decimal(basis_points) / 100).normalize():f}%"


def _rate(rate: int, scale: int) -> str:
    """The rate the till recorded (tender units per receipt unit) as a customer reads it: units of
    the weaker currency per one of the stronger (USD 1 = ZWG 26.5 either way round), to 4 places."""
    value = Decimal(rate) / Decimal(scale)
    if value < 1:
        value = 1 / value
    return f"{value.quantize(Decimal('0.0001')).normalize():f}"


def header_lines(profile: dict[str, Any]) -> tuple[str, ...]:
    """Legal name, address, phone, TIN and VAT number and the store's own header text, as printed."""
    address = profile.get("address") or {}
    street = " ".join(p for p in (address.get("house_no", ""), address.get("street", "")) if p)
    place = ", ".join(p for p in (street, address.get("city", ""), address.get("province", "")) if p)
    ids = " ".join(p for p in (f"TIN {profile['tin']}" if profile.get("tin") else "",
                                f"VAT {profile['vat_number']}" if profile.get("vat_number") else "") if p)
    lines = [profile.get("legal_name", ""), place, f"Tel {profile['phone']}" if profile.get("phone") else "", ids]
    lines += (profile.get("receipt_header") or "").splitlines()
    return tuple(line for line in lines if line.strip())


def footer_lines(profile: dict[str, Any]) -> tuple[str, ...]:
    """The store's own footer text, as printed."""
    return tuple(line for line in (profile.get("receipt_footer") or "").splitlines() if line.strip())


def printed_when(conn: sqlite3.Connection, stamp: str) -> str:
    """A stored UTC stamp as a receipt prints it, in the store's time zone."""
    return parse_ts(stamp).astimezone(_zone(get_setting(conn, "store.timezone", DEFAULT_TIMEZONE))).strftime(
        WHEN_FORMAT)


def build(conn: sqlite3.Connection, sale_id: str, *, copy: bool = False) -> Receipt:
    """The receipt of a sale (404 NotFoundError when the hub holds no such sale)."""
    sale = service.detail(conn, sale_id)
    profile = store.get_profile(conn)
    decimals = reads.currency_decimals(conn)
    names = reads.receipt_names(conn, sale)
    currency = sale["currency"]

    def money(minor: int, code: str = currency) -> str:
        return amount_text(minor, decimals.get(code, 2), grouped=True)

    lines = []
    for ln in sale["lines"]:
        unit = names["units"].get(ln["product_id"] or "", {})
        quantity = reads.unit_quantity(ln["quantity"], unit.get("decimals", 3 if ln["quantity"] % 1000 else 0))
        if unit.get("unit") and ln["quantity"] % 1000:
            quantity += f" {unit['unit']}"
        discounts = tuple((d["reason"] or names["promotions"].get(d["promotion_id"] or "", ""), money(-d["amount"]))
                          for d in ln["discounts"])
        lines.append(ReceiptLine(ln["name"], quantity, money(ln["unit_price"]), money(ln["gross"]),
                                 ln["tax_code"], discounts))
    totals = [("Subtotal", money(sale["subtotal"]))]
    if sale["discount_total"]:
        totals.append(("Discounts", money(-sale["discount_total"])))
    if sale["tax_mode"] == "exclusive":
        totals.append(("Tax", money(sale["tax_total"])))
    if sale["rounding"]:
        totals.append(("Rounding", money(sale["rounding"])))
    from hub.sales.portal import tax_table  # the receipt page's own table, per code and rate

    taxes = tuple(TaxRow(t["code"] or "-", _percent(t["rate_bp"]), money(t["net"]), money(t["tax"]), money(t["gross"]))
                  for t in tax_table(sale))
    tenders = []
    for t in sale["tenders"]:
        label = METHODS.get(t["method"], t["method"])
        if t["provider"]:
            label += f" {t['provider']}"
        if t["currency"] != currency:
            label += f" {t['currency']} {money(t['amount'], t['currency'])} @ {_rate(t['rate'], t['rate_scale'])}"
            tenders.append((label, money(t["amount_receipt"])))
        else:
            tenders.append((f"{label} {currency}", money(t["amount"])))
        if t["reference"]:
            tenders.append((f"  Ref {t['reference']}", ""))
    change = tuple((f"Change {c['currency']}", money(c["amount"], c["currency"])) for c in sale["change"])
    notices = []
    if sale.get("training"):
        notices.append("TRAINING - NOT A SALE")
    if sale.get("void_id"):
        notices.append("VOIDED")
    return Receipt(
        store_name=profile["name"], invoice_number=sale["invoice_number"], when=printed_when(conn, sale["occurred_at"]),
        till=sale.get("device_name") or sale["till_code"], cashier=sale["cashier_name"] or "", currency=currency,
        lines=tuple(lines), total=money(sale["total"]), header=header_lines(profile), totals=tuple(totals),
        taxes=taxes, tenders=tuple(tenders), change=change, footer=footer_lines(profile), code=sale["invoice_number"],
        copy=copy, notices=tuple(notices), fiscal=fiscal_block(conn, sale), logo_png=store.get_logo(conn))


def fiscal_block(conn: sqlite3.Connection, sale: dict[str, Any]) -> FiscalBlock | None:
    """The fiscal device's block for this sale (hub.fiscal.invoice): the signed invoice's, "FISCAL
    RECEIPT PENDING" while it waits to be signed, None for a sale that is not fiscal."""
    from hub.fiscal import invoice

    return invoice.block(conn, sale)
