"""The Fiscal page's forms (fiscal.manage) for what the API alone did before: the fiscal settings,
adding a fiscal device for a paired till, asking FDMS who the taxpayer is before registering,
registering, fetching the configuration again, renewing the certificate, the tax class -> FDMS
tax mapping; and the X and Z reports (fiscal.view) with their printing on the receipt printer.

Every post goes through the API's own service function (one audit entry each): success is a 303
with a notice, a refusal re-renders the form with the typed values, the message beside each
field it names, a summary at the top and the refusal's status, nothing changed.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Callable

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from hub.auth.access import requires
from hub.catalogue._refdata_portal import Refusal, refusal
from hub.errors import FieldErrors, HubError, NotFoundError
from hub.portal import shell
from hub.portal.controller import PortalController
from hub.portal.forms import Form

VIEW, MANAGE = "fiscal.view", "fiscal.manage"
Id = Annotated[str, Parameter(max_length=64)]
DayNo = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
SETTING_FIELDS = ("base_url", "ca_bundle", "fallback_tax_id", "fallback_hs_code", "auto_open_time", "auto_close_time",
                  "day_end_warning_hours", "certificate_renew_days")
DEVICE_FIELDS = ("till_id", "fdms_device_id", "serial_no", "activation_key", "model_name", "model_version",
                 "key_algorithm")


def _service():
    from hub.fiscal import service

    return service


def _int(values: dict[str, str], name: str, low: int, high: int, errors: list[tuple[str, str]],
         *, required: bool = False) -> int | None:
    text = (values.get(name) or "").strip()
    if not text:
        if required:
            errors.append((name, "is required"))
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        errors.append((name, f"must be a whole number from {low} to {high}"))
        return None
    return int(text)


def settings_changes(values: dict[str, str]) -> dict[str, Any]:
    """The settings form as put_settings' changes (every field sent; empty clears)."""
    errors: list[tuple[str, str]] = []
    base = (values.get("base_url_choice") or "").strip()
    known = _service().KNOWN_URLS
    url = known[base] if base in known else (values.get("base_url") or "").strip() if base == "other" else ""
    changes: dict[str, Any] = {
        "base_url": url, "ca_bundle": (values.get("ca_bundle") or "").strip(),
        "fallback_tax_id": _int(values, "fallback_tax_id", 1, 2_147_483_647, errors),
        "fallback_hs_code": (values.get("fallback_hs_code") or "").strip(),
        "auto_open_time": (values.get("auto_open_time") or "").strip(),
        "auto_close_time": (values.get("auto_close_time") or "").strip(),
        "day_end_warning_hours": _int(values, "day_end_warning_hours", 0, 24, errors),
        "certificate_renew_days": _int(values, "certificate_renew_days", 1, 365, errors, required=True)}
    for name, limit in (("base_url", 200), ("ca_bundle", 500), ("fallback_hs_code", 8), ("auto_open_time", 5),
                        ("auto_close_time", 5)):
        if len(changes[name] or "") > limit:
            errors.append((name, f"is at most {limit} characters"))
    if errors:
        raise FieldErrors(errors)
    return changes


FALLBACKS = "category_fallbacks."  # form fields category_fallbacks.<category id>.tax_id / .hs_code
MAX_FALLBACKS = 500  # as the API's category_fallbacks map


def fallback_changes(values: dict[str, str], known_taxes: set[int]) -> dict[str, Any]:
    """The fallbacks form as put_settings' changes: the global fallback tax and HS code and the
    whole `category_fallbacks` map (a category with neither left out). A tax FDMS did not give is
    refused here for the global fallback; the service checks the categories' (and HS codes)."""
    errors: list[tuple[str, str]] = []
    tax_id = _int(values, "fallback_tax_id", 1, 2_147_483_647, errors)
    if tax_id is not None and known_taxes and tax_id not in known_taxes:
        errors.append(("fallback_tax_id", "is not one of the taxes FDMS gave in its configuration"))
    hs = (values.get("fallback_hs_code") or "").strip()
    if len(hs) > 8:
        errors.append(("fallback_hs_code", "must be 8 digits (FDMS needs 8 on 0 % and exempt lines)"))
    ids = sorted({k[len(FALLBACKS):].rsplit(".", 1)[0] for k in values
                  if k.startswith(FALLBACKS) and k.rsplit(".", 1)[-1] in ("tax_id", "hs_code")})
    fallbacks: dict[str, dict[str, Any]] = {}
    for category_id in ids:
        where = f"{FALLBACKS}{category_id}"
        if not category_id or len(category_id) > 64:
            errors.append((where, "no category has this id"))
            continue
        tax = _int(values, f"{where}.tax_id", 1, 2_147_483_647, errors)
        code = (values.get(f"{where}.hs_code") or "").strip()
        if len(code) > 8:
            errors.append((f"{where}.hs_code", "must be 4 or 8 digits (8 for 0 % and exempt lines)"))
        if tax is not None or code or any(e[0] == f"{where}.tax_id" for e in errors):
            fallbacks[category_id] = {"tax_id": tax, "hs_code": code}
    if len(fallbacks) > MAX_FALLBACKS:
        errors.append(("category_fallbacks", f"at most {MAX_FALLBACKS} categories have their own fallback"))
    if errors:
        raise FieldErrors(errors)
    return {"fallback_tax_id": tax_id, "fallback_hs_code": hs, "category_fallbacks": fallbacks}


def _read_fallbacks(conn: Any) -> dict[str, Any]:
    """The fallback settings, the FDMS taxes and the categories (active ones, and any other that has
    a fallback), each named by its path ("Drinks › Water")."""
    service = _service()
    settings = service.get_settings(conn)
    taxes = [{"tax_id": k, "percent": None if v is None else str(v)}
             for k, v in sorted(service.applicable_taxes(conn).items())]
    rows = {r["id"]: dict(r) for r in conn.execute("SELECT id, name, parent_id, active FROM categories")}
    chosen = settings.get("category_fallbacks") or {}

    def path(category_id: str) -> str:
        names, seen, at = [], set(), rows.get(category_id)
        while at is not None and at["id"] not in seen:
            seen.add(at["id"])
            names.append(at["name"])
            at = rows.get(at["parent_id"] or "")
        return " › ".join(reversed(names))

    categories = sorted(({"id": c["id"], "path": path(c["id"]), "active": bool(c["active"])}
                         for c in rows.values() if c["active"] or c["id"] in chosen),
                        key=lambda c: (c["path"].casefold(), c["id"]))
    return {"settings": settings, "taxes": taxes, "categories": categories}


def _fallback_values(settings: dict[str, Any]) -> dict[str, str]:
    values = {"fallback_tax_id": "" if settings.get("fallback_tax_id") is None else str(settings["fallback_tax_id"]),
              "fallback_hs_code": settings.get("fallback_hs_code") or ""}
    for category_id, fallback in (settings.get("category_fallbacks") or {}).items():
        tax = fallback.get("tax_id")
        values[f"{FALLBACKS}{category_id}.tax_id"] = "" if tax is None else str(tax)
        values[f"{FALLBACKS}{category_id}.hs_code"] = fallback.get("hs_code") or ""
    return values


def _device_fields(values: dict[str, str]) -> dict[str, Any]:
    import msgspec

    from hub.fiscal import schemas

    errors: list[tuple[str, str]] = []
    fields: dict[str, Any] = {k: (values.get(k) or "").strip() for k in DEVICE_FIELDS}
    fields["fdms_device_id"] = _int(values, "fdms_device_id", 1, 9_999_999_999, errors, required=True)
    fields["model_name"] = fields["model_name"] or "Server"
    fields["model_version"] = fields["model_version"] or "v1"
    fields["key_algorithm"] = fields["key_algorithm"] or "ecdsa"
    if not fields["till_id"]:
        errors.append(("till_id", "choose the paired till"))
    if len(fields["activation_key"]) != 8:
        errors.append(("activation_key", "is the 8 characters ZIMRA gave for this device"))
    body = {k: v for k, v in fields.items() if v is not None}
    for name, value in body.items():  # each field alone against the API's struct: every wrong one named
        if any(e[0] == name for e in errors):
            continue
        try:
            msgspec.convert({**_valid_device(), name: value}, schemas.DeviceCreate)
        except msgspec.ValidationError as err:
            errors.append((name, str(err).split(" - at ", 1)[0]))
    if errors:
        raise FieldErrors(errors)
    data = msgspec.convert(body, schemas.DeviceCreate)
    return {f: getattr(data, f) for f in data.__struct_fields__}


def _valid_device() -> dict[str, Any]:
    return {"till_id": "x", "fdms_device_id": 1, "serial_no": "x", "activation_key": "12345678"}


def tax_options(taxes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(str(t["tax_id"]), f"{t['tax_id']} · {'exempt' if t['percent'] is None else t['percent'] + ' %'}")
            for t in taxes]


def _read_settings(conn: Any) -> dict[str, Any]:
    service = _service()
    return {"settings": service.get_settings(conn), "taxes": service.tax_mapping(conn)["fdms_taxes"]}


def _read_new_device(conn: Any) -> dict[str, Any]:
    tills = [dict(r) for r in conn.execute(
        "SELECT d.id, d.name FROM devices d WHERE d.revoked_at IS NULL AND NOT EXISTS (SELECT 1 FROM fiscal_devices f "
        "WHERE f.till_id = d.id) ORDER BY d.name COLLATE NOCASE, d.id")]
    return {"tills": tills, "till_options": [(t["id"], t["name"] or t["id"]) for t in tills]}


def _read_device(conn: Any, device_id: str) -> dict[str, Any]:
    from hub.fiscal import dayjobs, reports

    service = _service()
    device = service.get_device(conn, device_id)
    till = conn.execute("SELECT name FROM devices WHERE id = ?", (device["till_id"],)).fetchone()
    return {"device": {**service.shown(device), "config": device["config"],
                       "taxpayer_verified_at": device.get("taxpayer_verified_at"),
                       "till_name": till[0] if till else device["till_id"]},
            "day": service.day_status(conn, device_id), "alerts": dayjobs.alerts(conn, device),
            "jobs": dayjobs.jobs_of(conn, device_id), "days": reports.closed_days(conn, device_id),
            "taxes": sorted((device["config"].get("applicableTaxes") or []), key=lambda t: t.get("taxID", 0))}


def _read_mapping(conn: Any) -> dict[str, Any]:
    return _service().tax_mapping(conn)


class FiscalSetupPortal(PortalController):
    path = "/fiscal"

    # ---- settings ----------------------------------------------------------------------------------

    async def _settings_page(self, request: Request, refused: Refusal | None = None,
                             values: dict[str, Any] | None = None) -> Template:
        data = await request.app.state.db.read(_read_settings)
        refused = refused or Refusal()
        current = {k: ("" if v is None else str(v)) for k, v in data["settings"].items()}
        known = {v: k for k, v in _service().KNOWN_URLS.items()}
        current["base_url_choice"] = known.get(current.get("base_url", ""), "other" if current.get("base_url") else "")
        return await shell.page(request, "fiscal/settings.html", key="fiscal", title="Fiscal settings",
                                crumbs=[("Fiscal settings", None)], status=refused.status, refused=refused,
                                values=values if values is not None else current, taxes=data["taxes"],
                                tax_options=tax_options(data["taxes"]),
                                known_urls=_service().KNOWN_URLS)

    @get("/settings", opt=requires(VIEW))
    async def settings(self, request: Request) -> Template:
        return await self._settings_page(request)

    @post("/settings", opt=requires(MANAGE), status_code=303)
    async def save_settings(self, request: Request) -> Response | Template:
        values = Form(await request.form()).values()
        try:
            changes = settings_changes(values)
            await request.app.state.db.write(_service().put_settings, request.state.identity.actor, changes)
        except HubError as err:
            return await self._settings_page(request, refusal(err, "The fiscal settings were not saved"), values)
        return shell.redirect(request, "/fiscal/settings", "The fiscal settings were saved.")

    # ---- fallbacks per category ------------------------------------------------------------------------

    async def _fallbacks_page(self, request: Request, refused: Refusal | None = None,
                              values: dict[str, Any] | None = None) -> Template:
        data = await request.app.state.db.read(_read_fallbacks)
        refused = refused or Refusal()
        title = "Fiscal fallbacks per category"
        return await shell.page(request, "fiscal/fallbacks.html", key="fiscal", title=title,
                                crumbs=[("Fiscal settings", "/fiscal/settings"), (title, None)],
                                status=refused.status, refused=refused, taxes=data["taxes"],
                                values=values if values is not None else _fallback_values(data["settings"]),
                                tax_options=tax_options(data["taxes"]), categories=data["categories"],
                                tax_ids=[str(t["tax_id"]) for t in data["taxes"]],
                                prefix=FALLBACKS, can_manage=request.state.identity.can(MANAGE))

    @get("/settings/fallbacks", opt=requires(VIEW))
    async def fallbacks(self, request: Request) -> Template:
        return await self._fallbacks_page(request)

    @post("/settings/fallbacks", opt=requires(MANAGE), status_code=303)
    async def save_fallbacks(self, request: Request) -> Response | Template:
        """The global and per-category fallbacks in one change: put_settings (one audit entry
        `fiscal.settings_changed`), or the form again with each refusal beside its field."""
        values = Form(await request.form()).values()
        actor = request.state.identity.actor

        def write(conn: Any) -> dict[str, Any]:
            known = set(_service().applicable_taxes(conn))
            return _service().put_settings(conn, actor, fallback_changes(values, known))

        try:
            await request.app.state.db.write(write)
        except HubError as err:
            return await self._fallbacks_page(request, refusal(err, "The fallbacks were not saved"), values)
        return shell.redirect(request, "/fiscal/settings/fallbacks", "The fiscal fallbacks were saved.")

    # ---- a new fiscal device --------------------------------------------------------------------------

    async def _new_page(self, request: Request, refused: Refusal | None = None,
                        values: dict[str, Any] | None = None) -> Template:
        data = await request.app.state.db.read(_read_new_device)
        refused = refused or Refusal()
        return await shell.page(request, "fiscal/device_new.html", key="fiscal", title="Add a fiscal device",
                                crumbs=[("Add a fiscal device", None)], status=refused.status, refused=refused,
                                values=values or {"model_name": "Server", "model_version": "v1",
                                                  "key_algorithm": "ecdsa"}, **data)

    @get("/devices/new", opt=requires(MANAGE))
    async def new_device(self, request: Request) -> Template:
        return await self._new_page(request)

    @post("/devices", opt=requires(MANAGE), status_code=303)
    async def add_device(self, request: Request) -> Response | Template:
        values = Form(await request.form()).values()
        try:
            fields = _device_fields(values)
            device = await request.app.state.db.write(_service().create_device, request.state.identity.actor, fields)
        except HubError as err:
            return await self._new_page(request, refusal(err, "The fiscal device was not added"), values)
        return shell.redirect(request, f"/fiscal/devices/{device['id']}",
                              "The fiscal device was added: check the taxpayer with FDMS, then register it.")

    # ---- one device: verify, register, configuration, certificate ------------------------------------------

    async def _device_page(self, request: Request, device_id: str, refused: Refusal | None = None) -> Template:
        data = await request.app.state.db.read(_read_device, device_id)
        refused = refused or Refusal()
        name = f"{data['device']['till_name']} · FDMS device {data['device']['fdms_device_id']}"
        return await shell.page(request, "fiscal/device.html", key="fiscal", title=name, crumbs=[(name, None)],
                                status=refused.status, refused=refused, can_manage=request.state.identity.can(MANAGE),
                                **data)

    @get("/devices/{device_id:str}", opt=requires(VIEW))
    async def device(self, request: Request, device_id: Id) -> Template:
        return await self._device_page(request, device_id)

    async def _blocking(self, request: Request, device_id: str, fn: Callable[..., Any], *args: Any, done: str,
                        lead: str) -> Response | Template:
        await request.form()  # the CSRF guard read it; nothing else is in it
        actor = request.state.identity.actor  # here: it names this request
        try:
            await asyncio.get_running_loop().run_in_executor(None, fn, request.app.state.db, actor, device_id, *args)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._device_page(request, device_id, refusal(err, lead))
        return shell.redirect(request, f"/fiscal/devices/{device_id}", done)

    @post("/devices/{device_id:str}/verify", opt=requires(MANAGE), status_code=303)
    async def verify(self, request: Request, device_id: Id) -> Response | Template:
        from hub.fiscal import dayjobs

        return await self._blocking(request, device_id, dayjobs.verified_taxpayer,
                                    done="FDMS named the taxpayer below: register the device if it is yours.",
                                    lead="FDMS did not confirm the taxpayer")

    @post("/devices/{device_id:str}/register", opt=requires(MANAGE), status_code=303)
    async def register(self, request: Request, device_id: Id) -> Response | Template:
        return await self._blocking(request, device_id, _service().register, request.app.state.settings.data_path,
                                    done="The device is registered with FDMS and its configuration fetched.",
                                    lead="The device was not registered")

    @post("/devices/{device_id:str}/config", opt=requires(MANAGE), status_code=303)
    async def config(self, request: Request, device_id: Id) -> Response | Template:
        return await self._blocking(request, device_id, _service().refresh_config,
                                    done="The configuration was fetched from FDMS again.",
                                    lead="The configuration was not fetched")

    @post("/devices/{device_id:str}/renew", opt=requires(MANAGE), status_code=303)
    async def renew(self, request: Request, device_id: Id) -> Response | Template:
        from hub.fiscal import dayjobs

        return await self._blocking(request, device_id, dayjobs.renew_certificate,
                                    request.app.state.settings.data_path,
                                    done="FDMS issued a new certificate: the device uses it from now on.",
                                    lead="The certificate was not renewed")

    # ---- the tax class mapping -------------------------------------------------------------------------

    async def _mapping_page(self, request: Request, refused: Refusal | None = None, form: str = "",
                            values: dict[str, Any] | None = None) -> Template:
        data = await request.app.state.db.read(_read_mapping)
        refused = refused or Refusal()
        return await shell.page(request, "fiscal/tax_mapping.html", key="fiscal", title="Tax mapping",
                                crumbs=[("Tax mapping", None)], status=refused.status, refused=refused, form=form,
                                values=values or {}, ok=Refusal(), can_manage=request.state.identity.can(MANAGE),
                                tax_options=tax_options(data["fdms_taxes"]), **data)

    @get("/tax-mapping", opt=requires(VIEW))
    async def mapping(self, request: Request) -> Template:
        return await self._mapping_page(request)

    @post("/tax-mapping/{tax_class_id:str}", opt=requires(MANAGE), status_code=303)
    async def map_class(self, request: Request, tax_class_id: Id) -> Response | Template:
        values = Form(await request.form()).values()
        try:
            errors: list[tuple[str, str]] = []
            tax_id = _int(values, "tax_id", 1, 2_147_483_647, errors)
            if errors:
                raise FieldErrors(errors)
            await request.app.state.db.write(_service().map_tax_class, request.state.identity.actor, tax_class_id,
                                             tax_id)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._mapping_page(request, refusal(err, "The mapping was not saved"), tax_class_id, values)
        return shell.redirect(request, "/fiscal/tax-mapping", "The tax class mapping was saved.")

    # ---- X and Z reports -----------------------------------------------------------------------------------

    async def _report_page(self, request: Request, device_id: str, day_no: int | None,
                           refused: Refusal | None = None) -> Template:
        from hub.fiscal import reports

        try:
            report = await request.app.state.db.read(
                reports.x_report if day_no is None else reports.z_report, device_id, *(() if day_no is None
                                                                                       else (day_no,)))
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            refused = refusal(err, "There is no report")
            report = None
        refused = refused or Refusal()
        title = "X report" if day_no is None else f"Z report, fiscal day {day_no}"
        return await shell.page(request, "fiscal/report.html", key="fiscal", title=title, crumbs=[(title, None)],
                                status=refused.status, refused=refused, report=report, device_id=device_id,
                                money=reports.money, sections=reports.SECTIONS, documents=dict(reports.DOCUMENTS))

    @get("/devices/{device_id:str}/reports/x", opt=requires(VIEW))
    async def x_report(self, request: Request, device_id: Id) -> Template:
        return await self._report_page(request, device_id, None)

    @get("/devices/{device_id:str}/days/{day_no:int}/z", opt=requires(VIEW))
    async def z_report(self, request: Request, device_id: Id, day_no: DayNo) -> Template:
        return await self._report_page(request, device_id, day_no)

    async def _print(self, request: Request, device_id: str, day_no: int | None) -> Response | Template:
        from hub.fiscal import reports
        from hub.printing.subsystem import queued

        await request.form()
        try:
            job = await request.app.state.db.write(reports.print_report, request.state.identity.actor, device_id,
                                                   day_no)
        except HubError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._report_page(request, device_id, day_no, refusal(err, "The report was not printed"))
        queued(request.app.state, job)
        path = f"/fiscal/devices/{device_id}/" + ("reports/x" if day_no is None else f"days/{day_no}/z")
        return shell.redirect(request, path, f"The report is on its way to {job['printer_name']}.")

    @post("/devices/{device_id:str}/reports/x/print", opt=requires(VIEW), status_code=303)
    async def print_x(self, request: Request, device_id: Id) -> Response | Template:
        return await self._print(request, device_id, None)

    @post("/devices/{device_id:str}/days/{day_no:int}/z/print", opt=requires(VIEW), status_code=303)
    async def print_z(self, request: Request, device_id: Id, day_no: DayNo) -> Response | Template:
        return await self._print(request, device_id, day_no)


ROUTES = [FiscalSetupPortal]
