"""Litestar, doing at build time only the part of each route handler's set-up that routing needs.

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

Two things grew with the square of the route count: Litestar rebuilt the routing trie after
every controller registered, and looked up each new path's handlers by mapping every route
registered so far. Here the trie is built once, when the app is, and a path's HTTP route is found
in a mapping kept as routes are added. And a controller's handlers are copied for the app as
`copy.deepcopy` would copy them, without walking the dozens of values in each that cannot change
(None, flags, strings, Litestar's Empty), which was a third of what remained.

Litestar also builds every controller's routes twice: its router makes a route (and an OPTIONS
handler) for each path, and the app then makes its own route from those handlers and drops the
router's. Here the controller's router keeps the controller's layers and owns its handlers, as in
Litestar, but the app makes each path's route, and its OPTIONS handler, directly from the handlers
(a fifth of the build).
"""

from __future__ import annotations

import copy
import enum
import functools
import types
import warnings
from collections.abc import Iterator, Mapping
from operator import attrgetter
from typing import Any

from litestar import Controller, Litestar, Router
from litestar._asgi.utils import get_route_handlers
from litestar.exceptions import ImproperlyConfiguredException
from litestar.handlers.base import BaseRouteHandler
from litestar.handlers.http_handlers import HTTPRouteHandler
from litestar.handlers.websocket_handlers import WebsocketRouteHandler
from litestar.routes import ASGIRoute, BaseRoute, HTTPRoute, WebSocketRoute
from litestar.types import ControllerRouterHandler
from litestar.types.internal_types import RouteHandlerMapItem
from litestar.utils import is_class_and_subclass, join_paths, unique
from litestar.utils.predicates import is_async_callable
from litestar.utils.sync import ensure_async_callable


class App(Litestar):
    """A Litestar app whose HTTP route handlers are finished on first use (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._building = True  # registering the handlers given here: one trie after them all
        self._http_routes: dict[str, HTTPRoute] = {}  # path -> its HTTP route
        super().__init__(*args, **kwargs)
        self._building = False
        self.asgi_router.construct_routing_trie()

    @property
    def route_handler_method_map(self) -> Mapping[str, RouteHandlerMapItem]:  # type: ignore[override]
        return _HandlersByPath(self.routes)

    def _validate_registration_value(self, value: Any) -> Any:
        if is_class_and_subclass(value, Controller):
            controller = value(owner=self)
            if hasattr(controller, "__dict__"):  # as_router() then takes the handlers from here
                controller.get_route_handlers = types.MethodType(_controller_handlers, controller)
            return controller.as_router()
        return super()._validate_registration_value(value)

    def register(self, value: ControllerRouterHandler) -> None:  # type: ignore[override]
        # Litestar.register, with on_registration and create_handler_map split as described above.
        handler_map = _controller_handler_map(self, value) if is_class_and_subclass(value, Controller) else None
        if handler_map is not None:
            routes = self._add_routes(handler_map)
        else:
            routes = Router.register(self, value=value)
            self._http_routes.update((r.path, r) for r in routes if isinstance(r, HTTPRoute))
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
        if not self._building:
            self.asgi_router.construct_routing_trie()

    def _add_routes(self, handler_map: dict[str, dict[str, Any]]) -> list[BaseRoute]:
        """Router.register's loop over a handler map, finding a path's HTTP route in `_http_routes`."""
        routes: list[BaseRoute] = []
        for route_path, handlers_map in handler_map.items():
            path = join_paths([self.path, route_path])
            if http_handlers := unique([h for h in handlers_map.values() if isinstance(h, HTTPRouteHandler)]):
                existing = self._http_routes.get(path)
                if existing is not None:  # another registration's handlers on this path: one route
                    http_handlers.extend(unique(existing.route_handlers))
                    route: BaseRoute = HTTPRoute(path=path, route_handlers=http_handlers)
                    self.routes[self.routes.index(existing)] = route
                else:
                    route = HTTPRoute(path=path, route_handlers=http_handlers)
                    self.routes.append(route)
                self._http_routes[path] = route  # type: ignore[assignment]
                routes.append(route)
            if websocket_handler := handlers_map.get("websocket"):
                route = WebSocketRoute(path=path, route_handler=websocket_handler)
                self.routes.append(route)
                routes.append(route)
            if asgi_handler := handlers_map.get("asgi"):
                route = ASGIRoute(path=path, route_handler=asgi_handler)
                self.routes.append(route)
                routes.append(route)
        return routes


def _controller_handler_map(app: App, value: type[Controller]) -> dict[str, dict[str, Any]] | None:
    """What Litestar's router for the controller would map (path -> method or kind -> handler),
    made without building the router's routes; None for a controller that cannot take the hub's
    handler copies (it has no __dict__), which Litestar then registers as it would."""
    controller = value(owner=app)
    if not hasattr(controller, "__dict__"):
        return None
    handlers = _controller_handlers(controller)
    controller.get_route_handlers = lambda: []  # type: ignore[method-assign]
    router = controller.as_router()  # the controller's layers, owned by the app; its routes stay empty
    handler_map: dict[str, dict[str, Any]] = {}
    http: dict[str, list[HTTPRouteHandler]] = {}
    for handler in handlers:
        handler.owner = router  # as Router.register sets it
        for handler_path in handler.paths:
            path = join_paths([router.path, handler_path])
            methods = handler_map.setdefault(path, {})
            if isinstance(handler, HTTPRouteHandler):
                http[path] = [handler, *http.get(path, ())]  # Litestar puts a later handler first
            else:
                methods["websocket" if isinstance(handler, WebsocketRouteHandler) else "asgi"] = handler
    for path, listed in http.items():
        methods = handler_map[path]
        for handler in listed:
            methods.update(dict.fromkeys(handler.http_methods, handler))
    return handler_map


class _HandlersByPath(Mapping[str, RouteHandlerMapItem]):
    """Router.route_handler_method_map, worked out only for the paths asked for."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self._routes = routes

    def __getitem__(self, path: str) -> RouteHandlerMapItem:
        found: dict[str, Any] = {}
        for route in self._routes:
            if route.path != path:
                continue
            if isinstance(route, HTTPRoute):
                for handler in route.route_handlers:
                    for method in handler.http_methods:
                        found[method] = handler
            else:
                kind = "websocket" if isinstance(route, WebSocketRoute) else "asgi"
                found[kind] = route.route_handler  # type: ignore[attr-defined]
        if not found:
            raise KeyError(path)
        return found  # type: ignore[return-value]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(route.path for route in self._routes))

    def __len__(self) -> int:
        return len({route.path for route in self._routes})


def _controller_handlers(controller: Controller) -> list[BaseRouteHandler]:
    """Controller.get_route_handlers, each handler copied by `_copy` instead of copy.deepcopy."""
    inherited = set(dir(Controller))
    found = [getattr(controller, name) for name in dir(controller)
             if name not in inherited and isinstance(getattr(controller, name), BaseRouteHandler)]
    found.sort(key=attrgetter("handler_id"))
    handlers = []
    for handler in found:
        handler = _copy(handler)
        # unbound on the class: bind it to this controller, as Litestar does
        handler._fn = types.MethodType(handler._fn, controller)
        handler.owner = controller
        handlers.append(handler)
    controller.validate_route_handlers(route_handlers=handlers)
    return handlers


_KEPT = frozenset({type(None), bool, int, float, str, bytes, type, types.FunctionType,
                   types.BuiltinFunctionType})


def _copy(handler: BaseRouteHandler) -> BaseRouteHandler:
    """copy.deepcopy(handler): the same reconstruction, but a value deepcopy would return as it is
    (None, a flag, a string, a class, a function, an enum member such as Empty) is kept without
    asking, and a set of strings is copied as a set."""
    memo: dict[int, Any] = {}
    rebuild, args, state = handler.__reduce_ex__(4)[:3]
    new = rebuild(*args)
    memo[id(handler)] = new
    attributes, slots = state if isinstance(state, tuple) else (state, None)
    for name, value in (*(attributes or {}).items(), *(slots or {}).items()):
        if type(value) in _KEPT or isinstance(value, enum.Enum):
            copied = value
        elif type(value) is set and all(type(item) is str for item in value):
            copied = set(value)
        else:
            copied = copy.deepcopy(value, memo)
        setattr(new, name, copied)
    return new


def finish_all(app: Litestar) -> None:
    """Finish every handler not yet called: before the OpenAPI document is made, and in tests."""
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler, model in list(route.route_handler_map.values()):
                if isinstance(model, _Unfinished):
                    model.finish()


def _resolve_layers(handler: HTTPRouteHandler) -> None:
    """HTTPRouteHandler.on_registration without what reads the signature (`_Unfinished.finish`)."""
    handler.resolve_dependencies()
    if handler.resolve_guards():
        handler.__class__ = _reading_guards(type(handler))
    handler.resolve_middleware()
    handler.resolve_opts()
    handler.resolve_after_response()
    handler.resolve_include_in_schema()
    handler.has_sync_callable = not is_async_callable(handler.fn)
    if handler.has_sync_callable and handler.sync_to_thread:
        handler._fn = ensure_async_callable(handler.fn)
        handler.has_sync_callable = False


async def _authorize_connection(handler: BaseRouteHandler, connection: Any) -> None:
    """BaseRouteHandler.authorize_connection without its copy of the handler for each guard.

    Litestar copies so that a guard cannot change the handler; the hub's one guard
    (hub.auth.identity.access_guard) only reads it, and the copy cost a tenth of a barcode
    lookup's time on every request."""
    for guard in handler.resolve_guards():
        await guard(connection, handler)


@functools.cache
def _reading_guards(cls: type[HTTPRouteHandler]) -> type[HTTPRouteHandler]:
    """`cls` with _authorize_connection; the same memory layout, so a handler can become one.
    (Litestar warns when its decorator classes are subclassed by users; this one is internal.)"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return type(cls.__name__, (cls,), {"__slots__": (), "__module__": cls.__module__,
                                           "__qualname__": cls.__qualname__,
                                           "authorize_connection": _authorize_connection})


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
