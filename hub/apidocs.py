"""The API contract: OpenAPI 3.1 with each route's access rule, and an offline page listing it.

Litestar's bundled doc UIs load JavaScript from a CDN and do not render offline, and its schema
router answers unknown paths with a 200 page. So the hub serves the document itself at
`/schema/openapi.json` and a plain server-rendered index at `/api/docs`; Litestar's own schema
router is mounted out of the way and answers 404 to everything (see `hidden_router`).
"""

from __future__ import annotations

import html
from typing import Any

from litestar import Controller, Litestar, Request, Router, get
from litestar.response import Response
from litestar.routes import HTTPRoute

from hub._deferred_routes import finish_all
from hub.auth.access import ACCESS_KEY, AUTHENTICATED, PUBLIC, hidden, public

LITESTAR_SCHEMA_PATH = "/schema/_litestar"


def hidden_router() -> Router:
    """Where Litestar's own schema routes go: present (Litestar insists) but always 404."""
    return Router(path=LITESTAR_SCHEMA_PATH, route_handlers=[], opt=hidden(), include_in_schema=False)


def access_rule(app: Litestar, path: str, method: str) -> str | None:
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path_format == path:
            for handler in route.route_handlers:
                if method.upper() in handler.http_methods:
                    return handler.opt.get(ACCESS_KEY)
    return None


def build_document(app: Litestar) -> dict[str, Any]:
    """The OpenAPI document, with every operation's access rule written in.

    Each operation gets `x-permission` (a permission name, `public` or `authenticated`),
    `security` and a sentence in its description, so the till app's developers see what each
    call needs.
    """
    finish_all(app)  # the schema reads every handler's signature and default media type
    document = app.openapi_schema.to_schema()
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "delete", "patch"):
                continue
            rule = access_rule(app, path, method)
            if rule is None:
                continue
            note = {PUBLIC: "Access: public (no authentication).",
                    AUTHENTICATED: "Access: any signed-in user."}.get(rule, f"Access: permission `{rule}`.")
            operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()
            # A till sends its device token beside the cashier's bearer token; other clients do not.
            operation["security"] = [] if rule == PUBLIC else [{"bearer": []}, {"bearer": [], "device": []}]
            operation["x-permission"] = rule
    return document


def _document(app: Litestar) -> dict[str, Any]:
    if getattr(app.state, "openapi", None) is None:
        app.state.openapi = build_document(app)
    return app.state.openapi


class ApiDocsController(Controller):
    include_in_schema = False

    @get("/schema/openapi.json", opt=public(), media_type="application/vnd.oai.openapi+json")
    async def openapi(self, request: Request) -> dict[str, Any]:
        return _document(request.app)

    @get("/api/docs", opt=public(), media_type="text/html")
    async def index(self, request: Request) -> Response:
        rows: list[str] = []
        for path, item in sorted(_document(request.app).get("paths", {}).items()):
            for method in ("get", "post", "put", "patch", "delete"):
                op: dict[str, Any] | None = item.get(method)
                if op is None:
                    continue
                rows.append(
                    f"<tr><td>{method.upper()}</td><td><code>{html.escape(path)}</code></td>"
                    f"<td>{html.escape(op.get('x-permission', '?'))}</td>"
                    f"<td>{html.escape(op.get('summary', ''))}</td></tr>"
                )
        body = (
            "<!doctype html><html><head><meta charset=utf-8><title>Soko Hub API</title>"
            "<meta name=viewport content='width=device-width,initial-scale=1'>"
            "<style>body{font:14px system-ui,sans-serif;margin:1.5rem}table{border-collapse:collapse}"
            "td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left}</style></head>"
            "<body><h1>Soko Hub API</h1><p>The contract is <a href='/schema/openapi.json'>"
            "/schema/openapi.json</a> (OpenAPI 3.1). Errors are RFC 9457 problem documents.</p>"
            "<table><tr><th>Method</th><th>Path</th><th>Access</th><th>Summary</th></tr>"
            + "".join(rows) + "</table></body></html>"
        )
        return Response(body, media_type="text/html")
