"""The collector on a real PostgreSQL cluster (one per session), a fresh database per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.hqtest import HQ
from tests.pgcluster import pg_cluster  # noqa: F401  (the session fixture)


@pytest.fixture
def hq(pg_cluster) -> Iterator[HQ]:  # noqa: F811
    with HQ(pg_cluster) as running:
        yield running
