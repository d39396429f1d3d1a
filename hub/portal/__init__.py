"""The back-office portal: server-rendered pages beside the API, served by the same app.

`portal_handlers()` lists every portal page controller (each a PortalController: CSRF guard,
security headers) and the static files; `template_config()` is its Jinja set-up; `portal_aware`
turns the app's error handlers into HTML pages off the API paths. Nothing is imported until create_app
asks, so importing hub.app stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

STATIC_DIR = Path(__file__).parent / "static"
STATIC_MAX_AGE_S = 3600


def portal_handlers() -> list[Any]:
    """Every portal page controller (found through hub.portal.registry) and /static."""
    from litestar.datastructures import CacheControlHeader
    from litestar.static_files import create_static_files_router

    from hub.auth.access import public
    from hub.portal import registry
    from hub.portal.login import LoginController

    static = create_static_files_router(
        path="/static", directories=[STATIC_DIR], opt=public(), include_in_schema=False,
        cache_control=CacheControlHeader(max_age=STATIC_MAX_AGE_S))
    return [LoginController, *registry.routes(), static]


def template_config() -> Any:
    from hub.portal.templating import template_config as config

    return config()


def portal_aware(handlers: dict[Any, Any]) -> dict[Any, Any]:
    from hub.portal.errors import portal_aware as wrap

    return wrap(handlers)
