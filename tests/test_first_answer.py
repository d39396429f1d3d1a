"""First rounds that no request needs (udev's first look for scanners, the clock and UPS rounds)
wait for the hub's first answer (hub.subsystems.after_first_answer), so they do not hold it up;
without a request they still run, FIRST_ROUND_LATEST_S after start at the latest."""

from __future__ import annotations

import asyncio
import threading

import pytest
from litestar.datastructures import State
from litestar.testing import TestClient

import hub.subsystems
from hub.app import FirstAnswer, create_app
from hub.events.subsystem import ScannerSubsystem
from hub.subsystems import DatabaseSubsystem, after_first_answer


class _Source:
    """A udev stand-in that finds nothing and watches nothing."""

    def candidates(self):
        return []

    def watch(self, plugged, unplugged):
        pass


def _counting_factory(looked: threading.Event):
    def factory():
        looked.set()
        return _Source()
    return factory


def test_the_first_answer_is_marked_and_then_no_request_passes_through_the_marker(settings, demo_store):
    app = create_app(settings, subsystems=[DatabaseSubsystem(settings)])
    with TestClient(app) as client:
        assert isinstance(app.asgi_handler, FirstAnswer)
        assert not app.state.answered.is_set()
        assert client.get("/api/v1/health").status_code == 200
        assert app.state.answered.is_set()
        assert not isinstance(app.asgi_handler, FirstAnswer)
        assert client.get("/api/v1/health").headers["x-request-id"]  # the chain still answers


def test_udev_is_looked_at_only_after_the_first_answer(settings, demo_store):
    looked = threading.Event()
    scanners = ScannerSubsystem(_counting_factory(looked), grab=False)
    app = create_app(settings, subsystems=[DatabaseSubsystem(settings), scanners])
    with TestClient(app) as client:
        assert not looked.wait(0.5)  # started, serving, and no answer yet
        assert client.get("/api/v1/health").status_code == 200
        assert looked.wait(10)


def test_without_a_request_the_first_round_still_runs(settings, demo_store, monkeypatch):
    monkeypatch.setattr(hub.subsystems, "FIRST_ROUND_LATEST_S", 0.2)
    looked = threading.Event()
    app = create_app(settings, subsystems=[ScannerSubsystem(_counting_factory(looked), grab=False)])
    with TestClient(app):
        assert looked.wait(10)


def test_a_hub_stopped_before_its_first_answer_never_looks_at_udev(settings, demo_store):
    looked = threading.Event()
    app = create_app(settings, subsystems=[ScannerSubsystem(_counting_factory(looked), grab=False)])
    with TestClient(app):
        pass
    assert not looked.wait(0.3)


@pytest.mark.parametrize("state", [State({}), State({"answered": None})])
def test_a_subsystem_started_on_its_own_does_not_wait(state):
    asyncio.run(asyncio.wait_for(after_first_answer(state), 1))


def test_the_clock_round_waits_for_the_first_answer(settings, demo_store):
    from hub.ops.subsystem import OpsSubsystem

    class Ops(OpsSubsystem):
        rounds = 0

        async def clock_round(self):
            Ops.rounds += 1

    app = create_app(settings, subsystems=[DatabaseSubsystem(settings), Ops()])
    with TestClient(app) as client:
        threading.Event().wait(0.5)
        assert Ops.rounds == 0
        assert client.get("/api/v1/health").status_code == 200
        for _ in range(100):
            if Ops.rounds:
                break
            threading.Event().wait(0.05)
        assert Ops.rounds == 1
