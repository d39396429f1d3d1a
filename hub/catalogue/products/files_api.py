"""/api/v1/products/import, /export and /bulk-price: products in and out as CSV, and bulk price
changes with a preview. The CSV format is docs/catalogue-csv.md."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, Parameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.catalogue.products import bulk, importer
from hub.catalogue.products.schemas import BulkPriceChange, BulkPriceResult, ImportReport
from hub.errors import FieldErrors, HubError

CSV_TYPES = ("text/csv", "text/plain", "application/csv")


class UnsupportedMediaTypeError(HubError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


async def _csv_text(request: Request) -> str:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_TYPES:
        raise UnsupportedMediaTypeError(f"send the file as text/csv, not {media_type or 'nothing'}")
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")  # a spreadsheet's UTF-8 starts with a byte order mark
    except UnicodeDecodeError as err:
        raise FieldErrors([("body", f"the file is not UTF-8 text (byte {err.start})")]) from err
    if not text.strip():
        raise FieldErrors([("body", "the file is empty")])
    return text


class ProductFileController(Controller):
    path = "/api/v1/products"
    tags = ["products"]

    @post("/import", status_code=200, opt=requires("catalogue.manage"),
          summary="Import products from CSV (text/csv body): a dry run, or all rows or none")
    async def import_products(
        self, request: Request, identity: Caller,
        dry_run: Annotated[bool, Parameter(description="Only report what would happen (the default)")] = True,
    ) -> ImportReport:
        """The body is the CSV file (docs/catalogue-csv.md), at most the hub's request size and
        20,000 rows. A dry run reports each row error (row, column, message) and what would be
        created or updated. A real run writes every row in one transaction, or, if any row is
        wrong, nothing (422 `import_refused` with the same report)."""
        text = await _csv_text(request)
        db = request.app.state.db
        if dry_run:
            plan = await db.read(importer.plan_import, text, identity.permissions)
            report = plan.report(dry_run=True)
        else:
            report = await db.write(importer.import_products, identity.actor, identity.permissions, text)
        return msgspec.convert(report, ImportReport)

    @get("/export", opt=requires("catalogue.view"), summary="Every product as CSV, by SKU",
         media_type="text/csv")
    async def export_products(
        self, request: Request,
        include_archived: Annotated[bool, Parameter(description="Also archived products")] = False,
    ) -> Response[str]:
        """The import's format: importing this file again changes nothing."""
        text = await request.app.state.db.read(importer.export_products, include_archived)
        return Response(text, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="products.csv"'})


class BulkPriceController(Controller):
    path = "/api/v1/products/bulk-price"
    tags = ["products"]

    @post("/preview", status_code=200, opt=requires("prices.manage"),
          summary="What a bulk price change would do: each price old -> new; changes nothing")
    async def preview(self, request: Request, data: JSONBody[BulkPriceChange]) -> BulkPriceResult:
        result = await request.app.state.db.read(bulk.plan, msgspec.to_builtins(data))
        return msgspec.convert(result, BulkPriceResult)

    @post("/apply", status_code=200, opt=requires("prices.manage"),
          summary="Apply a bulk price change in one transaction (one audit entry for all of it)")
    async def apply(self, request: Request, identity: Caller, data: JSONBody[BulkPriceChange]) -> BulkPriceResult:
        result = await request.app.state.db.write(bulk.apply, identity.actor, msgspec.to_builtins(data))
        return msgspec.convert(result, BulkPriceResult)
