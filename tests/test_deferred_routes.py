"""Route handlers finished on first use (hub._deferred_routes) end up exactly as Litestar makes them,
and every handler of the app passes Litestar's checks, as it had to when they ran at start-up."""

from __future__ import annotations

from typing import Any

import httpx
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

import hub.app
from hub._deferred_routes import App, _Unfinished, finish_all
from hub.app import create_app


def _params(params: Any) -> list[tuple[Any, ...]]:
    return sorted((p.field_name, p.field_alias, p.is_required, p.is_sequence, str(p.param_type)) for p in params)


def what_litestar_made(app: Litestar) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(path, method) -> the handler's resolved settings, signature model and parameter model."""
    made = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, model) in route.route_handler_map.items():
            assert not isinstance(model, _Unfinished), (route.path, method)
            signature = handler.signature_model
            made[(route.path, method)] = (
                str(handler), sorted(handler.http_methods), handler.media_type, handler.status_code,
                handler.opt, handler.has_sync_callable, sorted(handler.resolve_dependencies()),
                handler.resolve_include_in_schema(), repr(handler.resolve_data_dto()),
                repr(handler.resolve_return_dto()), repr(handler.parsed_fn_signature.return_type.annotation),
                signature.__struct_fields__, {k: repr(v) for k, v in signature.__annotations__.items()},
                bool(model.has_kwargs), model.is_data_optional, sorted(model.expected_reserved_kwargs),
                _params(model.expected_path_params), _params(model.expected_query_params),
                _params(model.expected_header_params), _params(model.expected_cookie_params),
                sorted(model.sequence_query_parameter_names), repr(model.expected_form_data),
                repr(model.expected_msgpack_data), repr(model.expected_data_dto),
                [sorted(d.key for d in batch) for batch in model.dependency_batches],
            )
    return made


def test_every_handler_finishes_as_litestar_would_have_made_it_at_start(settings, monkeypatch):
    deferred = create_app(settings, subsystems=[])
    assert isinstance(deferred, App)
    finish_all(deferred)
    monkeypatch.setattr(hub.app, "App", Litestar)  # Litestar's own, everything done while building
    eager = create_app(settings, subsystems=[])
    assert type(eager) is Litestar
    assert what_litestar_made(deferred) == what_litestar_made(eager)


def test_a_handler_is_finished_by_its_first_call_and_only_it(hub):
    app = hub.server.app
    health = next(r for r in app.routes if r.path == "/api/v1/health")
    login = next(r for r in app.routes if r.path == "/api/v1/auth/login")
    assert isinstance(login.route_handler_map["POST"][1], _Unfinished)  # no one has logged in yet
    assert hub.client().get("/api/v1/health").status_code == 200
    assert not isinstance(health.route_handler_map["GET"][1], _Unfinished)
    assert isinstance(health.route_handler_map["OPTIONS"][1], _Unfinished)
    assert isinstance(login.route_handler_map["POST"][1], _Unfinished)


def test_routing_does_not_wait_for_handlers_to_be_finished(hub):
    app = hub.server.app
    with httpx.Client(base_url=hub.server.url, timeout=10) as client:
        assert client.delete("/api/v1/auth/login").status_code == 405
        assert client.get("/api/v1/auth/login-nowhere").status_code == 404
    login = next(r for r in app.routes if r.path == "/api/v1/auth/login")
    assert all(isinstance(model, _Unfinished) for _handler, model in login.route_handler_map.values())


def test_two_apps_share_no_mutable_state_in_their_handlers(settings):
    """A controller's handlers are copied for each app (as copy.deepcopy would): tests build many."""
    first, second = create_app(settings, subsystems=[]), create_app(settings, subsystems=[])
    shared = []
    def handlers(route: Any) -> list[Any]:  # an HTTP route has several, a WebSocket route one
        return list(getattr(route, "route_handlers", None) or [route.route_handler])

    for route_a, route_b in zip(first.routes, second.routes, strict=True):
        for a, b in zip(handlers(route_a), handlers(route_b), strict=True):
            assert a is not b
            for name in (n for cls in type(a).__mro__ for n in getattr(cls, "__slots__", ())):
                value = getattr(a, name, None)
                if isinstance(value, (dict, list, set)) and value is getattr(b, name, None):
                    shared.append((route_a.path, str(a), name))
    assert not shared


def test_the_access_guard_reads_the_route_handler_itself_not_a_copy(settings, monkeypatch):
    """Litestar copies the handler for each guard call; the hub's guard only reads it, so the
    hub's handlers skip the copy (hub._deferred_routes._authorize_connection)."""
    seen = []

    async def spy(connection: Any, handler: Any) -> None:
        seen.append(handler)

    monkeypatch.setattr(hub.app, "access_guard", spy)
    app = create_app(settings, subsystems=[])
    with TestClient(app) as client:
        assert client.get("/api/docs").status_code == 200
    (docs,) = [h for r in app.routes if r.path == "/api/docs" for h in r.route_handlers if "GET" in h.http_methods]
    assert seen and all(h is docs for h in seen)
