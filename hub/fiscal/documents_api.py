"""/api/v1/fiscal/sales/{sale_id}/documents: a sale's fiscal invoice and its credit and debit
notes, each with its state (pending, set aside with the hub's validation problems, signed, accepted)
and, once signed, what its printed fiscal block and A4 invoice show (hub.fiscal.invoice)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, Parameter, QueryParameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.printing.schemas import PrintJob, Reprint

PathId = Annotated[str, Parameter(max_length=64)]


class FiscalDocumentsController(Controller):
    path = "/api/v1/fiscal"
    tags = ["fiscal"]

    @get("/sales/{sale_id:str}/documents", opt=requires("fiscal.view"),
         summary="A sale's fiscal documents (invoice, credit and debit notes) with their fiscal facts")
    async def sale_documents(self, request: Request, sale_id: PathId) -> dict[str, Any]:
        """404 for a sale the hub does not hold; `items` empty for a sale that is not fiscal."""
        from hub.fiscal import invoice

        def read(conn: Any) -> dict[str, Any]:
            from hub.catalogue._common import found

            found(conn.execute("SELECT id FROM sales WHERE id = ?", (sale_id,)).fetchone(), f"sale {sale_id}")
            items = []
            for d in invoice.documents_of_sale(conn, sale_id):
                row = conn.execute("SELECT * FROM fiscal_receipts WHERE id = ?", (d["id"],)).fetchone()
                items.append({**d, "fiscal": invoice.facts(conn, row)})
            return {"items": items}

        return await request.app.state.db.read(read)


class FiscalNoteController(Controller):
    """A refund's, void's or price correction's fiscal note, named by that document's id (the till
    knows it), as the sale's receipt is: returned to the till, or printed on the receipt printer."""

    path = "/api/v1/sales/{sale_id:str}/notes"
    tags = ["fiscal"]

    # sales.sell, as the sale's receipt: the cashier signed in at a till that prints on its own printer
    @get("/{note_id:str}/receipt", opt=requires("sales.sell"),
         summary="A refund's, void's or correction's credit or debit note as ESC/POS bytes, text or JSON")
    async def receipt(
        self, request: Request, sale_id: PathId, note_id: PathId,
        format: Annotated[Literal["escpos", "text", "json"], Parameter(description="escpos: "
                          "application/octet-stream for a till's own printer")] = "json",
        profile: Annotated[str, Parameter(pattern="^(80mm-48|80mm-42|58mm-32|58mm-32-nodrawer)$")] = "80mm-48",
        copy: Annotated[bool, QueryParameter(description="Mark it COPY, as a reprint")] = False,
    ) -> Response:
        """The note with the spec's fiscal block once signed (title CREDIT NOTE or DEBIT NOTE, the
        credited invoice, the reason, QR and verification code), "CREDIT NOTE PENDING" before; the
        same rendering the hub's printers get. 404 when the sale has no fiscal note of that id."""
        from hub.fiscal import notes
        from hub.printing.api import rendered

        return rendered(await request.app.state.db.read(notes.build, sale_id, note_id, copy=copy), format, profile)

    @post("/{note_id:str}/print", opt=requires("sales.view"), status_code=202,
          summary="Queue the credit or debit note to the receipt printer of the till that made it")
    async def print_note(self, request: Request, identity: Caller, sale_id: PathId, note_id: PathId,
                         data: JSONBody[Reprint | None] = None) -> PrintJob:
        """Through the print-job path of the receipt and reprint (a `receipt` job, `copy` once the
        note was printed before; rendered when it prints). 409 `no_printer` when neither the till
        nor the store has a receipt printer. Audited as `fiscal_note.printed`."""
        import msgspec

        from hub.fiscal import notes
        from hub.printing.subsystem import queued

        row = await request.app.state.db.write(notes.print_note, identity.actor, sale_id, note_id,
                                               data.printer_id if data else None)
        queued(request.app.state, row)
        return msgspec.convert(row, PrintJob, strict=False)


CONTROLLERS: list = [FiscalDocumentsController, FiscalNoteController]
