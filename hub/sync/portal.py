"""The sync monitor (group "Store", devices.view): each till's sync state (last seen, app and
protocol version, clock skew, what it last reported, what the hub acknowledged, its last error)
and the facts kept in quarantine, with accept and reject (devices.manage), links to the
exceptions and unapplied documents (docs/sync.md, "Sync monitor").

Accept and reject go through hub.sync.quarantine in one `db.write`, as the API does: one audit
entry of their own each. A refusal re-renders the page with the reason beside that fact's form.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue._refdata_portal import Refusal, refusal
from hub.clock import utc_now
from hub.errors import FieldErrors, HubError, NotFoundError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page

VIEW, MANAGE = "devices.view", "devices.manage"
PAGES = (
    Page("sync", "Sync monitor", "/sync", "Store", VIEW,
         keywords="sync till upload queue pending acked quarantine clock skew offline last error conflict revoked",
         summary="How each till syncs: what it holds, what the hub acknowledged, its clock, and quarantined facts"),
)
QuarantineId = Annotated[str, Parameter(max_length=64)]
MAX_QUARANTINE = 100
REASONS = {
    "seq_conflict": "Another fact under a used sequence number",
    "device_revoked": "Sent by a revoked till",
    "unknown_type": "A kind of fact this hub does not handle",
    "malformed": "Does not fit its kind or does not add up",
    "refused": "Refused by a rule",
    "user_unknown": "Its user is unknown or deactivated",
    "permission_missing": "Its user lacks the permission",
}
SHOWN = (("pending", "Waiting for a decision"), ("all", "All, decided ones too"))


def _monitor(conn: sqlite3.Connection, show: str) -> dict[str, Any]:
    from hub.db import sync as rows
    from hub.sync import quarantine

    tills = rows.monitor(conn)
    facts = quarantine.list_facts(conn, status="pending" if show == "pending" else None, limit=MAX_QUARANTINE)
    counts = rows.quarantine_counts(conn)
    open_sync = conn.execute("SELECT kind, count(*) FROM exceptions WHERE status = 'open' AND kind IN"
                             " ('fact_quarantined', 'sync_conflict', 'clock_skew') GROUP BY kind").fetchall()
    unapplied = conn.execute("SELECT count(*) FROM device_documents WHERE status = 'queued'").fetchone()[0]
    return {"tills": tills, "facts": facts, "counts": counts, "open_exceptions": dict(open_sync),
            "unapplied": unapplied}


def skew_text(ms: int | None) -> str:
    from hub.sync.status import duration

    if ms is None:
        return "not known yet"
    if abs(ms) < 1000:
        return "in step"
    return f"{duration(ms)} {'ahead' if ms > 0 else 'behind'}"


def skew_large(ms: int | None) -> bool:
    from hub.sync import status

    return ms is not None and abs(ms) > status.SKEW_ALERT_MS


class SyncPortal(PortalController):
    path = "/sync"

    async def _page(self, request: Request, show: str = "pending", refused: Refusal | None = None,
                    fact_id: str = "", action: str = "", values: dict[str, str] | None = None) -> Template:
        data = await request.app.state.db.read(_monitor, show)
        refused = refused or Refusal()
        return await shell.page(
            request, "sync/monitor.html", key="sync", status=refused.status, refused=refused, fact_id=fact_id,
            action=action, values=values or {}, show=show, shown=SHOWN, reasons=REASONS, now=utc_now(),
            can_manage=request.state.identity.can(MANAGE), can_see_exceptions=request.state.identity.can(
                "exceptions.view"), can_see_unapplied=request.state.identity.can("inventory.view"),
            skew_text=skew_text, skew_large=skew_large, max_listed=MAX_QUARANTINE, **data)

    @get(opt=requires(VIEW))
    async def monitor(self, request: Request,
                      show: Annotated[str, Parameter(pattern="^(pending|all)$")] = "pending") -> Template:
        return await self._page(request, show)

    async def _decide(self, request: Request, quarantine_id: str, verb: str) -> Response:
        from hub.sync import quarantine

        form = Form(await request.form())
        identity = request.state.identity
        note = form.get("note")

        def write(conn: sqlite3.Connection) -> dict[str, Any]:
            if len(note.strip()) > quarantine.MAX_NOTE:
                raise FieldErrors([("note", f"must be at most {quarantine.MAX_NOTE} characters")])
            if verb == "accept":
                return quarantine.accept(conn, identity.actor, identity.permissions, quarantine_id, note)
            return quarantine.reject(conn, identity.actor, quarantine_id, note)

        try:
            row = await request.app.state.db.write(write)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            refused = refusal(err, "It was not accepted" if verb == "accept" else "It was not rejected")
            if not refused.errors:
                refused = Refusal(refused.status, refused.summary, {"note": refused.summary})
            return await self._page(request, "pending", refused, quarantine_id, verb, form.values())
        done = (f"The {row['type']} from {row['device_name'] or 'the till'} was applied."
                if verb == "accept" else f"The {row['type']} from {row['device_name'] or 'the till'} was rejected.")
        return shell.redirect(request, "/sync", done)

    @post("/quarantine/{quarantine_id:str}/accept", opt=requires(MANAGE), status_code=303)
    async def accept(self, request: Request, quarantine_id: QuarantineId) -> Response:
        return await self._decide(request, quarantine_id, "accept")

    @post("/quarantine/{quarantine_id:str}/reject", opt=requires(MANAGE), status_code=303)
    async def reject(self, request: Request, quarantine_id: QuarantineId) -> Response:
        return await self._decide(request, quarantine_id, "reject")


ROUTES = [SyncPortal]
