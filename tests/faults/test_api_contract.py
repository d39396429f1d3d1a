"""Schemathesis against the hub's own contract (/schema/openapi.json) on a running demo hub: for
every operation, generated requests as the admin (bearer token), and for the tills' routes as a
cashier signed in at a paired till (its device token too). No answer may be a 5xx, and every
answer must match the response schema the contract declares for its status.

tests/test_api_fuzz.py (core) checks only for 5xx, with a few examples; this runs longer and
checks the answers' shapes. SOKO_FAULT_EXAMPLES sets the examples per operation (default 6).
"""

from __future__ import annotations

import json
import os
import threading

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.hubtest import Hub, HubServer, make_demo_store, make_settings
from tests.pairing import Tills
from tests.test_api_fuzz import OPERATIONS

pytestmark = pytest.mark.faults

EXAMPLES = int(os.environ.get("SOKO_FAULT_EXAMPLES", "6"))


@pytest.fixture
def no_leftover_threads():
    """One hub serves the whole module; its threads are checked when it stops (see contract_hub)."""
    yield


@pytest.fixture(scope="module")
def contract_hub(tmp_path_factory):
    before = set(threading.enumerate())
    config = make_settings(tmp_path_factory.mktemp("contract") / "var", login_attempts=1000)
    store = make_demo_store(config, catalogue=True)
    server = HubServer(config).start()
    running = Hub(server, store)
    running.admin_token = running.login("admin")["access_token"]
    tills = Tills(running, running.as_user("manager"))
    till = tills.pair()
    r = tills.login(till["device_token"], "cashier", running.credentials["cashier"][0])
    assert r.status_code == 201, r.text
    running.till_headers = {"Authorization": f"Bearer {r.json()['access_token']}",
                            "X-Device-Token": till["device_token"]}
    running.api = schemathesis.openapi.from_url(f"{running.url}/schema/openapi.json", timeout=300)
    yield running
    running.close()
    server.stop()
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()
                and not t.name.startswith(("asyncio_", "ThreadPoolExecutor"))]
    for t in leftover:
        t.join(2)
    assert not [t.name for t in leftover if t.is_alive()], "the contract hub left threads running"


def _is_device_route(operation) -> bool:
    return any("device" in requirement for requirement in operation.definition.raw.get("security") or [])


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_answers_match_the_contract_and_are_never_a_server_error(contract_hub, method, path):
    operation = contract_hub.api[path][method]
    callers = [{"Authorization": f"Bearer {contract_hub.admin_token}"}]
    if _is_device_route(operation):
        callers.append(contract_hub.till_headers)

    for headers in callers:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def call(case):
            case.call_and_validate(base_url=contract_hub.url, headers=headers,
                                   checks=[not_a_server_error, response_schema_conformance])

        call()


def test_the_response_check_fails_an_answer_off_its_schema(contract_hub):
    """The check above can fail: the health answer with a wrong type is refused by it."""
    from schemathesis.core.transport import Response

    operation = contract_hub.api["/api/v1/health"]["GET"]
    case = operation.Case()
    real = case.call(base_url=contract_hub.url)
    case.validate_response(real, checks=[response_schema_conformance])
    body = real.json()
    body["uptime_s"] = "a while"
    wrong = Response(status_code=real.status_code, headers=real.headers, content=json.dumps(body).encode(),
                     request=real.request, elapsed=real.elapsed, verify=real.verify)
    try:
        case.validate_response(wrong, checks=[response_schema_conformance])
    except BaseExceptionGroup as err:  # schemathesis raises a group of its failures
        found = [type(e).__name__ for e in getattr(err, "exceptions", [err])]
    else:
        pytest.fail("an answer off its schema passed the check")
    assert found == ["JsonSchemaError"], found
