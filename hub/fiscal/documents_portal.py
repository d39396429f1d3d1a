"""The A4 fiscal tax invoice (and credit or debit note) of a signed fiscal document: a plain HTML
page with print CSS, every field the spec makes mandatory (hub.fiscal.invoice.facts), the QR as
inline SVG and the verification code; no script, no inline style (strict CSP). Linked from the
sale's page; a document not signed yet is 409 with the reason, never a page that looks fiscal."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from litestar import Request, get
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.errors import ConflictError
from hub.portal import shell
from hub.portal.controller import PortalController

DocumentId = Annotated[str, Parameter(max_length=64)]


def qr_svg(text: str) -> str:
    """The QR as SVG (qrcode's path factory: no Pillow, no JavaScript); CPU-bound, off the loop."""
    import qrcode
    from qrcode.image.svg import SvgPathImage

    return qrcode.make(text, image_factory=SvgPathImage, box_size=8, border=2).to_string(encoding="unicode")


def _read(conn: Any, document_id: str) -> dict[str, Any]:
    from hub.catalogue._common import found
    from hub.fiscal import invoice

    row = found(conn.execute("SELECT * FROM fiscal_receipts WHERE id = ?", (document_id,)).fetchone(),
                f"fiscal document {document_id}")
    facts = invoice.facts(conn, row)
    if facts is None:
        raise ConflictError("this document is not signed by the fiscal device yet: it has no fiscal invoice to print "
                            "(FISCAL RECEIPT PENDING)", code="fiscal_pending")
    sale_id = conn.execute("SELECT sale_id FROM (SELECT id, id AS sale_id FROM sales UNION ALL SELECT id, sale_id "
                           "FROM sale_refunds UNION ALL SELECT id, sale_id FROM sale_voids UNION ALL SELECT id, "
                           "sale_id FROM sale_corrections) WHERE id = ?", (row["document_id"],)).fetchone()
    return {"f": facts, "sale_id": sale_id[0] if sale_id else None}


class FiscalDocumentPortal(PortalController):
    path = "/fiscal/documents"

    @get("/{document_id:str}", opt=requires("sales.view"))
    async def print_view(self, request: Request, document_id: DocumentId) -> Template:
        data = await request.app.state.db.read(_read, document_id)
        f = data["f"]
        svg = await asyncio.to_thread(qr_svg, f["qr"]) if f["qr"] else ""
        return await shell.page(request, "fiscal/invoice_a4.html", key="sales",
                                title=f"{f['title'].title()} {f['invoice_no']}", f=f, qr_svg=svg,
                                sale_id=data["sale_id"])


ROUTES = [FiscalDocumentPortal]
