"""The setup-mode app and server: the wizard's pages, health, static files and 503 for the rest of
the API; on Finish the same server switches over to the full hub (hub.app.create_app)."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import sys
import time
import zoneinfo
from pathlib import Path
from typing import Any, Awaitable, Callable

import msgspec
from litestar import Litestar, Request, Response, get, post, route
from litestar.datastructures import CacheControlHeader, Cookie, State
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

import hub
from hub.auth.access import public
from hub.auth.hashing import hasher_for, limiter_for
from hub.auth.passwords import check_password_rules
from hub.auth.signin import client_address
from hub.errors import EXCEPTION_HANDLERS, ConflictError, HubError
from hub.firstrun import code as setup_code
from hub.firstrun.network import NetworkChoice, NetworkChoiceError, parse_choice
from hub.http import RequestContextMiddleware
from hub.ops import helper
from hub.portal import STATIC_DIR, STATIC_MAX_AGE_S, session
from hub.portal.controller import PortalController
from hub.portal.forms import Form
from hub.portal.support import SUPPORT_CONTACT
from hub.settings import Settings

log = logging.getLogger(__name__)

SETUP_COOKIE = "soko_setup"
SESSION_TTL_S = 3600
MAX_SESSIONS = 8
DEFAULT_TIMEZONE = "Africa/Harare"
STEPS = ("store", "admin", "network")
LIMITER_NAME = "setup-code"
TEMPLATES = Path(__file__).parent / "templates"
HELPER_SOCKET = helper.SOCKET
HELPER_TIMEOUT_S = 60.0
EXIT_AFTER_S = 0.5  # after a failed switch: time for the answer to reach the browser before the exit


class SetupRequired(HubError):
    status, code, title = 503, "setup_required", "Setup required"


class SetupHealth(msgspec.Struct):
    status: str
    version: str
    setup_required: bool
    tls_key_pin: str | None


class Wizard:
    """The wizard's progress per setup session (in memory: nothing is written before Finish)."""

    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.lock = asyncio.Lock()
        self.finished = False

    def open(self) -> str:
        now = time.monotonic()
        for token, data in list(self.sessions.items()):
            if data["at"] < now - SESSION_TTL_S:
                del self.sessions[token]
        while len(self.sessions) >= MAX_SESSIONS:
            del self.sessions[min(self.sessions, key=lambda t: self.sessions[t]["at"])]
        token = secrets.token_urlsafe(32)
        self.sessions[token] = {"at": now}
        return token

    def of(self, request: Request) -> dict[str, Any] | None:
        data = self.sessions.get(request.cookies.get(SETUP_COOKIE, ""))
        if data is None or data["at"] < time.monotonic() - SESSION_TTL_S or self.finished:
            return None
        return data

    def close_all(self) -> None:
        self.sessions.clear()


def timezones() -> list[str]:
    return sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


def currencies() -> list[dict[str, Any]]:
    from hub.catalogue.seed import CURRENCIES

    return [dict(c) for c in CURRENCIES]


def _state(request: Request) -> Any:
    return request.app.state


def _wizard(request: Request) -> Wizard:
    return _state(request).wizard


def _first_missing(data: dict[str, Any]) -> str:
    return next((step for step in STEPS if step not in data), "summary")


def _render(request: Request, step: str, *, status: int = 200, values: dict[str, Any] | None = None,
            errors: dict[str, str] | None = None, summary: str | None = None,
            cookies: list[Cookie] | None = None, **context: Any) -> Template:
    flash = session.read_flash(request)
    csrf = session.csrf_token(request)
    jar = [c for c in (session.csrf_cookie(request),) if c is not None] + list(cookies or [])
    if flash is not None:
        jar.append(session.expired(request, session.FLASH_COOKIE))
    titles = {"code": "Set up this hub", "store": "The store", "admin": "The first administrator",
              "network": "The network", "summary": "Check and finish", "restarting": "The store is made"}
    refused = {"summary": summary or "Please correct the fields marked below.", "errors": errors or {}} \
        if (errors or summary) else None
    return Template(template_name="firstrun/wizard.html", status_code=status, cookies=jar, context={
        "title": titles[step], "step": step, "steps": STEPS, "flash": flash, "csrf": csrf,
        "values": values or {}, "errors": errors or {}, "refused": refused, "support": SUPPORT_CONTACT,
        **context})


def _need_session(request: Request, step: str) -> dict[str, Any] | Redirect:
    data = _wizard(request).of(request)
    if data is None:
        return session_redirect("/setup")
    missing = _first_missing(data)
    order = (*STEPS, "summary")
    if order.index(step) > order.index(missing):
        return session_redirect(f"/setup/{missing}")
    return data


def session_redirect(path: str, cookies: list[Cookie] | None = None) -> Redirect:
    return Redirect(path, status_code=303, cookies=cookies or [])


def _setup_cookie(request: Request, token: str, max_age: int | None = SESSION_TTL_S) -> Cookie:
    return Cookie(key=SETUP_COOKIE, value=token, max_age=max_age, path="/", httponly=True,
                  secure=session.secure(request), samesite="strict")


class WizardController(PortalController):
    path = "/"

    @get("/", opt=public())
    async def root(self) -> Redirect:
        return session_redirect("/setup")

    @get("/login", opt=public())
    async def login(self) -> Redirect:
        return session_redirect("/setup")

    @get("/setup", opt=public())
    async def start(self, request: Request) -> Response:
        data = _wizard(request).of(request)
        if data is not None:
            return session_redirect(f"/setup/{_first_missing(data)}")
        return _render(request, "code", has_code=setup_code.has_code(_state(request).settings))

    @post("/setup", opt=public(), status_code=303)
    async def check_code(self, request: Request) -> Response:
        state = _state(request)
        form = Form(await request.form())
        typed = form.get("code")
        has_code = setup_code.has_code(state.settings)
        if not typed.strip() or len(typed) > setup_code.MAX_CODE_INPUT:
            return _render(request, "code", status=422, errors={"code": "Enter the setup code from the card."},
                           has_code=has_code)
        limiter, address = limiter_for(state), client_address(request)
        wait = limiter.acquire(LIMITER_NAME, address)
        if wait is not None:
            return _render(request, "code", status=429, has_code=has_code,
                           errors={"code": f"Too many wrong codes. Try again in {wait} seconds."})
        hasher = await hasher_for(state)
        good = await asyncio.to_thread(setup_code.check_code, state.settings, hasher, typed)
        if not good:
            log.warning("a wrong setup code was entered from %s", address)
            return _render(request, "code", status=401, has_code=has_code,
                           errors={"code": "That is not this hub's setup code."})
        limiter.succeeded(LIMITER_NAME, address)
        token = _wizard(request).open()
        return session_redirect("/setup/store", [_setup_cookie(request, token)])

    @get("/setup/store", opt=public())
    async def store_page(self, request: Request) -> Response:
        data = _need_session(request, "store")
        if isinstance(data, Redirect):
            return data
        values = data.get("store") or {"timezone": DEFAULT_TIMEZONE, "currency": "USD"}
        return _render(request, "store", values=values, zones=timezones(), currencies=currencies())

    @post("/setup/store", opt=public(), status_code=303)
    async def store_save(self, request: Request) -> Response:
        data = _need_session(request, "store")
        if isinstance(data, Redirect):
            return data
        from hub.setup import STORE_CODE, SetupError, validate_store

        form = Form(await request.form())
        values = {k: form.get(k).strip()[:200] for k in ("name", "code", "timezone", "currency")}
        values["code"] = values["code"].upper()
        errors: dict[str, str] = {}
        try:
            validate_store(values["name"], "XX", "UTC")
        except SetupError as err:
            errors["name"] = str(err).capitalize() + "."
        if not STORE_CODE.match(values["code"]):
            errors["code"] = "2 to 8 capital letters or digits (it starts every invoice number)."
        if values["timezone"] not in timezones():
            errors["timezone"] = "Choose the store's time zone."
        if values["currency"] not in {c["code"] for c in currencies()}:
            errors["currency"] = "Choose the base currency."
        if errors:
            return _render(request, "store", status=422, values=values, errors=errors, zones=timezones(),
                           currencies=currencies())
        data["store"] = values
        return session_redirect("/setup/admin")

    @get("/setup/admin", opt=public())
    async def admin_page(self, request: Request) -> Response:
        data = _need_session(request, "admin")
        if isinstance(data, Redirect):
            return data
        return _render(request, "admin", values={"username": (data.get("admin") or {}).get("username", "")})

    @post("/setup/admin", opt=public(), status_code=303)
    async def admin_save(self, request: Request) -> Response:
        data = _need_session(request, "admin")
        if isinstance(data, Redirect):
            return data
        from hub.users.service import normalise_username

        form = Form(await request.form())
        typed = form.get("username").strip()[:200]
        password, confirm = form.get("password"), form.get("password_confirm")
        errors: dict[str, str] = {}
        username = ""
        try:
            username = normalise_username(typed)
        except HubError as err:
            errors["username"] = err.detail[:1].upper() + err.detail[1:] + "."
        try:
            check_password_rules(password)
        except ValueError as err:
            errors["password"] = str(err).capitalize() + "."
        else:
            if password != confirm:
                errors["password_confirm"] = "The two passwords differ."
        if errors:
            return _render(request, "admin", status=422, values={"username": typed}, errors=errors)
        data["admin"] = {"username": username, "password": password}
        return session_redirect("/setup/network")

    @get("/setup/network", opt=public())
    async def network_page(self, request: Request) -> Response:
        data = _need_session(request, "network")
        if isinstance(data, Redirect):
            return data
        choice: NetworkChoice = data.get("network") or NetworkChoice()
        values = {"mode": choice.mode, "address": choice.address, "gateway": choice.gateway,
                  "dns": choice.dns, "ssid": choice.ssid}
        return _render(request, "network", values=values)

    @post("/setup/network", opt=public(), status_code=303)
    async def network_save(self, request: Request) -> Response:
        data = _need_session(request, "network")
        if isinstance(data, Redirect):
            return data
        form = Form(await request.form())
        fields = {k: form.get(k)[:300] for k in ("mode", "address", "gateway", "dns", "ssid", "passphrase")}
        try:
            data["network"] = parse_choice(fields)
        except NetworkChoiceError as err:
            values = {k: v for k, v in fields.items() if k != "passphrase"}
            return _render(request, "network", status=422, values=values, errors=err.errors)
        return session_redirect("/setup/summary")

    @get("/setup/summary", opt=public())
    async def summary_page(self, request: Request) -> Response:
        data = _need_session(request, "summary")
        if isinstance(data, Redirect):
            return data
        return _render(request, "summary", **_summary(request, data))

    @post("/setup/finish", opt=public(), status_code=303)
    async def finish(self, request: Request) -> Response:
        state = _state(request)
        wizard = _wizard(request)
        async with wizard.lock:
            settings: Settings = state.settings
            if wizard.finished or settings.db_path.exists():
                raise ConflictError("this hub already has a store; the setup wizard is closed",
                                    code="setup_finished")
            data = _need_session(request, "summary")
            if isinstance(data, Redirect):
                return data
            hasher = await hasher_for(state)
            from hub.setup import SetupError

            try:
                made = await asyncio.to_thread(create_store, settings, hasher, data["store"], data["admin"])
            except SetupError as err:
                return _render(request, "summary", status=422, summary=str(err).capitalize() + ".",
                               **_summary(request, data))
            wizard.finished = True
            wizard.close_all()
            setup_code.destroy_code(settings)
            log.info("setup wizard: store %s (%s) created, hub %s", data["store"]["name"],
                     data["store"]["code"], made.hub_id)
            notice = f"Store {data['store']['name']} is set up. Sign in as {data['admin']['username']}."
            kind = "ok"
            network = data["network"].helper_request()
            if network is not None:
                try:
                    await asyncio.to_thread(helper.ask, *network, path=state.helper_socket,
                                            timeout=HELPER_TIMEOUT_S)
                    notice += f" Network: {data['network'].describe()}."
                except helper.HelperError as err:
                    notice += (f" The network was NOT changed ({err}); the hub keeps its current "
                               "network. Change it from the console or a later update.")
                    kind = "error"
            try:
                await state.switch_to_store()
            except Exception:
                # The store is made: a hub half switched over must not go on serving setup mode. The
                # process exits non-zero once this answer is sent; systemd starts it again, and the
                # new process finds the store and serves the full hub.
                log.exception("setup finished and the store is made, but switching this process to the "
                              "store's hub failed: exiting so that the hub starts again on the store")
                state.switch_failed()
                return _render(request, "restarting", cookies=[_setup_cookie(request, "", 0)],
                               notice=notice, notice_kind=kind, store=data["store"],
                               admin_username=data["admin"]["username"])
        cookies = [_setup_cookie(request, "", 0)]
        return Redirect("/login", status_code=303,
                        cookies=[*cookies, session.flash_cookie(request, notice, kind)])


def _summary(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    import socket as _socket

    state = _state(request)
    return {"store": data["store"], "admin_username": data["admin"]["username"],
            "network": data["network"].describe(), "hostname": _socket.gethostname(),
            "key_pin": state.tls_pin}


def create_store(settings: Settings, hasher: Any, store: dict[str, str], admin: dict[str, str]) -> Any:
    """The store, made exactly as `soko-hub init` makes it, its base currency in the same creation."""
    from hub.setup import create_database

    return create_database(settings.db_path, store_name=store["name"], store_code=store["code"],
                           timezone=store["timezone"], hasher=hasher, admin_username=admin["username"],
                           admin_password=admin["password"], demo=False, base_currency=store["currency"])


class SetupHealthController(PortalController):
    path = "/api/v1/health"
    guards = []
    response_headers = []

    @get(opt=public())
    async def health(self, request: Request) -> SetupHealth:
        return SetupHealth(status="setup", version=hub.__version__, setup_required=True,
                           tls_key_pin=_state(request).tls_pin)


@route(["/api", "/api/{rest:path}"], http_method=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
       opt=public(), include_in_schema=False)
async def api_in_setup(request: Request) -> None:
    raise SetupRequired("this hub has no store yet: finish the setup wizard at /setup first",
                        extra={"setup": "/setup"})


def template_config() -> TemplateConfig:
    from hub.portal.templating import LazyJinjaEngine

    class SetupEngine(LazyJinjaEngine):
        @property
        def engine(self) -> Any:
            if self._engine is None:
                from jinja2 import (Environment, FileSystemLoader, PrefixLoader, StrictUndefined,
                                    select_autoescape)
                from litestar.plugins.jinja import JinjaTemplateEngine

                here = Path(hub.__file__).parent
                loaders = {"portal": FileSystemLoader(str(here / "portal" / "templates")),
                           "customers": FileSystemLoader(str(here / "customers" / "templates")),
                           "firstrun": FileSystemLoader(str(TEMPLATES))}
                env = Environment(loader=PrefixLoader(loaders), autoescape=select_autoescape(["html"]),
                                  undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
                env.globals.update(version=hub.__version__)
                self._engine = JinjaTemplateEngine.from_environment(env)
            return self._engine

    return TemplateConfig(instance=SetupEngine())  # type: ignore[arg-type]


def create_setup_app(settings: Settings, *, helper_socket: str = HELPER_SOCKET, tls_pin: str | None = None,
                     switch_to_store: Callable[[], Awaitable[None]] | None = None,
                     switch_failed: Callable[[], None] | None = None) -> Litestar:
    from hub.portal.errors import portal_aware

    static = create_static_files_router(
        path="/static", directories=[STATIC_DIR], opt=public(), include_in_schema=False,
        cache_control=CacheControlHeader(max_age=STATIC_MAX_AGE_S))

    async def no_switch() -> None:
        return None

    def no_exit() -> None:
        return None

    app = Litestar(
        route_handlers=[WizardController, SetupHealthController, api_in_setup, static],
        template_config=template_config(),
        exception_handlers=portal_aware(EXCEPTION_HANDLERS),  # type: ignore[arg-type]
        request_max_body_size=min(settings.max_body_bytes, 64 * 1024),
        state=State({"settings": settings, "wizard": Wizard(), "helper_socket": helper_socket,
                     "tls_pin": tls_pin, "switch_to_store": switch_to_store or no_switch,
                     "switch_failed": switch_failed or no_exit,
                     "portal_zone": zoneinfo.ZoneInfo("UTC")}),
        openapi_config=None, logging_config=None, debug=False,
    )
    app.asgi_handler = RequestContextMiddleware(app.asgi_handler)
    return app


class _Lifespan:
    """Runs one ASGI app's lifespan (startup now, shutdown later) outside the server's own."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.outbox: asyncio.Queue = asyncio.Queue()
        self.task: asyncio.Task | None = None

    async def _exchange(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self.task is not None
        await self.inbox.put(message)
        answer = asyncio.ensure_future(self.outbox.get())
        done, _ = await asyncio.wait({answer, self.task}, return_when=asyncio.FIRST_COMPLETED)
        if answer in done:
            return answer.result()
        answer.cancel()
        self.task.result()  # raises what the lifespan raised
        return {"type": "lifespan.failed", "message": "the lifespan ended"}

    async def startup(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        self.task = asyncio.create_task(self.app(scope, self.inbox.get, self.outbox.put))
        answer = await self._exchange({"type": "lifespan.startup"})
        if answer["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"the hub did not start: {answer.get('message', '')}")

    async def shutdown(self) -> None:
        if self.task is None or self.task.done():
            return
        await self._exchange({"type": "lifespan.shutdown"})
        await self.task


class SetupSwitch:
    """The server's ASGI app: the setup app until the store exists, then the full hub."""

    def __init__(self, settings: Settings, *, helper_socket: str = HELPER_SOCKET, tls_pin: str | None = None,
                 build_store_app: Callable[[], Any], after_switch: Callable[[], Awaitable[None]] | None = None,
                 on_failure: Callable[[], None] | None = None):
        self.build_store_app = build_store_app
        self.after_switch = after_switch
        self.on_failure = on_failure
        self.current: Any = create_setup_app(settings, helper_socket=helper_socket, tls_pin=tls_pin,
                                             switch_to_store=self.switch, switch_failed=self.fail)
        self.life = _Lifespan(self.current)
        self.switched = False
        self.failed = False

    def fail(self) -> None:
        """The switch failed after the store was made: the process is to exit non-zero (see
        `exit_if_switch_failed`), soon, so that it starts again as the full hub."""
        self.failed = True
        if self.on_failure is not None:
            self.on_failure()

    @property
    def state(self) -> Any:
        return self.current.state

    async def switch(self) -> None:
        full = self.build_store_app()
        life = _Lifespan(full)
        await life.startup()
        old, self.life, self.current = self.life, life, full
        self.switched = True
        await old.shutdown()
        log.info("setup finished: serving the store")
        if self.after_switch is not None:
            try:
                await self.after_switch()
            except Exception:
                log.exception("after leaving setup mode")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.current(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.life.startup()
                except Exception as err:
                    await send({"type": "lifespan.startup.failed", "message": str(err)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self.life.shutdown()
                finally:
                    await send({"type": "lifespan.shutdown.complete"})
                return


def build_setup_server(settings: Settings, *, host: str | None = None, port: int | None = None,
                       helper_socket: str = HELPER_SOCKET) -> Any:
    """A HubServer serving setup mode (with the hub's own TLS certificate, as the full hub would),
    which becomes the full hub once the wizard has made the store."""
    import uvicorn

    from hub.app import create_app
    from hub.identity.subsystem import TlsSubsystem, current_identity
    from hub.server import PLAIN_HTTP_WARNING, HubServer, server_stack
    from hub.subsystems import default_subsystems

    ssl_kwargs: dict[str, Any] = {}
    pin = None
    if settings.tls:
        identity = current_identity(settings.tls_path)
        ssl_kwargs = {"ssl_certfile": str(identity.cert_path), "ssl_keyfile": str(identity.key_path)}
        pin = identity.pin
    else:
        log.warning(PLAIN_HTTP_WARNING)
    holder: dict[str, Any] = {}

    def build_store_app() -> Any:
        parts = default_subsystems(settings)
        for part in parts:
            if isinstance(part, TlsSubsystem):
                part.ssl_context = holder["config"].ssl
        return create_app(settings, subsystems=parts)

    async def after_switch() -> None:
        server = holder["server"]
        switch.state.discovered_printers = []
        if server.discovery is not None:  # advertise the hub's new identity
            await server.discovery.stop()
            server.discovery = None
            port_now = holder["config"].port
            server._discovery_start = asyncio.create_task(server._start_discovery(switch.state, port_now))

    def on_failure() -> None:
        server = holder["server"]
        server.exit_code = 1
        asyncio.get_running_loop().call_later(EXIT_AFTER_S, setattr, server, "should_exit", True)

    switch = SetupSwitch(settings, helper_socket=helper_socket, tls_pin=pin, build_store_app=build_store_app,
                         after_switch=after_switch, on_failure=on_failure)
    loop, http = server_stack()
    config = uvicorn.Config(switch, host=host or settings.host, port=port or settings.port, loop=loop, http=http,
                            log_config=None, access_log=False, lifespan="on", proxy_headers=False,
                            timeout_graceful_shutdown=10, **ssl_kwargs)
    config.load()
    holder["config"] = config
    server = HubServer(config, settings)
    holder["server"] = server
    server.setup_switch = switch
    log.warning("no store database at %s: serving the first-run setup wizard at /setup", settings.db_path)
    return server


def exit_if_switch_failed(server: Any) -> None:
    """After `server.run()` of a setup server: if Finish made the store but the switch to the full
    hub failed, end the process with a non-zero status (systemd restarts it; the new process finds
    the store). Without waiting for threads a half-started hub may have left behind."""
    switch = getattr(server, "setup_switch", None)
    if switch is None or not switch.failed:
        return
    log.critical("exiting after the failed switch to the store's hub; the next start serves the store")
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(getattr(server, "exit_code", 1) or 1)
