"""A hub in setup mode (no store database) on 127.0.0.1, and a helper socket that runs the image's
real privileged helper script in dry-run mode (tests.helpertest: it validates; the fake records what
it was asked)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.firstrun.app import build_setup_server
from hub.firstrun.code import make_code
from tests.helpertest import FakeHelper
from tests.hubtest import fast_hasher, free_port, make_settings


class SetupHub:
    def __init__(self, tmp: Path, helper: FakeHelper, *, with_code: bool = True, **settings: Any) -> None:
        self.settings = make_settings(tmp / "data", login_attempts=5, **settings)
        self.code = make_code(self.settings, fast_hasher()) if with_code else None
        self.port = free_port()
        self.server = build_setup_server(self.settings, host="127.0.0.1", port=self.port,
                                         helper_socket=helper.path)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.helper = helper

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "SetupHub":
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "the setup hub did not start"
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        assert not self.thread.is_alive()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=20, follow_redirects=False)


@pytest.fixture
def fake_helper(tmp_path):
    helper = FakeHelper(tmp_path)
    yield helper
    helper.close()


@pytest.fixture
def setup_hub(tmp_path, fake_helper):
    hub = SetupHub(tmp_path, fake_helper).start()
    yield hub
    hub.stop()
