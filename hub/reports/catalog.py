"""Every report by name: its title, what it shows, its columns (how each figure reads) and the
function that reads it (hub.reports.queries). The API, the CSV export and the portal pages all
render from here, so the three never disagree.

A money column reads its currency from the row's `currency` (every money figure has one).
"""

from __future__ import annotations

import csv
import io
import sqlite3
from dataclasses import dataclass
from typing import Any, Callable

from hub.portal.parse import amount_text, quantity_text
from hub.reports import queries
from hub.reports.periods import Period

TEXT, INT, MONEY, QUANTITY, PERCENT = "text", "int", "money", "quantity", "percent"


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    kind: str = TEXT


@dataclass(frozen=True, slots=True)
class Report:
    name: str
    title: str
    summary: str
    read: Callable[[sqlite3.Connection, Period], dict[str, Any]]
    columns: tuple[Column, ...]
    totals: tuple[Column, ...] = ()
    chart: tuple[str, str] | None = None  # (label column, money column): bars per currency
    dated: bool = True  # False: a figure of now (stock valuation), the period is ignored


C = Column
CUR = C("currency", "Currency")
SALES_MONEY = (C("count", "Sales", INT), C("total", "Total", MONEY), C("tax", "Tax", MONEY))
NET_PARTS = (C("refunds", "Refunds", MONEY), C("corrections", "Corrections", MONEY), C("net", "Net", MONEY))

REPORTS: dict[str, Report] = {r.name: r for r in (
    Report("sales-by-day", "Sales by day", "Each day's sales, refunds, corrections and net, per currency",
           queries.sales_by_day, (C("day", "Day"), CUR, *SALES_MONEY, *NET_PARTS),
           (CUR, *SALES_MONEY, *NET_PARTS), chart=("day", "net")),
    Report("sales-by-hour", "Sales by hour", "Which hours of the day sell, per currency",
           queries.sales_by_hour, (C("hour", "Hour"), CUR, *SALES_MONEY), (CUR, *SALES_MONEY),
           chart=("hour", "total")),
    Report("sales-by-product", "Sales by product", "Quantity and money per product, refunds and net",
           queries.sales_by_product,
           (C("sku", "SKU"), C("name", "Product"), CUR, C("quantity", "Quantity", QUANTITY),
            C("gross", "Gross", MONEY), C("discount", "Discounts", MONEY), C("total", "Total", MONEY),
            C("tax", "Tax", MONEY), C("refunded_quantity", "Refunded qty", QUANTITY), C("refunds", "Refunds", MONEY),
            C("net", "Net", MONEY)),
           (CUR, C("quantity", "Quantity", QUANTITY), C("gross", "Gross", MONEY), C("discount", "Discounts", MONEY),
            C("total", "Total", MONEY), C("tax", "Tax", MONEY), C("refunds", "Refunds", MONEY),
            C("net", "Net", MONEY))),
    Report("sales-by-category", "Sales by category", "Money per product category, refunds and net",
           queries.sales_by_category,
           (C("category", "Category"), CUR, C("quantity", "Quantity", QUANTITY), C("discount", "Discounts", MONEY),
            C("total", "Total", MONEY), C("tax", "Tax", MONEY), C("refunds", "Refunds", MONEY),
            C("net", "Net", MONEY)),
           (CUR, C("total", "Total", MONEY), C("tax", "Tax", MONEY), C("refunds", "Refunds", MONEY),
            C("net", "Net", MONEY)), chart=("category", "net")),
    Report("sales-by-cashier", "Sales by cashier", "Each cashier's sales, refunds and voids",
           queries.sales_by_cashier,
           (C("cashier", "Cashier"), CUR, *SALES_MONEY, C("average", "Average sale", MONEY),
            C("refund_count", "Refunds made", INT), C("refunds", "Refunded", MONEY),
            C("void_count", "Voids made", INT), C("voided", "Voided", MONEY)),
           (CUR, *SALES_MONEY, C("refunds", "Refunded", MONEY), C("voided", "Voided", MONEY))),
    Report("sales-by-till", "Sales by till", "Each till's sales", queries.sales_by_till,
           (C("till", "Till"), C("code", "Code"), CUR, *SALES_MONEY, C("average", "Average sale", MONEY)),
           (CUR, *SALES_MONEY), chart=("till", "total")),
    Report("sales-by-tender", "Sales by tender", "Money per tender method, provider and currency",
           queries.sales_by_tender,
           (C("method", "Method"), C("provider", "Provider"), CUR, C("count", "Tenders", INT),
            C("received", "Received", MONEY), C("change", "Change given", MONEY), C("refunds", "Refunded", MONEY),
            C("corrections", "Corrections", MONEY), C("net", "Net", MONEY)),
           (CUR, C("received", "Received", MONEY), C("change", "Change given", MONEY),
            C("refunds", "Refunded", MONEY), C("corrections", "Corrections", MONEY), C("net", "Net", MONEY))),
    Report("sales-by-currency", "Sales by currency", "Each receipt currency's sales and net, and all of them "
           "converted at recorded rates", queries.sales_by_currency, (CUR, *SALES_MONEY, *NET_PARTS)),
    Report("discounts", "Discounts and promotions", "Discounts given per promotion, approver or none",
           queries.discounts,
           (C("cause", "Cause"), C("name", "Promotion or approver"), CUR, C("lines", "Lines", INT),
            C("amount", "Amount", MONEY)), (CUR, C("lines", "Lines", INT), C("amount", "Amount", MONEY))),
    Report("voids-refunds", "Voids, refunds and corrections", "Every void, refund and price correction: who, "
           "why, how much", queries.voids_refunds_corrections,
           (C("occurred_at", "When", "time"), C("kind", "Kind"), C("invoice_number", "Sale"), CUR,
            C("amount", "Amount", MONEY), C("who", "Who"), C("reason", "Why")),
           (CUR, C("kind", "Kind"), C("count", "Count", INT), C("amount", "Amount", MONEY))),
    Report("gross-margin", "Gross margin", "Revenue before tax, cost of what was sold and the margin, in the base "
           "currency (" + queries.CONVERTED_LABEL + ")", queries.gross_margin,
           (C("sku", "SKU"), C("name", "Product"), CUR, C("quantity", "Quantity", QUANTITY),
            C("revenue", "Revenue", MONEY), C("cost", "Cost", MONEY), C("margin", "Margin", MONEY),
            C("margin_bp", "Margin %", PERCENT), C("lines_without_cost", "Lines without cost", INT)),
           (CUR, C("revenue", "Revenue", MONEY), C("cost", "Cost", MONEY), C("margin", "Margin", MONEY),
            C("margin_bp", "Margin %", PERCENT), C("lines_without_cost", "Lines without cost", INT))),
    Report("tax", "Tax per class", "Taxable amount and tax per tax code and rate, net of refunds and "
           "corrections", queries.tax,
           (C("tax_code", "Tax code"), C("tax_rate_bp", "Rate", PERCENT), CUR, C("taxable", "Taxable", MONEY),
            C("tax", "Tax", MONEY), C("refund_tax", "Refunded tax", MONEY),
            C("correction_tax", "Corrections tax", MONEY), C("net_taxable", "Net taxable", MONEY),
            C("net_tax", "Net tax", MONEY)),
           (CUR, C("net_taxable", "Net taxable", MONEY), C("net_tax", "Net tax", MONEY))),
    Report("stock-valuation", "Stock valuation", "Stock at average cost now, by category",
           queries.stock_valuation,
           (C("category", "Category"), CUR, C("products", "Products", INT), C("value", "Value", MONEY),
            C("without_cost", "Without cost", INT)),
           (CUR, C("products", "Products", INT), C("value", "Value", MONEY), C("without_cost", "Without cost", INT),
            C("negative_products", "Below zero", INT)), chart=("category", "value"), dated=False),
    Report("movers", "Slow and fast movers", "What sold most and what sat on the shelf", queries.movers,
           (C("list", "List"), C("rank", "Rank", INT), C("sku", "SKU"), C("name", "Product"),
            C("quantity", "Sold", QUANTITY), C("on_hand", "On hand", QUANTITY),
            C("days_of_stock", "Days of stock", INT))),
    Report("loss-prevention", "Loss prevention per cashier", "Deleted lines, cancelled baskets, overrides, "
           "manual discounts, no-sale drawer opens and reprints per cashier, beside their voids and refunds",
           queries.loss_prevention,
           (C("cashier", "Cashier"), C("line_deleted", "Lines deleted", INT),
            C("basket_cancelled", "Baskets cancelled", INT), C("price_override", "Price overrides", INT),
            C("manual_discount", "Manual discounts", INT), C("no_sale", "No-sale opens", INT),
            C("reprint", "Reprints", INT), C("approved", "Supervisor approved", INT), C("voids", "Voids", INT),
            C("refunds", "Refunds", INT)),
           (CUR, C("kind", "Kind"), C("count", "Count", INT), C("amount", "Amount", MONEY))),
    Report("credit-aging", "Credit aging", "What each customer account owes, by the age of unpaid charges",
           queries.credit_aging,
           (C("customer", "Customer"), C("phone", "Phone"), CUR, C("balance", "Balance", MONEY),
            C("current", "0-29 days", MONEY), C("days_30", "30-59 days", MONEY), C("days_60", "60-89 days", MONEY),
            C("days_90", "90+ days", MONEY), C("limit", "Limit", MONEY)),
           (CUR, C("balance", "Balance", MONEY), C("current", "0-29 days", MONEY), C("days_30", "30-59 days", MONEY),
            C("days_60", "60-89 days", MONEY), C("days_90", "90+ days", MONEY)), dated=False),
    Report("shift-variance", "Shift variance", "Each closed shift's expected, counted and variance per tender",
           queries.shift_variance,
           (C("number", "Shift", INT), C("closed_at", "Closed", "time"), C("till", "Till"), C("cashier", "Cashier"),
            C("method", "Method"), C("provider", "Provider"), CUR, C("expected", "Expected", MONEY),
            C("counted", "Counted", MONEY), C("variance", "Variance", MONEY)),
           (CUR, C("method", "Method"), C("shifts", "Shifts", INT), C("short", "Short", INT),
            C("expected", "Expected", MONEY), C("counted", "Counted", MONEY), C("variance", "Variance", MONEY))),
)}


def run(conn: sqlite3.Connection, name: str, period: Period) -> dict[str, Any]:
    report = REPORTS[name]
    found = report.read(conn, period)
    return {"report": name, "title": report.title, "period": period.as_dict() if report.dated else None,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in report.columns], **found}


def cell(column: Column, row: dict[str, Any], specs: dict[str, int], *, grouped: bool = False) -> str:
    value = row.get(column.key)
    if value is None:
        return ""
    if column.kind == MONEY:
        return amount_text(value, specs.get(row.get("currency", ""), 2), grouped=grouped)
    if column.kind == QUANTITY:
        return quantity_text(value, grouped=grouped)
    if column.kind == PERCENT:
        return amount_text(value, 2) + "%"
    if column.kind == INT:
        return f"{value:,}" if grouped else str(value)
    return str(value)


def _safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text.replace(",", "").rstrip("%"))
        return True
    except ValueError:
        return False


def to_csv(name: str, found: dict[str, Any], specs: dict[str, int]) -> str:
    """The report's rows as CSV: one header line of the column labels, money in its currency's
    decimals beside the currency column, then (a blank line apart) the totals per currency and the
    combined figure with its label."""
    report = REPORTS[name]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.label for c in report.columns])
    for row in found["rows"]:
        writer.writerow([_safe(cell(c, row, specs)) for c in report.columns])
    if found.get("totals") and report.totals:
        writer.writerow([])
        writer.writerow(["Totals"] + [c.label for c in report.totals])
        for row in found["totals"]:
            writer.writerow([""] + [_safe(cell(c, row, specs)) for c in report.totals])
    combined = found.get("combined")
    if combined:
        writer.writerow([])
        writer.writerow([f"Net, all currencies ({combined['label']})", combined["currency"],
                         amount_text(combined["amount"], specs.get(combined["currency"], 2))])
        for part in combined["not_converted"]:
            writer.writerow(["Not converted (no rate recorded)", part["currency"],
                             amount_text(part["amount"], specs.get(part["currency"], 2))])
    return out.getvalue()
