"""The API contract: access rules written into OpenAPI, and an offline page that lists it.

Litestar's bundled doc UIs load JavaScript from a CDN and do not render offline, so the hub
serves `/schema/openapi.json` and a plain server-rendered index at `/api/docs` instead.
"""

from __future__ import annotations

import html
from typing import Any

from litestar import Controller, Litestar, Request, get
from litestar.response import Response
from litestar.routes import HTTPRoute

from hub.auth.access import ACCESS_KEY, AUTHENTICATED, PUBLIC, public


def access_rule(app: Litestar, path: str, method: str) -> str | None:
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path_format == path:
            for handler in route.route_handlers:
                if method.upper() in handler.http_methods:
                    return handler.opt.get(ACCESS_KEY)
    return None


def openapi_document(app: Litestar) -> dict[str, Any]:
    """The dict Litestar serves at /schema/openapi.json (built once, then cached by Litestar)."""
    # Litestar keeps its OpenAPI plugin in a private module; find it by what it provides.
    plugin = next(p for p in app.plugins.init if hasattr(p, "provide_openapi_schema"))
    return plugin.provide_openapi_schema()


def annotate_access(app: Litestar) -> None:
    """Write each operation's access rule into the served OpenAPI document.

    Every operation gets `x-permission` (a permission name, `public` or `authenticated`),
    `security` and a sentence in its description, so the Flutter app's developers see what each
    call needs.
    """
    document = openapi_document(app)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "delete", "patch") or "x-permission" in operation:
                continue
            rule = access_rule(app, path, method)
            if rule is None:
                continue
            note = {PUBLIC: "Access: public (no authentication).",
                    AUTHENTICATED: "Access: any signed-in user."}.get(rule, f"Access: permission `{rule}`.")
            operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()
            operation["security"] = [] if rule == PUBLIC else [{"bearer": []}]
            operation["x-permission"] = rule


class ApiDocsController(Controller):
    path = "/api/docs"
    include_in_schema = False

    @get(opt=public(), media_type="text/html")
    async def index(self, request: Request) -> Response:
        document = openapi_document(request.app)
        rows: list[str] = []
        for path, item in sorted(document.get("paths", {}).items()):
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
