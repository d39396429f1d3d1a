"""Portal pages of operations (group "Store"): Backups and Health (docs/operations.md).

Backups (backups.manage): the runs with their verification and copies, "Back up now", a download
of each sealed bundle, a restore asked for with the store code typed as confirmation (applied by
`soko-hub backup apply-pending` before the hub next starts), the recovery key (made by a POST,
shown once on its kit page: the key waits in memory for that one GET, never in the database), and
the operations settings (settings.manage). Health (settings.view): the doctor's findings, and the
redacted support bundle (settings.manage).
"""

from __future__ import annotations

import secrets
import time
import zoneinfo
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import File, Template

from hub.auth.access import requires
from hub.catalogue._refdata_portal import Refusal, refusal
from hub.clock import utc_now
from hub.errors import FieldErrors, HubError, NotFoundError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.registry import Page

MANAGE, SETTINGS_VIEW, SETTINGS_MANAGE = "backups.manage", "settings.view", "settings.manage"
PAGES = (
    Page("backups", "Backups", "/backups", "Store", MANAGE,
         keywords="backup restore recovery key usb encrypt schedule retention download ups clock",
         summary="Scheduled, verified and encrypted backups: copies, downloads, restore, recovery key"),
    Page("health", "Health", "/health", "Store", SETTINGS_VIEW,
         keywords="doctor health disk space clock certificate printer scanner mdns power ups sd card support bundle",
         summary="What is wrong with this hub and how to fix it; the support bundle"),
)
BackupName = Annotated[str, Parameter(pattern=r"^hub-[A-Za-z0-9]+-\d{8}T\d{6}Z(-\d+)?\.db$", max_length=80)]
KitId = Annotated[str, Parameter(max_length=64)]
KIT_TTL_S = 600.0
SETTING_LABELS = {"backup_times": "Backup times", "backup_every_hours": "Every hours", "keep_daily": "Daily kept",
                  "keep_weekly": "Weekly kept", "usb_path": "USB directory", "hq_copies": "Copies to HQ",
                  "ups": "UPS", "ups_gpio_low": "GPIO low value", "clock_from_tills": "Time from tills",
                  "trading_hours": "Trading hours"}
SEVERITY_LABELS = {"ok": "OK", "info": "Info", "warning": "Warning", "critical": "Critical"}


def _overview(conn) -> dict[str, Any]:
    from hub.db import ops as rows
    from hub.ops import config, kit

    return {"runs": rows.backups(conn, 60), "cfg": config.load(conn), "zone_key": config.store_zone(conn).key,
            "last_scheduled": rows.last_scheduled(conn), "shop": kit.store_facts(conn)}


def _kits(request: Request) -> dict[str, tuple[str, str, float]]:
    """Recovery keys waiting for their one kit page: kit id -> (user id, key, made at), in memory only."""
    state = request.app.state
    kits = getattr(state, "ops_kits", None)
    if kits is None:
        kits = state.ops_kits = {}
    now = time.monotonic()
    for kit_id in [k for k, (_u, _key, at) in kits.items() if now - at > KIT_TTL_S]:
        del kits[kit_id]
    return kits


def _settings_from(form: Form) -> dict[str, Any]:
    """The settings form as OpsSettingsUpdate values (FieldErrors naming each wrong field)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"backup_times": [t.strip() for t in form.get("backup_times").split(",") if t.strip()],
                              "usb_path": form.get("usb_path").strip(), "ups": form.get("ups").strip(),
                              "ups_gpio_low": form.get("ups_gpio_low").strip() or "0",
                              "trading_hours": form.get("trading_hours").strip().replace(" ", ""),
                              "hq_copies": form.checked("hq_copies"), "clock_from_tills": form.checked("clock_from_tills")}
    for name in ("backup_every_hours", "keep_daily", "keep_weekly"):
        text = form.get(name).strip()
        if not text.isdigit() or len(text) > 3:
            errors[name] = "must be a whole number"
        else:
            values[name] = int(text)
    from hub.ops import config

    for name, message in config.problems(values):
        errors.setdefault(name, message)
    if errors:
        raise FieldErrors(list(errors.items()))
    return values


class BackupsPortal(PortalController):
    path = "/backups"

    async def _page(self, request: Request, refused: Refusal | None = None, values: dict[str, Any] | None = None,
                    status: int | None = None) -> Template:
        from hub.ops import backups

        data = await request.app.state.db.read(_overview)
        due = backups.next_due(data["cfg"], zoneinfo.ZoneInfo(data["zone_key"]), data["last_scheduled"])
        identity = request.state.identity
        refused = refused or Refusal()
        shown = values or {**data["cfg"], "backup_times": ", ".join(data["cfg"]["backup_times"])}
        return await shell.page(
            request, "ops/backups.html", key="backups", status=status or refused.status, refused=refused,
            values=shown, due=due, pending=backups.pending_restore(request.app.state.settings.data_path),
            can_settings=identity.can(SETTINGS_MANAGE), labels=SETTING_LABELS, now=utc_now(),
            live={r["name"] for r in data["runs"] if r["status"] == "ok" and not r["pruned_at"]}, **data)

    @get(opt=requires(MANAGE))
    async def backups(self, request: Request) -> Template:
        return await self._page(request)

    @post("/run", opt=requires(MANAGE), status_code=303)
    async def run(self, request: Request) -> Response:
        ops = getattr(request.app.state, "ops", None)
        if ops is None:
            return shell.redirect(request, "/backups", "Operations are not running in this process.", kind="error")
        run = await ops.backup_now(request.state.identity.actor)
        if run.status != "ok":
            return shell.redirect(request, "/backups", f"The backup failed: {run.error}", kind="error")
        copies = [f"USB: {run.usb_detail if run.usb_status == 'failed' else run.usb_status}"] if run.usb_status != "off" else []
        return shell.redirect(request, "/backups", f"Backup {run.name} made and verified"
                              + (f" ({'; '.join(copies)})" if copies else "") + ".")

    @post("/settings", opt=requires(SETTINGS_MANAGE), status_code=303)
    async def save_settings(self, request: Request) -> Response:
        from hub.ops import config

        form = Form(await request.form())
        try:
            changes = _settings_from(form)
            await request.app.state.db.write(config.save, request.state.identity.actor, changes)
        except HubError as err:
            return await self._page(request, refusal(err, "The settings were not saved"), form.values())
        return shell.redirect(request, "/backups", "Backup and operations settings saved.")

    @post("/recovery-key", opt=requires(MANAGE), status_code=303)
    async def new_key(self, request: Request) -> Response:
        from hub.ops import backups

        identity = request.state.identity
        key = await request.app.state.db.write(backups.set_up_key, identity.actor)
        kit_id = secrets.token_urlsafe(16)
        _kits(request)[kit_id] = (identity.user_id or "", key, time.monotonic())
        return shell.redirect(request, f"/backups/recovery-kit/{kit_id}")

    @get("/recovery-kit/{kit_id:str}", opt=requires(MANAGE))
    async def recovery_kit(self, request: Request, kit_id: KitId) -> Response:
        import hub
        from hub.ops import config, kit

        held = _kits(request).get(kit_id)
        if held is None or held[0] != (request.state.identity.user_id or ""):
            return shell.redirect(request, "/backups", "A recovery kit is shown only once, to whoever made the key: "
                                  "make a new key if it was not printed.", kind="error")
        del _kits(request)[kit_id]
        cfg = await request.app.state.db.read(config.load)
        store = await request.app.state.db.read(kit.store_facts)
        return Template(template_name="ops/kit.html", context={
            "key": held[1], "key_id": cfg["key_id"], "store": store, "made": f"{utc_now():%Y-%m-%d %H:%M} UTC",
            "standalone": False, "version": hub.__version__}, headers={"Cache-Control": "no-store"})

    @get("/{name:str}/download", opt=requires(MANAGE))
    async def download(self, request: Request, name: BackupName) -> File:
        from hub.db import ops as rows

        row = await request.app.state.db.read(rows.backup, name)
        settings = request.app.state.settings
        path = settings.backup_path / row["bundle"] if row and row["bundle"] else None
        if path is None or not path.is_file():
            raise NotFoundError(f"no sealed copy of {name} (backups are sealed once a recovery key is set up)")
        return File(path=path, filename=path.name, media_type="application/octet-stream")

    @get("/{name:str}/restore", opt=requires(MANAGE))
    async def confirm_restore(self, request: Request, name: BackupName) -> Template:
        return await self._confirm(request, name)

    async def _confirm(self, request: Request, name: str, refused: Refusal | None = None) -> Template:
        from hub.db import ops as rows
        from hub.ops import kit

        row = await request.app.state.db.read(rows.backup, name)
        if row is None or not (request.app.state.settings.backup_path / name).is_file():
            raise NotFoundError(f"no backup {name}")
        store = await request.app.state.db.read(kit.store_facts)
        refused = refused or Refusal()
        return await shell.page(request, "ops/restore.html", key="backups", title=f"Restore {name}",
                                crumbs=[(f"Restore {name}", None)], row=row, shop=store, refused=refused,
                                status=refused.status)

    @post("/{name:str}/restore", opt=requires(MANAGE), status_code=303)
    async def stage_restore(self, request: Request, name: BackupName) -> Response:
        from hub.ops import backups, kit

        form = Form(await request.form())
        settings = request.app.state.settings
        store = await request.app.state.db.read(kit.store_facts)
        typed = form.get("confirm").strip().upper()
        if not typed or typed != (store["code"] or "").upper():
            err = FieldErrors([("confirm", f"type the store code {store['code']} to confirm")])
            return await self._confirm(request, name, refusal(err, "Nothing was restored"))
        try:
            await request.app.state.db.write(backups.stage_restore, request.state.identity.actor, settings.data_path,
                                             settings.backup_path, name)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._confirm(request, name, refusal(err, "Nothing was restored"))
        return shell.redirect(request, "/backups", f"{name} will be restored when the hub next starts: restart it "
                              "(or the whole hub) once the tills have stopped selling.")


class HealthPortal(PortalController):
    path = "/health"

    @get(opt=requires(SETTINGS_VIEW))
    async def health(self, request: Request) -> Template:
        from hub.ops import doctor

        report = await doctor.run_live(request.app.state)
        order = {s: i for i, s in enumerate(reversed(doctor.SEVERITIES))}
        findings = sorted(report["findings"], key=lambda f: order[f["severity"]])
        counts = {s: sum(1 for f in findings if f["severity"] == s) for s in doctor.SEVERITIES}
        return await shell.page(request, "ops/health.html", key="health", report=report, findings=findings,
                                counts=counts, severity_labels=SEVERITY_LABELS,
                                can_bundle=request.state.identity.can(SETTINGS_MANAGE))

    @get("/support-bundle", opt=requires(SETTINGS_MANAGE))
    async def support_bundle(self, request: Request) -> Response:
        import asyncio
        import tempfile
        from pathlib import Path

        from hub.ops import doctor, support

        report = await doctor.run_live(request.app.state)
        with tempfile.TemporaryDirectory(prefix="soko-support-") as scratch:
            target = Path(scratch) / f"soko-hub-support-{utc_now():%Y%m%dT%H%M%SZ}.tar.gz"
            await asyncio.to_thread(support.build, request.app.state.settings, target, report)
            data = target.read_bytes()
        return Response(data, media_type="application/gzip", headers={
            "Content-Disposition": f'attachment; filename="{target.name}"', "Cache-Control": "no-store"})


ROUTES = [BackupsPortal, HealthPortal]
