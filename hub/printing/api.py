"""/api/v1/printers, /api/v1/printer-assignments, /api/v1/print-jobs, a sale's receipt
(`GET /api/v1/sales/{id}/receipt`) and reprint, the cash drawer and label printing.

Thin controllers: hub.printing.service holds the rules, hub.printing.subsystem prints. Heavy
modules (rendering, python-escpos) are imported inside the handlers, not at start-up.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import JSONBody, Parameter, QueryParameter

from hub.auth.access import requires
from hub.auth.identity import Caller
from hub.printing import schemas

VIEW, MANAGE, DRAWER = "peripherals.view", "peripherals.manage", "drawer.open"
MAX_PAGE = 200
PathId = Annotated[str, Parameter(max_length=64)]


def _wake(request: Request, job: dict[str, Any] | None = None) -> None:
    """After the commit: the worker starts the job's printer, and the event stream hears of the job."""
    from hub.printing.subsystem import queued, wake

    if job is None:
        wake(request.app.state)
    else:
        queued(request.app.state, job)


def _job(row: dict[str, Any]) -> schemas.PrintJob:
    return msgspec.convert(row, schemas.PrintJob, strict=False)



def rendered(built: Any, format: str, profile: str) -> Response:
    """A built receipt (a sale's, or a fiscal note's) as a till asks for it: ESC/POS bytes for its
    own printer, the text the paper shows, or both as JSON with the receipt's fields."""
    from drivers import receipts
    from drivers.printers.profiles import profile as profile_of

    prof = profile_of(profile)
    if format == "escpos":
        return Response(receipts.render_escpos(built, prof), media_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{built.invoice_number}.bin"'})
    text = receipts.render_text(built, prof.columns)
    if format == "text":
        return Response(text, media_type="text/plain; charset=utf-8")
    return Response({"receipt": built.as_dict(), "text": text, "profile": prof.key, "columns": prof.columns})

class PrinterController(Controller):
    path = "/api/v1/printers"
    tags = ["peripherals"]

    @get(opt=requires(VIEW), summary="Configured printers with their last status and error")
    async def list_printers(self, request: Request) -> list[schemas.Printer]:
        from hub.printing import jobs

        rows = await request.app.state.db.read(jobs.printers)
        return [msgspec.convert(r, schemas.Printer, strict=False) for r in rows]

    @post(opt=requires(MANAGE), summary="Add a printer by address URL and profile")
    async def create_printer(self, request: Request, identity: Caller,
                             data: JSONBody[schemas.PrinterCreate]) -> schemas.Printer:
        """422 naming `address` for an address no connector understands, `profile` for an unknown
        profile, `name` for a name another printer has."""
        from hub.printing import service

        row = await request.app.state.db.write(service.create_printer, identity.actor, msgspec.to_builtins(data))
        return msgspec.convert(row, schemas.Printer, strict=False)

    @get("/{printer_id:str}", opt=requires(VIEW), summary="One printer and its latest test results")
    async def get_printer(self, request: Request, printer_id: PathId) -> schemas.PrinterDetail:
        from hub.catalogue._common import found
        from hub.printing import jobs

        def read(conn: Any) -> dict[str, Any]:
            row = found(jobs.printer(conn, printer_id), f"printer {printer_id}")
            return {**row, "tests": jobs.tests(conn, printer_id)}

        return msgspec.convert(await request.app.state.db.read(read), schemas.PrinterDetail, strict=False)

    @put("/{printer_id:str}", opt=requires(MANAGE), summary="Change a printer's name, address, profile or enabled")
    async def update_printer(self, request: Request, identity: Caller, printer_id: PathId,
                             data: JSONBody[schemas.PrinterUpdate]) -> schemas.Printer:
        from hub.printing import service

        row = await request.app.state.db.write(service.update_printer, identity.actor, printer_id,
                                               msgspec.to_builtins(data))
        _wake(request)  # enabling a printer lets its jobs go
        return msgspec.convert(row, schemas.Printer, strict=False)

    @post("/{printer_id:str}/tests", opt=requires(MANAGE), status_code=202,
          summary="Queue a test page or a drawer kick; its result is stored when it prints")
    async def test_printer(self, request: Request, identity: Caller, printer_id: PathId,
                           data: JSONBody[schemas.PrinterTest]) -> schemas.PrintJob:
        from hub.printing import service

        row = await request.app.state.db.write(service.test_printer, identity.actor, printer_id, data.kind)
        _wake(request, row)
        return _job(row)


class AssignmentController(Controller):
    path = "/api/v1/printer-assignments"
    tags = ["peripherals"]

    @get(opt=requires(VIEW), summary="Which printer serves each till (and the store) as receipt or label printer")
    async def list_assignments(self, request: Request) -> list[schemas.AssignmentRow]:
        from hub.printing import jobs

        rows = await request.app.state.db.read(jobs.assignments)
        return [msgspec.convert(r, schemas.AssignmentRow, strict=False) for r in rows]

    @put(opt=requires(MANAGE), summary="Assign a printer to a till (or the store) in a role")
    async def set_assignment(self, request: Request, identity: Caller,
                             data: JSONBody[schemas.AssignmentSet]) -> schemas.Assignment:
        """`printer_id` null takes the assignment away; `kick_drawer_on_cash` (receipt role) opens
        the till's drawer when a sale is paid with cash."""
        from hub.printing import service

        row = await request.app.state.db.write(service.set_assignment, identity.actor, data.device_id, data.role,
                                               data.printer_id, data.kick_drawer_on_cash)
        return msgspec.convert(row, schemas.Assignment, strict=False)


class PrintJobController(Controller):
    path = "/api/v1/print-jobs"
    tags = ["peripherals"]

    @get(opt=requires(VIEW), summary="Print jobs, newest first")
    async def list_jobs(
        self, request: Request,
        status: Annotated[str | None, Parameter(pattern="^(queued|printing|held|done|failed|cancelled)$")] = None,
        printer: Annotated[str | None, Parameter(max_length=64)] = None,
        sale: Annotated[str | None, Parameter(max_length=64)] = None,
        after: Annotated[str | None, Parameter(max_length=64, description="next_after of the last page")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> schemas.PrintJobPage:
        from hub.printing import jobs

        rows = await request.app.state.db.read(jobs.list_jobs, status=status, printer_id=printer, sale_id=sale,
                                               after=after, limit=limit + 1)
        items = [_job(r) for r in rows[:limit]]
        return schemas.PrintJobPage(items=items, next_after=items[-1].id if len(rows) > limit and items else None)

    @get("/{job_id:str}", opt=requires(VIEW), summary="One print job")
    async def get_job(self, request: Request, job_id: PathId) -> schemas.PrintJob:
        from hub.catalogue._common import found
        from hub.printing import jobs

        return _job(found(await request.app.state.db.read(jobs.job, job_id), f"print job {job_id}"))

    @post("/{job_id:str}/retry", opt=requires(MANAGE), status_code=200, summary="Make a job due again now")
    async def retry(self, request: Request, identity: Caller, job_id: PathId) -> schemas.PrintJob:
        """A failed, cancelled or waiting job; 409 `job_done` for one that printed."""
        from hub.printing import service

        row = await request.app.state.db.write(service.retry, identity.actor, job_id)
        _wake(request, row)
        return _job(row)

    @post("/{job_id:str}/cancel", opt=requires(MANAGE), status_code=200, summary="Cancel a job not yet printed")
    async def cancel(self, request: Request, identity: Caller, job_id: PathId) -> schemas.PrintJob:
        """409 `job_finished` for a job that printed or was cancelled."""
        from hub.printing import service

        return _job(await request.app.state.db.write(service.cancel, identity.actor, job_id))


class SaleReceiptController(Controller):
    path = "/api/v1/sales/{sale_id:str}"
    tags = ["sales"]

    # sales.sell: the cashier signed in at a till that prints on its own printer fetches it
    @get("/receipt", opt=requires("sales.sell"), summary="A sale's receipt as ESC/POS bytes, text or JSON",
         responses={})
    async def receipt(
        self, request: Request, sale_id: PathId,
        format: Annotated[Literal["escpos", "text", "json"], Parameter(description="escpos: "
                          "application/octet-stream for a till's own printer")] = "json",
        profile: Annotated[str, Parameter(pattern="^(80mm-48|80mm-42|58mm-32|58mm-32-nodrawer)$")] = "80mm-48",
        copy: Annotated[bool, QueryParameter(description="Mark it COPY, as a reprint")] = False,
    ) -> Response:
        """The same rendering the hub's printers get (fiscal block included once the fiscal feature fills it)."""
        from hub.printing import receipt as receipt_reads

        built = await request.app.state.db.read(receipt_reads.build, sale_id, copy=copy)
        return rendered(built, format, profile)

    @post("/reprint", opt=requires("sales.view"), status_code=202,
          summary="Queue a copy of the receipt (marked COPY) to the till's receipt printer")
    async def reprint(self, request: Request, identity: Caller, sale_id: PathId,
                      data: JSONBody[schemas.Reprint | None] = None) -> schemas.PrintJob:
        """409 `no_printer` when neither the sale's till nor the store has a receipt printer. Audited
        as `sale.reprinted`."""
        from hub.printing import service

        row = await request.app.state.db.write(service.reprint, identity.actor, sale_id,
                                               data.printer_id if data else None)
        _wake(request, row)
        return _job(row)


class DrawerController(Controller):
    path = "/api/v1/drawer"
    tags = ["peripherals"]

    @post("/open", opt=requires(DRAWER), status_code=202, summary="Open a till's cash drawer without a sale")
    async def open_drawer(self, request: Request, identity: Caller,
                          data: JSONBody[schemas.DrawerOpen]) -> schemas.PrintJob:
        """The drawer of `device_id`'s receipt printer (a till calling with its own token opens its
        own), or of `printer_id`; audited as `drawer.opened` with the reason."""
        from hub.printing import service

        device = data.device_id or identity.device_id
        row = await request.app.state.db.write(service.open_drawer, identity.actor, device_id=device,
                                               printer_id=data.printer_id, reason=data.reason)
        _wake(request, row)
        return _job(row)


class LabelPrintController(Controller):
    path = "/api/v1/labels"
    tags = ["labels"]

    @post("/print", opt=requires("catalogue.manage"), status_code=202,
          summary="Print shelf labels or barcode stickers on the label printer")
    async def print_labels(self, request: Request, identity: Caller,
                           data: JSONBody[schemas.LabelPrint]) -> schemas.PrintJob:
        """For the products named and, with `from_queue`, every product on the needs-new-label list;
        ESC/POS or ZPL by the printer's profile. 409 `no_printer` without a label printer."""
        from hub.printing import service

        row = await request.app.state.db.write(
            service.print_labels, identity.actor, product_ids=data.product_ids, from_queue=data.from_queue,
            kind=data.kind, copies=data.copies, printer_id=data.printer_id, clear_queue=data.clear_queue,
            as_of=data.as_of)
        _wake(request, row)
        return _job(row)

    @post("/render", opt=requires("catalogue.view"), status_code=200,
          summary="Shelf labels or stickers as ZPL, ESC/POS or text, for a printer the hub does not drive")
    async def render_labels(self, request: Request, data: JSONBody[schemas.LabelRender]) -> Response:
        from drivers import labels as label_render
        from drivers.printers.profiles import PROFILES
        from hub.errors import FieldErrors
        from hub.printing import labels as label_reads

        def read(conn: Any) -> list[Any]:
            from hub.catalogue.labels import service as queue

            ids = list(dict.fromkeys(data.product_ids + (queue.queued_ids(conn) if data.from_queue else [])))
            return label_reads.shelf_labels(conn, ids)

        found = await request.app.state.db.read(read)
        if not found:
            raise FieldErrors([("product_ids", "no product to label")])
        if data.profile not in PROFILES:
            raise FieldErrors([("profile", f"one of {', '.join(PROFILES)}")])
        if data.format == "zpl":
            return Response(label_render.render_zpl(found, data.kind, data.copies), media_type="text/plain")
        if data.format == "text":
            return Response(label_render.render_text(found, PROFILES[data.profile].columns, data.kind),
                            media_type="text/plain; charset=utf-8")
        return Response(label_render.render_escpos(found, PROFILES[data.profile], data.kind, data.copies),
                        media_type="application/octet-stream")


CONTROLLERS: list = [PrinterController, AssignmentController, PrintJobController, SaleReceiptController,
                     DrawerController, LabelPrintController]
