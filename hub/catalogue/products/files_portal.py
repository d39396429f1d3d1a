"""Portal pages for products as files: Import (CSV, checked first, then all rows or none), Export
(the API's CSV as a download) and, from hub.catalogue.products._bulk_price_portal, Bulk price change.

Import runs `importer.plan_import` for the check and `importer.import_products` for the real
thing, exactly as POST /api/v1/products/import does, so the same rules, the one
`product.imported` audit entry and each product's change row follow. Between the two the checked
file waits on the hub (hub.catalogue.products._import_uploads), so what is imported is byte for
byte what was checked.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any

import anyio
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue import ownership
from hub.catalogue.products import _import_uploads as uploads
from hub.catalogue.products import csvfile, importer
from hub.catalogue.products._bulk_price_portal import BulkPricePortal
from hub.catalogue.products.service import PRICE_PERMISSION
from hub.db import product_refs
from hub.db.settings import get_setting
from hub.errors import HubError, InvalidInputError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page
from hub.portal.templating import store_zone

PAGES = (
    Page("products.import", "Import products", "/products/import", "Catalogue", "catalogue.manage",
         sidebar=False, keywords="csv upload import products spreadsheet",
         summary="Add or update many products from a CSV file, checked before anything changes"),
    Page("products.export", "Export products", "/products/export", "Catalogue", "catalogue.view",
         sidebar=False, keywords="export download csv products spreadsheet",
         summary="Every product as a CSV file for a spreadsheet"),
    Page("products.bulk_price", "Bulk price change", "/products/bulk-price", "Catalogue", "prices.manage",
         sidebar=False, keywords="bulk price change increase percent category supplier",
         summary="Move many prices at once by a percentage or an amount, with a preview"),
)
REPORT_LIMIT = 200  # rows of each report list shown; the counts are always whole
FILENAME_LENGTH = 120
# What each column holds (docs/catalogue-csv.md); a test checks that every column has its line.
COLUMN_HELP: dict[str, tuple[str, str]] = {
    "sku": ("The product's SKU: the key of the row (1-40 characters, no spaces). A SKU the store has "
            "updates that product; any other creates one.", "BRD-W700"),
    "name": ("The product's name (needed for a new product).", "White Bread 700g"),
    "receipt_name": ("The short name on receipts, at most 24 characters; empty on a new product: the "
                     "name cut to 24.", "White Bread 700g"),
    "description": ("Free text.", "Sliced, white"),
    "category": ("The category's path by names from the top, separated by /.", "Food/Bakery/Bread"),
    "unit": ("The unit's code (needed for a new product).", "each"),
    "tax_class": ("The tax class's code (needed for a new product).", "VAT"),
    "hs_code": ("The HS code, 4 or 8 digits (fiscal receipts need it).", "1905"),
    "cost_price": ("Cost in the base currency, in its decimals.", "0.80"),
    "barcodes": ("Barcodes separated by |; a pack barcode has * and the units one scan sells.",
                 "6003000000012|6003000000029*12"),
    "stock_tracked": ("yes or no.", "yes"),
    "low_stock_threshold": ("In units, a decimal.", "10"),
    "sold_by_weight": ("yes or no.", "no"),
    "plu": ("The item code in scale barcodes, 1 to 6 digits.", "123"),
    "opening_stock_quantity": ("Stock on hand when the product is entered, in units: its opening "
                               "balance.", "24"),
    "opening_stock_unit_cost": ("The opening stock's cost per unit in the base currency (needs "
                                "opening_stock_quantity).", "0.80"),
}


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def size_text(count: int) -> str:
    """2097152 -> "2 MiB"; 1536 -> "1.5 KiB"."""
    for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size:
            whole, rest = divmod(count * 10 // size, 10)
            return f"{whole}{'.' + str(rest) if rest else ''} {unit}"
    return f"{count} bytes"


def column_rows(currencies: list[str], base: str | None) -> list[dict[str, Any]]:
    """The import's columns in the export's order, with what each holds."""
    found = []
    for name in csvfile.columns(currencies):
        code = csvfile.price_currency(name)
        if code is not None:
            base_note = " (the base currency)" if code == base else ""
            found.append({"name": name, "what": f"The selling price in {code}, in its decimals{base_note}.",
                          "example": "1.00", "required": False})
        else:
            what, example = COLUMN_HELP[name]
            found.append({"name": name, "what": what, "example": example,
                          "required": name == "sku" or name in csvfile.REQUIRED_TO_CREATE})
    return found


def _format_facts(conn: Any) -> dict[str, Any]:
    currencies = product_refs.load_refs(conn)["currencies"]
    base = next((c for c, row in currencies.items() if row["is_base"]), None)
    codes = sorted((c for c, row in currencies.items() if row["active"]), key=lambda c: (c != base, c))
    return {"columns": column_rows(codes, base), "enrolled": ownership.is_enrolled(conn)}


def trimmed(report: dict[str, Any]) -> dict[str, Any]:
    """The report with each list cut to REPORT_LIMIT rows and the full counts beside them."""
    return {**report, **{k: report[k][:REPORT_LIMIT] for k in ("created", "updated", "errors")},
            "counts": {k: len(report[k]) for k in ("created", "updated", "errors")}}


async def _upload_text(form: Form) -> tuple[str, str]:
    """(file name, text) from the chosen file, else the pasted text; InvalidInputError naming `file`."""
    chosen = form.data.get("file") if hasattr(form.data, "get") else None
    if isinstance(chosen, UploadFile) and chosen.filename:
        raw, name = await chosen.read(), chosen.filename[:FILENAME_LENGTH]
    elif form.get("csv_text").strip():
        raw, name = form.get("csv_text").encode(), "pasted text"
    else:
        raise InvalidInputError("choose a CSV file, or paste its text", extra={"field": "file"})
    try:
        text = raw.decode("utf-8-sig")  # a spreadsheet's UTF-8 starts with a byte order mark
    except UnicodeDecodeError as err:
        raise InvalidInputError(f"the file {name} is not UTF-8 text (byte {err.start}); save it from the "
                                "spreadsheet as \"CSV UTF-8\"", extra={"field": "file"}) from err
    if not text.strip():
        raise InvalidInputError(f"the file {name} is empty", extra={"field": "file"})
    return name, text


class ProductImportPortal(PortalController):
    path = "/products/import"

    def _folder(self, request: Request) -> Path:
        return uploads.folder(request.app.state.settings.data_path)

    async def _page(self, request: Request, *, status: int = 200, report: dict[str, Any] | None = None,
                    upload: dict[str, Any] | None = None, error: str | None = None,
                    errors: dict[str, str] | None = None, pasted: str = "") -> Template:
        facts = await request.app.state.db.read(_format_facts)
        return await shell.page(
            request, "products/files_import.html", key="products.import", status=status,
            report=trimmed(report) if report else None, upload=upload, error=error, errors=errors or {},
            pasted=pasted, max_size=size_text(request.app.state.settings.max_body_bytes),
            max_rows=importer.MAX_ROWS, can_price=request.state.identity.can(PRICE_PERMISSION),
            limit=REPORT_LIMIT, ttl_minutes=uploads.UPLOAD_TTL_S // 60, **facts)

    @get(opt=requires("catalogue.manage"))
    async def import_page(self, request: Request) -> Template:
        return await self._page(request)

    @post(opt=requires("catalogue.manage"), status_code=303)
    async def check_or_import(self, request: Request) -> Response:
        """Without `upload`: check the file and show the report. With it: import the checked file."""
        form = Form(await request.form())
        if form.get("upload"):
            return await self._import(request, form.get("upload"))
        identity = request.state.identity
        pasted = form.get("csv_text")[: request.app.state.settings.max_body_bytes]
        try:
            name, text = await _upload_text(form)
        except InvalidInputError as err:
            return await self._page(request, status=err.status, error="The file could not be read.",
                                    errors={"file": _sentence(err.detail)}, pasted=pasted)
        plan = await request.app.state.db.read(importer.plan_import, text, identity.permissions)
        report = plan.report(dry_run=True)
        if report["errors"]:
            count = len(report["errors"])
            return await self._page(
                request, status=422, report=report, pasted=pasted,
                error=f"{count} problem{'' if count == 1 else 's'} in {name}: nothing was imported. "
                      "Correct the rows below and check the file again.")
        upload = {"filename": name, "id": None}
        if report["created"] or report["updated"]:
            upload["id"] = await anyio.to_thread.run_sync(
                lambda: uploads.keep(self._folder(request), owner=identity.username, filename=name, text=text))
        return await self._page(request, report=report, upload=upload)

    async def _import(self, request: Request, upload_id: str) -> Response:
        identity, folder = request.state.identity, self._folder(request)
        kept = await anyio.to_thread.run_sync(lambda: uploads.take(folder, upload_id, identity.username))
        if kept is None:
            return await self._page(request, status=409, error=(
                f"The checked file is no longer on the hub (it is kept for {uploads.UPLOAD_TTL_S // 60} "
                "minutes, for the user who checked it). Choose it and check it again."))
        try:
            report = await request.app.state.db.write(importer.import_products, identity.actor,
                                                      identity.permissions, kept["text"])
        except HubError as err:
            report = err.extra.get("report") if isinstance(err, InvalidInputError) else None
            await anyio.to_thread.run_sync(lambda: uploads.drop(folder, upload_id))
            if report is None:
                return await self._page(request, status=err.status, error=_sentence(err.detail))
            count = len(report["errors"])
            return await self._page(request, status=err.status, report=report, error=(
                f"The catalogue changed since the check: {count} problem{'' if count == 1 else 's'} "
                "now, so nothing was imported. Correct the rows below and check the file again."))
        await anyio.to_thread.run_sync(lambda: uploads.drop(folder, upload_id))
        created, updated = len(report["created"]), len(report["updated"])
        if not created and not updated:
            return shell.redirect(request, "/products/import", "Nothing changed: every row already matched.")
        notice = (f"Imported {created + updated} product{'' if created + updated == 1 else 's'} from "
                  f"{kept['filename']}: {created} created, {updated} updated.")
        return shell.redirect(request, "/products/import", notice)


def export_filename(code: str, zone_name: str, now: dt.datetime | None = None) -> str:
    """products-<store code>-<the store's date>.csv"""
    day = (now or dt.datetime.now(dt.timezone.utc)).astimezone(store_zone(zone_name)).date().isoformat()
    safe = re.sub(r"[^A-Za-z0-9-]", "", code or "") or "store"
    return f"products-{safe}-{day}.csv"


class ProductExportPortal(PortalController):
    path = "/products"

    @get("/export", opt=requires("catalogue.view"))
    async def export_page(self, request: Request) -> Template:
        def facts(conn: Any) -> dict[str, Any]:
            return {"code": get_setting(conn, "store.code", ""),
                    "timezone": get_setting(conn, "store.timezone", "UTC")}

        store = await request.app.state.db.read(facts)
        return await shell.page(request, "products/files_export.html", key="products.export",
                                filename=export_filename(store["code"], store["timezone"]))

    @get("/export.csv", opt=requires("catalogue.view"), media_type="text/csv")
    async def export_csv(self, request: Request,
                         include_archived: Annotated[bool, Parameter(description="Archived too")] = False,
                         ) -> Response[str]:
        """The same CSV as GET /api/v1/products/export, named after the store and the day."""
        def read(conn: Any) -> tuple[str, str, str]:
            return (importer.export_products(conn, include_archived), get_setting(conn, "store.code", ""),
                    get_setting(conn, "store.timezone", "UTC"))

        text, code, zone = await request.app.state.db.read(read)
        name = export_filename(code, zone)
        return Response(text, media_type="text/csv",  # Litestar adds "; charset=utf-8"
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "Cache-Control": "no-store"})


ROUTES = [ProductImportPortal, ProductExportPortal, BulkPricePortal]
