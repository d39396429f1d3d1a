"""Oversized and malformed request bodies get a 4xx problem document, never a 5xx, whoever sends
them: anonymous (sign-in), the admin (a product), and a cashier at a paired till (a sale and a
sync upload), with the hub's body limit set low so "oversized" is cheap to send."""

from __future__ import annotations

import pytest

from tests.pairing import Tills

LIMIT = 64 * 1024


@pytest.fixture
def settings(tmp_path):
    from tests.hubtest import make_settings

    return make_settings(tmp_path / "var", max_body_bytes=LIMIT, login_attempts=1000)


BAD_BODIES = {
    "truncated": b'{"username": "admin", "pass',
    "not utf-8": b'{"username": "\xff\xfe\xfd"}',
    "a list": b"[1, 2, 3]",
    "a string": b'"hello"',
    "empty": b"",
    "nul bytes": b'{"username": "ad\\u0000min", "password": "\\u0000"}',
    "lone surrogate": b'{"username": "\\ud800", "password": "x"}',
    "huge integer": b'{"username": "admin", "password": 1' + b"0" * 5000 + b"}",
    "nan": b'{"username": NaN, "password": Infinity}',
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "deep objects": b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
    "duplicate keys": b'{"username": "admin", "username": "x", "password": "y"}',
    "many keys": b"{" + b",".join(b'"k%d": %d' % (i, i) for i in range(5000)) + b"}",
    "oversized": b'{"username": "' + b"a" * (LIMIT + 10) + b'"}',
}


@pytest.fixture
def callers(hub):
    tills = Tills(hub, hub.as_user("manager"))
    till = tills.pair()
    session = tills.login(till["device_token"], "cashier", hub.credentials["cashier"][0]).json()
    at_till = {"Authorization": f"Bearer {session['access_token']}", "X-Device-Token": till["device_token"]}
    admin = {"Authorization": f"Bearer {hub.login('admin')['access_token']}"}
    return [("/api/v1/auth/login", {}), ("/api/v1/products", admin), ("/api/v1/sales", at_till),
            ("/api/v1/sync/events", at_till)]


def test_a_bad_body_gets_a_4xx_problem_document(hub, callers):
    client = hub.client()
    for kind, body in BAD_BODIES.items():
        for path, headers in callers:
            r = client.post(path, content=body, headers={**headers, "Content-Type": "application/json"})
            assert 400 <= r.status_code < 500, (kind, path, r.status_code, r.text[:300])
            assert r.headers["content-type"].startswith("application/problem+json"), (kind, path, r.headers)
            assert r.json()["status"] == r.status_code
    assert client.get("/api/v1/health").status_code == 200


def test_a_json_route_given_another_content_type_refuses_it_with_a_4xx(hub, callers):
    client = hub.client()
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                         "application/xml", ""):
        for path, headers in callers:
            r = client.post(path, content=b'{"username": "admin"}', headers={**headers, "Content-Type": content_type})
            assert 400 <= r.status_code < 500, (path, content_type, r.status_code, r.text[:300])


def test_a_body_longer_than_its_content_length_says_or_chunked_past_the_limit_is_refused(hub):
    client = hub.client()

    def chunks():
        for _ in range(LIMIT // 4096 + 4):
            yield b'{"x": "' + b"a" * 4096 + b'"}'

    r = client.post("/api/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json")
