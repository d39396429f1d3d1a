"""Generated requests for every operation in the OpenAPI contract: the hub never answers 5xx.

Bad input must get a 4xx problem document and change nothing it should not; a 500 here is a bug
(an unbounded integer reaching SQLite, an unhandled shape). Calls are made as the demo admin
and as nobody, over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import threading

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.hubtest import Hub, HubServer, make_demo_store, make_settings

MAX_EXAMPLES = 15
# Logging out or changing the admin's password would end the session the rest relies on.
SKIPPED = {"/api/v1/auth/logout", "/api/v1/auth/me/password"}


def _operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation in the contract, read from the app without serving it,
    so each is its own test with its own time budget as the API grows."""
    import tempfile
    from pathlib import Path

    from hub.apidocs import build_document
    from hub.app import create_app

    with tempfile.TemporaryDirectory() as scratch:
        document = build_document(create_app(make_settings(Path(scratch) / "var"), subsystems=[]))
    return [(method.upper(), path) for path, item in document["paths"].items() for method in item
            if method in ("get", "put", "post", "delete", "patch") and path not in SKIPPED]


OPERATIONS = _operations()


@pytest.fixture
def no_leftover_threads():
    """The hub here lives for the whole module and may start reader threads during any test:
    its threads are checked once, when it stops (see fuzz_hub), instead of after each test."""
    yield


@pytest.fixture(scope="module")
def fuzz_hub(tmp_path_factory):
    before = set(threading.enumerate())
    config = make_settings(tmp_path_factory.mktemp("fuzz") / "var", login_attempts=1000)
    store = make_demo_store(config)
    server = HubServer(config).start()
    running = Hub(server, store)
    running.admin_token = running.login("admin")["access_token"]
    # Building the document finishes every route handler first (hub._deferred_routes): on a busy
    # 2-core machine that can take tens of seconds, which is no failure of the contract.
    running.api = schemathesis.openapi.from_url(f"{running.url}/schema/openapi.json", timeout=300)
    yield running
    running.close()
    server.stop()
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()
                and not t.name.startswith(("asyncio_", "ThreadPoolExecutor"))]
    for t in leftover:
        t.join(2)
    assert not [t.name for t in leftover if t.is_alive()], "the fuzz hub left threads running"


def test_the_contract_has_operations_to_fuzz():
    assert len(OPERATIONS) > 20


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_generated_requests_never_get_a_server_error(fuzz_hub, method, path):
    operation = fuzz_hub.api[path][method]
    headers = {"Authorization": f"Bearer {fuzz_hub.admin_token}"}

    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def call(case):
        case.call_and_validate(base_url=fuzz_hub.url, headers=headers, checks=[not_a_server_error])

    call()


SQLITE_MAX = 2**63 - 1


def _integer_schemas(node, components, path, seen, bounds=None):
    """Yield (where, bounds) for every integer schema reachable from a request schema.

    Litestar writes the bounds of an optional integer beside its oneOf, so they are inherited.
    """
    if isinstance(node, list):
        for i, value in enumerate(node):
            yield from _integer_schemas(value, components, f"{path}[{i}]", seen, bounds)
        return
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            yield from _integer_schemas(components[name], components, f"{path}->{name}", seen)
        return
    own = {k: node[k] for k in ("minimum", "maximum") if k in node}
    merged = {**(bounds or {}), **own}
    kind = node.get("type")
    if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
        yield path, merged
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            yield from _integer_schemas(node[key], components, f"{path}.{key}", seen, merged)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield from _integer_schemas(node[key], components, f"{path}.{key}", seen)
    for name, prop in (node.get("properties") or {}).items():
        yield from _integer_schemas(prop, components, f"{path}.{name}", seen)


def test_every_integer_a_client_can_send_is_bounded(hub):
    """Fuzzing rarely draws a 20-digit number, so check the contract: no unbounded integer input."""
    doc = hub.client().get("/schema/openapi.json", timeout=300).json()  # see fuzz_hub
    components = doc.get("components", {}).get("schemas", {})
    unbounded = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            sources = [(f"{method} {path} param {p['name']}", p.get("schema", {})) for p in op.get("parameters", [])]
            for media in op.get("requestBody", {}).get("content", {}).values():
                sources.append((f"{method} {path} body", media.get("schema", {})))
            for where, schema in sources:
                for spot, integer in _integer_schemas(schema, components, where, set()):
                    if not (-SQLITE_MAX - 1 <= integer.get("minimum", -(2**64)) and
                            integer.get("maximum", 2**64) <= SQLITE_MAX):
                        unbounded.append(spot)
    assert not unbounded, f"unbounded integer inputs: {unbounded}"
