"""/api/v1/fiscal/sales/{sale_id}/documents: a sale's fiscal invoice and its credit and debit
notes, each with its state (pending, set aside with the hub's validation problems, signed, accepted)
and, once signed, what its printed fiscal block and A4 invoice show (hub.fiscal.invoice)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import Parameter

from hub.auth.access import requires

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


CONTROLLERS: list = [FiscalDocumentsController]
