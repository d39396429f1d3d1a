"""The collector on a real PostgreSQL cluster (one per session). One collector serves the tests
of this folder, emptied before each (HQ.reset); a test needing other settings starts its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.hqtest import HQ
from tests.pgcluster import pg_cluster  # noqa: F401  (the session fixture)


@pytest.fixture(scope="session")
def hq_server(pg_cluster) -> Iterator[HQ]:  # noqa: F811
    with HQ(pg_cluster) as running:
        yield running


@pytest.fixture
def hq(hq_server) -> Iterator[HQ]:
    yield hq_server.reset()
