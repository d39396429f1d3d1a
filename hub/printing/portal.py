"""The Peripherals page (group "Store"): configured printers with their status and last error, add
and edit by address URL and profile, the receipt printer of each till (and whether cash kicks
its drawer) and the store's label printer, one-tap tests whose results are kept, recent print
jobs with retry and cancel, opening a drawer, printing shelf labels, and the scanners and
network printers the hub has found. A banner on every page says when a printer holds jobs
(paper out, cover open, offline).

Every form goes through hub.printing.service, as the API does (one audit entry each).
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.clock import parse_ts
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Banner, Page

VIEW, MANAGE, DRAWER, LABELS = "peripherals.view", "peripherals.manage", "drawer.open", "catalogue.manage"
PAGES = (
    Page("peripherals", "Peripherals", "/peripherals", "Store", VIEW,
         keywords="printers receipt printer label printer scanner cash drawer print jobs paper devices hardware",
         summary="Printers, scanners and the cash drawer: status, tests and print jobs"),
)
PathId = Annotated[str, Parameter(max_length=64)]
STATUS_NAMES = {"ready": "Ready", "paper_low": "Paper low", "paper_out": "Paper out", "cover_open": "Cover open",
                "offline": "Offline", "error": "Printer error", "unknown": "Not checked yet"}
STATUS_BADGES = {"ready": "ok", "paper_low": "warn", "paper_out": "danger", "cover_open": "danger",
                 "offline": "danger", "error": "danger", "unknown": ""}
JOB_NAMES = {"receipt": "Receipt", "copy": "Receipt copy", "drawer": "Drawer kick", "labels": "Labels",
             "test_page": "Test page", "status_slip": "Status slip"}
JOB_STATUS = {"queued": "Queued", "printing": "Printing", "held": "Waiting for the printer", "done": "Printed",
              "failed": "Failed", "cancelled": "Cancelled"}
JOB_BADGES = {"done": "ok", "held": "warn", "failed": "danger", "queued": "", "printing": "", "cancelled": ""}
RECENT_JOBS = 20
MAX_CODES = 500


def banner_text(conn: sqlite3.Connection) -> str | None:
    """"Printer Front till: paper out (2 print jobs wait)." for each printer that holds jobs."""
    from hub.printing import jobs

    found = jobs.waiting(conn)
    if not found:
        return None
    parts = [f"Printer {p['name']}: {STATUS_NAMES.get(p['status'], p['status']).lower()}"
             + (f" ({p['waiting']} print job{'s' if p['waiting'] != 1 else ''} wait{'s' if p['waiting'] == 1 else ''})"
                if p["waiting"] else "") for p in found]
    return "; ".join(parts) + "."


BANNERS = (Banner("printer_problem", VIEW, banner_text, link="/peripherals", link_text="Peripherals"),)


def _read(conn: sqlite3.Connection) -> dict[str, Any]:
    from hub.catalogue.labels import service as label_queue
    from hub.printing import jobs, service

    found = service.overview(conn)
    found["jobs"] = jobs.list_jobs(conn, limit=RECENT_JOBS)
    found["queued_labels"] = len(label_queue.queued_ids(conn))
    found["waiting"] = {r["id"]: r["waiting"] for r in jobs.waiting(conn)}
    found["as_of"] = conn.floor.stamp()
    return found


def _profiles() -> list[tuple[str, str]]:
    from drivers.printers.profiles import PROFILES

    return [(p.key, p.title) for p in PROFILES.values()]


def _refusal(err: Any, lead: str) -> Any:
    from hub.catalogue._refdata_portal import refusal

    return refusal(err, lead)


def _devices_of(request: Request) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The scanners and discovered network printers the scanner subsystem found (none without it)."""
    scanners = getattr(request.app.state, "scanners", None)
    try:
        found = list(scanners.devices()) if scanners is not None else []
    except Exception:  # another subsystem's trouble must not take this page down
        found = []
    discovered = [d for d in list(getattr(request.app.state, "discovered_printers", None) or [])
                  if isinstance(d, dict)]
    shown = []
    for device in found:
        if not isinstance(device, dict):
            continue
        when = device.get("last_scan_at")
        try:
            parse_ts(when) if isinstance(when, str) else None
            stamp = when if isinstance(when, str) else None
        except ValueError:
            stamp = None
        shown.append({**device, "last_scan_stamp": stamp})
    return shown, discovered


class PeripheralsPortal(PortalController):
    path = "/peripherals"

    async def _page(self, request: Request, *, refused: Any = None, form: str = "", values: dict[str, Any] | None = None,
                    status: int | None = None) -> Template:
        from hub.catalogue._refdata_portal import Refusal

        data = await request.app.state.db.read(_read)
        scanners, discovered = _devices_of(request)
        identity = request.state.identity
        refused = refused or Refusal()
        prefill = {k: request.query_params.get(k, "") for k in ("name", "address")}
        return await shell.page(
            request, "printing/peripherals.html", key="peripherals", status=status or refused.status,
            data=data, scanners=scanners, discovered=discovered, refused=refused, form=form, ok=Refusal(),
            values=values or {**prefill, "profile": "80mm-48"}, profiles=_profiles(), status_names=STATUS_NAMES,
            status_badges=STATUS_BADGES, job_names=JOB_NAMES, job_status=JOB_STATUS, job_badges=JOB_BADGES,
            printer_names={p["id"]: p["name"] for p in data["printers"]},
            receipt_of={a["device_id"]: a for a in data["assignments"] if a["role"] == "receipt"},
            label_of={a["device_id"]: a for a in data["assignments"] if a["role"] == "label"},
            can_manage=identity.can(MANAGE), can_drawer=identity.can(DRAWER), can_labels=identity.can(LABELS))

    async def _write(self, request: Request, fn: Any, *args: Any, form: str, values: dict[str, Any], lead: str,
                     notice: str, anchor: str = "", **kwargs: Any) -> Response | Template:
        from hub.errors import HubError, NotFoundError
        from hub.printing.subsystem import queued, wake

        try:
            done = await request.app.state.db.write(fn, request.state.identity.actor, *args, **kwargs)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._page(request, refused=_refusal(err, lead), form=form, values=values)
        if isinstance(done, dict) and "kind" in done and "next_attempt_at" in done:
            queued(request.app.state, done)  # a print job: its printer starts now, the event stream hears
        else:
            wake(request.app.state)
        return shell.redirect(request, f"/peripherals{anchor}", notice)

    @get(opt=requires(VIEW))
    async def overview(self, request: Request) -> Template:
        return await self._page(request)

    @post("/printers", opt=requires(MANAGE), status_code=303)
    async def add_printer(self, request: Request) -> Response | Template:
        from hub.printing import service

        values = Form(await request.form()).values()
        row = {"name": values.get("name", ""), "address": values.get("address", ""),
               "profile": values.get("profile", ""), "enabled": True}
        return await self._write(request, service.create_printer, row, form="add", values=values,
                                 lead="The printer was not added", anchor="#printers",
                                 notice=f"Printer {row['name'].strip()} added. Run a test page to check it.")

    @get("/printers/{printer_id:str}", opt=requires(VIEW))
    async def printer(self, request: Request, printer_id: PathId) -> Template:
        return await self._printer_page(request, printer_id)

    async def _printer_page(self, request: Request, printer_id: str, refused: Any = None,
                            values: dict[str, Any] | None = None) -> Template:
        from hub.catalogue._common import found
        from hub.catalogue._refdata_portal import Refusal
        from hub.printing import jobs

        def read(conn: sqlite3.Connection) -> dict[str, Any]:
            row = found(jobs.printer(conn, printer_id), f"printer {printer_id}")
            return {"printer": row, "tests": jobs.tests(conn, printer_id),
                    "jobs": jobs.list_jobs(conn, printer_id=printer_id, limit=RECENT_JOBS)}

        data = await request.app.state.db.read(read)
        printer = data["printer"]
        refused = refused or Refusal()
        return await shell.page(
            request, "printing/printer.html", key="peripherals", title=printer["name"],
            crumbs=[(printer["name"], None)], status=refused.status, printer=printer, tests=data["tests"],
            jobs=data["jobs"], refused=refused, values=values or {**printer, "enabled": "1" if printer["enabled"]
                                                                   else ""},
            profiles=_profiles(), status_names=STATUS_NAMES, status_badges=STATUS_BADGES, job_names=JOB_NAMES,
            job_status=JOB_STATUS, job_badges=JOB_BADGES, can_manage=request.state.identity.can(MANAGE))

    @post("/printers/{printer_id:str}", opt=requires(MANAGE), status_code=303)
    async def save_printer(self, request: Request, printer_id: PathId) -> Response | Template:
        from hub.errors import HubError, NotFoundError
        from hub.printing import service
        from hub.printing.subsystem import wake

        values = Form(await request.form()).values()
        row = {"name": values.get("name", ""), "address": values.get("address", ""),
               "profile": values.get("profile", ""), "enabled": bool(values.get("enabled"))}
        try:
            await request.app.state.db.write(service.update_printer, request.state.identity.actor, printer_id, row)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._printer_page(request, printer_id, _refusal(err, "Nothing was saved"), values)
        wake(request.app.state)
        return shell.redirect(request, f"/peripherals/printers/{printer_id}", "The printer was saved.")

    @post("/printers/{printer_id:str}/test", opt=requires(MANAGE), status_code=303)
    async def test(self, request: Request, printer_id: PathId) -> Response | Template:
        from hub.printing import service

        values = Form(await request.form()).values()
        kind = values.get("kind", "test_page")
        what = "A test page" if kind == "test_page" else "A drawer kick"
        return await self._write(request, service.test_printer, printer_id, kind, form="test", values=values,
                                 lead="The test was not started", anchor="#tests",
                                 notice=f"{what} is on its way; its result appears under Tests.")

    @post("/assignments", opt=requires(MANAGE), status_code=303)
    async def assign(self, request: Request) -> Response | Template:
        from hub.printing import service

        values = Form(await request.form()).values()
        role = values.get("role", "receipt")
        return await self._write(request, service.set_assignment, values.get("device_id") or None, role,
                                 values.get("printer_id") or None, bool(values.get("kick")), form="assign",
                                 values=values, lead="The assignment was not saved", anchor="#assignments",
                                 notice="The assignment was saved.")

    @post("/jobs/{job_id:str}/retry", opt=requires(MANAGE), status_code=303)
    async def retry(self, request: Request, job_id: PathId) -> Response | Template:
        from hub.printing import service

        return await self._write(request, service.retry, job_id, form="jobs", values={},
                                 lead="The job was not retried", anchor="#jobs", notice="The job will print again now.")

    @post("/jobs/{job_id:str}/cancel", opt=requires(MANAGE), status_code=303)
    async def cancel(self, request: Request, job_id: PathId) -> Response | Template:
        from hub.printing import service

        return await self._write(request, service.cancel, job_id, form="jobs", values={},
                                 lead="The job was not cancelled", anchor="#jobs", notice="The job was cancelled.")

    @post("/drawer", opt=requires(DRAWER), status_code=303)
    async def drawer(self, request: Request) -> Response | Template:
        from hub.errors import FieldErrors
        from hub.printing import service

        values = Form(await request.form()).values()
        reason = values.get("reason", "").strip()
        if not reason or len(reason) > 200:
            from hub.catalogue._refdata_portal import Refusal

            return await self._page(request, refused=Refusal(422, "The drawer was not opened.", {
                "reason": "Say why the drawer opens without a sale (at most 200 characters)."}), form="drawer",
                values=values)
        device = values.get("device_id") or None
        if device is None:
            return await self._page(request, refused=_refusal(FieldErrors([("device_id", "choose the till")]),
                                                              "The drawer was not opened"),
                                    form="drawer", values=values)
        return await self._write(request, service.open_drawer, device_id=device, reason=reason, form="drawer",
                                 values=values, lead="The drawer was not opened", anchor="#drawer",
                                 notice="The drawer kick is on its way to the till's printer.")

    @post("/labels", opt=requires(LABELS), status_code=303)
    async def labels(self, request: Request) -> Response | Template:
        from hub.catalogue._refdata_portal import Refusal
        from hub.printing import labels as label_reads
        from hub.printing import service

        form = Form(await request.form())
        values = form.values()
        codes = [c.strip() for c in values.get("codes", "").replace(",", "\n").splitlines() if c.strip()]
        try:
            copies = int(values.get("copies") or "1")
        except ValueError:
            copies = 0
        if len(codes) > MAX_CODES:
            return await self._page(request, refused=Refusal(422, "No label was printed.", {
                "codes": f"At most {MAX_CODES} codes at once."}), form="labels", values=values)
        found = await request.app.state.db.read(label_reads.by_sku, codes) if codes else {}
        unknown = [c for c, i in found.items() if i is None]
        if unknown:
            return await self._page(request, refused=Refusal(422, "No label was printed.", {
                "codes": f"No product has the SKU or barcode {', '.join(unknown[:5])}."}), form="labels",
                values=values)
        as_of = values.get("as_of") or None
        return await self._write(request, service.print_labels, product_ids=[i for i in found.values() if i],
                                 from_queue=bool(values.get("from_queue")), kind=values.get("kind", "shelf"),
                                 copies=copies, clear_queue=bool(values.get("clear_queue")), as_of=as_of,
                                 form="labels", values=values, lead="No label was printed", anchor="#labels",
                                 notice="The labels are on their way to the label printer.")


ROUTES = [PeripheralsPortal]
