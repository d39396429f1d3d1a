"""HQ's pages: server-rendered HTML (no script), every figure per currency, CSV export of each
table (`?format=csv`), sign-in by a session cookie."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from cloud_bridge.hq import clock, hubs, reports, status, stores, users
from cloud_bridge.hq.errors import HQError

CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
DEFAULT_DAYS = 30
MAX_DAYS = 366
_env = None


def env() -> Any:
    global _env
    if _env is None:
        from jinja2 import Environment, PackageLoader, select_autoescape

        _env = Environment(loader=PackageLoader("cloud_bridge.hq", "templates"), autoescape=select_autoescape(),
                           trim_blocks=True, lstrip_blocks=True)
        _env.filters["money"] = money
        _env.filters["qty"] = quantity
        _env.filters["when"] = lambda v: clock.iso(v) if v else "—"
        _env.filters["age"] = age
        _env.filters["tojson_short"] = lambda v: "" if v is None else json.dumps(v, ensure_ascii=False)[:300]
    return _env


def money(minor: int | None) -> str:
    if minor is None:
        return "—"
    minor = int(minor)
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def quantity(thousandths: int | None) -> str:
    if thousandths is None:
        return "—"
    thousandths = int(thousandths)
    sign = "-" if thousandths < 0 else ""
    whole, part = divmod(abs(thousandths), 1000)
    return f"{sign}{whole:,}" + (f".{part:03d}".rstrip("0") if part else "")


def age(moment: Any) -> str:
    if moment is None:
        return "—"
    seconds = int((clock.now() - moment).total_seconds())
    if seconds < 120:
        return f"{max(seconds, 0)} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def html(template: str, status_code: int = 200, **context: Any) -> Response:
    body = env().get_template(template).render(**context)
    return Response(body, status_code=status_code, media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                             "Referrer-Policy": "same-origin", "Cache-Control": "no-store"})


def csv_response(name: str, columns: list[str], rows: list[dict[str, Any]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for r in rows:
        writer.writerow([_cell(r.get(c)) for c in columns])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return clock.iso(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


async def page_user(request: Request) -> users.HQUser | None:
    async with request.app.state.pool.connection() as conn:
        user = await users.user_for_token(conn, request.cookies.get(users.SESSION_COOKIE))
        await conn.rollback()
    return user


def to_login(request: Request) -> Redirect:
    return Redirect(f"/login?next={quote(request.url.path)}", status_code=303)


class Period:
    """?from=&to= (business dates) and ?store=; errors named by field."""

    def __init__(self, request: Request) -> None:
        q = request.query_params
        self.errors: dict[str, str] = {}
        today = clock.now().date()
        self.end = self._date(q.get("to"), "to", today)
        self.start = self._date(q.get("from"), "from", self.end - timedelta(days=DEFAULT_DAYS - 1))
        if not self.errors and self.start > self.end:
            self.errors["from"] = "on or before To"
        elif not self.errors and (self.end - self.start).days >= MAX_DAYS:
            self.errors["from"] = f"at most {MAX_DAYS} days"
        if self.errors:
            self.start, self.end = today - timedelta(days=DEFAULT_DAYS - 1), today
        self.store = (q.get("store") or "").strip()[:32] or None
        self.raw = {"from": q.get("from") or self.start.isoformat(), "to": q.get("to") or self.end.isoformat(),
                    "store": self.store or ""}
        self.csv = request.query_params.get("format") == "csv"

    def _date(self, text: str | None, field: str, default: date) -> date:
        if not text:
            return default
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.errors[field] = "a date such as 2026-11-26"
            return default

    def query(self) -> str:
        return "&".join(f"{k}={quote(v)}" for k, v in self.raw.items() if v)


NAV = [("/", "Sales by day"), ("/products", "By product"), ("/categories", "By category"), ("/margin", "Margin"),
       ("/stock", "Stock"), ("/health", "Store health"), ("/requests", "Requests"), ("/stores", "Stores")]


async def _report(request: Request, template: str, title: str, fetch: Any, columns: list[str],
                  total_fields: tuple[str, ...], name: str) -> Response:
    user = await page_user(request)
    if user is None:
        return to_login(request)
    period = Period(request)
    async with request.app.state.pool.connection() as conn:
        rows = await fetch(conn, period.start, period.end, period.store)
        store_list = await stores.list_stores(conn)
        await conn.rollback()
    if period.csv and not period.errors:
        return csv_response(name, columns, rows)
    return html(template, status_code=422 if period.errors else 200, title=title, user=user, nav=NAV,
                path=request.url.path, period=period, rows=rows, stores=store_list,
                totals=reports.totals_by_currency(rows, *total_fields) if total_fields else [])


class PageController(Controller):
    path = "/"
    include_in_schema = False

    @get("/static/hq.css")
    async def css(self) -> Response:
        text = resources.files("cloud_bridge.hq").joinpath("static/hq.css").read_text(encoding="utf-8")
        return Response(text, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    @get("/login")
    async def login_form(self, request: Request) -> Response:
        return html("login.html", title="Sign in", user=None, nav=[], path="/login", errors={}, values={},
                    next=_safe_next(request.query_params.get("next")))

    @post("/login")
    async def login(self, request: Request) -> Response:
        data = await form_of(request)
        settings = request.app.state.settings
        username, password = (data.get("username") or "").strip(), data.get("password") or ""
        nxt = _safe_next(data.get("next"))
        errors = {}
        if not username:
            errors["username"] = "Enter your username."
        if not password:
            errors["password"] = "Enter your password."
        if not errors:
            try:
                async with request.app.state.pool.connection() as conn:
                    async with conn.transaction():
                        token, _user, _exp = await users.login(conn, username[:64], password[:256],
                                                               settings.session_hours)
            except HQError:
                errors["password"] = "Wrong username or password."
        if errors:
            return html("login.html", status_code=401 if "password" in errors and username and password else 422,
                        title="Sign in", user=None, nav=[], path="/login", errors=errors,
                        values={"username": username}, next=nxt)
        response = Redirect(nxt, status_code=303)
        response.set_cookie(users.SESSION_COOKIE, token, httponly=True, samesite="strict", path="/",
                            secure=settings.secure_cookies, max_age=settings.session_hours * 3600)
        return response

    @post("/logout")
    async def logout(self, request: Request) -> Response:
        token = request.cookies.get(users.SESSION_COOKIE)
        if token:
            async with request.app.state.pool.connection() as conn:
                async with conn.transaction():
                    await users.logout(conn, token)
        response = Redirect("/login", status_code=303)
        response.delete_cookie(users.SESSION_COOKIE, path="/")
        return response

    @get("/")
    async def sales(self, request: Request) -> Response:
        return await _report(request, "sales.html", "Sales by store and day", reports.sales_by_day,
                             ["store", "business_date", "currency", "sales", "total", "tax", "refunds", "refunded",
                              "corrected", "net"], ("sales", "total", "tax", "refunds", "refunded", "corrected", "net"),
                             "sales-by-day")

    @get("/products")
    async def products(self, request: Request) -> Response:
        return await _report(request, "products.html", "Sales by product", reports.by_product,
                             ["product_id", "code", "name", "store_product", "currency", "stores", "quantity", "net",
                              "tax"],
                             ("net", "tax"), "sales-by-product")

    @get("/categories")
    async def categories(self, request: Request) -> Response:
        return await _report(request, "categories.html", "Sales by category", reports.by_category,
                             ["category_id", "category", "currency", "stores", "quantity", "net", "tax"],
                             ("net", "tax"), "sales-by-category")

    @get("/margin")
    async def margin(self, request: Request) -> Response:
        return await _report(request, "margin.html", "Margin", reports.margin,
                             ["store", "currency", "revenue", "cost_currency", "cost", "margin", "margin_bp"],
                             (), "margin")

    @get("/stock")
    async def stock(self, request: Request) -> Response:
        async def fetch(conn: Any, _start: date, _end: date, store: str | None) -> list[dict[str, Any]]:
            return await reports.stock(conn, store)

        return await _report(request, "stock.html", "Stock by store", fetch,
                             ["store", "product_id", "sku", "name", "store_product", "on_hand"], (), "stock")

    @get("/health")
    async def health(self, request: Request) -> Response:
        user = await page_user(request)
        if user is None:
            return to_login(request)
        async with request.app.state.pool.connection() as conn:
            rows = await reports.health(conn)
            await conn.rollback()
        if request.query_params.get("format") == "csv":
            flat = [{**r, "hub_version": (r["versions"] or {}).get("hub"), "schema_version": (r["versions"] or {}).get("schema"),
                     "fiscal_day": (r["fiscal"] or {}).get("day_status"), "fiscal_queue": (r["fiscal"] or {}).get("queue")}
                    for r in rows]
            return csv_response("store-health", ["store", "name", "hub_id", "last_contact", "backlog", "oldest_unsent_at",
                                                 "acked_through", "fiscal_day", "fiscal_queue", "hub_version",
                                                 "schema_version", "last_error"], flat)
        return html("health.html", title="Store health", user=user, nav=NAV, path="/health", rows=rows)

    @get("/requests")
    async def requests_page(self, request: Request) -> Response:
        user = await page_user(request)
        if user is None:
            return to_login(request)
        return await _requests_page(request, user, {}, {}, 200, request.query_params.get("notice"))

    @post("/requests")
    async def queue(self, request: Request) -> Response:
        data = await form_of(request)
        user = await page_user(request)
        if user is None:
            return to_login(request)
        values = {k: (data.get(k) or "").strip()[:200] for k in ("store", "kind", "from_seq", "name", "from", "to")}
        errors: dict[str, str] = {}
        params: dict[str, Any] = {}
        if values["kind"] == "resend":
            if not values["from_seq"].isdigit() or not 1 <= int(values["from_seq"]) <= 2**62:
                errors["from_seq"] = "a seq from 1"
            else:
                params["from_seq"] = int(values["from_seq"])
        elif values["kind"] == "report":
            if not values["name"]:
                errors["name"] = "the report's name"
            for key in ("from", "to"):
                try:
                    date.fromisoformat(values[key])
                except ValueError:
                    errors[key] = "a date such as 2026-11-26"
            params = {"name": values["name"], "from": values["from"], "to": values["to"]}
        elif values["kind"] != "doctor":
            errors["kind"] = "resend, report or doctor"
        async with request.app.state.pool.connection() as conn:
            async with conn.transaction():
                store = None
                try:
                    store = await stores.store_by_code(conn, values["store"])
                except HQError:
                    errors["store"] = "choose a store"
                if not errors:
                    await status.queue_request(conn, store["id"], values["kind"], params, user.username)
        if errors:
            return await _requests_page(request, user, errors, values, 422, None)
        return Redirect(f"/requests?notice={quote('Request queued for ' + values['store'])}", status_code=303)


async def _requests_page(request: Request, user: users.HQUser, errors: dict[str, str], values: dict[str, str],
                         status_code: int, notice: str | None) -> Response:
    async with request.app.state.pool.connection() as conn:
        rows = await reports.requests(conn)
        store_list = await stores.list_stores(conn)
        await conn.rollback()
    return html("requests.html", status_code=status_code, title="Requests", user=user, nav=NAV, path="/requests",
                rows=rows, stores=store_list, errors=errors, values=values, notice=(notice or "")[:200])


async def form_of(request: Request) -> dict[str, str]:
    """A form's fields (the last value of each), as text."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _safe_next(value: str | None) -> str:
    """Only a path of this site (never //host or a scheme): no open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value[:300]
    return "/"


class StoresPage(Controller):
    """The chain's stores: an admin makes one and hands out enrolment codes (or files) for it."""

    path = "/stores"
    include_in_schema = False

    @get("/")
    async def list_page(self, request: Request) -> Response:
        user = await page_user(request)
        if user is None:
            return to_login(request)
        return await _stores_page(request, user, {}, {}, 200, None)

    @post("/")
    async def create(self, request: Request) -> Response:
        user = await page_user(request)
        if user is None:
            return to_login(request)
        data = await form_of(request)
        values = {k: (data.get(k) or "").strip()[:200] for k in ("code", "name", "time_zone", "currencies")}
        if not user.is_admin:
            return await _stores_page(request, user, {"code": "only an HQ admin makes stores"}, values, 403, None)
        currencies = [c.strip().upper() for c in values["currencies"].replace(";", ",").split(",") if c.strip()]
        try:
            async with request.app.state.pool.connection() as conn:
                async with conn.transaction():
                    await stores.create_store(conn, values["code"], values["name"], values["time_zone"], currencies)
        except HQError as err:
            errors = {e["field"]: e["message"] for e in getattr(err, "errors", [])} or {"code": err.detail}
            return await _stores_page(request, user, errors, values, err.status, None)
        return Redirect(f"/stores?notice={quote('Store ' + values['code'] + ' made')}", status_code=303)

    @post("/{code:str}/enrolment")
    async def enrolment(self, request: Request, code: FromPath[str]) -> Response:
        user = await page_user(request)
        if user is None:
            return to_login(request)
        if not user.is_admin:
            return await _stores_page(request, user, {"enrolment": "only an HQ admin hands out codes"}, {}, 403, None)
        async with request.app.state.pool.connection() as conn:
            async with conn.transaction():
                try:
                    store = await stores.store_by_code(conn, code)
                except HQError:
                    return await _stores_page(request, user, {"enrolment": "no such store"}, {}, 404, None)
                made = await hubs.create_code(conn, store["id"], user.username)
        return await _stores_page(request, user, {}, {}, 201, None, made={**made, "store_code": code})

    @get("/{code:str}/soko-enrol.json")
    async def enrolment_file(self, request: Request, code: FromPath[str]) -> Response:
        user = await page_user(request)
        if user is None:
            return to_login(request)
        wanted = hubs.normalise_code(request.query_params.get("code") or "")
        async with request.app.state.pool.connection() as conn:
            row = await (await conn.execute(
                "SELECT c.code FROM enrolment_codes c JOIN stores s ON s.id = c.store_id WHERE s.code = %s"
                " AND c.code = %s AND c.used_at IS NULL AND c.expires_at > now()", (code, wanted))).fetchone()
            await conn.rollback()
        if row is None or not user.is_admin:
            return html("base.html", status_code=404, title="No such enrolment code", user=user, nav=NAV,
                        path="/stores")
        body = json.dumps({"hq_url": request.app.state.settings.public_url, "code": row["code"],
                           "store_code": code}, indent=2)
        return Response(body, media_type="application/json",
                        headers={"Content-Disposition": 'attachment; filename="soko-enrol.json"',
                                 "Cache-Control": "no-store"})


async def _stores_page(request: Request, user: users.HQUser, errors: dict[str, str], values: dict[str, str],
                       status_code: int, notice: str | None, made: dict[str, Any] | None = None) -> Response:
    async with request.app.state.pool.connection() as conn:
        rows = await reports.health(conn)
        store_list = {s["code"]: s for s in await stores.list_stores(conn)}
        await conn.rollback()
    for r in rows:
        r.update({k: store_list[r["store"]][k] for k in ("time_zone", "currencies")})
    return html("stores.html", status_code=status_code, title="Stores", user=user, nav=NAV, path="/stores",
                rows=rows, errors=errors, values=values, made=made,
                notice=(notice or request.query_params.get("notice") or "")[:200])


PAGE_CONTROLLERS = [PageController, StoresPage]
