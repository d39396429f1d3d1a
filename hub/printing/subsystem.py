"""The print worker, started and stopped by the app's lifespan.

A supervisor task looks for printers with jobs due and gives each one owner task (one physical
printer, one owner: jobs go out in the order they were queued). An owner renders the head job
(in a reader thread), opens the printer, reads its real-time status (DLE EOT), and sends the
whole job in one write unless the printer holds it: paper out, cover open or offline keep the job
`held` and retry every HOLD_RETRY_S (the printer's status and an alert go to the event bus and the
portal's banner); an unreachable printer is retried with backoff, then the job `failed`. A sale
never waits for any of this: its transaction adds at most one job row, and `wake(state)` nudges
the supervisor after the commit.

At start the worker queues a status slip (the hub's address, a QR code of the portal and the key
pin) to the store's receipt printer, without holding up start-up.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from hub.clock import parse_ts, utc_now

log = logging.getLogger(__name__)

POLL_S = 5.0  # longest sleep of the supervisor between looks at the queue
HOLD_RETRY_S = 3.0  # a held job asks the printer again this often
BACKOFF_BASE_S = 1.0  # an unreachable printer: 1, 2, 4 ... seconds between attempts
BACKOFF_MAX_S = 60.0
MAX_ATTEMPTS = 8  # then the job is failed (retry it from the portal or the API)
BOOT_SLIP = True  # tests without a printer may turn it off


def wake(state: Any, printer_id: str | None = None) -> None:
    """Tell the worker a job was queued (call on the event loop after the commit); naming the
    printer starts its owner at once, without waiting for the supervisor to look."""
    worker = getattr(state, "print_worker", None)
    if worker is not None:
        worker.wake(printer_id)


def queued(state: Any, job: dict[str, Any]) -> None:
    """A person queued `job` (committed): start its printer's owner and say so on the event stream."""
    from hub.events.bus import publish

    wake(state, job.get("printer_id"))
    publish(state, "print_job", {"job_id": job["id"], "printer_id": job.get("printer_id"), "kind": job["kind"],
                                 "sale_id": job.get("sale_id"), "status": job["status"], "error": ""})


class PrintWorker:
    def __init__(self, state: Any) -> None:
        self.state = state
        self.db = state.db
        self._wake = asyncio.Event()
        self._owners: dict[str, asyncio.Task] = {}
        self._supervisor: asyncio.Task | None = None
        self._statuses: dict[str, str] = {}

    def wake(self, printer_id: str | None = None) -> None:
        if printer_id is not None:
            self._ensure_owner(printer_id)
        self._wake.set()

    def _ensure_owner(self, printer_id: str) -> None:
        owner = self._owners.get(printer_id)
        if owner is None or owner.done():
            self._owners[printer_id] = asyncio.create_task(self._own(printer_id), name=f"printer-{printer_id}")

    def start(self) -> None:
        self._supervisor = asyncio.create_task(self._supervise(), name="print-supervisor")

    async def stop(self) -> None:
        tasks = [t for t in (self._supervisor, *self._owners.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._owners.clear()

    async def _supervise(self) -> None:
        from hub.printing import jobs

        while True:
            self._wake.clear()
            try:
                due = await self.db.read(jobs.due_printers)
            except Exception:
                log.exception("reading the print queue failed")
                due = {}
            now = utc_now()
            sleep = POLL_S
            for printer_id, when in due.items():
                wait = (parse_ts(when) - now).total_seconds()
                if wait <= 0:
                    self._ensure_owner(printer_id)
                else:
                    sleep = min(sleep, wait)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=max(sleep, 0.01))
            except TimeoutError:
                pass

    async def _own(self, printer_id: str) -> None:
        """Print this printer's due jobs, oldest first, until none is due."""
        try:
            await self._own_queue(printer_id)
        finally:
            self._wake.set()  # the supervisor looks again: a job may have come while this one finished

    async def _own_queue(self, printer_id: str) -> None:
        while True:
            job, printer, data = await self.db.read(_next, printer_id)
            if job is None or printer is None:
                return  # nothing due (the supervisor sleeps until a held job is due again)
            try:
                await self._print(job, printer, data)
            except Exception:  # one bad job must not stop the printer's queue
                log.exception("print job %s failed unexpectedly", job["id"])
                await self.db.write(_finish, job, printer, "failed", "internal error: see the hub's log", None)
                return

    async def _print(self, job: dict[str, Any], printer: dict[str, Any], data: Any) -> None:
        from drivers.printers import connectors
        from hub.printing import render

        if isinstance(data, render.UnprintableError):
            await self.db.write(_finish, job, printer, "failed", str(data), None)
            self._publish_job(job, "failed", str(data))
            return
        profile = render.profile_of(printer)
        try:
            status = await asyncio.to_thread(connectors.send, printer["address"], data, check_status=profile.status,
                                             paper_sensor=profile.paper_sensor)
        except connectors.PrinterError as err:
            attempts = job["attempts"] + 1
            gone = attempts >= MAX_ATTEMPTS
            delay = min(BACKOFF_BASE_S * 2 ** (attempts - 1), BACKOFF_MAX_S)
            await self.db.write(_unreachable, job, printer, attempts, delay, str(err), gone)
            self._publish_status(printer, "offline", str(err))
            self._publish_job(job, "failed" if gone else "queued", str(err))
            return
        if status.holds:
            kicked = False
            if job["payload"].get("kick") and not job["payload"].get("kicked") and profile.drawer:
                # The customer is waiting for change: the drawer opens even though paper is out.
                from drivers.receipts import drawer_kick

                try:
                    await asyncio.to_thread(connectors.send, printer["address"], drawer_kick(), check_status=False)
                    kicked = True
                except connectors.PrinterError:
                    pass
            await self.db.write(_held, job, printer, status.state, status.detail, kicked)
            self._publish_status(printer, status.state, status.detail)
            self._publish_job(job, "held", status.detail)
            return
        await self.db.write(_finish, job, printer, "done", "", status)
        self._publish_status(printer, status.state, status.detail)
        self._publish_job(job, "done", "")

    def _publish_status(self, printer: dict[str, Any], state: str, detail: str) -> None:
        if self._statuses.get(printer["id"]) == state:
            return
        self._statuses[printer["id"]] = state
        from hub.events.bus import publish

        publish(self.state, "printer_status", {"printer_id": printer["id"], "name": printer["name"],
                                               "status": state, "detail": detail})

    def _publish_job(self, job: dict[str, Any], status: str, error: str) -> None:
        from hub.events.bus import publish

        publish(self.state, "print_job", {"job_id": job["id"], "printer_id": job["printer_id"], "kind": job["kind"],
                                          "sale_id": job["sale_id"], "status": status, "error": error})


def _next(conn: Any, printer_id: str) -> tuple[Any, Any, Any]:
    """The printer's head job if it is due, the printer, and the job's bytes (or why it cannot print),
    in one read."""
    from hub.printing import jobs, render

    job, printer = jobs.head(conn, printer_id), jobs.printer(conn, printer_id)
    if job is None or printer is None or not printer["enabled"] or parse_ts(job["next_attempt_at"]) > utc_now():
        return None, None, None
    try:
        data: Any = render.job_bytes(conn, job, printer)
    except render.UnprintableError as err:
        data = err
    return job, printer, data


def _current(conn: Any, job: dict[str, Any]) -> dict[str, Any] | None:
    """The job as stored now: a person may have cancelled it while it printed."""
    from hub.printing import jobs

    now = jobs.job(conn, job["id"])
    return now if now is not None and now["status"] in jobs.OPEN else None


def _finish(conn: Any, job: dict[str, Any], printer: dict[str, Any], status: str, error: str, printed: Any) -> None:
    from hub.printing import jobs

    current = _current(conn, job) or job
    jobs.set_job(conn, current, status=status, attempts=current["attempts"] + 1, error=error,
                 printed=status == "done")
    if printed is not None:
        jobs.set_printer_status(conn, printer["id"], printed.state, printed.detail)
    test = job["payload"].get("test")
    if test:
        jobs.insert_test(conn, printer["id"], test, status == "done", error or "printed", job["created_by"])


def _held(conn: Any, job: dict[str, Any], printer: dict[str, Any], state: str, detail: str, kicked: bool) -> None:
    from hub.printing import jobs

    current = _current(conn, job)
    if current is None:
        return
    if kicked:
        current["payload"]["kicked"] = True
    jobs.set_job(conn, current, status="held", attempts=current["attempts"] + 1, due=jobs.now_text(HOLD_RETRY_S),
                 error=detail)
    jobs.set_printer_status(conn, printer["id"], state, detail)


def _unreachable(conn: Any, job: dict[str, Any], printer: dict[str, Any], attempts: int, delay: float, error: str,
                 gone: bool) -> None:
    from hub.printing import jobs

    current = _current(conn, job)
    if current is not None:
        jobs.set_job(conn, current, status="failed" if gone else "queued", attempts=attempts,
                     due=jobs.now_text(delay), error=error)
        if gone and current["payload"].get("test"):
            jobs.insert_test(conn, printer["id"], current["payload"]["test"], False, error, current["created_by"])
    jobs.set_printer_status(conn, printer["id"], "offline", "cannot reach the printer", error=error)


def _queue_boot_slip(conn: Any, lines: list[list[str]], url: str, notes: list[str]) -> str | None:
    from hub.printing import jobs

    assigned = jobs.printer_for(conn, None, "receipt")
    if assigned is None:
        return None
    return jobs.insert_job(conn, printer_id=assigned["printer_id"], kind="status_slip",
                           payload={"lines": lines, "url": url, "notes": notes}, created_by="system")


def boot_slip(state: Any) -> tuple[list[list[str]], str, list[str]]:
    """The status slip's lines: the hub's addresses, the portal's URL (its QR code) and the key pin."""
    settings = getattr(state, "settings", None)
    tls = getattr(state, "tls", None)
    addresses = [a for a in getattr(tls, "addresses", ()) if not str(a).startswith("127.")] or ["127.0.0.1"]
    port = getattr(settings, "port", 8443)
    scheme = "https" if getattr(settings, "tls", True) else "http"
    url = f"{scheme}://{addresses[0]}:{port}/"
    identity = getattr(state, "identity", {}) or {}
    lines = [["Address", str(a)] for a in addresses] + [["Port", str(port)]]
    if identity.get("hub_id"):
        lines.append(["Hub", str(identity["hub_id"])[:18]])
    pin = getattr(state, "tls_pin", "") or ""
    notes = [f"Key pin (SHA-256): {pin}"] if pin else []
    return lines, url, notes


def _has_printers(conn: Any) -> bool:
    return conn.execute("SELECT 1 FROM printers WHERE enabled = 1 LIMIT 1").fetchone() is not None


def _warm_up() -> None:
    from drivers.receipts import drawer_kick

    drawer_kick()


class PrintSubsystem:
    name = "printing"

    def __init__(self) -> None:
        self.worker: PrintWorker | None = None
        self._boot: asyncio.Task | None = None

    async def start(self, state: Any) -> None:
        if getattr(state, "db", None) is None:
            return
        self.worker = PrintWorker(state)
        state.print_worker = self.worker
        self.worker.start()
        self._boot = asyncio.create_task(self._queue_slip(state) if BOOT_SLIP else self._warm(state),
                                         name="print-boot-slip")

    async def _warm(self, state: Any) -> None:
        if await state.db.read(_has_printers):
            await asyncio.to_thread(_warm_up)

    async def _queue_slip(self, state: Any) -> None:
        try:
            lines, url, notes = boot_slip(state)
            if await state.db.write(_queue_boot_slip, lines, url, notes) and self.worker is not None:
                self.worker.wake()
            if await state.db.read(_has_printers):
                # python-escpos and Pillow load in the background, so the first sale's receipt does not wait.
                await asyncio.to_thread(_warm_up)
        except Exception:  # the slip is a courtesy: never a reason for the hub not to run
            log.exception("queueing the boot status slip failed")

    async def stop(self) -> None:
        if self._boot is not None:
            self._boot.cancel()
            await asyncio.gather(self._boot, return_exceptions=True)
        if self.worker is not None:
            await self.worker.stop()
            self.worker = None
