"""The login rate limit: the limiter with a fake clock, then over real HTTP."""

from __future__ import annotations

import pytest

from hub.auth import ratelimit
from hub.auth.hashing import HASHER_KEY, LIMITER_KEY
from hub.auth.passwords import SecretHasher
from hub.auth.ratelimit import LoginRateLimiter
from tests.hubtest import make_settings
from tests.people import audit_count

ATTEMPTS = 3
WINDOW_S = 60


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(limiter: LoginRateLimiter, username: str, address: str = "10.0.0.1") -> int | None:
    return limiter.acquire(username, address)


def test_the_attempt_after_the_limit_is_refused_until_the_window_passes():
    clock = FakeClock()
    limiter = LoginRateLimiter(ATTEMPTS, WINDOW_S, clock=clock)
    for _ in range(ATTEMPTS):
        assert fail(limiter, "ann") is None
        clock.now += 1
    assert fail(limiter, "ann") == WINDOW_S - ATTEMPTS  # the first failure leaves the window then
    clock.now += WINDOW_S - ATTEMPTS - 0.5
    assert fail(limiter, "ann") == 1
    clock.now += 0.5
    assert fail(limiter, "ann") is None


def test_usernames_are_counted_case_insensitively_and_addresses_separately():
    limiter = LoginRateLimiter(ATTEMPTS, WINDOW_S, clock=FakeClock())
    for i, name in enumerate(["Ann", "ANN", "ann"]):
        assert fail(limiter, name, address=f"10.0.0.{i}") is None
    assert fail(limiter, "aNN", address="10.9.9.9") is not None
    assert fail(limiter, "bob", address="10.9.9.9") is None


def test_one_address_is_limited_across_usernames():
    limiter = LoginRateLimiter(ATTEMPTS, WINDOW_S, clock=FakeClock())
    for i in range(ATTEMPTS):
        assert fail(limiter, f"user{i}") is None
    assert fail(limiter, "someone-else") is not None
    assert limiter.retry_after("someone-else", "10.0.0.2") is None


def test_a_success_clears_the_username_but_not_the_address():
    limiter = LoginRateLimiter(ATTEMPTS, WINDOW_S, clock=FakeClock())
    for _ in range(ATTEMPTS - 1):
        fail(limiter, "ann", address="10.0.0.1")
    assert fail(limiter, "ann", address="10.0.0.1") is None
    limiter.succeeded("ann", "10.0.0.1")  # that last attempt was right
    assert limiter.retry_after("ann", "10.0.0.2") is None
    assert fail(limiter, "bob", address="10.0.0.1") is None
    assert limiter.retry_after("carol", "10.0.0.1") is not None


def test_parallel_attempts_cannot_overshoot_the_limit():
    limiter = LoginRateLimiter(ATTEMPTS, WINDOW_S, clock=FakeClock())
    # Every attempt counts as failed when it starts, before any KDF has answered.
    started = [fail(limiter, "ann") for _ in range(ATTEMPTS * 4)]
    assert started.count(None) == ATTEMPTS


def test_forgotten_keys_bound_the_memory(monkeypatch):
    monkeypatch.setattr(ratelimit, "MAX_TRACKED_KEYS", 10)
    clock = FakeClock()
    limiter = LoginRateLimiter(ATTEMPTS, WINDOW_S, clock=clock)
    for i in range(50):
        fail(limiter, f"user{i}", address=None)
        clock.now += 1
    assert len(limiter._failures) == 10
    assert limiter.retry_after("user49", None) is None  # one failure, still counted
    assert len(limiter._failures[limiter._user_key("user49")]) == 1


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path / "var", login_attempts=ATTEMPTS, login_window_s=WINDOW_S)


@pytest.fixture
def clock(hub):
    fake = FakeClock()
    state = hub.server.app.state
    setattr(state, LIMITER_KEY, LoginRateLimiter(ATTEMPTS, WINDOW_S, clock=fake))
    return fake


class CountingHasher(SecretHasher):
    def __init__(self) -> None:
        super().__init__(1, 8)
        self.verified = 0

    def verify(self, stored, secret):
        self.verified += 1
        return super().verify(stored, secret)


def login(hub, username, password):
    return hub.client().post("/api/v1/auth/login", json={"username": username, "password": password})


def test_a_limited_login_gets_429_with_retry_after_without_checking_the_password(hub, clock):
    hasher = CountingHasher()
    setattr(hub.server.app.state, HASHER_KEY, hasher)
    for _ in range(ATTEMPTS):
        assert login(hub, "cashier", "wrong-password").status_code == 401
    assert hasher.verified == ATTEMPTS
    entries = audit_count(hub)
    r = login(hub, "cashier", hub.credentials["cashier"][0])
    assert r.status_code == 429
    assert r.json()["code"] == "rate_limited"
    assert r.headers["Retry-After"] == str(WINDOW_S)
    assert hasher.verified == ATTEMPTS
    assert audit_count(hub) == entries
    clock.now += WINDOW_S
    assert login(hub, "cashier", hub.credentials["cashier"][0]).status_code == 201


def test_the_client_address_is_limited_across_usernames(hub, clock):
    for name in ("nobody", "manager", "cashier"):
        assert login(hub, name, "wrong-password").status_code == 401
    r = login(hub, "admin", hub.credentials["admin"][0])
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_a_correct_login_keeps_earlier_failures_of_the_address(hub, clock):
    for _ in range(ATTEMPTS - 1):
        assert login(hub, "cashier", "wrong-password").status_code == 401
    assert login(hub, "cashier", hub.credentials["cashier"][0]).status_code == 201
    assert login(hub, "manager", "wrong-password").status_code == 401
    assert login(hub, "manager", hub.credentials["manager"][0]).status_code == 429


def test_wrong_current_passwords_count_too(hub, clock):
    client = hub.as_user("manager")
    for _ in range(ATTEMPTS):
        r = client.post("/api/v1/auth/me/password",
                        json={"current_password": "guess-guess", "new_password": "long-enough-1"})
        assert r.status_code == 403
    r = client.post("/api/v1/auth/me/password",
                    json={"current_password": hub.credentials["manager"][0], "new_password": "long-enough-1"})
    assert r.status_code == 429
