import logging
import time

import httpx
from litestar import get, post
from litestar.testing import TestClient

import hub
from hub import app as app_module
from hub.app import create_app
from hub.db.connection import DatabaseCorruptError, DatabaseError


def test_health_reports_identity_and_database(hub):
    r = hub.client().get("/api/v1/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["database"]["ok"] is True
    assert body["version"] == hub_version()
    assert (body["hub_id"], body["store_id"], body["epoch"]) == (
        hub.store.hub_id, hub.store.store_id, hub.store.epoch)
    assert body["demo"] is True and body["uptime_s"] >= 0


def hub_version():
    return hub.__version__


def test_every_response_carries_a_request_id_that_the_log_line_repeats(hub, caplog):
    caplog.set_level(logging.INFO, logger="hub.access")
    r = hub.client().get("/api/v1/no-such-thing")
    request_id = r.headers["x-request-id"]
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["request_id"] == request_id and body["code"] == "not_found" and body["status"] == 404
    # The access line is written once the response has gone out, so it may trail the client.
    deadline = time.monotonic() + 5
    while True:
        lines = [rec for rec in caplog.records if getattr(rec, "request_id", None) == request_id]
        if lines or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert len(lines) == 1 and "/api/v1/no-such-thing 404" in lines[0].getMessage()


def test_a_sane_incoming_request_id_is_kept(hub):
    r = hub.client().get("/api/v1/health", headers={"X-Request-ID": "till-7-req-00042"})
    assert r.headers["x-request-id"] == "till-7-req-00042"
    r = hub.client().get("/api/v1/health", headers={"X-Request-ID": "bad id\twith junk"})
    assert r.headers["x-request-id"] != "bad id\twith junk"


def test_oversized_body_is_refused_with_a_problem(hub):
    big = b"{" + b" " * (hub.server.settings.max_body_bytes + 10) + b"}"
    r = hub.client().post("/api/v1/auth/login", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"


def test_openapi_is_3_1_and_every_operation_states_its_access(hub):
    doc = hub.client().get("/schema/openapi.json", timeout=300).json()  # every handler is finished first
    assert doc["openapi"].startswith("3.1")
    operations = [(p, m, op) for p, item in doc["paths"].items() for m, op in item.items()
                  if m in ("get", "post", "put", "patch", "delete")]
    assert operations
    for path, method, op in operations:
        assert "x-permission" in op, f"{method} {path} has no access rule"
        assert ("security" in op) and (op["security"] == [] if op["x-permission"] == "public" else op["security"])


def test_api_docs_page_works_offline(hub):
    r = hub.client().get("/api/docs")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "/api/v1/health" in r.text
    assert "<script" not in r.text and "http://" not in r.text and "https://" not in r.text
    # Litestar's CDN-backed UIs and its own schema routes are not served.
    for path in ("/schema/swagger", "/schema", "/schema/_litestar/openapi.json", "/schema/_litestar/x"):
        assert hub.client().get(path).status_code == 404, path


def test_a_route_without_an_access_rule_is_refused(settings, demo_store, monkeypatch):
    @get("/api/v1/forgotten", sync_to_thread=False)
    def forgotten() -> dict:
        return {"leak": True}

    real = app_module.api_handlers
    monkeypatch.setattr(app_module, "api_handlers", lambda: [*real(), forgotten])
    with TestClient(create_app(settings)) as client:
        r = client.get("/api/v1/forgotten")
    assert r.status_code == 403 and r.json()["code"] == "undeclared_access"


def start_error(app) -> BaseException:
    """Start the app and return the exception its lifespan raised (TestClient wraps it in a group)."""
    try:
        with TestClient(app):
            pass
    except BaseException as err:  # noqa: BLE001 - unwrapping is the point
        while isinstance(err, BaseExceptionGroup) and len(err.exceptions) == 1:
            err = err.exceptions[0]
        return err
    raise AssertionError("the app started")


def test_start_refuses_a_missing_database(settings):
    err = start_error(create_app(settings))
    assert isinstance(err, DatabaseError) and "soko-hub init" in str(err)
    assert not settings.db_path.exists()


def test_start_refuses_a_corrupt_database_and_leaves_it_alone(settings):
    settings.db_path.parent.mkdir(parents=True)
    garbage = b"SQLite format 3\x00" + b"\x13" * 8000
    settings.db_path.write_bytes(garbage)
    assert isinstance(start_error(create_app(settings)), DatabaseCorruptError)
    assert settings.db_path.read_bytes() == garbage


def test_subsystems_start_in_order_and_stop_in_reverse(settings, demo_store):
    from hub.subsystems import DatabaseSubsystem

    events = []

    class Fake:
        def __init__(self, name):
            self.name = name

        async def start(self, state):
            events.append(("start", self.name))

        async def stop(self):
            events.append(("stop", self.name))

    parts = [DatabaseSubsystem(settings), Fake("drivers"), Fake("discovery"), Fake("bridge")]
    with TestClient(create_app(settings, subsystems=parts)) as client:
        assert client.get("/api/v1/health").status_code == 200
    assert events == [("start", "drivers"), ("start", "discovery"), ("start", "bridge"),
                      ("stop", "bridge"), ("stop", "discovery"), ("stop", "drivers")]


def test_a_failing_subsystem_stops_those_already_started(settings, demo_store):
    stopped = []

    class Ok:
        name = "ok"

        async def start(self, state):
            pass

        async def stop(self):
            stopped.append("ok")

    class Broken:
        name = "broken"

        async def start(self, state):
            raise RuntimeError("printer bus on fire")

        async def stop(self):
            stopped.append("broken")

    err = start_error(create_app(settings, subsystems=[Ok(), Broken()]))
    assert "on fire" in str(err)
    assert stopped == ["ok"]


def test_app_factory_does_no_io_until_started(settings):
    create_app(settings)  # no database exists: building must not touch it
    assert not settings.data_path.exists()


def test_uncaught_error_becomes_a_problem_without_internals(settings, demo_store, monkeypatch):
    from hub.auth.access import public

    @post("/api/v1/explode", opt=public(), sync_to_thread=False)
    def explode() -> None:
        raise KeyError("secret internal detail")

    real = app_module.api_handlers
    monkeypatch.setattr(app_module, "api_handlers", lambda: [*real(), explode])
    with TestClient(create_app(settings)) as client:
        r = client.post("/api/v1/explode")
    assert r.status_code == 500
    body = r.json()
    assert body["code"] == "internal_error" and "secret internal detail" not in r.text
    assert body["request_id"] == r.headers["x-request-id"]
