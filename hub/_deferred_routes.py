"""Litestar, with each HTTP route handler's checks and parameter model made when it is first called.

Litestar does three things for every route handler while the app is built: it resolves the
handler's layers (guards, dependencies, opt, middleware), it reads and checks the function's
signature (annotations evaluated, return type and status code checked, a default media type set,
DTOs looked up) and it builds the model that turns a request into the function's arguments. The
last two are most of the work, about half a millisecond per handler on the benchmark machine
and several times that on a Pi, and the hub has hundreds of handlers (every path also gets an
OPTIONS handler), so start-up grew with every page added. Here the layers are still resolved
and every route is in the router when the app is built, so routing, 404/405 and access rules
are decided as before; the signature and the parameter model of a handler are made on its first
call, or for all of them by `finish_all` (the OpenAPI document does that, and a test does it for
every handler so a wrong signature still fails the build). Finished, a handler is exactly what
Litestar makes (tests/test_deferred_routes.py).
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Router
from litestar._asgi.utils import get_route_handlers
from litestar.exceptions import ImproperlyConfiguredException
from litestar.handlers.http_handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute, WebSocketRoute
from litestar.types import ControllerRouterHandler
from litestar.utils.predicates import is_async_callable
from litestar.utils.sync import ensure_async_callable


class App(Litestar):
    """A Litestar app whose HTTP route handlers are finished on first use (see the module)."""

    def register(self, value: ControllerRouterHandler) -> None:  # type: ignore[override]
        # Litestar.register, with on_registration and create_handler_map split as described above.
        routes = Router.register(self, value=value)
        for route in routes:
            if isinstance(route, HTTPRoute):
                for handler in route.route_handlers:
                    _resolve_layers(handler)
                    pending = _Unfinished(route, handler)
                    for method in handler.http_methods:
                        if route.route_handler_map.get(method):
                            raise ImproperlyConfiguredException(  # Litestar's words
                                f"Handler already registered for path {route.path!r} "
                                f"and http method {method}")
                        route.route_handler_map[method] = (handler, pending)  # type: ignore[assignment]
            else:
                for handler in get_route_handlers(route):
                    handler.on_registration(self)
                if isinstance(route, WebSocketRoute):
                    route.handler_parameter_model = route.route_handler.create_kwargs_model(
                        path_parameters=route.path_parameters)
            for plugin in self.plugins.receive_route:
                plugin.receive_route(route)
        self.asgi_router.construct_routing_trie()


def finish_all(app: Litestar) -> None:
    """Finish every handler not yet called: before the OpenAPI document is made, and in tests."""
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler, model in list(route.route_handler_map.values()):
                if isinstance(model, _Unfinished):
                    model.finish()


def _resolve_layers(handler: HTTPRouteHandler) -> None:
    """HTTPRouteHandler.on_registration without what reads the signature (done by `_finish`)."""
    handler.resolve_dependencies()
    handler.resolve_guards()
    handler.resolve_middleware()
    handler.resolve_opts()
    handler.resolve_after_response()
    handler.resolve_include_in_schema()
    handler.has_sync_callable = not is_async_callable(handler.fn)
    if handler.has_sync_callable and handler.sync_to_thread:
        handler._fn = ensure_async_callable(handler.fn)
        handler.has_sync_callable = False


class _Unfinished:
    """Stands in for a handler's parameter model (KwargsModel) until first used, then is it."""

    __slots__ = ("_route", "_handler", "_model")

    def __init__(self, route: HTTPRoute, handler: HTTPRouteHandler) -> None:
        self._route = route
        self._handler = handler
        self._model: Any = None

    def finish(self) -> Any:
        if self._model is None:
            handler = self._handler
            # The rest of HTTPRouteHandler.on_registration, then HTTPRoute.create_handler_map.
            handler._validate_handler_function()
            handler.resolve_data_dto()
            handler.resolve_return_dto()
            self._model = handler.create_kwargs_model(path_parameters=self._route.path_parameters)
            for method in handler.http_methods:
                self._route.route_handler_map[method] = (handler, self._model)
        return self._model

    def __getattr__(self, name: str) -> Any:
        return getattr(self.finish(), name)
