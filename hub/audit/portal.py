"""The audit log page: newest first, filtered by user, action and date range, paged with `before`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.params import Parameter, QueryParameter
from litestar.response import Template

from hub.auth.access import requires
from hub.clock import format_ts
from hub.db import audit, users
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.registry import Page

PAGES = (
    Page("audit", "Audit log", "/audit", "Records", "audit.view",
         keywords="history changes who did what log records", summary="Every change, who made it and when"),
)
PAGE_SIZE = 50
NOISE = frozenset({"version", "updated_at", "created_at"})  # changes with every edit; not news
MAX_VALUE_CHARS = 80
LINKED = ("user", "role", "device")  # entities with a page at /<entity>s/<id>
DATE = r"^(\d{4}-\d{2}-\d{2})?$"  # a yyyy-mm-dd day in the store's time zone, or empty


def _show(value: Any) -> str:
    if value is None or value == "":
        return "(none)" if value is None else "(empty)"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS - 1] + "…"


def describe(summary: dict[str, Any]) -> list[str]:
    """Short lines saying what an entry changed: `field: old → new`, or the fields it recorded."""
    before, after, detail = summary.get("before"), summary.get("after"), summary.get("detail") or {}
    lines = []
    if isinstance(before, dict) and isinstance(after, dict):
        changed = [k for k in sorted(set(before) | set(after))
                   if k not in NOISE and before.get(k) != after.get(k)]
        lines = [f"{k}: {_show(before.get(k))} → {_show(after.get(k))}" for k in changed]
    elif isinstance(after, dict) or isinstance(before, dict):
        record = after if isinstance(after, dict) else before
        shown = [k for k in ("username", "name", "display_name", "role") if k in record] or \
            [k for k in sorted(record) if k not in NOISE and k != "id"][:4]
        lines = [f"{k}: {_show(record[k])}" for k in shown]
    lines += [f"{k}: {_show(v)}" for k, v in sorted(detail.items()) if v not in (None, "", [], {})]
    return lines


def day_start(day: str, zone: dt.tzinfo, *, days_after: int = 0) -> str | None:
    """The UTC stamp of local midnight starting `day` (+ `days_after`), or None for no day."""
    if not day:
        return None
    local = dt.datetime.combine(dt.date.fromisoformat(day) + dt.timedelta(days=days_after), dt.time(),
                                tzinfo=zone)
    return format_ts(local)


def entity_link(entry: dict[str, Any]) -> str | None:
    if entry["entity"] in LINKED and entry["entity_id"] and "deleted" not in entry["action"]:
        return f"/{entry['entity']}s/{entry['entity_id']}"
    return None


class AuditPortal(PortalController):
    path = "/audit"

    @get(opt=requires("audit.view"))
    async def audit_log(self, request: Request,
                        user: Annotated[str, Parameter(max_length=64)] = "",
                        action: Annotated[str, Parameter(max_length=64)] = "",
                        date_from: Annotated[str, QueryParameter(name="from", pattern=DATE)] = "",
                        date_to: Annotated[str, QueryParameter(name="to", pattern=DATE)] = "",
                        before: Annotated[int | None, Parameter(ge=1, le=2**62)] = None) -> Template:
        db = request.app.state.db
        zone = (await shell.store_of(request))["zone"]
        try:
            since, until = day_start(date_from, zone), day_start(date_to, zone, days_after=1)
        except ValueError:  # 2026-02-31 passes the pattern
            since = until = None
            date_from = date_to = ""
        rows = await db.read(audit.list_entries, before=before, limit=PAGE_SIZE, user_id=user or None,
                             action=action or None, since=since, until=until)
        entries = [{**r, "lines": describe(r["summary"]), "link": entity_link(r)} for r in rows]
        filters = {"user": user, "action": action, "from": date_from, "to": date_to}
        kept = {k: v for k, v in filters.items() if v}
        older = (f"/audit?{urlencode({**kept, 'before': rows[-1]['seq']})}"
                 if len(rows) == PAGE_SIZE else None)
        newest = f"/audit?{urlencode(kept)}" if before is not None else None
        return await shell.page(
            request, "audit/list.html", key="audit", entries=entries, filters=filters,
            users=await db.read(users.list_users, limit=1000), actions=await db.read(audit.recent_actions),
            older=older, newest=newest, filtered=bool(kept))


ROUTES = [AuditPortal]
